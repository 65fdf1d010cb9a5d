"""What the Decider keeps between orders never outlives what the caller passes in.

It indexes the locations it is given, and keeps location and product facts, while the caller
passes the very same objects (the simulation passes one list for a whole run). A caller that
swaps a location or a product for another object must be decided on the new one.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

import pytest

from engine.domain.catalog import Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.orders import Order, OrderLine
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.stock_view import SnapshotStockView
from engine.rules.registry import RulesetRegistry, shipped_versions

NOW = datetime(2026, 11, 18, 10, 0)
STOCK = SnapshotStockView(
    [Stock("BOOTS", code, on_hand=40) for code in ("NJ-EWR", "DAL-01", "RNO-02")]
)


def _locations() -> list[Location]:
    return [
        Location("NJ-EWR", "Newark", LocationType.WAREHOUSE, Address("07114")),
        Location("DAL-01", "Dallas", LocationType.WAREHOUSE, Address("75261")),
        Location("RNO-02", "Reno", LocationType.WAREHOUSE, Address("89502")),
    ]


def _products(hazmat: bool = False) -> dict[str, Product]:
    return {"BOOTS": Product("BOOTS", "Boots", Decimal("89.00"), weight_kg=1.8, hazmat=hazmat)}


ORDER = Order(
    "O-1", "web", "C-1", "", Address("10001"),
    [OrderLine("1", "BOOTS", 2, Decimal("89.00"))], NOW,
)  # fmt: skip


@pytest.fixture
def decider() -> Decider:
    registry = RulesetRegistry(RulesetRegistry.load(shipped_versions()))
    return Decider(registry, load_catalog(), DeciderSettings(optimiser="greedy"))


def _source(decision: Decision) -> list[str]:
    return [a.location_code for a in decision.allocations]


def test_a_location_swapped_in_the_same_list_is_decided_on_afresh(decider: Decider) -> None:
    locations = _locations()
    assert _source(decider.decide(ORDER, None, _products(), locations, STOCK, NOW)) == ["NJ-EWR"]
    locations[0] = dataclasses.replace(locations[0], enabled=False)
    assert _source(decider.decide(ORDER, None, _products(), locations, STOCK, NOW)) != ["NJ-EWR"]


def test_equal_locations_in_a_new_list_give_the_same_decision(decider: Decider) -> None:
    first = decider.decide(ORDER, None, _products(), _locations(), STOCK, NOW)
    again = decider.decide(ORDER, None, _products(), _locations(), STOCK, NOW)
    assert again == first


def test_a_product_swapped_for_another_object_is_described_afresh(decider: Decider) -> None:
    plain = decider.decide(ORDER, None, _products(), _locations(), STOCK, NOW)
    hazmat = decider.decide(ORDER, None, _products(hazmat=True), _locations(), STOCK, NOW)
    # The shipped routing sends hazmat only from the certified sites, Dallas and Reno.
    assert _source(plain) == ["NJ-EWR"]
    assert _source(hazmat) in (["DAL-01"], ["RNO-02"])


def test_a_new_tuple_with_a_location_swapped_is_decided_on_afresh(decider: Decider) -> None:
    # The Decider takes the very tuple it was given before as the same locations without
    # comparing them: a new tuple must still be compared item by item.
    locations = tuple(_locations())
    assert _source(decider.decide(ORDER, None, _products(), locations, STOCK, NOW)) == ["NJ-EWR"]
    assert _source(decider.decide(ORDER, None, _products(), locations, STOCK, NOW)) == ["NJ-EWR"]
    swapped = (dataclasses.replace(locations[0], enabled=False), *locations[1:])
    assert _source(decider.decide(ORDER, None, _products(), swapped, STOCK, NOW)) != ["NJ-EWR"]


def test_the_pairs_the_decider_groups_by_location_are_the_optimisers_own_grouping(
    decider: Decider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.pipeline import optimiser

    seen: list[optimiser.Problem] = []
    solve = optimiser.solve

    def spy(problem: optimiser.Problem, *args: object) -> optimiser.Plan:
        seen.append(problem)
        return solve(problem, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(optimiser, "solve", spy)
    order = dataclasses.replace(
        ORDER,
        lines=[
            OrderLine("1", "BOOTS", 2, Decimal("89.00")),
            OrderLine("2", "BOOTS", 1, Decimal("89.00")),
        ],
    )
    decider.decide(order, None, _products(), _locations(), STOCK, NOW)
    assert seen and all(p.entries is not None for p in seen)
    assert all(p.entries == optimiser._entries(p) for p in seen)
