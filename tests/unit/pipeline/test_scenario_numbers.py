"""A pipeline scenario's numbers mean what they say: a quantity that is not a whole number of
at least 1, or an `advance` that does not move the clock forward, is refused with the
scenario, the step and the value, instead of being truncated (`1.5` as 1, `true` as 1) or run
backwards; and a scenario file of no scenarios, which tests nothing, is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.pipeline.scenarios import (
    ScenarioError,
    check_scenarios,
    load_scenario_file,
    run_scenario,
)

HERE = Path(__file__).parent / "scenarios"
EXPECT = {"status": "released"}


def order(qty: Any) -> dict[str, Any]:
    return {"ship_to": "10001", "lines": [{"sku": "TSHIRT", "qty": qty}]}


def steps(*actions: dict[str, Any]) -> dict[str, Any]:
    """A scenario `x` placing an order, then `actions`, the last one checked."""
    return {
        "name": "x",
        "steps": [{"order": order(1)}, *actions[:-1], {**actions[-1], "expect": EXPECT}],
    }


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            steps({"order": order(1.5)}),
            "scenario 1 (x), step 2: the qty of line 1 must be a whole number of at least 1, "
            "got 1.5",
        ),
        (
            steps({"order": order(True)}),
            "scenario 1 (x), step 2: the qty of line 1 must be a whole number of at least 1, "
            "got true",
        ),
        (
            steps({"order": order(0)}),
            "scenario 1 (x), step 2: the qty of line 1 must be a whole number of at least 1, got 0",
        ),
        (
            steps({"order": order(-3)}),
            "scenario 1 (x), step 2: the qty of line 1 must be a whole number of at least 1, "
            "got -3",
        ),
        (
            steps({"order": {"lines": [{"sku": "TSHIRT"}, {"sku": "JEANS", "quantity": "2"}]}}),
            "scenario 1 (x), step 2: the quantity of line 2 must be a whole number of at "
            'least 1, got "2"',
        ),
        (
            {"name": "x", "order": order(2.5), "expect": EXPECT},
            "scenario 1 (x), order: the qty of line 1 must be a whole number of at least 1, "
            "got 2.5",
        ),
        (
            steps({"modify": {"add_lines": [{"sku": "JEANS", "qty": 1.5}]}}),
            "scenario 1 (x), step 2: the qty of added line 1 must be a whole number of at "
            "least 1, got 1.5",
        ),
        (
            steps({"modify": {"quantities": {"1": 0}}}),
            "scenario 1 (x), step 2: the new quantity of line 1 must be a whole number of at "
            "least 1, got 0",
        ),
        (
            steps({"modify": {"add_lines": ["JEANS"]}}),
            "scenario 1 (x), step 2: modify's `add_lines` are mappings such as "
            "{sku: MUG-1, qty: 2}, not 'JEANS'",
        ),
        (
            steps({"advance": {"minutes": -5}}),
            "scenario 1 (x), step 2: advance minutes must not be negative, got -5: the clock "
            "only moves forward",
        ),
        (
            steps({"advance": {"minutes": 90, "days": -1}}),
            "scenario 1 (x), step 2: advance days must not be negative, got -1",
        ),
        (
            steps({"advance": {"minutes": 0}}),
            "scenario 1 (x), step 2: advance moves the clock by nothing: give it minutes or days",
        ),
        (
            steps({"advance": {}}),
            "scenario 1 (x), step 2: advance moves the clock by nothing",
        ),
        (
            steps({"advance": {"mins": 5}}),
            "scenario 1 (x), step 2: advance has no field 'mins' (did you mean `minutes`?)",
        ),
        (
            steps({"advance": {"days": 0.5}}),
            "scenario 1 (x), step 2: advance days must be a whole number, got 0.5",
        ),
        (
            steps({"advance": {"days": True}}),
            "scenario 1 (x), step 2: advance days must be a whole number, got true",
        ),
        (
            steps({"advance": 5}),
            "scenario 1 (x), step 2: advance takes minutes and days, such as {minutes: 30}, not 5",
        ),
        (
            steps({"receive": {"sku": "TSHIRT", "location": "NJ-EWR", "quantity": 2.5}}),
            "scenario 1 (x), step 2: receive quantity must be a whole number, got 2.5",
        ),
        (
            steps({"adjust": {"sku": "TSHIRT", "location": "NJ-EWR", "delta": False}}),
            "scenario 1 (x), step 2: adjust delta must be a whole number, got false",
        ),
    ],
    ids=[
        "fractional qty",
        "boolean qty",
        "zero qty",
        "negative qty",
        "quoted quantity",
        "the scenario's own order",
        "fractional added line",
        "zero new quantity",
        "added line not a mapping",
        "clock backwards",
        "clock backwards by days",
        "zero advance",
        "empty advance",
        "misspelt advance",
        "fractional days",
        "boolean days",
        "advance not a mapping",
        "fractional receipt",
        "boolean adjustment",
    ],
)
def test_a_number_a_scenario_step_cannot_mean_is_refused_naming_scenario_step_and_value(
    scenario: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError) as refused:
        check_scenarios([scenario])
    assert refused.value.message.startswith(message), refused.value.message


def test_whole_quantities_and_forward_advances_are_accepted() -> None:
    check_scenarios(
        [
            steps(
                {"order": order(2)},
                {"modify": {"quantities": {"1": 3}, "add_lines": [{"sku": "JEANS", "qty": 1}]}},
                {"advance": {"minutes": 30}},
                {"advance": {"days": 1, "minutes": 0}},
                {"adjust": {"sku": "TSHIRT", "location": "NJ-EWR", "delta": -2}},
                {"receive": {"sku": "TSHIRT", "location": "NJ-EWR", "quantity": 3}},
            )
        ]
    )


@pytest.fixture
def spec(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "numbers.yaml"
    path.write_text(
        f"world: {HERE / 'world.yaml'}\n"
        "stock: [{sku: TSHIRT, location: NJ-EWR, on_hand: 10}]\n"
        "scenarios: [{name: fine, order: {lines: [{sku: TSHIRT}]}, expect: {status: released}}]\n"
    )
    return load_scenario_file(path)


def test_a_fractional_quantity_fails_the_scenario_when_run_instead_of_ordering_one(
    spec: dict[str, Any],
) -> None:
    # Run without `check_scenarios` first (as a test may): the step itself refuses the value.
    scenario = {"name": "x", "order": order(1.5), "expect": {"reserved": {"TSHIRT@NJ-EWR": 1}}}
    result = run_scenario(spec, scenario, HERE)
    assert (result.passed, result.failures) == (
        False,
        ["step 1: the qty of line 1 must be a whole number of at least 1, got 1.5"],
    )


def test_an_advance_backwards_fails_the_scenario_when_run_instead_of_turning_the_clock_back(
    spec: dict[str, Any],
) -> None:
    scenario = steps({"advance": {"minutes": -5}})
    result = run_scenario(spec, scenario, HERE)
    assert (result.passed, result.failures) == (
        False,
        ["step 2: advance minutes must not be negative, got -5: the clock only moves forward"],
    )


def test_a_scenario_file_with_no_scenarios_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(f"world: {HERE / 'world.yaml'}\nscenarios: []\n")
    with pytest.raises(ScenarioError) as refused:
        load_scenario_file(path)
    assert refused.value.message == (
        f"{path}: the 'scenarios' list is empty: give at least one scenario, or the file tests "
        "nothing"
    )
