"""durable_rules as an independent oracle: on generated simple rules, the rules matching each
event are exactly the ones Ordo's compiled runner reports (and the benchmark's baseline)."""

from __future__ import annotations

import dsl
from bench.dsl_bench import (
    SCHEMA,
    DurableRules,
    baseline_function,
    generate_events,
    generate_rules,
    ordo_source,
)


def test_durable_rules_and_ordo_agree_on_which_rules_match_each_event() -> None:
    rules = generate_rules(150, seed=3)
    events = generate_events(300, seed=4)
    ruleset = dsl.compile(ordo_source(rules), SCHEMA)
    oracle = DurableRules(rules)
    baseline = baseline_function(rules)
    first_id = oracle._next_id + 1
    for event in events:
        oracle.run(event)
    fired: dict[int, set[str]] = {}
    for fact_id, rule in oracle.hits:
        fired.setdefault(fact_id, set()).add(rule)
    matched_somewhere = 0
    for offset, event in enumerate(events):
        ordo = {m.rule for m in ruleset.evaluate(event).matches}
        assert ordo == fired.get(first_id + offset, set()), event
        assert ordo == set(baseline(event))
        matched_somewhere += bool(ordo)
    assert matched_somewhere > len(events) // 2  # the comparison is not vacuous
