"""A packed shipment is priced parcel by parcel, each at its billable (dimensional) weight, plus
its boxes; without a box catalogue it is priced as one parcel, exactly as before."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.carriers.ratecard import RateCardCarrier, ShipmentError
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.orders import Order, OrderLine
from engine.domain.packaging import Box, BoxCatalog
from engine.domain.values import Address, Dimensions
from engine.pipeline.carriers import (
    CarrierCatalog,
    Parcel,
    QuoteMemo,
    RateCardError,
    catalog_from_dicts,
    load_catalog,
    rate_card_from_dict,
)
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.packing import Item, PackedParcel, Packing, load_packaging, pack
from engine.pipeline.stock_view import SnapshotStockView
from engine.rules.registry import RulesetRegistry

NOW = datetime(2026, 11, 18, 10, 0)  # a Wednesday morning
SHIPPED_BOXES = Path(__file__).resolve().parents[3] / "rulesets" / "packaging" / "boxes.yaml"


def card(**more: Any) -> dict[str, Any]:
    """One carrier, one zone, one service: $5 to 1 kg, $8 to 5 kg, $12 to 10 kg, $20 to 30."""
    service = {"code": "ground", "weight_breaks_kg": [1, 5, 10, 30],
               "rates": {1: [5.0, 8.0, 12.0, 20.0]}, "transit_days": {1: 2},
               **more.pop("service", {})}  # fmt: skip
    return {"code": "TST", "hazmat": True, "zones": {"by_distance_km": [[99999, 1]]},
            "services": [service], **more}  # fmt: skip


def parcel(kg: float, sides: tuple[float, float, float], *, boxed: bool = True,
           hazmat: bool = False) -> PackedParcel:  # fmt: skip
    box = Box("B", *sides, max_weight_kg=30, tare_kg=0.0, cost=1.25) if boxed else None
    return PackedParcel(box, {"X": 1}, kg, 0.0, hazmat, sides)


def quoted(catalog: CarrierCatalog, *parcels: PackedParcel) -> list[tuple[str, float, dict]]:
    found = catalog.packed_quotes(Packing(tuple(parcels)), 100.0, "10001", NOW)
    return [(q.label, q.rate, dict(q.surcharges)) for q in found]


def test_a_packed_shipment_costs_its_parcels_rates_plus_its_boxes() -> None:
    catalog = catalog_from_dicts([card()])
    assert quoted(catalog, parcel(0.8, (20, 20, 10)), parcel(4.0, (40, 30, 20))) == [
        ("TST/ground", 5.0 + 8.0 + 2.5, {"boxes": 2.5})
    ]


def test_a_light_bulky_parcel_is_billed_by_its_volume_over_the_divisor() -> None:
    catalog = catalog_from_dicts([card(dim_divisor=5000)])
    # 60 x 45 x 40 cm is 108,000 cm³: 21.6 kg at 5000 cm³ per kg, priced in the 30 kg break.
    assert quoted(catalog, parcel(1.0, (60, 45, 40), boxed=False)) == [("TST/ground", 20.0, {})]
    # Heavier than its volume: billed by its weight.
    assert quoted(catalog, parcel(25.0, (20, 20, 10), boxed=False))[0][1] == 20.0
    assert quoted(catalog, parcel(3.0, (20, 20, 10), boxed=False))[0][1] == 8.0


def test_a_service_s_own_divisor_wins_over_the_card_s() -> None:
    catalog = catalog_from_dicts([card(dim_divisor=5000, service={"dim_divisor": 100000})])
    assert catalog.cards[0].services[0].dim_divisor == 100000
    assert quoted(catalog, parcel(1.0, (60, 45, 40), boxed=False))[0][1] == 8.0  # 1.08 kg


def test_without_a_divisor_only_the_weight_is_billed() -> None:
    catalog = catalog_from_dicts([card()])
    assert quoted(catalog, parcel(1.0, (60, 45, 40), boxed=False))[0][1] == 5.0


def test_surcharges_are_charged_per_parcel_as_the_card_defines_them() -> None:
    surcharges = {"hazmat": 30.0, "oversize": {"longest_side_cm": 100, "amount": 40.0},
                  "fuel_percent": 10}  # fmt: skip
    catalog = catalog_from_dicts([card(surcharges=surcharges)])
    [(_, rate, charged)] = quoted(
        catalog,
        parcel(0.5, (20, 10, 10), hazmat=True, boxed=False),
        parcel(0.5, (120, 10, 10), boxed=False),
        parcel(0.5, (20, 10, 10), boxed=False),
    )
    # Fuel is 10% of each parcel's price with its other surcharges: 3.5 + 4.5 + 0.5.
    assert charged == {"hazmat": 30.0, "fuel": 8.5, "oversize": 40.0}
    assert rate == 3 * 5.0 + 30.0 + 40.0 + 8.5


def test_a_service_that_cannot_carry_one_of_the_parcels_cannot_take_the_shipment() -> None:
    catalog = catalog_from_dicts([card()])
    assert quoted(catalog, parcel(2.0, (10, 10, 10)), parcel(31.0, (10, 10, 10))) == []


def test_a_memo_shares_parcel_prices_without_changing_a_quote() -> None:
    catalog = load_catalog()
    memo = QuoteMemo(limit=3)
    packing = Packing((parcel(0.8, (20, 20, 10)), parcel(12.0, (60, 45, 40), hazmat=True)))
    alone = catalog.packed_quotes(packing, 700.0, "10001", NOW, time(14))
    for _ in range(2):
        assert catalog.packed_quotes(packing, 700.0, "10001", NOW, time(14), memo) == alone
    assert all(q.hazmat_ok for q in alone)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c.update(dim_divisor=0),
         "dim_divisor: expected a divisor in cm³ per kg (such as 5000) above 0, got 0"),
        (lambda c: c.update(dim_divisor="5000"),
         "dim_divisor: expected a divisor in cm³ per kg (such as 5000) at least 0, got '5000'"),
        (lambda c: c["services"][0].update(dim_divisor=-1),
         "services.ground.dim_divisor: expected a divisor in cm³ per kg (such as 5000) at least "
         "0, got -1"),
        (lambda c: c.update(dim_diviser=5000),
         "dim_diviser: unknown field (did you mean 'dim_divisor'?)"),
    ],
    ids=["zero", "quoted", "negative on a service", "misspelt"],
)  # fmt: skip
def test_a_bad_dim_divisor_is_refused_at_its_field(change: Any, expected: str) -> None:
    data = card()
    change(data)
    with pytest.raises(RateCardError) as refused:
        rate_card_from_dict(data, "tst.yaml")
    assert refused.value.message == f"tst.yaml: carrier TST: {expected}"


# --- the rate-card connector ----------------------------------------------------------------


def test_the_connector_bills_a_measured_parcel_by_its_dimensional_weight() -> None:
    carrier = RateCardCarrier({"carrier": "TST"}, card=rate_card_from_dict(card(dim_divisor=5000)))
    shipment = {"weight_kg": 1, "distance_km": 100, "to_postal_code": "10001", "now": NOW}
    assert [q.amount for q in carrier.rates(shipment)] == [Decimal("5.0")]
    measured = {**shipment, "length_cm": 40, "width_cm": 60, "height_cm": 45}
    assert [q.amount for q in carrier.rates(measured)] == [Decimal("20.0")]
    with pytest.raises(ShipmentError, match=r"^width_cm: missing \(a measured parcel gives"):
        carrier.rates({**shipment, "length_cm": 40, "height_cm": 45})


# --- the Decider ------------------------------------------------------------------------------

EWR = Location("EWR-01", "Edison", LocationType.WAREHOUSE, Address("08817"), cutoff=time(17))
PRODUCTS = {
    p.sku: p
    for p in [
        Product("BOOTS", "Boots", Decimal("90"), 1.9, Dimensions(35, 25, 15)),
        Product("JEANS", "Jeans", Decimal("50"), 0.8, Dimensions(30, 20, 5)),
        Product("MUG", "Mug", Decimal("12"), 0.4, Dimensions(12, 10, 10)),
        Product("PLATE", "Weight plate", Decimal("40"), 10.0, Dimensions(30, 30, 3)),
    ]
}
STOCK = SnapshotStockView([Stock(sku, "EWR-01", on_hand=50) for sku in PRODUCTS])


def order(*lines: tuple[str, int]) -> Order:
    return Order("O-1", "web", "W-1", "C-1", Address("60601"),
                 [OrderLine(str(n), sku, qty, PRODUCTS[sku].price)
                  for n, (sku, qty) in enumerate(lines, start=1)], NOW)  # fmt: skip


def decide(packaging: BoxCatalog | None, *lines: tuple[str, int]) -> Decision:
    decider = Decider(RulesetRegistry(), load_catalog(), DeciderSettings(), packaging)
    return decider.decide(order(*lines), None, PRODUCTS, [EWR], STOCK, NOW)


def test_without_a_box_catalogue_a_shipment_is_priced_as_one_parcel_as_before() -> None:
    decision = decide(None, ("BOOTS", 2), ("PLATE", 3))
    [shipment] = decision.shipments
    lump = Parcel(2 * 1.9 + 3 * 10.0, decision.shipments[0].distance_km, "60601", False, 35.0)
    cheapest = min(load_catalog().quotes(lump, NOW, time(17)), key=lambda q: q.rate)
    assert (shipment.carrier, shipment.service, shipment.rate) == (
        cheapest.carrier, cheapest.service, cheapest.rate)  # fmt: skip
    assert "packing" not in decision.trace["carriers"]["EWR-01"]


def test_a_location_stocking_no_box_ships_as_without_a_catalogue() -> None:
    shipped = load_packaging(SHIPPED_BOXES)
    elsewhere = BoxCatalog(tuple(dataclasses.replace(b, locations=frozenset({"DAL-01"}))
                                 for b in shipped.boxes))  # fmt: skip
    lines = (("BOOTS", 2), ("PLATE", 3))
    assert decide(elsewhere, *lines) == decide(None, *lines)


def test_a_packed_shipment_is_priced_by_its_parcels_and_the_trace_shows_the_packing() -> None:
    catalog = load_packaging(SHIPPED_BOXES)
    lines = (("MUG", 3), ("JEANS", 1), ("BOOTS", 2))
    decision = decide(catalog, *lines)
    [shipment] = decision.shipments
    packed = pack([Item.of(sku, qty, PRODUCTS[sku]) for sku, qty in lines], catalog.at("EWR-01"))
    quotes = load_catalog().packed_quotes(packed, shipment.distance_km, "60601", NOW, time(17))
    cheapest = min(quotes, key=lambda q: (q.rate, q.promised_date, q.carrier, q.service))
    assert (shipment.carrier, shipment.service, shipment.rate) == (
        cheapest.carrier, cheapest.service, cheapest.rate)  # fmt: skip
    assert cheapest.surcharges["boxes"] == 1.70
    trace = decision.trace["carriers"]["EWR-01"]["packing"]
    assert trace["box_cost"] == 1.70
    assert [(p["box"], p["units"], p["fill"], p["gross_weight_kg"]) for p in trace["parcels"]] == [
        ("MEDIUM", {"BOOTS": 2, "JEANS": 1, "MUG": 1}, 0.773, 5.55),
        ("SMALL", {"MUG": 2}, 0.213, 1.05),
    ]
    assert all(p["billable_weight_kg"] >= p["gross_weight_kg"] for p in trace["parcels"])


def test_a_shipment_too_heavy_for_one_box_goes_as_several_parcels() -> None:
    decision = decide(load_packaging(SHIPPED_BOXES), ("PLATE", 5))
    parcels = decision.trace["carriers"]["EWR-01"]["packing"]["parcels"]
    # 50 kg of plates: the smallest box a plate fits (MEDIUM) holds 20 kg, two plates.
    assert [(p["box"], p["units"]) for p in parcels] == [
        ("MEDIUM", {"PLATE": 2}), ("MEDIUM", {"PLATE": 2}), ("MEDIUM", {"PLATE": 1})]  # fmt: skip
    assert decision.shipments[0].carrier
