"""Cartonization: units packed first fit decreasing into a location's boxes, and the box
catalogue checked field by field as it is read (docs/packaging.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.catalog import Product
from engine.domain.packaging import Box, BoxCatalog, HazmatMode, PackagingError
from engine.domain.values import Dimensions
from engine.pipeline.packing import Item, Packing, box_catalog_from_dict, load_packaging, pack

SHIPPED = Path(__file__).resolve().parents[3] / "rulesets" / "packaging" / "boxes.yaml"


def box(code: str, sides: tuple[float, float, float], max_kg: float = 20.0, **more: Any) -> Box:
    tare, cost, locations = more.get("tare", 0.5), more.get("cost", 1.0), more.get("locations", ())
    return Box(code, *sides, max_kg, tare, cost, frozenset(locations), more.get("hazmat", True))


def item(
    sku: str, count: int, sides: tuple[float, float, float], kg: float = 1.0, hazmat: bool = False
) -> Item:
    product = Product(sku, sku, weight_kg=kg, dimensions=Dimensions(*sides), hazmat=hazmat)
    return Item.of(sku, count, product)


def contents(packing: Packing) -> list[tuple[str | None, dict[str, int]]]:
    return [(p.box.code if p.box else None, p.units) for p in packing.parcels]


# --- packing ------------------------------------------------------------------------------------


def test_the_worked_example_of_the_docs_packs_three_products_into_two_boxes() -> None:
    catalog = load_packaging(SHIPPED)
    packing = pack(
        [item("MUG", 3, (12, 10, 10), 0.4), item("JEANS", 1, (30, 20, 5), 0.8),
         item("BOOTS", 2, (35, 25, 15), 1.9)],
        catalog.at("EWR-01"),
        catalog.fill_factor,
    )  # fmt: skip
    assert contents(packing) == [
        ("MEDIUM", {"BOOTS": 2, "JEANS": 1, "MUG": 1}),
        ("SMALL", {"MUG": 2}),
    ]
    medium, small = packing.parcels
    assert round(medium.fill or 0, 3) == 0.773 and round(medium.gross_weight_kg, 2) == 5.55
    assert round(small.fill or 0, 3) == 0.213 and round(small.gross_weight_kg, 2) == 1.05
    assert packing.box_cost == 1.70


def test_a_unit_goes_into_the_smallest_box_it_fits_turned_any_way() -> None:
    boxes = [box("FLAT", (40, 30, 5)), box("CUBE", (20, 20, 20)), box("BIG", (50, 50, 50))]
    ordered = BoxCatalog(tuple(boxes)).at("ANY")
    assert [b.code for b in ordered] == ["FLAT", "CUBE", "BIG"]
    # Standing up it is 5 cm wide and 30 tall: turned flat, it fits the flat box.
    assert contents(pack([item("BOARD", 1, (5, 30, 25))], ordered, 1.0)) == [("FLAT", {"BOARD": 1})]
    assert contents(pack([item("BALL", 1, (18, 18, 18))], ordered, 1.0)) == [("CUBE", {"BALL": 1})]


def test_a_box_is_filled_to_its_fill_factor_and_no_further() -> None:
    boxes = [box("B", (10, 10, 10))]
    # 1,000 cm³ at 0.8 holds 800: four cubes of 200 cm³, the fifth opens a second box.
    packing = pack([item("CUBE", 5, (10, 10, 2), 0.1)], boxes, 0.8)
    assert contents(packing) == [("B", {"CUBE": 4}), ("B", {"CUBE": 1})]
    assert packing.parcels[0].fill == 0.8


def test_a_shipment_too_heavy_for_one_box_is_split_at_each_box_s_weight_limit() -> None:
    boxes = [box("B", (60, 60, 60), max_kg=25.0, tare=1.0)]
    packing = pack([item("PLATE", 7, (30, 30, 2), 10.0)], boxes)
    assert contents(packing) == [("B", {"PLATE": 2})] * 3 + [("B", {"PLATE": 1})]
    assert [p.gross_weight_kg for p in packing.parcels] == [21.0, 21.0, 21.0, 11.0]


def test_a_unit_no_box_takes_ships_alone_in_its_own_packaging() -> None:
    catalog = load_packaging(SHIPPED)
    # Edison stocks no LONG box: each tent goes as it is, no box paid for.
    packing = pack(
        [item("TENT", 2, (130, 30, 30), 6.5), item("TEE", 1, (25, 20, 2), 0.3)],
        catalog.at("EWR-01"),
        catalog.fill_factor,
    )
    assert contents(packing) == [(None, {"TENT": 1}), (None, {"TENT": 1}), ("MAILER", {"TEE": 1})]
    alone = packing.parcels[0]
    assert (alone.sides, alone.gross_weight_kg, alone.fill) == ((130, 30, 30), 6.5, None)
    assert packing.box_cost == 0.35
    # Dallas stocks it.
    at_dallas = pack([item("TENT", 1, (130, 30, 30), 6.5)], catalog.at("DAL-01"), 0.8)
    assert contents(at_dallas) == [("LONG", {"TENT": 1})]


def test_a_product_without_dimensions_fits_by_weight_alone() -> None:
    boxes = [box("S", (10, 10, 10), max_kg=5.0), box("L", (50, 50, 50), max_kg=30.0)]
    packing = pack([item("POWDER", 8, (0, 0, 0), 1.0)], boxes)
    assert contents(packing) == [("S", {"POWDER": 5}), ("S", {"POWDER": 3})]
    assert packing.parcels[0].fill == 0.0
    unknown = pack([Item.of("GHOST", 3, None)], boxes)
    assert contents(unknown) == [("S", {"GHOST": 3})]


def test_boxes_of_one_volume_are_opened_cheapest_first_then_by_code() -> None:
    boxes = (box("B", (20, 20, 20), cost=2.0), box("C", (20, 20, 20), cost=1.0),
             box("A", (20, 20, 20), cost=1.0))  # fmt: skip
    assert [b.code for b in BoxCatalog(boxes).at("X")] == ["A", "C", "B"]


def test_a_location_has_only_the_boxes_stocked_there() -> None:
    catalog = BoxCatalog((box("ALL", (10, 10, 10)), box("DAL", (5, 5, 5), locations=["DAL-01"])))
    assert [b.code for b in catalog.at("DAL-01")] == ["DAL", "ALL"]
    assert [b.code for b in catalog.at("EWR-01")] == ["ALL"]


def test_the_same_units_listed_in_any_order_pack_alike() -> None:
    boxes = BoxCatalog((box("S", (20, 20, 20), 5.0), box("M", (40, 40, 40), 15.0))).at("X")
    items = [item("A", 3, (10, 10, 10), 1.0), item("B", 2, (10, 10, 10), 2.0),
             item("C", 1, (30, 20, 10), 3.0)]  # fmt: skip
    assert contents(pack(items, boxes)) == contents(pack(items[::-1], boxes))
    assert contents(pack(items, boxes)) == [("M", {"C": 1, "B": 2, "A": 3})]


def one_by_one(
    items: list[Item], boxes: tuple[Box, ...], fill: float, mode: HazmatMode = HazmatMode.MIXED
) -> list[Any]:
    """First fit decreasing as the docs say it, one unit at a time, dangerous goods kept as
    `mode` says: what `pack` must match."""
    units = [it for it in sorted(items, key=lambda i: (-i.volume_cm3, -i.weight_kg, i.sku))
             for _ in range(it.count)]  # fmt: skip
    dangerous = {it.sku for it in items if it.hazmat}
    parcels: list[list[Any]] = []  # [box, units, kg, cm³]
    for unit in units:

        def fits(b: Box, kg: float, cm3: float, u: Item = unit) -> bool:
            sides_fit = all(s <= t for s, t in zip(u.sides, b.sides, strict=True))
            return (sides_fit and (b.hazmat or not u.hazmat)
                    and cm3 + u.volume_cm3 <= b.volume_cm3 * fill + 1e-9
                    and kg + u.weight_kg <= b.max_weight_kg + 1e-9)  # fmt: skip

        def shares(held: dict[str, int], u: Item = unit) -> bool:
            if mode == HazmatMode.MIXED:
                return True
            if any((sku in dangerous) != u.hazmat for sku in held):
                return False
            return mode == HazmatMode.APART or not u.hazmat or set(held) == {u.sku}

        home = next((p for p in parcels if p[0] and shares(p[1]) and fits(p[0], p[2], p[3])), None)
        if home is None:
            first = next((b for b in boxes if fits(b, 0.0, 0.0)), None)
            home = [first, {}, 0.0, 0.0]
            parcels.append(home)
        home[1][unit.sku] = home[1].get(unit.sku, 0) + 1
        home[2] += unit.weight_kg
        home[3] += unit.volume_cm3
        if home[0] is None:
            home[0] = False  # a unit alone: nothing else goes in with it
    return [(p[0].code if p[0] else None, p[1]) for p in parcels]


sides = st.tuples(*[st.sampled_from([0, 5, 10, 15, 25, 40, 70])] * 3)
items = st.lists(
    st.tuples(st.sampled_from("ABCDE"), st.integers(1, 6), sides, st.sampled_from([0, 0.5, 3, 9]),
              st.booleans()),
    min_size=1,
    max_size=5,
    unique_by=lambda spec: spec[0],
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    specs=items,
    fill=st.sampled_from([0.5, 0.8, 1.0]),
    mode=st.sampled_from(HazmatMode),
    small_carries_hazmat=st.booleans(),
)
def test_packing_by_the_count_gives_what_packing_unit_by_unit_gives(
    specs: list[tuple[str, int, tuple[float, float, float], float, bool]],
    fill: float,
    mode: HazmatMode,
    small_carries_hazmat: bool,
) -> None:
    small = box("S", (20, 15, 10), 5.0, hazmat=small_carries_hazmat)
    boxes = BoxCatalog((small, box("M", (40, 30, 20), 12.0), box("L", (60, 50, 40), 25.0))).at("X")
    listed = [item(sku, count, dims, kg, hazmat) for sku, count, dims, kg, hazmat in specs]
    assert contents(pack(listed, boxes, fill, mode)) == one_by_one(listed, boxes, fill, mode)


# --- the box catalogue ----------------------------------------------------------------------


def test_the_shipped_box_catalogue_loads_with_its_boxes_smallest_first() -> None:
    catalog = load_packaging(SHIPPED)
    assert catalog.fill_factor == 0.8 and catalog.currency == "USD"
    assert catalog.hazmat == HazmatMode.MIXED and all(b.hazmat for b in catalog.boxes)
    assert [b.code for b in catalog.at("DAL-01")] == ["MAILER", "SMALL", "MEDIUM", "LARGE", "LONG"]


def test_the_catalogue_reads_how_dangerous_goods_are_packed_and_which_boxes_carry_them() -> None:
    data = yaml.safe_load(SHIPPED.read_text())
    data["hazmat"] = "alone"
    data["boxes"][0]["hazmat"] = False
    catalog = box_catalog_from_dict(data)
    assert catalog.hazmat == HazmatMode.ALONE
    assert [b.code for b in catalog.boxes if not b.hazmat] == ["MAILER"]


Catalogue = dict[str, Any]


def refusal(change: Callable[[Catalogue], object]) -> str:
    data: Catalogue = copy.deepcopy(yaml.safe_load(SHIPPED.read_text()))
    change(data)
    with pytest.raises(PackagingError) as refused:
        box_catalog_from_dict(data, "boxes.yaml")
    return refused.value.message


def medium(data: Catalogue) -> Catalogue:
    found: Catalogue = next(b for b in data["boxes"] if b["code"] == "MEDIUM")
    return found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: medium(d).pop("max_weight_kg"), "boxes.MEDIUM.max_weight_kg: missing"),
        (lambda d: medium(d).update(length_cm=0),
         "boxes.MEDIUM.length_cm: expected a length in cm above 0, got 0"),
        (lambda d: medium(d).update(cost="1.10"),
         "boxes.MEDIUM.cost: expected an amount of USD at least 0, got '1.10'"),
        (lambda d: medium(d).update(tare_kg=-0.5),
         "boxes.MEDIUM.tare_kg: expected a weight in kg at least 0, got -0.5"),
        (lambda d: medium(d).update(max_weight=20),
         "boxes[2].max_weight: unknown field (did you mean 'max_weight_kg'?)"),
        (lambda d: d["boxes"][3].update(code="SMALL"),
         "boxes[3].code: 'SMALL' is already the code of boxes[1]"),
        (lambda d: d["boxes"][0].pop("code"), "boxes[0].code: missing"),
        (lambda d: medium(d).update(locations=["DAL-01", "DAL-01"]),
         "boxes.MEDIUM.locations[1]: 'DAL-01' is already listed at [0]"),
        (lambda d: medium(d).update(locations="DAL-01"),
         "boxes.MEDIUM.locations: expected a list of location codes, got 'DAL-01'"),
        (lambda d: d.update(fill_factor=80),
         "fill_factor: expected a share of the box's volume above 0 and at most 1 (such as 0.8), "
         "got 80"),
        (lambda d: d.update(fill_factor=0),
         "fill_factor: expected a share of the box's volume above 0 and at most 1 (such as 0.8), "
         "got 0"),
        (lambda d: d.update(currency="EUR"),
         "currency: expected USD (box costs are added to the rate cards' prices, which are in "
         "USD), got 'EUR'"),
        (lambda d: d.update(boxes={"M": {}}), "boxes: expected a list of boxes, got {'M': {}}"),
        (lambda d: d.update(box=[]), "box: unknown field (did you mean 'boxes'?)"),
        (lambda d: d.update(hazmat="appart"),
         "hazmat: expected mixed, apart or alone (how dangerous goods share parcels), "
         "got 'appart' (did you mean 'apart'?)"),
        (lambda d: d.update(hazmat=True),
         "hazmat: expected mixed, apart or alone (how dangerous goods share parcels), got true"),
        (lambda d: d.update(hazmat="forbidden"),
         "hazmat: expected mixed, apart or alone (how dangerous goods share parcels), "
         "got 'forbidden'"),
        (lambda d: d.update(hazmt="apart"), "hazmt: unknown field (did you mean 'hazmat'?)"),
        (lambda d: medium(d).update(hazmat="no"),
         "boxes.MEDIUM.hazmat: expected true or false, got 'no' (quoted, so text)"),
        (lambda d: medium(d).update(hazmat=None),
         "boxes.MEDIUM.hazmat: expected true or false, got null (no value)"),
        (lambda d: medium(d).update(hazmats=False),
         "boxes[2].hazmats: unknown field (did you mean 'hazmat'?)"),
        (lambda d: medium(d).update(reorder_point=-1),
         "boxes.MEDIUM.reorder_point: expected the boxes left at a location that ask for more "
         "(a whole number at least 0), got -1"),
        (lambda d: medium(d).update(reorder_point=2.5),
         "boxes.MEDIUM.reorder_point: expected the boxes left at a location that ask for more "
         "(a whole number at least 0), got 2.5"),
        (lambda d: medium(d).update(reorder_point="40"),
         "boxes.MEDIUM.reorder_point: expected the boxes left at a location that ask for more "
         "(a whole number at least 0), got '40'"),
        (lambda d: medium(d).update(reorder=40),
         "boxes[2].reorder: unknown field (did you mean 'reorder_point'?)"),
    ],
    ids=["missing weight limit", "zero length", "quoted cost", "negative tare", "misspelt field",
         "two boxes with one code", "no code", "a location twice", "locations as text",
         "fill as a percentage", "no fill", "another currency", "boxes as a mapping",
         "misspelt section", "misspelt hazmat mode", "hazmat as a flag", "unknown hazmat mode",
         "misspelt hazmat setting", "box hazmat as text", "box hazmat empty",
         "misspelt box hazmat", "negative reorder point", "fractional reorder point",
         "quoted reorder point", "misspelt reorder point"],
)  # fmt: skip
def test_a_bad_box_catalogue_is_refused_naming_the_file_and_the_field(
    change: Callable[[Catalogue], object], expected: str
) -> None:
    assert refusal(change) == f"boxes.yaml: {expected}"


def test_a_box_catalogue_that_is_missing_or_not_yaml_is_refused_by_its_file(
    tmp_path: Path,
) -> None:
    with pytest.raises(PackagingError, match=r"nowhere\.yaml: cannot read this file: no such"):
        load_packaging(tmp_path / "nowhere.yaml")
    (tmp_path / "broken.yaml").write_text("boxes: [\n")
    with pytest.raises(PackagingError, match=r"broken\.yaml:2:1: not valid YAML"):
        load_packaging(tmp_path / "broken.yaml")
    (tmp_path / "list.yaml").write_text("- code: S\n")
    with pytest.raises(PackagingError, match=r"list\.yaml: a box catalogue must be a mapping"):
        load_packaging(tmp_path / "list.yaml")
