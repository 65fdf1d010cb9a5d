"""A simulation job as the API runs it: a background thread, replays in worker processes, the
real Decider and the shipped rulesets; polled until it has a result."""

from __future__ import annotations

from pathlib import Path

from engine.simulation.generate import GeneratorSpec, generate_dataset
from engine.simulation.jobs import SimulationJobs, SimulationRequest
from engine.simulation.rulesets import read_rulesets, shipped_rulesets_dir


def test_a_background_job_replays_both_variants_in_processes_and_reports_the_diff(
    tmp_path: Path,
) -> None:
    data = generate_dataset(
        GeneratorSpec(orders=30, locations=8, skus=30, customers=10, days=5), tmp_path / "ds"
    )
    base = read_rulesets([shipped_rulesets_dir()])
    stricter = {**base, "routing": base["routing"].replace("max_shipments 2", "max_shipments 1")}
    jobs = SimulationJobs(tmp_path / "jobs")
    job = jobs.submit(SimulationRequest(data, {"baseline": base, "draft": stricter}, workers=2))
    assert job.status == "queued"
    finished = jobs.wait(job.id, timeout=240)
    assert finished.status == "succeeded", finished.error
    assert (finished.progress.done, finished.progress.total) == (60, 60)
    assert finished.progress.runs == {"baseline": [30, 30], "draft": [30, 30]}
    result = jobs.result(job.id)
    assert set(result["runs"]) == {"baseline", "draft"}
    assert result["runs"]["baseline"]["kpis"]["orders"] == 30
    changed = (Path(finished.result_path or "") / "diff-draft" / "changed_orders.csv").read_text()
    assert result["diffs"]["draft"]["changed"] == len(changed.splitlines()) - 1
    assert (Path(finished.result_path or "") / "diff-draft" / "report.html").is_file()
