"""Simulations over HTTP, for the admin console: list the imported data sets, start a what-if
job (the live rulesets against the same with draft versions in place), poll it, read its
KPIs, charts, the per-order diff and one order's two decisions.

Written by the console's author because the console needs these routes, adopted into the
API (role table, OpenAPI, audit); a thin layer over `engine.simulation.jobs`, whose jobs live
under `<data_dir>/simulations`, one `SimulationJobs` per app, made on first use. Analysts and
admins only (the ruleset permissions).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from api.deps import CanReadRulesets, CanWriteRulesets, Services, Uow
from api.schemas.common import problem_responses
from api.schemas.patterns import JOB_ID, VARIANT
from api.schemas.simulations import DatasetOut, JobOut, SimulationIn
from engine.domain.errors import Conflict, DomainError, NotFound
from engine.domain.operations import RulesetVersion
from engine.rules.registry import RulesetCompileError, compile_source, shipped_versions
from engine.service_layer import audit
from engine.service_layer import rulesets_service as rulesets
from engine.simulation.errors import SimulationError
from engine.simulation.jobs import JobNotFound, SimulationJobs, SimulationRequest

router = APIRouter(prefix="/v1/simulations", tags=["simulations"])

JobPath = Annotated[str, PathParam(pattern=JOB_ID, description="A job id.")]
_LOCK = threading.Lock()


def _jobs(request: Request, services: Services) -> SimulationJobs:
    with _LOCK:
        jobs = getattr(request.app.state, "simulation_jobs", None)
        if jobs is None:
            jobs = SimulationJobs(Path(services.container.settings.data_dir) / "simulations")
            request.app.state.simulation_jobs = jobs
    return jobs


def _datasets_dir(services: Services) -> Path:
    return Path(services.container.settings.data_dir) / "datasets"


def _job(job: Any) -> JobOut:
    data = job.to_dict()
    return JobOut(**{k: data[k] for k in JobOut.model_fields})


def _get(jobs: SimulationJobs, job_id: str) -> Any:
    try:
        return jobs.get(job_id)
    except JobNotFound:
        raise NotFound("simulation", job_id) from None


@router.get("/datasets", response_model=list[DatasetOut], responses=problem_responses())
def list_datasets(_: CanReadRulesets, services: Services) -> list[DatasetOut]:
    """Data sets imported with `ordo import`, newest name last."""
    out = []
    for manifest in sorted(_datasets_dir(services).glob("*/manifest.json")):
        try:
            counts = json.loads(manifest.read_text(encoding="utf-8")).get("counts", {})
        except (OSError, ValueError):
            continue  # a data set being written or broken is simply not offered
        out.append(
            DatasetOut(
                name=manifest.parent.name, orders=int(counts.get("orders", 0)), counts=counts
            )
        )
    return out


def _check_compiles(version: RulesetVersion) -> None:
    """Refuse a draft that does not compile now, naming it: accepted, the job would fail a
    moment later with a message that cannot say which version it was."""
    try:
        compile_source(version.source, version.name, version.version)
    except RulesetCompileError as error:
        found = [rulesets.diagnostic_out(d) for d in error.diagnostics]
        count = sum(1 for d in found if d["severity"] == "error")
        errors = f"{count} error{'' if count == 1 else 's'}" if count else "errors"
        raise RulesetCompileError(
            f"draft {version.id} ({version.name} v{version.version}) does not compile: "
            f"{errors}, listed with their lines and columns",
            found,
        ) from None


@router.post("", response_model=JobOut, status_code=202, responses=problem_responses(404))
def start(
    body: SimulationIn, who: CanWriteRulesets, uow: Uow, services: Services, request: Request
) -> JobOut:
    """Start replaying the data set through the live rulesets ('baseline') and, with drafts,
    through the same with the drafts in place ('draft'); answers at once with the job."""
    dataset = _datasets_dir(services) / body.dataset
    if not (dataset / "manifest.json").is_file():
        raise NotFound("data set", body.dataset)
    with uow:
        live = {v.name: v.source for v in uow.rulesets.published()}
        drafts: list[RulesetVersion] = []
        for version_id in body.drafts:
            version = uow.rulesets.get(version_id)
            if version is None:
                raise NotFound("ruleset version", version_id)
            _check_compiles(version)
            twin = next((d for d in drafts if d.name == version.name), None)
            if twin is not None:
                # The run takes one text per ruleset: which of the two would be a guess.
                raise DomainError(
                    f"drafts {twin.id} (v{twin.version}) and {version.id} (v{version.version}) "
                    f"are both of {version.name}: a simulation runs one version of a ruleset"
                )
            drafts.append(version)
    # Rulesets never published in this database run as shipped, like the engine runs them.
    baseline = {v.name: v.source for v in shipped_versions()} | live
    variants: dict[str, dict[str, str]] = {"baseline": baseline}
    if drafts:
        variants["draft"] = baseline | {v.name: v.source for v in drafts}
    spec = SimulationRequest(
        dataset=dataset,
        variants=variants,
        limit=body.limit,
        workers=body.workers,
        date_from=body.date_from,
        date_to=body.date_to,
        optimiser=str(getattr(services.container.settings, "optimiser", "auto")),
        # The deployment's boxes, so a replay packs and prices shipments as production does.
        packaging=getattr(services.container.settings, "packaging_file", None),
    )
    jobs = _jobs(request, services)
    try:
        jobs.check(spec)
    except SimulationError as error:
        raise DomainError(str(error)) from None
    # Audited before the job starts (the job is files and a thread, not rows the entry could
    # commit with): an entry that cannot be written stops the run, and a start that fails
    # after it says so in an entry of its own.
    job_id = jobs.new_id()
    audit.append(
        services.container.uow_factory, who.actor, "simulation.start", "simulation", job_id,
        {}, body.model_dump(mode="json"),
    )  # fmt: skip
    try:
        job = jobs.submit(spec, job_id)
    except Exception as error:
        audit.append(
            services.container.uow_factory, who.actor, "simulation.start_failed", "simulation",
            job_id, {}, {"error": str(error)[:500]},
        )  # fmt: skip
        if isinstance(error, SimulationError):
            raise DomainError(str(error)) from None
        raise
    return _job(job)


@router.get("", response_model=list[JobOut], responses=problem_responses())
def list_jobs(_: CanReadRulesets, services: Services, request: Request) -> list[JobOut]:
    """Every job, newest first."""
    return [_job(job) for job in _jobs(request, services).list()]


@router.get("/{job_id}", response_model=JobOut, responses=problem_responses(404))
def get_job(job_id: JobPath, _: CanReadRulesets, services: Services, request: Request) -> JobOut:
    """Status and progress (done, total, fraction, rate, ETA) of one job."""
    return _job(_get(_jobs(request, services), job_id))


def _result_dir(request: Request, services: Services, job_id: str) -> Path:
    jobs = _jobs(request, services)
    job = _get(jobs, job_id)
    if job.status != "succeeded" or not job.result_path:
        # The job's state, not the request, is what is wrong: ask again once it has succeeded.
        raise Conflict(f"simulation {job_id} is {job.status}, not finished with results")
    return Path(job.result_path)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@router.get("/{job_id}/result", responses=problem_responses(404, 409))
def result(
    job_id: JobPath, _: CanReadRulesets, services: Services, request: Request
) -> dict[str, Any]:
    """Every run's summary (KPIs, rule hits) and, when there is a draft, the diff summary
    against the baseline; plus plotly figures of both as JSON."""
    from engine.simulation.html import diff_figures, figures_json, run_figures

    out = _result_dir(request, services, job_id)
    index = _read(out / "index.json")
    runs = {name: _read(out / run["path"] / "summary.json") for name, run in index["runs"].items()}
    diffs = {name: _read(out / d["path"] / "diff.json") for name, d in index["diffs"].items()}
    return {
        "baseline": index["baseline"],
        "runs": runs,
        "diffs": diffs,
        "figures": {name: figures_json(run_figures(summary)) for name, summary in runs.items()},
        "diff_figures": {name: figures_json(diff_figures(d)) for name, d in diffs.items()},
    }


@router.get("/{job_id}/changed", responses=problem_responses(404, 409))
def changed_orders(
    job_id: JobPath,
    _: CanReadRulesets,
    services: Services,
    request: Request,
    variant: Annotated[str, Query(pattern=VARIANT)] = "draft",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """The orders decided differently by `variant` than by the baseline, in replay order."""
    path = _result_dir(request, services, job_id) / f"diff-{variant}" / "changed_orders.jsonl"
    if not path.is_file():
        raise NotFound("simulation comparison", f"{job_id}/{variant}")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle):
            if number >= offset + limit:
                break
            if number >= offset:
                rows.append(json.loads(text))
    return rows


@router.get("/{job_id}/orders/{order_id}", responses=problem_responses(404, 409))
def order_decisions(
    job_id: JobPath,
    order_id: Annotated[str, PathParam(min_length=1, max_length=200)],
    _: CanReadRulesets,
    services: Services,
    request: Request,
) -> dict[str, Any]:
    """One replayed order's decision in every run (baseline and draft), side by side."""
    out = _result_dir(request, services, job_id)
    index = _read(out / "index.json")
    found: dict[str, Any] = {}
    for name, run in index["runs"].items():
        with (out / run["path"] / "orders.jsonl").open(encoding="utf-8") as handle:
            for text in handle:
                if f'"{order_id}"' in text:
                    record = json.loads(text)
                    if record.get("order") == order_id:
                        found[name] = record
                        break
    if not found:
        raise NotFound("simulated order", order_id)
    return {"order": order_id, "decisions": found}
