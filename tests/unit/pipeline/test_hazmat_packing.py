"""Dangerous goods kept apart when packed: the box catalogue's `hazmat` (mixed, apart, alone),
boxes that may not carry them (`hazmat: false`), and the parcels priced with the hazmat fee
on the dangerous ones only (docs/packaging.md)."""

from __future__ import annotations

from typing import Any

import yaml

from engine.domain.catalog import Product
from engine.domain.packaging import HazmatMode
from engine.domain.values import Dimensions
from engine.pipeline.carriers import catalog_from_dicts
from engine.pipeline.decide import Decider
from engine.pipeline.decision import Allocation
from engine.pipeline.packing import Item, box_catalog_from_dict, load_packaging, pack
from tests.unit.pipeline.test_packed_shipment_quotes import NOW, card
from tests.unit.pipeline.test_packing import SHIPPED, box, contents, item

# Two goods of one size and weight, so only the mode decides where they go.
SOAP = item("SOAP", 2, (10, 10, 10), 0.5)
PAINT = item("PAINT", 2, (10, 10, 10), 0.5, hazmat=True)
GLUE = item("GLUE", 1, (10, 10, 10), 0.5, hazmat=True)
ROOMY = [box("BOX", (30, 30, 30))]


def test_mixed_packs_dangerous_goods_with_anything_that_fits_as_before() -> None:
    packed = pack([SOAP, PAINT, GLUE], ROOMY, 0.8, HazmatMode.MIXED)
    assert contents(packed) == [("BOX", {"GLUE": 1, "PAINT": 2, "SOAP": 2})]
    assert contents(pack([SOAP, PAINT, GLUE], ROOMY, 0.8)) == contents(packed)
    assert packed.parcels[0].hazmat


def test_apart_a_dangerous_sku_never_shares_a_box_with_other_goods() -> None:
    packed = pack([SOAP, PAINT], ROOMY, 0.8, HazmatMode.APART)
    assert contents(packed) == [("BOX", {"PAINT": 2}), ("BOX", {"SOAP": 2})]
    assert [p.hazmat for p in packed.parcels] == [True, False]


def test_apart_two_dangerous_skus_share_a_box() -> None:
    packed = pack([SOAP, PAINT, GLUE], ROOMY, 0.8, HazmatMode.APART)
    assert contents(packed) == [("BOX", {"GLUE": 1, "PAINT": 2}), ("BOX", {"SOAP": 2})]


def test_alone_each_dangerous_sku_has_boxes_of_its_own() -> None:
    bread = item("BREAD", 1, (10, 10, 10), 0.5)
    packed = pack([SOAP, PAINT, GLUE, bread], ROOMY, 0.8, HazmatMode.ALONE)
    assert contents(packed) == [
        ("BOX", {"BREAD": 1, "SOAP": 2}),
        ("BOX", {"GLUE": 1}),
        ("BOX", {"PAINT": 2}),
    ]


def test_alone_a_dangerous_sku_too_many_for_one_box_fills_several_of_its_own() -> None:
    small = [box("S", (10, 10, 20), tare=0.1)]
    packed = pack(
        [item("PAINT", 5, (10, 10, 10), 0.5, hazmat=True), GLUE], small, 1.0, HazmatMode.ALONE
    )
    assert contents(packed) == [("S", {"GLUE": 1}), ("S", {"PAINT": 2}), ("S", {"PAINT": 2}),
                                ("S", {"PAINT": 1})]  # fmt: skip


def test_a_box_that_may_not_carry_dangerous_goods_is_passed_over_for_them() -> None:
    boxes = [box("POLY", (30, 22, 6), hazmat=False), box("CARTON", (30, 25, 15))]
    spray = item("SPRAY", 1, (20, 5, 5), 0.3, hazmat=True)
    tee = item("TEE", 1, (25, 20, 2), 0.3)
    # Mixed, the spray may go with the tee, but not into the mailer the tee opened.
    assert contents(pack([tee, spray], boxes)) == [("POLY", {"TEE": 1}), ("CARTON", {"SPRAY": 1})]
    assert contents(pack([spray], boxes)) == [("CARTON", {"SPRAY": 1})]
    # The carton, opened first for the bigger spray, takes the tee with it.
    big_spray = item("SPRAY", 1, (28, 20, 5), 0.3, hazmat=True)
    assert contents(pack([tee, big_spray], boxes)) == [("CARTON", {"SPRAY": 1, "TEE": 1})]


