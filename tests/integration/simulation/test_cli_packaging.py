"""`ordo simulate` packs shipments with the deployment's box catalogue (ORDO_PACKAGING_FILE),
or another one given with `--packaging`, or none with `--no-packaging`; a bad catalogue is one
line naming the flag or setting, the file and the field, before anything runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.simulation.test_cli import ROOT, ordo, squeeze

BOXES = """boxes:
  - {code: SMALL, length_cm: 30, width_cm: 20, height_cm: 10, max_weight_kg: 3,
     tare_kg: 0.2, cost: 0.45}
  - {code: LARGE, length_cm: 60, width_cm: 40, height_cm: 40, max_weight_kg: 15,
     tare_kg: 0.9, cost: 1.80}
"""
RUN = ["simulate", "acme", "--limit", "30", "--workers", "0"]
DETERMINISTIC = ("summary.json", "orders.jsonl", "orders.csv", "report.html")


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """The docs' example imported as data set 'acme' under ./data, in a fresh directory."""
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    mapping = "docs/examples/simulation/mapping.yaml"
    done = ordo(["import", "acme", "--mapping", mapping, "--keep-going"], tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


def summary(run: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return found


def configured(directory: Path, boxes: str = BOXES) -> list[str]:
    """`ordo --settings FILE`, FILE setting ORDO_PACKAGING_FILE to a catalogue of `boxes`."""
    (directory / "boxes.yaml").write_text(boxes, encoding="utf-8")
    (directory / "ordo.env").write_text("ORDO_PACKAGING_FILE=boxes.yaml\n", encoding="utf-8")
    return ["--settings", "ordo.env"]


def test_a_simulation_packs_with_the_deployments_boxes_unless_told_otherwise(
    imported: Path,
) -> None:
    settings = configured(imported)
    packed = ordo([*settings, *RUN, "--out", "out/packed"], imported)
    assert packed.returncode == 0, packed.stderr
    said = squeeze(packed.stdout)
    assert "Parcels per shipment" in said and "Box cost" in said
    assert "shipments packed into the boxes of boxes.yaml (sha256" in said
    run = imported / "out" / "packed" / "baseline"
    assert summary(run)["packaging"]["path"] == "boxes.yaml"
    assert summary(run)["kpis"]["box_cost"] > 0

    (imported / "other.yaml").write_text(BOXES.replace("cost: 1.80", "cost: 9.90"))
    other = ordo([*settings, *RUN, "--out", "out/other", "--packaging", "other.yaml"], imported)
    assert other.returncode == 0, other.stderr
    other_run = imported / "out" / "other" / "baseline"
    assert summary(other_run)["packaging"]["path"] == "other.yaml"
    assert summary(other_run)["packaging"]["sha256"] != summary(run)["packaging"]["sha256"]

    off = ordo([*settings, *RUN, "--out", "out/off", "--no-packaging"], imported)
    assert off.returncode == 0, off.stderr
    assert "Parcels per shipment" not in off.stdout and "packed into" not in off.stdout
    unset = ordo([*RUN, "--out", "out/unset"], imported)
    assert unset.returncode == 0, unset.stderr
    for name in DETERMINISTIC:
        turned_off = (imported / "out" / "off" / "baseline" / name).read_bytes()
        assert turned_off == (imported / "out" / "unset" / "baseline" / name).read_bytes()
    assert "packaging" not in summary(imported / "out" / "off" / "baseline")


def test_a_bad_box_catalogue_is_one_line_naming_the_flag_or_setting_file_and_field(
    imported: Path,
) -> None:
    settings = configured(imported, BOXES.replace("max_weight_kg: 15", "max_weight_kg: -15"))
    problem = "boxes.LARGE.max_weight_kg: expected a weight in kg above 0, got -15"
    from_setting = ordo([*settings, *RUN], imported)
    assert from_setting.returncode == 1
    assert f"error: ORDO_PACKAGING_FILE: boxes.yaml: {problem}" in squeeze(from_setting.stderr)
    from_flag = ordo([*RUN, "--packaging", "boxes.yaml"], imported)
    assert from_flag.returncode == 1
    assert f"error: --packaging: boxes.yaml: {problem}" in squeeze(from_flag.stderr)
    missing = ordo([*RUN, "--packaging", "nowhere.yaml"], imported)
    assert missing.returncode == 1
    assert "error: --packaging: nowhere.yaml: " in squeeze(missing.stderr)
    both = ordo([*RUN, "--packaging", "boxes.yaml", "--no-packaging"], imported)
    assert both.returncode == 1
    assert "--packaging and --no-packaging: give one or the other" in squeeze(both.stderr)
    said = from_setting.stderr + from_flag.stderr + missing.stderr + both.stderr
    assert "Traceback" not in said
    assert not (imported / "data" / "simulations" / "acme").exists()
    # Turned off, the broken setting is not read at all.
    off = ordo([*settings, *RUN, "--no-packaging"], imported)
    assert off.returncode == 0, off.stderr
