"""The conformance suite: golden cases run against both runners, which must give one answer."""

from __future__ import annotations

from typing import Any

import pytest

import dsl
from tests.unit.dsl.dsl_golden import cases, facts_of, now_of
from tests.unit.dsl.dsl_sample_schema import sample_schema

RUNNERS = ("compiled", "interpreted")
DECISIONS = [c for c in cases("decisions") if "expect" in c]
DIAGNOSTICS = cases("diagnostics") + [c for c in cases("decisions") if "diagnostics" in c]


def _id(case: dict[str, Any]) -> str:
    return str(case["name"])


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("case", DECISIONS, ids=_id)
def test_each_golden_decision_is_reached_by_both_runners(case: dict[str, Any], runner: str) -> None:
    ruleset = dsl.compile(case["source"], sample_schema(), runner=runner)
    evaluation = ruleset.evaluate(facts_of(case), now=now_of(case))
    expect = case["expect"]
    if "matched" in expect:
        assert [m.rule for m in evaluation.matches] == expect["matched"]
    actions = evaluation.actions
    if "actions" in expect:
        assert [{"kind": a.kind, **a.args} for a in actions] == [
            {**want, **{k: v for k, v in {"kind": a.kind, **a.args}.items() if k not in want}}
            for want, a in zip(expect["actions"], actions, strict=False)
        ]
        assert len(actions) == len(expect["actions"])
    if "applies" in expect:
        got = [[a.applies(c) for c in case["candidates"]] for a in actions]
        assert got == expect["applies"]


@pytest.mark.parametrize("case", DIAGNOSTICS, ids=_id)
def test_each_golden_source_reports_exactly_its_diagnostics(case: dict[str, Any]) -> None:
    found = dsl.check(case["source"], sample_schema())
    assert [(d.code, d.line, d.column) for d in found] == [
        (want["code"], want["line"], want["column"]) for want in case["diagnostics"]
    ], "\n".join(d.render() for d in found)
    for diagnostic, want in zip(found, case["diagnostics"], strict=True):
        if "suggestion" in want:
            assert diagnostic.suggestion == want["suggestion"]
        if "message" in want:
            assert diagnostic.message == want["message"]


def test_golden_files_cover_every_rule_kind() -> None:
    kinds = {c["source"].split()[0] for c in DECISIONS}
    assert kinds == {"validation", "sourcing", "reservation", "carrier", "alert"}
