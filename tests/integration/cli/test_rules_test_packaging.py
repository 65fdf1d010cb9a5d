"""`ordo rules test` packs pipeline scenarios' shipments as production does: with the box
catalogue ORDO_PACKAGING_FILE names, another given with `--packaging`, or none with
`--no-packaging`; the flags and their errors are those of `ordo simulate`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app
from tests.integration.cli.test_rules_commands import BIG_ORDERS, RULE_SCENARIOS
from tests.unit.pipeline.test_scenario_packaging import PLATES, WORLD

runner = CliRunner()

BOXES = """boxes:
  - {code: SMALL, length_cm: 30, width_cm: 20, height_cm: 10, max_weight_kg: 3,
     tare_kg: 0.2, cost: 0.45}
  - {code: MEDIUM, length_cm: 45, width_cm: 35, height_cm: 25, max_weight_kg: 20,
     tare_kg: 0.55, cost: 1.10}
"""
PASSED = "PASS packing.scenarios.yaml: Five plates go by Regional Post, boxed"
UNPACKED = "parcels: expected {'EWR-01': 3}, got {'EWR-01': 1}"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with the plates' scenarios and a box catalogue, where `ordo` runs."""
    (tmp_path / "packing.scenarios.yaml").write_text(WORLD + PLATES, encoding="utf-8")
    (tmp_path / "boxes.yaml").write_text(BOXES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def rules_test(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["rules", "test", "packing.scenarios.yaml", *args])
    return result.exit_code, " ".join(result.output.split())


def test_scenarios_pack_with_the_deployments_boxes_unless_told_otherwise(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = rules_test()
    assert code == 1 and UNPACKED in output  # no catalogue: one parcel, as before

    monkeypatch.setenv("ORDO_PACKAGING_FILE", "boxes.yaml")
    code, output = rules_test()
    assert code == 0, output
    assert PASSED in output

    code, output = rules_test("--no-packaging")
    assert code == 1 and UNPACKED in output
    assert "carriers: expected {'EWR-01': 'RPS/economy'}, got {'EWR-01': 'PCL/ground'}" in output

    # The flag wins over the setting, which is not read at all.
    monkeypatch.setenv("ORDO_PACKAGING_FILE", "nowhere.yaml")
    code, output = rules_test("--packaging", "boxes.yaml")
    assert code == 0, output


def test_a_bad_box_catalogue_is_one_line_naming_the_flag_or_setting_file_and_field(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (here / "bad.yaml").write_text(BOXES.replace("max_weight_kg: 20", "max_weight_kg: -20"))
    problem = "bad.yaml: boxes.MEDIUM.max_weight_kg: expected a weight in kg above 0, got -20"
    code, output = rules_test("--packaging", "bad.yaml")
    assert (code, output) == (1, f"error: --packaging: {problem}")
    code, output = rules_test("--packaging", "nowhere.yaml")
    assert code == 1 and output.startswith("error: --packaging: nowhere.yaml: ")
    code, output = rules_test("--packaging", "boxes.yaml", "--no-packaging")
    assert (code, output) == (1, "error: --packaging and --no-packaging: give one or the other")

    monkeypatch.setenv("ORDO_PACKAGING_FILE", "bad.yaml")
    code, output = rules_test()
    assert (code, output) == (1, f"error: ORDO_PACKAGING_FILE: {problem}")
    code, output = rules_test("--no-packaging")
    assert code == 1 and UNPACKED in output and "Traceback" not in output


def test_rule_level_scenarios_run_whatever_the_packaging_setting_says(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (here / "big.ordo").write_text(BIG_ORDERS, encoding="utf-8")
    (here / "big.scenarios.yaml").write_text(RULE_SCENARIOS % "true", encoding="utf-8")
    monkeypatch.setenv("ORDO_PACKAGING_FILE", "nowhere.yaml")
    result = runner.invoke(app, ["rules", "test", "big.scenarios.yaml"])
    assert result.exit_code == 0, result.output
    assert "2 scenario(s) passed, 0 failed" in result.output


def test_a_file_names_its_catalogue_a_flag_wins_over_it_and_it_over_the_setting(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (here / "boxes").mkdir()
    (here / "boxes" / "mine.yaml").write_text(BOXES, encoding="utf-8")
    (here / "packing.scenarios.yaml").write_text(
        "packaging: boxes/mine.yaml\n" + WORLD + PLATES, encoding="utf-8"
    )
    # The file's own catalogue, relative to it; a broken setting is not read.
    monkeypatch.setenv("ORDO_PACKAGING_FILE", "nowhere.yaml")
    code, output = rules_test()
    assert code == 0, output
    assert PASSED in output
    code, output = rules_test("--no-packaging")
    assert code == 1 and UNPACKED in output

    (here / "packing.scenarios.yaml").write_text(
        "packaging: none\n" + WORLD + PLATES, encoding="utf-8"
    )
    monkeypatch.setenv("ORDO_PACKAGING_FILE", "boxes.yaml")
    code, output = rules_test()
    assert code == 1 and UNPACKED in output
    code, output = rules_test("--packaging", "boxes.yaml")
    assert code == 0, output


def test_a_bad_catalogue_a_file_names_fails_that_file_naming_it_and_the_field(
    here: Path,
) -> None:
    (here / "packing.scenarios.yaml").write_text(
        "packaging: nowhere.yaml\n" + WORLD + PLATES, encoding="utf-8"
    )
    code, output = rules_test()
    assert code == 1
    assert output.startswith(
        "FAIL packing.scenarios.yaml: `packaging`: nowhere.yaml: cannot read this file"
    ), output
    assert "0 scenario(s) passed, 1 failed" in output
