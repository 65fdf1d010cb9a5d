"""What `ordo import` and `ordo simulate` do, with Rich output; `ordo.cli` only parses flags.

Both commands print to a Rich console they are given: the import prints what it read and the
first bad rows; a simulation shows one progress bar per variant with orders/s and ETA, then a
table of KPIs side by side and, for each variant, how many orders it decided differently from
the baseline. Every problem a person can fix is raised as `SimulationError` with a message that
names the file, row or flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from engine.pipeline.decide import DeciderSettings
from engine.simulation.dataset import NAME_PATTERN
from engine.simulation.errors import SimulationError, make_directory
from engine.simulation.html import fmt, kpi_labels
from engine.simulation.importer import ImportReport, import_history
from engine.simulation.mapping import Mapping as ColumnMapping
from engine.simulation.mapping import load_mapping
from engine.simulation.packaging import read_boxes
from engine.simulation.parallel import (
    ProgressMap,
    WhatIf,
    WhatIfResult,
    run_what_if,
    variant_name_problem,
)
from engine.simulation.rulesets import read_rulesets, shipped_rulesets_dir, with_drafts

SHOWN_ERRORS = 10


def datasets_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "datasets"


def resolve_dataset(data_dir: Path, name_or_path: str) -> Path:
    """A data set by directory path, or by name under `<data_dir>/datasets/`."""
    given = Path(name_or_path)
    if (given / "manifest.json").is_file():
        return given
    named = datasets_dir(data_dir) / name_or_path
    if (named / "manifest.json").is_file():
        return named
    raise SimulationError(
        f"no data set {name_or_path!r} (looked in {given} and {named}); "
        "create it with 'ordo import'"
    )


def import_command(
    console: Console,
    data_dir: Path,
    name: str,
    files: Mapping[str, Path | None],
    mapping_file: Path | None = None,
    *,
    keep_going: bool = False,
    replace: bool = False,
) -> ImportReport:
    """Import files (kind -> path; a mapping's `file:` entries fill the gaps) as data set `name`."""
    if re.fullmatch(NAME_PATTERN, name) is None:
        raise SimulationError(
            f"data set name {name!r} must be 1 to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or a digit, such as 'q3-2025'"
        )
    mapping = load_mapping(mapping_file) if mapping_file else ColumnMapping()
    sources = _sources(files, mapping)
    dest = datasets_dir(data_dir) / name
    make_directory(dest.parent, "data sets directory", "check ORDO_DATA_DIR")
    with console.status("importing…") as status:
        report = import_history(
            sources,
            dest,
            mapping,
            keep_going=keep_going,
            replace=replace,
            progress=lambda kind, done: status.update(f"importing {kind}: {done:,} rows read"),
        )
    counts = ", ".join(f"{count:,} {kind}" for kind, count in report.counts.items() if count)
    console.print(f"[green]imported[/] {escape(name)}: {counts} → {escape(str(report.path))}")
    if report.error_count:
        console.print(
            f"[yellow]skipped {report.error_count:,} bad rows[/] "
            f"(all listed in {escape(str(report.path / 'errors.csv'))}):"
        )
        for error in report.errors[:SHOWN_ERRORS]:
            console.print(f"  {escape(str(error))}")
    return report


def simulate_command(
    console: Console,
    dataset: Path,
    out: Path,
    *,
    rulesets: Sequence[Path] = (),
    drafts: Sequence[Path] = (),
    variants: Sequence[str] = (),
    limit: int | None = None,
    workers: int = 2,
    optimiser: str = "auto",
    carriers_dir: Path | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    packaging: Path | None = None,
    packaging_named: str = "--packaging",
) -> WhatIfResult:
    """Replay `dataset` with the baseline rulesets and every variant; print KPIs and diffs.
    `packaging`: the box catalogue to pack shipments with (None: one parcel each); a problem
    with it is reported under `packaging_named`, the flag or setting that gave it."""
    if limit is not None and limit <= 0:
        raise SimulationError(f"--limit must be a positive number of orders, got {limit}")
    if workers < 0:
        raise SimulationError(f"--workers must be 0 (run here) or more, got {workers}")
    if date_from is not None and date_to is not None and date_from > date_to:
        # Checked again by the replay in the API's words (date_from, date_to); here, the flags'.
        raise SimulationError(f"--from {date_from} is after --to {date_to}: no order is in it")
    if packaging is not None:
        # Here, in the words of the flag or setting; the what-if checks it again for its runs.
        read_boxes(packaging, named=packaging_named)
    spec = WhatIf(
        dataset=dataset,
        out=out,
        variants=ruleset_variants(rulesets, drafts, variants),
        carriers_dir=carriers_dir,
        settings=DeciderSettings(optimiser=optimiser),
        limit=limit,
        date_from=date_from,
        date_to=date_to,
        packaging=packaging,
    )
    with _bars(console) as bars:
        tasks: dict[str, TaskID] = {}

        def watch(progress: ProgressMap) -> None:
            for name, (done, total) in progress.items():
                if name not in tasks:
                    tasks[name] = bars.add_task(name, total=total)
                bars.update(tasks[name], completed=done, total=total)

        result = run_what_if(spec, workers, watch)
    print_results(console, result)
    return result


def ruleset_variants(
    rulesets: Sequence[Path], drafts: Sequence[Path], variants: Sequence[str]
) -> dict[str, dict[str, str]]:
    """baseline, then `draft` (the drafts together), then each `NAME=FILE[,FILE]` variant."""
    # Every name is checked before any file is read: a name that would overwrite another
    # run's results (see `variant_name_problem`) is refused before anything runs.
    taken = {"baseline": "baseline", **({"draft": "draft"} if drafts else {})}
    named: list[tuple[str, str]] = []
    for text in variants:
        name, _, files = text.partition("=")
        if not name or not files:
            raise SimulationError(f"--variant {text!r}: expected NAME=FILE[,FILE...]")
        problem = variant_name_problem(name)
        if problem is not None:
            raise SimulationError(f"--variant {text!r}: the name {name!r} {problem}")
        # Without case: on a case-insensitive file system Draft/ and draft/ are one directory.
        twin = taken.get(name.casefold())
        if twin is not None:
            same = "is already used" if twin == name else f"differs from {twin!r} only in case"
            raise SimulationError(f"--variant {text!r}: the name {name!r} {same}")
        taken[name.casefold()] = name
        named.append((name, files))
    base = read_rulesets(rulesets or [shipped_rulesets_dir()])
    found: dict[str, dict[str, str]] = {"baseline": base}
    if drafts:
        found["draft"] = with_drafts(base, drafts)
    for name, files in named:
        found[name] = with_drafts(base, [Path(part) for part in files.split(",") if part])
    return found


def print_results(console: Console, result: WhatIfResult) -> None:
    table = Table(title="Simulation results", show_edge=False)
    table.add_column("KPI")
    for name in result.runs:
        table.add_column(name, justify="right")
    for key, label, pattern in kpi_labels(*(s["kpis"] for s in result.runs.values())):
        table.add_row(label, *(fmt(s["kpis"].get(key), pattern) for s in result.runs.values()))
    console.print(table)
    boxes = next((s["packaging"] for s in result.runs.values() if "packaging" in s), None)
    if boxes is not None:
        console.print(
            f"shipments packed into the boxes of {escape(boxes['path'])} "
            f"(sha256 {boxes['sha256'][:12]}…)"
        )
    for name, diff in result.diffs.items():
        console.print(
            f"{escape(name)} vs baseline: {diff['changed']:,} of {diff['orders']:,} orders "
            f"decided differently ({_changes(diff['changes'])}); shipping cost "
            f"{diff['cost_delta']:+,.2f}, distance {diff['distance_delta_km']:+,.1f} km"
        )
    for name, seconds in result.seconds.items():
        rate = result.orders[name] / seconds if seconds else 0.0
        console.print(
            f"{escape(name)}: {result.orders[name]:,} orders in {seconds:,.1f} s ({rate:,.0f}/s)"
        )
    console.print(f"results and HTML reports in {escape(str(result.out))}")


def _changes(changes: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} {count:,}" for kind, count in changes.items() if count) or "none"


def _sources(files: Mapping[str, Path | None], mapping: ColumnMapping) -> dict[str, Path]:
    sources: dict[str, Path] = {}
    base = mapping.path.parent if mapping.path else Path()
    for kind, section in mapping.sections.items():
        if section.file:
            sources[kind] = base / section.file
    sources.update({kind: path for kind, path in files.items() if path is not None})
    return sources


class RateColumn(ProgressColumn):
    """Orders per second, from Rich's own moving estimate of the task's speed."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:>9,.0f} orders/s" if speed else " " * 18, style="cyan")


def _bars(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
