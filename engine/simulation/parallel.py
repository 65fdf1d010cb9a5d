"""What-if: several ruleset sets over the same history, in parallel processes, then compared.

Each variant is an independent replay (its own ledger, its own results directory), so variants
run in separate processes with nothing shared but the data set on disk; a process compiles its
rulesets from their texts. Progress comes back through a manager dict the caller polls, which
is how the CLI's progress bar and the API's background jobs both watch the same runs. When all
runs are done every variant is diffed against the baseline and an `index.json` lists them all.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from engine.pipeline.decide import DeciderSettings
from engine.simulation.dataset import Dataset
from engine.simulation.diff import compare_runs
from engine.simulation.errors import SimulationError, make_directory
from engine.simulation.packaging import read_boxes
from engine.simulation.replay import RunSpec, check_date_range, run_simulation
from engine.simulation.report import write_json

# name -> (orders done, orders in total)
ProgressMap = Mapping[str, tuple[int, int]]
Watcher = Callable[[ProgressMap], None]
_POLL_SECONDS = 0.25

# What a what-if writes beside its runs' directories (one per variant, named after it): a
# variant of one of these names would overwrite, or be overwritten by, the what-if's own files.
INDEX = "index.json"
DIFF_PREFIX = "diff-"  # the comparison of variant X with the baseline is in diff-X/
# A variant's name is a directory name; the hidden ones (".x") are the runs' scratch space.
VARIANT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,99}"


def variant_name_problem(name: str) -> str | None:
    """Why `name` cannot name a variant, in words that follow the name; None if it can."""
    if re.fullmatch(VARIANT_PATTERN, name) is None:
        return (
            "must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or a "
            "digit: it names the variant's results directory"
        )
    # Compared without case: on a case-insensitive file system INDEX.JSON is index.json.
    folded = name.casefold()
    if folded == INDEX:
        return f"is taken by the file listing every run and comparison ({INDEX})"
    if folded.startswith(DIFF_PREFIX):
        return (
            f"starts with {DIFF_PREFIX!r}, which names the comparisons' directories "
            f"({DIFF_PREFIX}<variant>)"
        )
    return None


def check_variant_names(names: Iterable[str]) -> None:
    """Refuse names that cannot be results directories, or are one directory twice."""
    seen: dict[str, str] = {}
    for name in names:
        problem = variant_name_problem(name)
        if problem is not None:
            raise SimulationError(f"variant name {name!r} {problem}")
        twin = seen.setdefault(name.casefold(), name)
        if twin != name:
            raise SimulationError(
                f"variant names {twin!r} and {name!r} differ only in case: on a "
                "case-insensitive file system their results would be one directory"
            )


@dataclass(frozen=True)
class WhatIf:
    """Variants (name -> ruleset sources) over one data set; the first is the baseline."""

    dataset: Path
    out: Path
    variants: Mapping[str, Mapping[str, str]]
    carriers_dir: Path | None = None
    settings: DeciderSettings = field(default_factory=DeciderSettings)
    limit: int | None = None
    trace_orders: frozenset[str] = frozenset()
    date_from: date | None = None
    date_to: date | None = None
    # The box catalogue every variant packs shipments with (None: one parcel each): a path,
    # which each run's process reads for itself (see `RunSpec.packaging`).
    packaging: Path | None = None

    def __post_init__(self) -> None:
        check_date_range(self.date_from, self.date_to)
        check_variant_names(self.variants)

    @property
    def baseline(self) -> str:
        return next(iter(self.variants))

    def run_spec(self, name: str, packaging_sha256: str | None = None) -> RunSpec:
        """Variant `name`'s run; `packaging_sha256`: the box catalogue's content as the
        what-if found it, which each run checks its own reading against."""
        return RunSpec(
            dataset=self.dataset,
            out=self.out / name,
            rulesets=dict(self.variants[name]),
            name=name,
            carriers_dir=self.carriers_dir,
            settings=self.settings,
            limit=self.limit,
            trace_orders=self.trace_orders,
            date_from=self.date_from,
            date_to=self.date_to,
            packaging=self.packaging,
            packaging_sha256=packaging_sha256,
        )


@dataclass
class WhatIfResult:
    out: Path
    runs: dict[str, dict[str, Any]]  # name -> summary
    diffs: dict[str, dict[str, Any]]  # variant name -> diff against the baseline
    seconds: dict[str, float]
    orders: dict[str, int]


def run_what_if(spec: WhatIf, workers: int = 2, watch: Watcher | None = None) -> WhatIfResult:
    """Run every variant (in `workers` processes; 0 runs them here, one after another)."""
    if not spec.variants:
        raise SimulationError("nothing to simulate: no ruleset variants were given")
    # Once, here, rather than in every run's process: a changed file fails before any result
    # of an earlier what-if in `spec.out` is replaced.
    Dataset(spec.dataset).verify()
    # So is the box catalogue: a bad one fails before any run starts, and every run checks
    # that it packs with the content found here (variants compared on the same boxes).
    sha256 = read_boxes(spec.packaging).sha256 if spec.packaging is not None else None
    make_directory(spec.out, "results directory")
    # The index says the runs and comparisons beside it belong together: an earlier one's
    # must not outlive this what-if replacing some of them and then failing.
    _remove(spec.out / INDEX)
    if workers <= 0:
        results = _run_here(spec, sha256, watch)
    else:
        results = _run_in_processes(spec, sha256, workers, watch)
    runs = {name: results[name][0] for name in spec.variants}
    diffs = {
        name: compare_runs(
            spec.out / spec.baseline, spec.out / name, spec.out / f"{DIFF_PREFIX}{name}"
        )
        for name in spec.variants
        if name != spec.baseline
    }
    write_json(spec.out / INDEX, _index(spec, runs, diffs))
    return WhatIfResult(
        spec.out,
        runs,
        diffs,
        {name: results[name][1] for name in spec.variants},
        {name: results[name][2] for name in spec.variants},
    )


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:  # a directory of that name, say, left by hand
        raise SimulationError(
            f"{path}: cannot replace it ({error.strerror or error}); move it out of the way"
        ) from None


def _run_here(
    spec: WhatIf, sha256: str | None, watch: Watcher | None
) -> dict[str, tuple[dict[str, Any], float, int]]:
    progress: dict[str, tuple[int, int]] = {}
    results = {}
    for name in spec.variants:
        result = run_simulation(spec.run_spec(name, sha256), _reporter(progress, name, watch))
        results[name] = (result.summary, result.seconds, result.orders)
    return results


def _run_in_processes(
    spec: WhatIf, sha256: str | None, workers: int, watch: Watcher | None
) -> dict[str, tuple[dict[str, Any], float, int]]:
    # spawn, not fork: the API calls this from a thread, and forking a threaded process can
    # copy a lock some other thread holds.
    context = multiprocessing.get_context("spawn")
    with (
        context.Manager() as manager,
        ProcessPoolExecutor(
            max_workers=min(workers, len(spec.variants)), mp_context=context
        ) as pool,
    ):
        shared = manager.dict()
        futures: dict[str, Future[tuple[dict[str, Any], float, int]]] = {
            name: pool.submit(_worker, spec.run_spec(name, sha256), shared)
            for name in spec.variants
        }
        pending = set(futures.values())
        while pending:
            done, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_EXCEPTION)
            if watch is not None:
                watch(dict(shared))
            for future in done:
                future.result()  # re-raise a worker's failure here, with its own message
        return {name: future.result() for name, future in futures.items()}


def _worker(
    spec: RunSpec, shared: MutableMapping[str, tuple[int, int]]
) -> tuple[dict[str, Any], float, int]:
    result = run_simulation(spec, _reporter(shared, spec.name, None))
    return result.summary, result.seconds, result.orders


def _reporter(
    progress: MutableMapping[str, tuple[int, int]], name: str, watch: Watcher | None
) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress[name] = (done, total)
        if watch is not None:
            watch(dict(progress))

    return report


def _index_entry(name: str, summary: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": name, "kpis": summary["kpis"]}
    if "packaging" in summary:  # absent without boxes, as in the index before packaging
        entry["packaging"] = summary["packaging"]
    return entry


def _index(
    spec: WhatIf, runs: dict[str, dict[str, Any]], diffs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    return {
        "baseline": spec.baseline,
        "runs": {name: _index_entry(name, summary) for name, summary in runs.items()},
        "diffs": {
            name: {
                "path": f"{DIFF_PREFIX}{name}",
                "changed": diff["changed"],
                "changes": diff["changes"],
                "cost_delta": diff["cost_delta"],
                "distance_delta_km": diff["distance_delta_km"],
            }
            for name, diff in diffs.items()
        },
    }
