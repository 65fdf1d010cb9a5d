"""Scenarios gate publishing: the shipped rule-level ones run against a draft's text, the
shipped rulesets go live with theirs saved, a draft keeps its parent's, and a draft edited from
a version that is no longer the newest is refused instead of silently replacing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.operations import RulesetStatus
from engine.rules import registry as shipped
from engine.rules.registry import RulesetRegistry
from engine.service_layer import rulesets_service as rulesets
from engine.service_layer.handlers import publish_shipped_rulesets
from engine.service_layer.rulesets_service import (
    MAX_SCENARIO_STEPS,
    MAX_SCENARIOS,
    InMemoryScenarioStore,
    InvalidRuleset,
    StaleDraft,
)

RULESETS = Path(__file__).resolve().parents[3] / "rulesets"
VALIDATION = (RULESETS / "order_validation.ordo").read_text(encoding="utf-8")
VALIDATION_SCENARIOS = (RULESETS / "order_validation.scenarios.yaml").read_text(encoding="utf-8")
NO_CUBA_EMBARGO = VALIDATION.replace('["CU", "IR", "KP", "SY"]', '["IR", "KP", "SY"]')
CHECKS = """validation ruleset order_checks on order.received policy all

rule "Large orders are reviewed"
  when order.total > 100 USD
  then hold code "fraud_review" message "over the limit"
"""
RULE_LEVEL = """ruleset: order_checks
defaults:
  order: {total: 50.0}
