"""Simulations as background jobs the API can start, poll and read results from.

`SimulationJobs(root).submit(request)` returns at once with a `Job` (id, status "queued") and
runs `run_what_if` in a background thread; the replays themselves run in worker processes, so
the API process stays responsive. The job's state (status, per-run progress, orders/s, ETA,
result path, error) is written to `<root>/<id>/job.json` atomically at most a few times a
second, and `get(id)` reads it back, so any process that can see the directory can poll.
Jobs a stopped server left "running" are marked failed when the next `SimulationJobs` opens.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from engine.pipeline.decide import DeciderSettings
from engine.simulation.errors import SimulationError
from engine.simulation.packaging import read_boxes
from engine.simulation.parallel import (
    ProgressMap,
    WhatIf,
    WhatIfResult,
    check_variant_names,
    run_what_if,
)
from engine.simulation.replay import check_date_range

STATUSES = ("queued", "running", "succeeded", "failed")
_WRITE_EVERY = 0.5


class JobNotFound(SimulationError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"simulation job {job_id!r} does not exist")
        self.job_id = job_id


@dataclass(frozen=True)
class SimulationRequest:
    """What to simulate: a data set and ruleset variants (name -> {ruleset name: source})."""

    dataset: Path
    variants: Mapping[str, Mapping[str, str]]
    limit: int | None = None
    workers: int = 2
    optimiser: str = "auto"
    carriers_dir: Path | None = None
    trace_orders: frozenset[str] = frozenset()
    # Inclusive calendar dates of the orders to replay (see `RunSpec`).
    date_from: date | None = None
    date_to: date | None = None
    # The box catalogue the deployment packs shipments with (`ORDO_PACKAGING_FILE`), so a
    # replay prices them as production does; None: one parcel each. A path: each worker
    # process reads it, as it compiles the rulesets.
    packaging: Path | None = None

    def __post_init__(self) -> None:
        # Checked here as `WhatIf` checks them, so a bad request is refused by `submit`
        # rather than failing the job it would start.
        check_date_range(self.date_from, self.date_to)
        check_variant_names(self.variants)


@dataclass
class Progress:
    """Orders done over all runs, with rate and ETA: what a progress bar needs."""

    done: int = 0
    total: int = 0
    rate: float | None = None
    eta_seconds: float | None = None
    runs: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, runs: ProgressMap, started: float) -> Progress:
        done = sum(d for d, _ in runs.values())
        total = sum(t for _, t in runs.values())
        seconds = time.monotonic() - started
        rate = done / seconds if done and seconds > 0 else None
        eta = (total - done) / rate if rate else None
        return cls(
            done,
            total,
            round(rate, 1) if rate else None,
            round(eta, 1) if eta is not None else None,
            {name: [d, t] for name, (d, t) in sorted(runs.items())},
        )

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass
class Job:
    id: str
    status: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    progress: Progress = field(default_factory=Progress)
    result_path: str | None = None
    error: str | None = None
    owner: str = ""  # host:pid of the process running it, to tell abandoned jobs apart

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["progress"]["fraction"] = round(self.progress.fraction, 4)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        progress = {k: v for k, v in data.get("progress", {}).items() if k != "fraction"}
        return cls(**{**data, "progress": Progress(**progress)})


Runner = Callable[[WhatIf, int, Callable[[ProgressMap], None]], WhatIfResult]


class SimulationJobs:
    """Start, poll and list simulation jobs kept under `root` (e.g. `<data_dir>/simulations`)."""

    def __init__(self, root: Path, runner: Runner | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._runner: Runner = runner or (
            lambda spec, workers, watch: run_what_if(spec, workers, watch)
        )
        self._threads: dict[str, threading.Thread] = {}
        self._fail_abandoned()

    @staticmethod
    def new_id() -> str:
        """An id for a job not submitted yet, so that it can be named (audited) first."""
        return uuid.uuid4().hex[:12]

    @staticmethod
    def check(request: SimulationRequest) -> None:
        """Raise `SimulationError` if `submit` would refuse `request`; starts nothing."""
        if not Path(request.dataset, "manifest.json").is_file():
            raise SimulationError(f"{request.dataset}: not a data set (no manifest.json)")
        if request.packaging is not None:
            # A catalogue edited since start-up is refused now, not by the job a moment later.
            read_boxes(request.packaging)

    def submit(self, request: SimulationRequest, job_id: str | None = None) -> Job:
        self.check(request)
        job = Job(id=job_id or self.new_id(), status="queued", created_at=_now(), owner=_owner())
        (self.root / job.id).mkdir()
        self._save(job)
        # The caller gets the state at submission; the thread keeps its own copy to update.
        submitted = Job.from_dict(job.to_dict())
        thread = threading.Thread(
            target=self._run, args=(job, request), daemon=True, name=f"sim-{job.id}"
        )
        self._threads[job.id] = thread
        thread.start()
        return submitted

    def get(self, job_id: str) -> Job:
        path = self.root / job_id / "job.json"
        if "/" in job_id or job_id.startswith(".") or not path.is_file():
            raise JobNotFound(job_id)
        return Job.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def list(self) -> list[Job]:
        jobs = [self.get(path.parent.name) for path in self.root.glob("*/job.json")]
        return sorted(jobs, key=lambda job: job.created_at, reverse=True)

    def result(self, job_id: str) -> dict[str, Any]:
        """The finished job's `index.json`: every run's KPIs and every diff's headline."""
        job = self.get(job_id)
        if job.status != "succeeded" or job.result_path is None:
            raise SimulationError(f"simulation job {job_id!r} is {job.status}, not finished")
        data: dict[str, Any] = json.loads(
            Path(job.result_path, "index.json").read_text(encoding="utf-8")
        )
        return data

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job's thread ends (tests, scripts); returns its final state."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(job_id)

    def _run(self, job: Job, request: SimulationRequest) -> None:
        started = time.monotonic()
        last_write = 0.0
        job.status, job.started_at = "running", _now()
        self._save(job)

        def watch(runs: ProgressMap) -> None:
            nonlocal last_write
            job.progress = Progress.of(runs, started)
            if time.monotonic() - last_write >= _WRITE_EVERY:
                last_write = time.monotonic()
                self._save(job)

        try:
            spec = WhatIf(
                dataset=request.dataset,
                out=self.root / job.id / "results",
                variants=request.variants,
                carriers_dir=request.carriers_dir,
                settings=DeciderSettings(optimiser=request.optimiser),
                limit=request.limit,
                trace_orders=frozenset(request.trace_orders),
                date_from=request.date_from,
                date_to=request.date_to,
                packaging=request.packaging,
            )
            result = self._runner(spec, request.workers, watch)
        except Exception as error:  # a job must end in a state the API can report
            job.status, job.error = "failed", str(error) or type(error).__name__
        else:
            job.status, job.result_path = "succeeded", str(result.out)
            job.progress = Progress.of({n: (c, c) for n, c in result.orders.items()}, started)
        job.finished_at = _now()
        self._save(job)

    def _save(self, job: Job) -> None:
        path = self.root / job.id / "job.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(job.to_dict(), indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def _fail_abandoned(self) -> None:
        for path in self.root.glob("*/job.json"):
            job = self.get(path.parent.name)
            if job.status in ("queued", "running") and not _alive(job.owner):
                job.status, job.error = "failed", "interrupted: the process running it stopped"
                job.finished_at = _now()
                self._save(job)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str) -> bool:
    """Whether the process that owns a job still runs (unknown hosts are assumed alive)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return host != socket.gethostname()
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
