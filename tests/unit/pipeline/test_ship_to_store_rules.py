"""Ship to store under the order's rules: a warehouse sends a pickup's shortfall only from
what an ordinary order of the same channel and customer could ship from it (its safety stock
and the units fenced for others stay), a sourcing rule that leaves a warehouse out for the
order leaves it out of the senders too, and preferred warehouses send before nearer ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import dsl
from engine.domain.catalog import Location, LocationType, Product, Service
from engine.domain.inventory import Stock
from engine.domain.orders import Fulfilment, Order, OrderLine
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.stock_view import SnapshotStockView
from engine.rules.registry import CompiledRuleset, RulesetRegistry, snapshot_of
from engine.rules.schema import domain_schema

MORNING = datetime(2026, 11, 18, 10, 0)  # a Wednesday
NEAR_DC = Location("NJ-DC", "Newark DC", LocationType.WAREHOUSE, Address("07114"))
FAR_DC = Location("DAL-DC", "Dallas DC", LocationType.WAREHOUSE, Address("75201"))
STORE = Location(
    "NYC-5", "Fifth Avenue", LocationType.STORE, Address("10001", line1="350 5th Ave"),
    cutoff=time(17, 0), services=frozenset({Service.PICKUP, Service.SHIP_TO_STORE}),
)  # fmt: skip
MUG = Product("MUG", "Mug", Decimal("12.00"), weight_kg=0.4)

EIGHT_KEPT = """reservation ruleset buffers on order.validated policy all

rule "Warehouses keep eight"
  when true
  then safety_stock 8 where location.type == "warehouse"
"""
MARKETPLACE_SHARE = """reservation ruleset shares on order.validated policy all

rule "Most of the stock is the marketplace's"
  when order.channel != "marketplace"
  then allocate 60 percent to channel "marketplace"
"""
BIG_LINES_KEEP_EIGHT = """reservation ruleset per_line on order.validated policy all

rule "Big lines leave eight at the warehouses"
  when line.quantity > 2
  then safety_stock 8 where location.type == "warehouse"
"""
NOT_FROM_NEWARK = """sourcing ruleset routing on order.received policy best_score

rule "Never from Newark"
  when true
  then exclude location.code == "NJ-DC"
"""
DALLAS_FIRST = """sourcing ruleset routing on order.received policy best_score

rule "Dallas first"
  when true
  then prefer location.code == "DAL-DC" weight 5
"""


def a_decider(*sources: str) -> Decider:
    compiled = []
    for source in sources:
        program = dsl.compile(source, domain_schema())
        kind, name = source.split()[:3:2]
        compiled.append(CompiledRuleset(name, kind, 1, program))
    registry = RulesetRegistry(snapshot_of(compiled))
    return Decider(registry, load_catalog(), DeciderSettings("greedy"))


def a_pickup(*quantities: int, channel: str = "web") -> Order:
    lines = [
        OrderLine(str(n), "MUG", units, Decimal("12.00")) for n, units in enumerate(quantities, 1)
    ]
    return Order(
        "O-1", channel, "W-1", "C-1", Address("10001"), lines, created_at=MORNING,
        fulfilment=Fulfilment.PICKUP, pickup_location="NYC-5",
    )  # fmt: skip


def decide(order: Order, stock: Mapping[str, int], *rulesets: str) -> Decision:
    rows = [Stock("MUG", code, on_hand=units) for code, units in stock.items()]
    return a_decider(*rulesets).decide(
        order,
        None,
        {"MUG": MUG},
        [NEAR_DC, FAR_DC, STORE],
        SnapshotStockView(rows),
        MORNING,
    )


def sent(decision: Decision) -> list[tuple[str, int]]:
    return sorted((t.from_location, t.quantity) for t in decision.transfers)


def traced(decision: Decision) -> dict[str, Any]:
    return dict(decision.trace["ship_to_store"]["MUG"])


def test_a_warehouse_sends_only_what_its_safety_stock_leaves_and_the_next_tops_it_up() -> None:
    decision = decide(a_pickup(5), {"NJ-DC": 10, "DAL-DC": 50}, EIGHT_KEPT)

    assert sent(decision) == [("DAL-DC", 3), ("NJ-DC", 2)]
    newark = next(s for s in traced(decision)["sources"] if s["location"] == "NJ-DC")
    assert (newark["available"], newark["held_back"], newark["sends"]) == (2, 8, 2)
    assert newark["held_back_by"] == ["buffers: Warehouses keep eight"]


def test_nothing_is_sent_when_the_safety_stock_leaves_too_few_for_the_whole_shortfall() -> None:
    decision = decide(a_pickup(5), {"NJ-DC": 10}, EIGHT_KEPT)

    assert sent(decision) == []
    assert decision.backorders[0].quantity == 5
    assert traced(decision)["why"].startswith("the warehouses can send only 2 of the 5 needed")


def test_a_warehouse_whose_units_are_all_held_back_is_left_out_saying_by_which_rule() -> None:
    decision = decide(a_pickup(3), {"NJ-DC": 8, "DAL-DC": 50}, EIGHT_KEPT)

    assert sent(decision) == [("DAL-DC", 3)]
    assert traced(decision)["excluded"] == {
        "NJ-DC": "8 available but held back by buffers: Warehouses keep eight"
    }


def test_units_fenced_for_another_channel_are_sent_to_that_channel_only() -> None:
    stock = {"NJ-DC": 10, "DAL-DC": 50}

    web = decide(a_pickup(5), stock, MARKETPLACE_SHARE)
    marketplace = decide(a_pickup(5, channel="marketplace"), stock, MARKETPLACE_SHARE)

    assert sent(web) == [("DAL-DC", 1), ("NJ-DC", 4)]
    newark = next(s for s in traced(web)["sources"] if s["location"] == "NJ-DC")
    assert newark["held_back_by"] == ["shares: Most of the stock is the marketplace's"]
    assert sent(marketplace) == [("NJ-DC", 5)]


def test_two_lines_of_a_sku_get_the_least_any_of_their_policies_leaves() -> None:
    # Only the 4-unit line's policy keeps eight; the shortfall of both lines is sent at once.
    decision = decide(a_pickup(1, 4), {"NJ-DC": 10, "DAL-DC": 50}, BIG_LINES_KEEP_EIGHT)

    assert sent(decision) == [("DAL-DC", 3), ("NJ-DC", 2)]


def test_a_warehouse_a_sourcing_rule_excludes_sends_nothing() -> None:
    decision = decide(a_pickup(3), {"NJ-DC": 10, "DAL-DC": 50}, NOT_FROM_NEWARK)

    assert sent(decision) == [("DAL-DC", 3)]
    assert traced(decision)["excluded"] == {"NJ-DC": "excluded by rule 'Never from Newark'"}


def test_a_preferred_warehouse_sends_before_a_nearer_one() -> None:
    decision = decide(a_pickup(3), {"NJ-DC": 10, "DAL-DC": 50}, DALLAS_FIRST)

    assert sent(decision) == [("DAL-DC", 3)]
    dallas, newark = traced(decision)["sources"]
    assert (dallas["location"], dallas["score"], newark["location"]) == ("DAL-DC", 5.0, "NJ-DC")
    assert newark["why"] == "not needed: the warehouses ranked before it send it all"