scenarios:
"""


def test_the_shipped_rule_level_scenarios_run_against_the_text_they_are_given() -> None:
    results = rulesets.scenario_runner(VALIDATION, VALIDATION_SCENARIOS)
    assert len(results) == 8 and all(r.passed for r in results), results
    broken = rulesets.scenario_runner(NO_CUBA_EMBARGO, VALIDATION_SCENARIOS)
    failed = [r for r in broken if not r.passed]
    assert [r.name for r in failed] == ["Embargoed destinations are rejected before anything else"]
    assert "No shipping to embargoed countries" in failed[0].message


def test_rule_level_scenarios_written_for_another_ruleset_are_refused_naming_both() -> None:
    with pytest.raises(InvalidRuleset) as refused:
        rulesets.scenario_runner(CHECKS, VALIDATION_SCENARIOS)
    assert refused.value.message == (
        "these scenarios are for the ruleset 'order_validation.ordo' (their `ruleset:`), but "
        "this text's header names 'order_checks': send the scenarios written for order_checks"
    )


@pytest.mark.parametrize(
    ("scenarios", "detail"),
    [
        (
            RULE_LEVEL.replace("scenarios:\n", "scenarios: []\n"),
            "the 'scenarios' list is empty: give at least one scenario, or send none",
        ),
        (
            "".join(
                [RULE_LEVEL]
                + [
                    f"  - {{name: S{n}, given: {{}}, expect: {{no_match: true}}}}\n"
                    for n in range(MAX_SCENARIOS + 1)
                ]
            ),
            f"{MAX_SCENARIOS + 1} scenarios were sent; the API runs at most {MAX_SCENARIOS} at "
            "a time",
        ),
        (
            RULE_LEVEL
            + "  - name: long\n    expect: {no_match: true}\n    events:\n"
            + "      - {}\n" * (MAX_SCENARIO_STEPS + 1),
            f"scenario 1 (long) has {MAX_SCENARIO_STEPS + 1} events; a scenario sent to the API "
            f"has at most {MAX_SCENARIO_STEPS}",
        ),
        (
            RULE_LEVEL + "  - name: S\n    given: {order: {totl: 5}}\n",
            "scenarios: scenario 1 (S): `expect` must say what should happen",
        ),
    ],
    ids=["empty", "too many scenarios", "too many events", "malformed"],
)
def test_rule_level_scenarios_keep_the_limits_of_a_request(scenarios: str, detail: str) -> None:
    with pytest.raises(InvalidRuleset) as refused:
        rulesets.scenario_runner(CHECKS, scenarios)
    assert refused.value.message == detail


def test_the_shipped_rulesets_go_live_with_their_scenarios_saved() -> None:
    uow = InMemoryUnitOfWork()
    store = InMemoryScenarioStore()
    published = publish_shipped_rulesets(lambda: uow, RulesetRegistry(), scenarios=store)
    assert "order_validation" in published
    with uow:
        live = {v.name: v for v in uow.rulesets.published()}
    for path in sorted(RULESETS.glob("*.scenarios.yaml")):
        name = path.name.removesuffix(".scenarios.yaml")
        assert store.get(live[name].id) == path.read_text(encoding="utf-8"), name
    assert store.get(live["routing"].id) is None  # it ships no rule-level scenarios


def test_a_shipped_ruleset_whose_scenarios_fail_is_not_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "order_validation.ordo").write_text(NO_CUBA_EMBARGO, encoding="utf-8")
    (tmp_path / "order_validation.scenarios.yaml").write_text(
        VALIDATION_SCENARIOS, encoding="utf-8"
    )
    monkeypatch.setattr(shipped, "shipped_dir", lambda: tmp_path)
    uow = InMemoryUnitOfWork()
    with pytest.raises(InvalidRuleset, match="Embargoed destinations are rejected"):
        publish_shipped_rulesets(lambda: uow, RulesetRegistry(), scenarios=InMemoryScenarioStore())
    with uow:
        assert [v.status for v in uow.rulesets.versions("order_validation")] == [
            RulesetStatus.DRAFT
        ]


def test_a_draft_saved_without_scenarios_takes_its_parents_and_one_with_its_own_keeps_them() -> (
    None
):
    uow = InMemoryUnitOfWork()
    store = InMemoryScenarioStore()
    first, _ = rulesets.save_draft(uow, store, VALIDATION, "ann", scenarios=VALIDATION_SCENARIOS)
    second, inherited = rulesets.save_draft(uow, store, NO_CUBA_EMBARGO, "bob")
    assert inherited == VALIDATION_SCENARIOS == store.get(second.id)
    own = VALIDATION_SCENARIOS.replace("An ordinary order passes", "A plain order passes")
    third, kept = rulesets.save_draft(uow, store, VALIDATION, "cy", scenarios=own)
    assert kept == own == store.get(third.id)
    assert store.get(first.id) == VALIDATION_SCENARIOS


def test_a_draft_based_on_a_version_that_is_no_longer_the_newest_is_refused_and_not_saved() -> None:
    uow = InMemoryUnitOfWork()
    loaded = rulesets.create_draft(uow, CHECKS, "ann")
    newer = rulesets.create_draft(uow, CHECKS.replace("100 USD", "200 USD"), "alice")
    with pytest.raises(StaleDraft) as refused:
        rulesets.create_draft(uow, CHECKS.replace("100", "300"), "ann", based_on=loaded.id)
    assert refused.value.message == (
        f"order_checks version 2 by alice at {newer.created_at:%Y-%m-%d %H:%M:%S} UTC was saved "
        "after the one you edited (version 1); reload it and re-apply your change"
    )
    with uow:
        assert [v.version for v in uow.rulesets.versions("order_checks")] == [1, 2]
    saved = rulesets.create_draft(uow, CHECKS, "ann", based_on=newer.id)
    assert saved.version == 3


def test_a_date_in_the_scenarios_that_cannot_be_one_is_refused_naming_it_and_where() -> None:
    scenarios = RULE_LEVEL + (
        "  - name: due\n"
        "    given: {order: {requested_date: 2025-02-30}}\n"
        "    expect: {matched: []}\n"
    )
    with pytest.raises(InvalidRuleset) as refused:
        rulesets.scenario_runner(CHECKS, scenarios)
    assert refused.value.message == (
        'the scenarios are not valid YAML at line 6, column 37: cannot read "2025-02-30" '
        "(day is out of range for month)"
    )


def test_a_key_written_twice_in_the_scenarios_is_refused_naming_it_and_where() -> None:
    scenarios = RULE_LEVEL + "  - name: due\n    expect: {matched: []}\nruleset: other\n"
    with pytest.raises(InvalidRuleset) as refused:
        rulesets.scenario_runner(CHECKS, scenarios)
    assert refused.value.message == (
        "the scenarios are not valid YAML at line 7, column 1: duplicate key 'ruleset' "
        "(first at line 1)"
    )
