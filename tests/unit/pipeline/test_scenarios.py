"""Every pipeline scenario under `scenarios/` runs through the real bus and handlers."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.pipeline.scenarios import load_scenario_file, run_scenario

HERE = Path(__file__).parent / "scenarios"
FILES = sorted(p for p in HERE.glob("*.yaml") if p.name != "world.yaml")
# One file per behaviour of issue 4; a behaviour without its file is a gap, not a pass.
BEHAVIOURS = [
    "sourcing_split",
    "fallbacks",
    "fallback_dropship",
    "fallback_hold",
    "reservation",
    "lifecycle",
    "consolidation",
    "inventory",
    "carriers",
    "capacity_cutoff",
    "validation_rules",
    "sourcing_rules",
    "reservation_rules",
    "carrier_rules",
    "optimiser",
    "resourcing",
    "priority",
    "preorders",
]
CASES = [
    pytest.param(path, index, id=f"{path.stem}: {scenario.get('name', index)}")
    for path in FILES
    for index, scenario in enumerate(load_scenario_file(path)["scenarios"])
]


@pytest.mark.parametrize(("path", "index"), CASES)
def test_pipeline_scenario(path: Path, index: int) -> None:
    spec = load_scenario_file(path)
    result = run_scenario(spec, spec["scenarios"][index], path.parent, path.name)
    assert result.passed, str(result)


def test_every_behaviour_of_the_pipeline_has_a_scenario_file() -> None:
    missing = [name for name in BEHAVIOURS if not (HERE / f"{name}.yaml").exists()]
    assert not missing, f"no scenario file for {missing}"


@pytest.mark.parametrize(
    ("order", "failure"),
    [
        (
            {"ship_to": "10001", "chanel": "marketplace", "lines": [{"sku": "TSHIRT", "qty": 1}]},
            "step 1: an order has no field 'chanel' (did you mean `channel`?)",
        ),
        (
            {"ship_to": "10001", "lines": [{"sku": "TSHIRT", "qyt": 5}]},
            "step 1: an order line has no field 'qyt' (did you mean `qty`?)",
        ),
        (
            {"ship_to": "10001", "lines": ["TSHIRT"]},
            "step 1: an order line is a mapping such as {sku: MUG-1, qty: 2}, not 'TSHIRT'",
        ),
    ],
)
def test_a_misspelt_order_field_fails_the_scenario_instead_of_testing_the_default(
    tmp_path: Path, order: dict[str, object], failure: str
) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        f"world: {HERE / 'world.yaml'}\n"
        "scenarios: [{name: fine, order: {lines: [{sku: TSHIRT}]}, expect: {status: held}}]\n"
    )
    spec = load_scenario_file(path)
    scenario = {"name": "typo", "order": order, "expect": {"outcome": "allocated"}}
    result = run_scenario(spec, scenario, HERE, path.name)
    assert (result.passed, result.failures) == (False, [failure])
