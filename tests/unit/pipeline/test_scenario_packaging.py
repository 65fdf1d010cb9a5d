"""Pipeline scenarios decide as production does when given its box catalogue: shipments are
packed and priced per parcel, so a carrier may be chosen that one heavy parcel would not get,
and a scenario may say how many parcels (`parcels`) and which boxes (`boxes`) it expects.
Without a catalogue they decide exactly as before, one parcel per shipment."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.pipeline.packing import load_packaging
from engine.pipeline.scenarios import ScenarioError, load_scenario_file, run_scenario_file

BOXES = Path(__file__).resolve().parents[3] / "rulesets" / "packaging" / "boxes.yaml"
WORLD = """now: "2026-11-18T10:00:00"
locations:
  - {code: EWR-01, type: warehouse, postal_code: "08817", state: NJ, cutoff: "17:00"}
products:
  - {sku: PLATE, price: "40.00", weight_kg: 10.0, dimensions_cm: [30, 30, 3]}
  - {sku: BOOTS, price: "129.00", weight_kg: 1.9, dimensions_cm: [35, 25, 15]}
stock:
  - {sku: PLATE, location: EWR-01, on_hand: 50}
  - {sku: BOOTS, location: EWR-01, on_hand: 50}
"""
# 50 kg of plates: one parcel is over Regional Post's 30 kg, three boxes of 20 kg are not.
PLATES = """scenarios:
  - name: Five plates go by Regional Post, boxed
    order: {ship_to: "60601", lines: [{sku: PLATE, qty: 5}]}
    expect: {carriers: {EWR-01: RPS/economy}, parcels: {EWR-01: 3}}
"""
BOOTS = """scenarios:
  - name: Six pairs of boots fill three medium boxes
    order: {ship_to: "94105", lines: [{sku: BOOTS, qty: 6}]}
    expect: {boxes: {EWR-01: [MEDIUM, MEDIUM, MEDIUM]}, parcels: {EWR-01: 3}}
"""


def scenario_file(directory: Path, scenarios: str) -> Path:
    path = directory / "packing.scenarios.yaml"
    path.write_text(WORLD + scenarios, encoding="utf-8")
    return path


def test_a_carrier_that_one_heavy_parcel_rules_out_takes_the_shipment_packed(
    tmp_path: Path,
) -> None:
    path = scenario_file(tmp_path, PLATES)
    [packed] = run_scenario_file(path, load_packaging(BOXES))
    assert packed.passed, str(packed)
    [unpacked] = run_scenario_file(path)
    assert not unpacked.passed
    assert unpacked.failures == [
        "step 1: carriers: expected {'EWR-01': 'RPS/economy'}, got {'EWR-01': 'PCL/ground'}",
        "step 1: parcels: expected {'EWR-01': 3}, got {'EWR-01': 1} "
        "(no box catalogue: each shipment is one parcel, in no box)",
    ]


def test_a_scenario_names_the_boxes_each_location_packs_into(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, BOOTS)
    [packed] = run_scenario_file(path, load_packaging(BOXES))
    assert packed.passed, str(packed)
    wrong = BOOTS.replace("[MEDIUM, MEDIUM, MEDIUM]", "[LARGE]")
    [failed] = run_scenario_file(scenario_file(tmp_path, wrong), load_packaging(BOXES))
    assert failed.failures == [
        "step 1: boxes: expected {'EWR-01': ['LARGE']}, got {'EWR-01': ['MEDIUM', 'MEDIUM', "
        "'MEDIUM']}"
    ]


def test_without_a_catalogue_a_shipment_is_one_parcel_in_no_box(tmp_path: Path) -> None:
    unpacked = BOOTS.replace("[MEDIUM, MEDIUM, MEDIUM]", "[]").replace("EWR-01: 3}", "EWR-01: 1}")
    [result] = run_scenario_file(scenario_file(tmp_path, unpacked))
    assert result.passed, str(result)


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            "{parcels: {EWR-01: 1.5}}",
            "`expect.parcels[EWR-01]` (the parcels of its shipments) must be a whole number of "
            "at least 1, got 1.5",
        ),
        (
            "{parcels: {EWR-01: 0}}",
            "`expect.parcels[EWR-01]` (the parcels of its shipments) must be a whole number of "
            "at least 1, got 0",
        ),
        (
            "{parcels: 2}",
            "`expect.parcels` maps each location to its parcels, such as {EWR-01: 2}, not 2",
        ),
        (
            "{boxes: {EWR-01: MEDIUM}}",
            "`expect.boxes[EWR-01]` must be a list of box codes, such as [MEDIUM, SMALL] (null "
            'for a unit shipped alone), got "MEDIUM"',
        ),
        (
            "{boxes: {EWR-01: [{code: MEDIUM}]}}",
            "`expect.boxes[EWR-01]` must be a list of box codes",
        ),
        ("{parcel: {EWR-01: 2}}", "has no field 'parcel' (did you mean `parcels`?)"),
    ],
)
def test_a_malformed_packing_expectation_names_the_file_the_scenario_and_the_field(
    tmp_path: Path, expect: str, message: str
) -> None:
    scenarios = f"""scenarios:
  - name: Boxed
    order: {{ship_to: "60601", lines: [{{sku: PLATE, qty: 5}}]}}
    expect: {expect}
