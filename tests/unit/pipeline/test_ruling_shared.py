"""What `run` keeps between evaluations: the fired actions of matches a ruleset shares."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from engine.domain.orders import Order, OrderLine
from engine.domain.values import Address
from engine.pipeline.ruling import run
from engine.rules import facts as F
from engine.rules.registry import RulesetRegistry, shipped_versions

NOW = datetime(2026, 11, 18, 10, 0)


def _facts(channel: str) -> dict[str, object]:
    order = Order(
        "O-1", channel, "W-1", "C-1", Address("10001"),
        [OrderLine("1", "BOOTS", 2, Decimal("89.00"))], NOW,
    )  # fmt: skip
    return {"order": F.order_facts(order, {}), "customer": F.customer_facts(None, "C-1")}


def test_fired_actions_of_shared_matches_are_built_once_per_published_ruleset() -> None:
    snapshot = RulesetRegistry(RulesetRegistry.load(shipped_versions())).snapshot
    first = run(snapshot, "reservation", _facts("web"), NOW, trace=False)
    again = run(snapshot, "reservation", _facts("pos"), NOW, trace=False)
    # Safety stock `where location.type == ...` reads the candidate alone: shared.
    safety = [f for f in first.fired if f.kind == "safety_stock"]
    assert safety and all(a is b for a, b in zip(safety, again.of("safety_stock"), strict=True))
    store = {"type": "store", "code": "S1"}
    assert [bool(f.test and f.test(store)) for f in safety] == [True, False]
    # Another published copy of the rulesets is another set of matches: nothing carried over.
    other = RulesetRegistry(RulesetRegistry.load(shipped_versions())).snapshot
    fresh = run(other, "reservation", _facts("web"), NOW, trace=False)
    assert not any(a is b for a, b in zip(safety, fresh.of("safety_stock"), strict=True))
    assert [f.label() for f in fresh.fired] == [f.label() for f in first.fired]
