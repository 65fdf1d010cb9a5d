"""Simulation jobs: submitted at once, polled for progress, finished with a result or an error."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

from engine.simulation.errors import SimulationError
from engine.simulation.jobs import JobNotFound, SimulationJobs, SimulationRequest
from engine.simulation.parallel import Watcher, WhatIf, WhatIfResult


def a_dataset(tmp_path: Path) -> Path:
    path = tmp_path / "ds"
    path.mkdir()
    (path / "manifest.json").write_text("{}", encoding="utf-8")
    return path


class SteppedRunner:
    """Reports progress when told to, so a test can look at a job while it runs."""

    def __init__(self) -> None:
        self.step = threading.Event()
        self.reported = threading.Event()

    def __call__(self, spec: WhatIf, workers: int, watch: Watcher) -> WhatIfResult:
        watch({"baseline": (250, 1000)})
        self.reported.set()
        self.step.wait(5)
        watch({"baseline": (1000, 1000)})
        spec.out.mkdir(parents=True)
        (spec.out / "index.json").write_text(json.dumps({"baseline": "baseline"}), encoding="utf-8")
        return WhatIfResult(spec.out, {}, {}, {"baseline": 1.0}, {"baseline": 1000})


def test_a_job_reports_progress_while_it_runs_and_its_result_when_done(tmp_path: Path) -> None:
    runner = SteppedRunner()
    jobs = SimulationJobs(tmp_path / "jobs", runner=runner)
    job = jobs.submit(SimulationRequest(a_dataset(tmp_path), {"baseline": {}}))
    assert runner.reported.wait(5)
    running = jobs.get(job.id)
    assert running.status == "running"
    assert (running.progress.done, running.progress.total) == (250, 1000)
    runner.step.set()
    finished = jobs.wait(job.id, timeout=5)
    assert finished.status == "succeeded"
    assert finished.progress.fraction == 1.0
    assert jobs.result(job.id) == {"baseline": "baseline"}
    assert [listed.id for listed in jobs.list()] == [job.id]


def test_a_failing_run_ends_the_job_as_failed_with_the_reason(tmp_path: Path) -> None:
    def broken(spec: WhatIf, workers: int, watch: Watcher) -> WhatIfResult:
        raise SimulationError("routing.ordo: does not compile")

    jobs = SimulationJobs(tmp_path / "jobs", runner=broken)
    job = jobs.wait(jobs.submit(SimulationRequest(a_dataset(tmp_path), {"baseline": {}})).id, 5)
    assert (job.status, job.error) == ("failed", "routing.ordo: does not compile")
    with pytest.raises(SimulationError, match="is failed, not finished"):
        jobs.result(job.id)


def test_unknown_jobs_and_missing_data_sets_are_refused_clearly(tmp_path: Path) -> None:
    jobs = SimulationJobs(tmp_path / "jobs", runner=SteppedRunner())
    with pytest.raises(JobNotFound, match="'nope' does not exist"):
        jobs.get("nope")
    with pytest.raises(SimulationError, match="not a data set"):
        jobs.submit(SimulationRequest(tmp_path / "missing", {"baseline": {}}))


def test_a_job_left_running_by_a_stopped_process_is_marked_failed(tmp_path: Path) -> None:
    root = tmp_path / "jobs"
    (root / "abc").mkdir(parents=True)
    # A process id that cannot exist on this host: its owner is certainly gone.
    stale = {"id": "abc", "status": "running", "created_at": "2025-01-01T00:00:00Z",
             "owner": f"{socket.gethostname()}:999999999",
             "progress": {"done": 5, "total": 10, "runs": {}}}  # fmt: skip
    (root / "abc" / "job.json").write_text(json.dumps(stale), encoding="utf-8")
    job = SimulationJobs(root, runner=SteppedRunner()).get("abc")
    assert job.status == "failed"
    assert "interrupted" in (job.error or "")
