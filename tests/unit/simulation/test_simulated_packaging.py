"""Simulations pack shipments as production does: with the deployment's box catalogue the
replay's Decider packs and prices each shipment by parcel, the results say how many parcels
and what the boxes cost, and the summary names the catalogue; without one, nothing changes."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine.simulation.diff import compare_runs
from engine.simulation.errors import SimulationError
from engine.simulation.generate import GeneratorSpec, generate_dataset
from engine.simulation.jobs import SimulationJobs, SimulationRequest
from engine.simulation.kpis import Kpis
from engine.simulation.parallel import Watcher, WhatIf, WhatIfResult, run_what_if
from engine.simulation.replay import RunSpec, run_simulation
from engine.simulation.report import CSV_COLUMNS
from engine.simulation.rulesets import read_rulesets, shipped_rulesets_dir

# Generated products have weights but no dimensions: they pack by weight, so a 3 kg box
# makes shipments of several parcels and a 15 kg one takes most in one.
BOXES = """currency: USD
boxes:
  - {code: SMALL, length_cm: 30, width_cm: 20, height_cm: 10, max_weight_kg: 3,
     tare_kg: 0.2, cost: 0.45}
  - {code: LARGE, length_cm: 60, width_cm: 40, height_cm: 40, max_weight_kg: 15,
     tare_kg: 0.9, cost: 1.80}