"""
    path = scenario_file(tmp_path, scenarios)
    with pytest.raises(ScenarioError) as refused:
        load_scenario_file(path)
    assert f"{path}: scenario 1 (Boxed): " in refused.value.message
    assert message in refused.value.message


def test_a_file_names_its_own_catalogue_relative_to_itself_over_the_one_given(
    tmp_path: Path,
) -> None:
    (tmp_path / "boxes").mkdir()
    (tmp_path / "boxes" / "boxes.yaml").write_text(BOXES.read_text(encoding="utf-8"))
    path = scenario_file(tmp_path, "packaging: boxes/boxes.yaml\n" + PLATES)
    [packed] = run_scenario_file(path)
    assert packed.passed, str(packed)
    # `none` wins over a catalogue given: one parcel, so Regional Post is out.
    path = scenario_file(tmp_path, "packaging: none\n" + PLATES)
    [unpacked] = run_scenario_file(path, load_packaging(BOXES))
    assert not unpacked.passed
    assert "got {'EWR-01': 1} (no box catalogue" in " ".join(unpacked.failures)


def test_a_world_file_may_name_the_catalogue_and_the_scenario_file_wins(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "boxes.yaml").write_text(BOXES.read_text(encoding="utf-8"))
    (tmp_path / "shared" / "world.yaml").write_text(WORLD + "packaging: boxes.yaml\n")
    path = tmp_path / "packing.scenarios.yaml"
    path.write_text("world: shared/world.yaml\n" + PLATES, encoding="utf-8")
    [packed] = run_scenario_file(path)
    assert packed.passed, str(packed)
    path.write_text("world: shared/world.yaml\npackaging: none\n" + PLATES, encoding="utf-8")
    [unpacked] = run_scenario_file(path)
    assert not unpacked.passed


@pytest.mark.parametrize(
    ("packaging", "message"),
    [
        ("nowhere.yaml", "`packaging`: {dir}/nowhere.yaml: cannot read this file: no such file"),
        (
            "bad.yaml",
            "`packaging`: {dir}/bad.yaml: boxes.SMALL.max_weight_kg: expected a weight in kg "
            "above 0, got -3",
        ),
        (
            "[boxes.yaml]",
            '`packaging` must be a box catalogue\'s path (relative to this file) or none, got '
            '["boxes.yaml"]',
        ),
        ("", "`packaging` must be a box catalogue's path (relative to this file) or none, got "
             "null"),
    ],
)  # fmt: skip
def test_a_bad_own_catalogue_names_the_scenario_file_and_the_field(
    tmp_path: Path, packaging: str, message: str
) -> None:
    (tmp_path / "bad.yaml").write_text(
        "boxes:\n  - {code: SMALL, length_cm: 30, width_cm: 20, height_cm: 10, "
        "max_weight_kg: -3, tare_kg: 0.2, cost: 0.45}\n"
    )
    path = scenario_file(tmp_path, f"packaging: {packaging}\n" + PLATES)
    with pytest.raises(ScenarioError) as refused:
        run_scenario_file(path)
    assert refused.value.message == f"{path}: " + message.format(dir=tmp_path)
