"""Simulation benchmark: replay a generated history through the shipped rulesets.

    .venv/bin/python bench/sim_bench.py --orders 4000            # the documented run (~2 min)
    .venv/bin/python bench/sim_bench.py --orders 1000000         # the issue's full size

What it does, each measurement in a fresh process (so peak memory is that run's alone):
1. generates (once, cached under --workdir) a history of --orders orders with 2-5 lines,
   200 locations and 10,000 SKUs at real US postal codes (`engine.simulation.generate`);
2. replays it through the shipped rulesets (`rulesets/*.ordo`) with the compiled runner at
   a quarter, half and all of --orders, to show the cost per order is flat (linear total);
3. replays a quarter of it again with the DSL's interpreted runner, for the ratio.
The replay times its calls into the Decider, so the table also shows the replay's own cost
per order (reading, ledger, KPIs, writing outcomes) apart from the Decider's.

Rates are orders per second of the replay loop (loading the reference data is reported
apart). Figures go to stdout as a Markdown table, and to --json if given.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM).

    Not `ru_maxrss`: Linux carries that over from the parent across fork and exec, so a worker
    spawned by a parent that had generated the history would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _registry(sources: dict[str, str], runner: str) -> Any:
    import dsl
    from engine.rules.registry import CompiledRuleset, RulesetRegistry, snapshot_of
    from engine.rules.schema import domain_schema

    compiled = []
    for name, source in sorted(sources.items()):
        program = dsl.compile(source, domain_schema(), runner=runner)
        compiled.append(CompiledRuleset(name, str(program.kind), 1, program))
    return RulesetRegistry(snapshot_of(compiled))


def _decider(runner: str, optimiser: str) -> Any:
    from engine.pipeline.carriers import load_catalog
    from engine.pipeline.decide import Decider, DeciderSettings
    from engine.simulation.rulesets import read_rulesets, shipped_rulesets_dir

    sources = read_rulesets([shipped_rulesets_dir()])
    return Decider(
        _registry(sources, runner), load_catalog(), DeciderSettings(optimiser=optimiser)
    ), sources


def replay_once(dataset: str, out: str, limit: int, runner: str, optimiser: str) -> dict[str, Any]:
    """One replay in this process; returns its figures (run in a child by `measure`)."""
    from engine.pipeline.decide import DeciderSettings
    from engine.simulation.replay import RunSpec, replay

    started = time.perf_counter()
    decider, sources = _decider(runner, optimiser)
    spec = RunSpec(
        Path(dataset),
        Path(out),
        sources,
        limit=limit,
        settings=DeciderSettings(optimiser=optimiser),
    )
    result = replay(spec, decider)
    wall = time.perf_counter() - started
    return {
        "orders": result.orders,
        "loop_seconds": round(result.seconds, 2),
        "wall_seconds": round(wall, 2),
        "rate": round(result.rate, 1),
        "cpu_seconds": round(result.cpu_seconds, 2),
        "cpu_rate": round(result.orders / result.cpu_seconds, 1) if result.cpu_seconds else 0.0,
        "decide_seconds": round(result.decide_seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        "fill_rate": result.summary["kpis"]["fill_rate"],
        "split_rate": result.summary["kpis"]["split_rate"],
    }


def import_once(export_dir: str, dest: str, chunk: int) -> dict[str, Any]:
    """Import a foreign CSV export through the docs' mapping, in this process."""
    import shutil

    from engine.simulation.importer import import_history
    from engine.simulation.mapping import load_mapping

    root = Path(__file__).resolve().parents[1]
    mapping = load_mapping(root / "docs" / "examples" / "simulation" / "mapping.yaml")
    names = {"orders": "erp_orders.csv", "locations": "erp_sites.csv", "stock": "erp_stock.csv",
             "receipts": "erp_purchase_orders.csv", "products": "erp_items.csv"}  # fmt: skip
    sources = {kind: Path(export_dir) / name for kind, name in names.items()}
    shutil.rmtree(dest, ignore_errors=True)
    started, cpu = time.perf_counter(), time.process_time()
    report = import_history(sources, Path(dest), mapping, chunk=chunk)
    cpu = time.process_time() - cpu
    counted = {kind: _data_rows(path) for kind, path in sources.items()}
    every = sum(counted.values())
    return {
        "orders": report.counts["orders"],
        "order_lines": counted["orders"],
        "rows": every,
        "wall_seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(every / cpu, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1


def measure_import(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Import foreign CSV exports of a quarter and all of --import-orders orders."""
    from engine.simulation.generate import GeneratorSpec, write_foreign_export

    rows = []
    for size in sorted({max(1, args.import_orders // 4), args.import_orders}):
        export = args.workdir / f"export-{size}-{args.locations}-{args.skus}"
        if not (export / "erp_orders.csv").is_file():
            spec = GeneratorSpec(orders=size, locations=args.locations, skus=args.skus)
            write_foreign_export(spec, export)
        figures = measure(
            import_once, str(export), str(args.workdir / f"imported-{size}"), args.chunk
        )
        rows.append({"what": f"import CSV export, {size:,} orders", **figures})
        print(rows[-1], flush=True)
    return rows


def measure(function: Any, *args: Any) -> dict[str, Any]:
    """Run `function(*args)` in a fresh spawned process and return its result."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(function, args)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=4000, help="history size (default 4000)")
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--optimiser", default="greedy", choices=("greedy", "auto", "exact"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ordo-sim-bench"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--import-orders", type=int, default=0,
        help="also import foreign CSV exports of N/4 and N orders (default: skip)",
    )  # fmt: skip
    parser.add_argument("--chunk", type=int, default=50_000, help="import sort chunk (records)")
    parser.add_argument("--skip-replay", action="store_true", help="only the import figures")
    args = parser.parse_args()
    if args.import_orders:
        imports = measure_import(args)
        print(_import_markdown(imports))
        if args.skip_replay:
            if args.json:
                args.json.write_text(json.dumps({"imports": imports}, indent=2) + "\n")
            return

    from engine.simulation.generate import GeneratorSpec, generate_dataset

    spec = GeneratorSpec(orders=args.orders, locations=args.locations, skus=args.skus)
    dataset = args.workdir / f"history-{args.orders}-{args.locations}-{args.skus}-{spec.seed}"
    generated = None
    if not (dataset / "manifest.json").is_file():
        started = time.perf_counter()
        generate_dataset(spec, dataset)
        generated = round(time.perf_counter() - started, 1)
    sizes = sorted({max(1, args.orders // 4), max(1, args.orders // 2), args.orders})
    rows: list[dict[str, Any]] = []
    for size in sizes:
        figures = measure(
            replay_once,
            str(dataset),
            str(args.workdir / f"run-{size}"),
            size,
            "compiled",
            args.optimiser,
        )
        rows.append({"what": f"replay, compiled runner, {size:,} orders", **figures})
        print(rows[-1], flush=True)
    quarter = sizes[0]
    interpreted = measure(
        replay_once,
        str(dataset),
        str(args.workdir / "run-interp"),
        quarter,
        "interpreted",
        args.optimiser,
    )
    rows.append({"what": f"replay, interpreted runner, {quarter:,} orders", **interpreted})
    print(rows[-1], flush=True)
    largest = rows[len(sizes) - 1]
    report = {
        "history": {"orders": args.orders, "locations": args.locations, "skus": args.skus,
                    "seed": spec.seed, "generated_seconds": generated},
        "optimiser": args.optimiser,
        "rows": rows,
        "compiled_over_interpreted": round(rows[0]["cpu_rate"] / interpreted["cpu_rate"], 2),
        "replay_overhead_percent": round(
            100 * (1 - largest["decide_seconds"] / largest["loop_seconds"]), 1
        ),
        "projected_minutes_for_1m_orders": round(1_000_000 / largest["cpu_rate"] / 60, 1),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }  # fmt: skip
    print(_markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _import_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| run | orders | order lines | all rows | wall (s) | CPU (s) | rows per CPU-s "
        "| peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['what']} | {row['orders']:,} | {row['order_lines']:,} | {row['rows']:,} "
            f"| {row['wall_seconds']} | {row['cpu_seconds']} | {row['rows_per_cpu_second']:,.0f} "
            f"| {row['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        "| run | orders | wall (s) | CPU (s) | orders per CPU-s | CPU µs/order "
        "| Decider share of wall | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["rows"]:
        per = 1e6 / row["cpu_rate"] if row["cpu_rate"] else 0
        share = 100 * row["decide_seconds"] / row["loop_seconds"] if row["loop_seconds"] else 0
        lines.append(
            f"| {row['what']} | {row['orders']:,} | {row['loop_seconds']} | {row['cpu_seconds']} "
            f"| {row['cpu_rate']:,.0f} | {per:,.0f} | {share:.0f}% | {row['peak_rss_mb']} |"
        )
    lines.append("")
    lines.append(
        f"compiled / interpreted (orders per CPU-second): {report['compiled_over_interpreted']}x; "
        f"replay's own share of the loop: {report['replay_overhead_percent']}%; "
        f"1M orders at this rate on one core: {report['projected_minutes_for_1m_orders']} min; "
        f"load average at the end: {report['load_average']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
