"""`decide(..., trace=False)` gives the same Decision as the full trace, and the same fired rules.

The simulation decides millions of orders without the full trace; it must still see exactly the
decisions production makes and count exactly the rules that fired. Orders here are drawn at
random over the shipped rulesets and a world with something for every rule: hazmat sites, a
store, a dropship vendor, a disabled location, remote and embargoed ship-tos, heavy, oversize,
pre-order and expensive products, locations at their daily capacity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.inventory import InboundSupply, Stock
from engine.domain.orders import Order, OrderLine
from engine.domain.values import Address, Dimensions
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.stock_view import SnapshotStockView
from engine.rules.registry import RulesetRegistry, shipped_versions

NOW = datetime(2026, 11, 18, 13, 30)
LOCATIONS = [
    Location("DAL-01", "Dallas", LocationType.WAREHOUSE, Address("75261"), cutoff=time(16)),
    Location("RNO-02", "Reno", LocationType.WAREHOUSE, Address("89502"), daily_capacity=3),
    Location("NJ-EWR", "Newark", LocationType.WAREHOUSE, Address("07114"), cutoff=time(12)),
    Location("NY-STORE", "SoHo", LocationType.STORE, Address("10013"),
             services=frozenset({Service.SHIP_FROM_STORE})),
    Location("LA-3PL", "Los Angeles", LocationType.THREE_PL, Address("90045")),
    Location("VENDOR", "Vendor", LocationType.DROPSHIP_VENDOR, Address("30301")),
    Location("OLD", "Closed", LocationType.WAREHOUSE, Address("60666"), enabled=False),
]  # fmt: skip
PRODUCTS = {
    p.sku: p
    for p in [
        Product("TEE", "Tee", Decimal("12.00"), weight_kg=0.3),
        Product("BOOTS", "Boots", Decimal("89.00"), weight_kg=1.8),
        Product("ANVIL", "Anvil", Decimal("150.00"), weight_kg=36.0),
        Product("FUEL", "Fuel", Decimal("25.00"), weight_kg=2.0, hazmat=True),
        Product("KAYAK", "Kayak", Decimal("700.00"), weight_kg=20.0,
                dimensions=Dimensions(300.0, 60.0, 40.0)),
        Product("GAME", "Game", Decimal("60.00"), weight_kg=0.2,
                preorder_release=date(2026, 12, 24)),
        Product("SOFA", "Sofa", Decimal("900.00"), weight_kg=50.0, dropship_vendor="VENDOR"),
        Product("WATCH", "Watch", Decimal("6500.00"), weight_kg=0.1),
    ]
}  # fmt: skip
CUSTOMERS = {
    "vip": Customer("vip", "vip@example.com", tier="vip"),
    "b2b": Customer("b2b", "b2b@example.com", group="b2b"),
}
SHIP_TOS = ["10001", "94105", "99501", "00901", "60611", "33101", "10001", "94105", "abc"]
INBOUND = [InboundSupply("PO-1", "BOOTS", "NJ-EWR", 40, date(2026, 11, 30))]


@pytest.fixture(scope="module")
def decider() -> Decider:
    registry = RulesetRegistry(RulesetRegistry.load(shipped_versions()))
    return Decider(registry, load_catalog(), DeciderSettings(optimiser="auto"))


# The expensive watch and a bad postal code hold an order before sourcing: drawn less often.
line = st.tuples(
    st.sampled_from([*sorted(PRODUCTS), *sorted(set(PRODUCTS) - {"WATCH"})]), st.integers(1, 12)
)
orders = st.fixed_dictionaries(
    {
        "lines": st.lists(line, min_size=1, max_size=4),
        "channel": st.sampled_from(["web", "marketplace"]),
        "customer": st.sampled_from(["", "vip", "b2b"]),
        "service_level": st.sampled_from(["standard", "next_day", "same_day", "two_day"]),
        "ship_to": st.sampled_from(SHIP_TOS),
        "country": st.sampled_from(["US"] * 5 + ["CU"]),
        "requested": st.sampled_from([None, date(2026, 11, 20), date(2026, 12, 5)]),
    }
)
PAIRS = [(sku, loc.code) for sku in sorted(PRODUCTS) for loc in LOCATIONS]
# Units per (SKU, location): often none, often well above the shipped rules' buffers (5
# units kept, 20 ring-fenced for B2B), so orders are filled, split, short and unfilled.
stock = st.lists(st.sampled_from([0, 0, 12, 30, 60]), min_size=len(PAIRS), max_size=len(PAIRS))
busy = st.dictionaries(st.sampled_from(["RNO-02", "DAL-01"]), st.integers(0, 4), max_size=2)


def _order(spec: Mapping[str, Any]) -> Order:
    lines = [
        OrderLine(str(n), sku, qty, PRODUCTS[sku].price)
        for n, (sku, qty) in enumerate(spec["lines"], start=1)
    ]
    return Order(
        "O-1",
        spec["channel"],
        "C-1",
        spec["customer"],
        Address(spec["ship_to"], country=spec["country"]),
        lines,
        NOW,
        service_level=spec["service_level"],
        requested_date=spec["requested"],
    )


def _fired(trace: Mapping[str, Any]) -> Iterator[tuple[str, ...]]:
    """Every (step, [location,] ruleset, rule) that matched, where the simulation looks."""
    for step, part in trace.items():
        if isinstance(part, Mapping):
            yield from _matched((step,), part.get("rulesets"))
            for key, inner in part.items():
                if isinstance(inner, Mapping) and "rulesets" in inner:
                    yield from _matched((step, key), inner["rulesets"])


def _matched(where: tuple[str, ...], rulesets: Any) -> Iterator[tuple[str, ...]]:
    if isinstance(rulesets, Mapping):
        for key, per_line in rulesets.items():
            yield from _matched((*where, key), per_line)
    elif isinstance(rulesets, list):
        for ruleset in rulesets:
            for rule in ruleset["matched"]:
                yield (*where, ruleset["ruleset"], rule)


def _without_trace(decision: Decision) -> Decision:
    return dataclasses.replace(decision, trace={})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=orders, units=stock, today=busy)
def test_a_decision_without_the_full_trace_is_the_same_decision(
    decider: Decider, spec: dict[str, Any], units: list[int], today: dict
) -> None:
    view = SnapshotStockView(
        Stock(sku, code, on_hand=n) for (sku, code), n in zip(PAIRS, units, strict=True)
    )
    order = _order(spec)
    customer = CUSTOMERS.get(spec["customer"])

    def decide(trace: bool) -> Decision:
        return decider.decide(
            order, customer, PRODUCTS, LOCATIONS, view, NOW,
            inbound=INBOUND, shipments_today=today, trace=trace,
        )  # fmt: skip

    full, light = decide(True), decide(False)
    event(full.outcome)
    assert _without_trace(light) == _without_trace(full)
    assert sorted(_fired(light.trace)) == sorted(_fired(full.trace))
    # Nothing but the matched rules: the point of the mode is not to build the rest.
    for step, part in light.trace.items():
        inner = part.values() if step == "carriers" else [part]
        assert all(set(p) == {"rulesets"} for p in inner), step


def test_the_full_trace_still_explains_candidates_quotes_and_rules(decider: Decider) -> None:
    view = SnapshotStockView([Stock("BOOTS", "DAL-01", on_hand=40)])
    order = _order(
        {"lines": [("BOOTS", 2)], "channel": "web", "customer": "", "service_level": "standard",
         "ship_to": "10001", "country": "US", "requested": None}
    )  # fmt: skip
    trace = decider.decide(order, None, PRODUCTS, LOCATIONS, view, NOW).trace
    assert trace["sourcing"]["lines"]["1"]["candidates"][0]["location"] == "DAL-01"
    assert trace["carriers"]["DAL-01"]["quotes"]
    assert trace["validation"]["rulesets"][0]["rules"]
    assert trace["optimiser"]["method"] == "greedy"