"""
TRACED = frozenset(f"H{n:07d}" for n in range(1, 41))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "july"
    spec = GeneratorSpec(orders=60, locations=6, skus=30, customers=40, days=4)
    generate_dataset(spec, path)
    return path


@pytest.fixture(scope="module")
def rulesets() -> dict[str, str]:
    return read_rulesets([shipped_rulesets_dir()])


def boxes_file(directory: Path, text: str = BOXES) -> Path:
    path = directory / "boxes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def outcomes(run: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in (run / "orders.jsonl").read_text().splitlines()]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_replay_with_boxes_records_the_parcels_and_box_cost_the_decider_priced(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    boxes = boxes_file(tmp_path)
    spec = RunSpec(history, tmp_path / "packed", rulesets, packaging=boxes, trace_orders=TRACED)
    run_simulation(spec)
    traces = {
        record["order"]: record["trace"]
        for record in map(json.loads, (spec.out / "traces.jsonl").read_text().splitlines())
    }
    compared = 0
    for outcome in outcomes(spec.out):
        if outcome["order"] not in traces:
            continue
        carriers = traces[outcome["order"]]["carriers"]
        for shipment in outcome["shipments"]:
            packing = carriers[shipment["location"]]["packing"]
            assert shipment["parcels"] == len(packing["parcels"])
            assert shipment["box_cost"] == (packing["box_cost"] if shipment["carrier"] else 0.0)
            compared += 1
    assert compared > 10
    assert any(s["parcels"] > 1 for o in outcomes(spec.out) for s in o["shipments"])


def test_the_packaging_kpis_add_up_from_the_per_order_results(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    packed = run_simulation(
        RunSpec(history, tmp_path / "p", rulesets, packaging=boxes_file(tmp_path))
    )
    plain = run_simulation(RunSpec(history, tmp_path / "plain", rulesets))
    kpis = packed.summary["kpis"]
    accepted = [
        s
        for o in outcomes(packed.out)
        if o["outcome"] in ("allocated", "partially_allocated", "backordered", "preordered")
        for s in o["shipments"]
    ]
    assert kpis["parcels_per_shipment"] == round(
        sum(s["parcels"] for s in accepted) / len(accepted), 4
    )
    assert kpis["parcels_per_shipment"] > 1
    assert kpis["box_cost"] == round(sum(s["box_cost"] for s in accepted), 2)
    assert kpis["box_cost"] > 0
    # Several parcels cost more to ship than one of the same weight, boxes aside.
    assert kpis["shipping_cost"] - kpis["box_cost"] > plain.summary["kpis"]["shipping_cost"]
    with (packed.out / "orders.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_order = {o["order"]: o for o in outcomes(packed.out)}
    for row in rows:
        shipments = by_order[row["order"]]["shipments"]
        assert int(row["parcels"]) == sum(s["parcels"] for s in shipments)
        assert row["box_cost"] == f"{sum(s['box_cost'] for s in shipments):.2f}"
    report = (packed.out / "report.html").read_text(encoding="utf-8")
    assert f"<th>Box cost</th><td>{kpis['box_cost']:,.2f}</td>" in report
    assert "<th>Parcels per shipment</th>" in report


def test_without_boxes_a_run_writes_no_packaging_figures_at_all(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    result = run_simulation(RunSpec(history, tmp_path / "plain", rulesets))
    assert "packaging" not in result.summary
    assert not {"parcels_per_shipment", "box_cost"} & set(result.summary["kpis"])
    assert all(
        set(s) == {"location", "carrier", "service", "rate", "distance_km", "units", "promised"}
        for o in outcomes(result.out)
        for s in o["shipments"]
    )
    header = (result.out / "orders.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(CSV_COLUMNS)
    report = (result.out / "report.html").read_text(encoding="utf-8")
    assert "Parcels per shipment" not in report and "Box cost" not in report


def test_the_summary_names_the_box_catalogue_by_its_path_and_content(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    boxes = boxes_file(tmp_path)
    first = run_simulation(RunSpec(history, tmp_path / "a", rulesets, packaging=boxes))
    digest = hashlib.sha256(boxes.read_bytes()).hexdigest()
    assert first.summary["packaging"] == {"path": str(boxes), "sha256": digest}
    assert f"sha256 {digest[:12]}" in (first.out / "report.html").read_text(encoding="utf-8")
    boxes.write_text(BOXES.replace("cost: 1.80", "cost: 2.10"), encoding="utf-8")
    second = run_simulation(RunSpec(history, tmp_path / "b", rulesets, packaging=boxes))
    assert second.summary["packaging"]["path"] == str(boxes)
    assert second.summary["packaging"]["sha256"] != digest


def test_a_what_if_packs_every_variant_and_its_index_names_the_boxes(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    boxes = boxes_file(tmp_path)
    spec = WhatIf(
        history, tmp_path / "what-if", {"baseline": rulesets, "same": rulesets}, packaging=boxes
    )
    result = run_what_if(spec, workers=0)
    index = read_json(spec.out / "index.json")
    for name in ("baseline", "same"):
        assert result.runs[name]["packaging"]["path"] == str(boxes)
        assert index["runs"][name]["packaging"] == result.runs[name]["packaging"]
        assert index["runs"][name]["kpis"]["box_cost"] > 0
    assert result.diffs["same"]["changed"] == 0


def test_comparing_runs_with_and_without_boxes_shows_both_and_which_boxes(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    boxes = boxes_file(tmp_path)
    plain = run_simulation(RunSpec(history, tmp_path / "plain", rulesets, name="plain"))
    packed = run_simulation(
        RunSpec(history, tmp_path / "packed", rulesets, name="packed", packaging=boxes)
    )
    diff = compare_runs(plain.out, packed.out, tmp_path / "diff")
    assert diff["packaging"] == {"a": None, "b": packed.summary["packaging"]}
    assert diff["cost_delta"] > 0
    report = (tmp_path / "diff" / "report.html").read_text(encoding="utf-8")
    assert "<th>Parcels per shipment</th><td>n/a</td>" in report
    assert "A: shipments one parcel each. B: shipments packed into the boxes of" in report
    unpacked = compare_runs(plain.out, plain.out, tmp_path / "same")
    assert "packaging" not in unpacked


def test_a_bad_box_catalogue_is_refused_before_any_run_naming_the_file_and_field(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    bad = boxes_file(tmp_path, BOXES.replace("max_weight_kg: 15", "max_weight_kg: -15"))
    out = tmp_path / "never"
    with pytest.raises(SimulationError) as refused:
        run_what_if(WhatIf(history, out, {"baseline": rulesets}, packaging=bad), workers=0)
    assert str(refused.value).startswith(f"box catalogue: {bad}: boxes.LARGE.max_weight_kg: ")
    assert "got -15" in str(refused.value)
    assert not out.exists()


def test_a_box_catalogue_changed_after_the_what_if_started_is_refused_by_its_run(
    history: Path, rulesets: dict[str, str], tmp_path: Path
) -> None:
    boxes = boxes_file(tmp_path)
    spec = RunSpec(history, tmp_path / "run", rulesets, packaging=boxes, packaging_sha256="0" * 64)
    with pytest.raises(SimulationError, match=r"has changed since the simulation started"):
        run_simulation(spec)
    assert not spec.out.exists()


def test_parcels_per_shipment_is_the_mean_over_the_shipments_of_accepted_orders() -> None:
    def shipped(outcome: str, *parcels: int) -> dict[str, Any]:
        shipments = [
            {"rate": 9.0, "distance_km": 10.0, "carrier": "C", "service": "S",
             "location": "L", "parcels": n, "box_cost": 0.5 * n}
            for n in parcels
        ]  # fmt: skip
        return {"outcome": outcome, "code": "", "lines": 1, "lines_backordered": 0,
                "units": 1, "allocated": 1, "backordered": 0, "shipments": shipments,
                "requested": None, "promised": None}  # fmt: skip

    kpis = Kpis(packaging=True)
    for outcome in (shipped("allocated", 1, 3), shipped("allocated", 2), shipped("held", 9)):
        kpis.add(outcome)
    found = kpis.to_dict()
    assert (found["parcels_per_shipment"], found["box_cost"]) == (2.0, 3.0)
    assert not {"parcels_per_shipment", "box_cost"} & set(Kpis().to_dict())


def test_a_job_takes_the_deployments_boxes_to_its_runs_and_refuses_bad_ones_at_once(
    history: Path, tmp_path: Path
) -> None:
    seen: Counter[Path | None] = Counter()

    def runner(spec: WhatIf, workers: int, watch: Watcher) -> WhatIfResult:
        seen[spec.packaging] += 1
        spec.out.mkdir(parents=True)
        (spec.out / "index.json").write_text("{}", encoding="utf-8")
        return WhatIfResult(spec.out, {}, {}, {}, {})

    jobs = SimulationJobs(tmp_path / "jobs", runner=runner)
    boxes = boxes_file(tmp_path)
    job = jobs.submit(SimulationRequest(history, {"baseline": {}}, packaging=boxes))
    assert jobs.wait(job.id, 5).status == "succeeded"
    assert seen == {boxes: 1}
    boxes.write_text("boxes:\n  - {code: X, length_cm: 1}\n", encoding="utf-8")
    with pytest.raises(SimulationError, match=rf"{boxes}: boxes.X.width_cm"):
        jobs.submit(SimulationRequest(history, {"baseline": {}}, packaging=boxes))
    assert len(jobs.list()) == 1
