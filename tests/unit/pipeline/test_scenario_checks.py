"""A pipeline scenario that would run nothing, or check nothing it says it checks, is refused
before it runs instead of passing (`engine.pipeline.scenarios.check_scenarios`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.pipeline.scenarios import ScenarioError, check_scenarios, load_scenario_file

ORDER = {"ship_to": "10001", "lines": [{"sku": "TSHIRT", "qty": 1}]}


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            {},
            "scenario 1 has nothing to run: give it an `order` (and what to `expect` of it) "
            "or a list of `steps`",
        ),
        (
            {"name": "empty", "steps": []},
            "scenario 1 (empty) has nothing to run",
        ),
        (
            {"name": "no order", "expect": {"status": "released"}},
            "scenario 1 (no order) has nothing to run",
        ),
        (
            {"name": "x", "order": ORDER},
            "scenario 1 (x) checks nothing: give its `order`, or one of its `steps`, an `expect`",
        ),
        (
            {"name": "x", "ordr": ORDER},
            "scenario 1 (x) has no field 'ordr' (did you mean `order`?)",
        ),
        (
            {"name": "x", "order": ORDER, "expect": {"status": "released", "bogus_key": 1}},
            "scenario 1 (x): `expect` has no field 'bogus_key'",
        ),
        (
            {"name": "x", "order": ORDER, "expect": {"stauts": "held"}},
            "scenario 1 (x): `expect` has no field 'stauts' (did you mean `status`?)",
        ),
        (
            {"name": "x", "order": ORDER, "expect": {"status": "relased"}},
            "scenario 1 (x): `expect.status` 'relased' is not an order status "
            "(did you mean `released`?)",
        ),
        (
            {"name": "x", "order": ORDER, "expect": {"status": "no_such_status"}},
            "scenario 1 (x): `expect.status` 'no_such_status' is not an order status; the "
            "statuses are received, validated",
        ),
        (
            {"name": "x", "steps": [{"order": ORDER}], "expect": {"status": "released"}},
            "scenario 1 (x): `expect` checks the scenario's `order`, and it has none; give each "
            "step its own `expect`",
        ),
        (
            {"name": "x", "steps": [{"order": ORDER, "expect": {"orders": {"A": "gone"}}}]},
            "scenario 1 (x), step 1: `expect.orders[A]` 'gone' is not an order status",
        ),
        (
            {"name": "x", "steps": [{"order": ORDER, "expect": {"lines": {"L1": "opn"}}}]},
            "scenario 1 (x), step 1: `expect.lines[L1]` 'opn' is not a line status "
            "(did you mean `open`?)",
        ),
        (
            {"name": "x", "steps": [{"shp": {"location": "DAL"}, "expect": {"shipments": 1}}]},
            "scenario 1 (x), step 1 has no action 'shp' (did you mean `ship`?)",
        ),
        (
            {"name": "x", "steps": [{"expect": {"status": "held"}}]},
            "scenario 1 (x), step 1 must name one action (it names none): a step is one of "
            "order, cancel,",
        ),
        (
            {"name": "x", "steps": [{"order": ORDER, "cancel": {}, "expect": {"shipments": 0}}]},
            "scenario 1 (x), step 1 must name one action (it names order, cancel)",
        ),
    ],
    ids=[
        "empty",
        "no steps",
        "expect without an order",
        "no expect",
        "unknown field",
        "unknown expectation",
        "misspelt expectation",
        "misspelt status",
        "unknown status",
        "expect beside steps",
        "unknown status of another order",
        "unknown line status",
        "misspelt action",
        "step without an action",
        "step with two actions",
    ],
)
def test_a_scenario_that_runs_or_checks_nothing_is_refused_with_what_is_wrong(
    scenario: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError) as refused:
        check_scenarios([scenario])
    assert refused.value.message.startswith(message)


def test_a_scenario_that_runs_and_checks_something_is_accepted() -> None:
    check_scenarios(
        [
            {"name": "order", "order": ORDER, "expect": {"status": "released"}},
            {
                "name": "steps",
                "description": "an order, then its cancellation",
                "steps": [
                    {"order": ORDER},
                    {"cancel": {"reason": "test"}, "expect": {"status": "cancelled"}},
                ],
            },
        ]
    )


def test_a_scenario_file_says_which_file_and_scenario_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vacuous.yaml"
    path.write_text(
        "scenarios:\n  - name: fine\n    order: {lines: [{sku: A}]}\n"
        "    expect: {status: released}\n  - {name: vacuous}\n"
    )
    with pytest.raises(ScenarioError) as refused:
        load_scenario_file(path)
    assert refused.value.message.startswith(f"{path}: scenario 2 (vacuous) has nothing to run")
