"""The events an alert ruleset may name (the rule language's schema, for the checker) are
exactly those its rules can see: every event the engine raises but the alert pipeline's own,
so an analyst is neither told an event that happens is unknown nor allowed a rule that can
never fire."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.adapters.bus import Message
from engine.domain.events import EVENT_TYPES
from engine.rules.schema import SCHEMA_SPEC
from engine.service_layer.alerts import AlertEvaluator


class _Listening:
    """An alert program listening to every event."""

    name, kind, event = "all", "alert", "*"

    def evaluate(self, facts: Mapping[str, Any], *, now: datetime, windows: Any = None) -> Any:
        raise AssertionError("only asked whether it wants the event")


def _seen_by_alert_rules(name: str) -> bool:
    evaluator = AlertEvaluator(lambda: [_Listening()], windows=None)
    return evaluator.wants(Message("1", name, {}, "k"))


def test_an_alert_ruleset_may_name_exactly_the_events_its_rules_see() -> None:
    seen = {name for name in EVENT_TYPES if _seen_by_alert_rules(name)}
    named = {name for name in SCHEMA_SPEC["events"] if name in EVENT_TYPES}
    assert named == seen
