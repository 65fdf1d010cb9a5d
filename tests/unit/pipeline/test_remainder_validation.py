"""A remainder (`decide(..., validated=True)`) is sourced without the validation rules: they
judged the order as a whole when it was accepted. The engine's own checks still apply."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import dsl
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.orders import Order, OrderLine
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.stock_view import SnapshotStockView
from engine.rules.registry import CompiledRuleset, RulesetRegistry, snapshot_of
from engine.rules.schema import domain_schema

MINIMUM = """validation ruleset minimum on order.received policy all

rule "No orders under 100 dollars"
  when order.total < 100
  then reject code "too_small" message "orders start at 100 dollars"
"""
NOW = datetime(2026, 11, 18, 13, 30)
EWR = Location("NJ-EWR", "Newark", LocationType.WAREHOUSE, Address("07114"))
JEANS = Product("JEANS", "Jeans", Decimal("30.00"), weight_kg=0.8)


def a_decider() -> Decider:
    program = dsl.compile(MINIMUM, domain_schema())
    registry = RulesetRegistry(snapshot_of([CompiledRuleset("minimum", "validation", 1, program)]))
    return Decider(registry, load_catalog(), DeciderSettings("greedy"))


def a_remainder(sku: str = "JEANS") -> Order:
    return Order(
        "O-1", "web", "W-1", "C-1", Address("10001"), [OrderLine("1", sku, 1, Decimal("30.00"))],
        created_at=NOW,
    )  # fmt: skip


def decide(order: Order, validated: bool) -> Decision:
    return a_decider().decide(
        order, None, {"JEANS": JEANS}, [EWR],
        SnapshotStockView([Stock("JEANS", "NJ-EWR", on_hand=5)]), NOW, validated=validated,
    )  # fmt: skip


def test_the_rules_judge_an_order_but_not_the_remainder_of_one_they_accepted() -> None:
    judged = decide(a_remainder(), validated=False)
    assert (judged.outcome, judged.code) == ("rejected", "too_small")

    sourced = decide(a_remainder(), validated=True)
    assert sourced.outcome == "allocated"
    assert [a.location_code for a in sourced.allocations] == ["NJ-EWR"]
    assert sourced.trace["validation"]["rules_skipped"] == "accepted when first decided"


def test_the_engines_own_checks_still_refuse_a_remainder_it_cannot_source() -> None:
    refused = decide(a_remainder("GONE"), validated=True)
    assert (refused.outcome, refused.code) == ("rejected", "unknown_sku")