def test_a_dangerous_unit_no_allowed_box_takes_ships_alone_in_its_own_packaging() -> None:
    boxes = [box("POLY", (30, 22, 6), hazmat=False)]
    spray = item("SPRAY", 2, (20, 5, 5), 0.3, hazmat=True)
    packed = pack([spray, item("TEE", 1, (25, 20, 2), 0.3)], boxes)
    # The tee, larger, comes first; each spray then goes as it is, no box paid for.
    assert contents(packed) == [("POLY", {"TEE": 1}), (None, {"SPRAY": 1}), (None, {"SPRAY": 1})]
    alone = packed.parcels[1]
    assert (alone.sides, alone.gross_weight_kg, alone.fill) == ((20, 5, 5), 0.3, None)
    assert alone.hazmat and packed.hazmat
    assert packed.box_cost == 1.0


# --- the docs' worked example: the hazmat fee on the dangerous parcel only --------------------

BOOTS = Product("BOOTS", "Boots", weight_kg=1.9, dimensions=Dimensions(35, 25, 15))
CANS = Product("CANS", "Lamp oil", weight_kg=1.0, dimensions=Dimensions(20, 15, 10), hazmat=True)


def packed_at_edison(mode: str) -> list[tuple[str | None, dict[str, int]]]:
    """The docs' order of 4 BOOTS and 3 CANS, packed at Edison by the sample catalogue."""
    catalog = load_packaging(SHIPPED)
    packing = pack([Item.of("BOOTS", 4, BOOTS), Item.of("CANS", 3, CANS)], catalog.at("EWR-01"),
                   catalog.fill_factor, HazmatMode(mode))  # fmt: skip
    return contents(packing)


def test_apart_the_docs_example_puts_the_cans_in_a_box_of_their_own() -> None:
    assert packed_at_edison("mixed") == [
        ("MEDIUM", {"BOOTS": 2, "CANS": 1}),
        ("MEDIUM", {"BOOTS": 2, "CANS": 1}),
        ("SMALL", {"CANS": 1}),
    ]
    assert packed_at_edison("apart") == [
        ("MEDIUM", {"BOOTS": 2}),
        ("MEDIUM", {"BOOTS": 2}),
        ("SMALL", {"CANS": 3}),
    ]


def test_kept_apart_only_the_dangerous_parcel_pays_the_hazmat_fee() -> None:
    # $5 to 1 kg, $8 to 5 kg, $12 to 10 kg; $30 a parcel holding dangerous goods.
    carriers = catalog_from_dicts([card(surcharges={"hazmat": 30.0})])
    sample: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    lines = [Allocation("L1", "BOOTS", "EWR-01", 4), Allocation("L2", "CANS", "EWR-01", 3)]
    quoted = {}
    for mode in ("mixed", "apart"):
        # The Decider's own step, as a decision packs the order's shipment.
        catalog = box_catalog_from_dict({**sample, "hazmat": mode})
        packing = Decider.pack_shipment(catalog, "EWR-01", lines, [BOOTS, CANS])
        assert packing is not None
        [quote] = carriers.packed_quotes(packing, 100.0, "10001", NOW)
        quoted[mode] = (quote.rate, dict(quote.surcharges))
    # Mixed: 5.35, 5.35 and 1.25 kg, each with a can: $12 + $12 + $8, three fees, the boxes.
    assert quoted["mixed"] == (12 + 12 + 8 + 3 * 30 + 2.80, {"hazmat": 90.0, "boxes": 2.8})
    # Apart: 4.35, 4.35 and 3.25 kg, the cans together: $8 + $8 + $8, one fee, the boxes.
    assert quoted["apart"] == (8 + 8 + 8 + 30 + 2.80, {"hazmat": 30.0, "boxes": 2.8})
