"""An order's traces read in the order things happened, even when they share a timestamp."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.domain.operations import DecisionTrace
from engine.service_layer.handlers import trace_order

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _trace(id_: str, step: str, version: int, at: datetime = AT) -> DecisionTrace:
    return DecisionTrace(id_, "O-1", step, "routing", 1, at, "ok", {"order_version": version})


def test_a_resourcing_at_the_same_instant_comes_after_the_decision_it_amends() -> None:
    first = [_trace("trc_z1", "validation", 1), _trace("trc_z2", "sourcing", 1)]
    again = [_trace("trc_a1", "sourcing", 2), _trace("trc_a2", "carrier", 2)]
    ordered = sorted([*again, *first], key=trace_order)
    assert [t.id for t in ordered] == ["trc_z1", "trc_z2", "trc_a1", "trc_a2"]


def test_steps_of_one_decision_follow_the_pipeline_not_their_ids() -> None:
    steps = [_trace("a", "carrier", 1), _trace("b", "sourcing", 1), _trace("c", "validation", 1)]
    assert [t.step for t in sorted(steps, key=trace_order)] == [
        "validation",
        "sourcing",
        "carrier",
    ]


def test_time_comes_first_and_a_trace_without_a_version_still_sorts() -> None:
    later = _trace("a", "validation", 1, at=AT.replace(minute=1))
    bare = DecisionTrace("b", "O-1", "sourcing", "routing", 1, AT, "ok", {})
    assert [t.id for t in sorted([later, bare], key=trace_order)] == ["b", "a"]
