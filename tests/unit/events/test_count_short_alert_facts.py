"""An alert rule on `stock.count_short` can read what the count found and how many reserved
units it did not: the rule language's schema declares the event's figures."""

from __future__ import annotations

import pytest

from engine.rules.registry import RulesetRegistry

RULESET = """alert ruleset count_short on stock.count_short policy all

rule "A count found fewer units than are reserved"
  when event.short > 0 and event.counted >= 0
  then alert severity high message "{event.sku}: {event.short} short" to "floor@example.com"
"""


def test_an_alert_rule_reads_the_units_a_count_found_and_those_it_came_short_of() -> None:
    RulesetRegistry.from_sources([RULESET])


def test_a_figure_the_event_does_not_carry_is_refused_with_the_ones_it_does() -> None:
    with pytest.raises(Exception, match="has no field `missing`"):
        RulesetRegistry.from_sources([RULESET.replace("event.short > 0", "event.missing > 0")])
