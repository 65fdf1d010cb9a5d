"""Simulation benchmark: replay a generated history through the shipped rulesets.

    .venv/bin/python bench/sim_bench.py --orders 4000            # the documented run (~2 min)
    .venv/bin/python bench/sim_bench.py --orders 1000000 --full-only   # the issue's full size

What it does, each measurement in a fresh process (so peak memory is that run's alone):
1. generates (once, cached under --workdir, in a process of its own so its CPU and memory
   are reported) a history of --orders orders with 2-5 lines, 200 locations and 10,000 SKUs
   at real US postal codes (`engine.simulation.generate`);
2. replays it through the shipped rulesets (`rulesets/*.ordo`) with the compiled runner at
   a quarter, half and all of --orders, to show the cost per order is flat (linear total);
   with --full-only, at all of --orders only (for the 1M run, where each size is long);
3. replays --sample orders of it again with the DSL's interpreted runner, for the ratio;
4. measures the replay's own cost exactly: it replays --sample orders once with the Decider,
   keeping each decision, then again with a stand-in that hands back the kept decisions, so
   the second run's CPU is the replay's work alone (reading, ledger, KPIs, writing outcomes).
The replay also times its calls into the Decider (wall clock), so every row shows the
Decider's share of the loop.

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
    result = replay(spec, decider, _progress if limit >= 100_000 else None)
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


def generate_once(orders: int, locations: int, skus: int, dest: str) -> dict[str, Any]:
    """Generate the history in this process; returns its CPU time and peak memory."""
    from engine.simulation.generate import GeneratorSpec, generate_dataset

    spec = GeneratorSpec(orders=orders, locations=locations, skus=skus)
    started, cpu = time.perf_counter(), time.process_time()
    generate_dataset(spec, Path(dest))
    cpu = time.process_time() - cpu
    return {
        "orders": orders,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(cpu, 1),
        "orders_per_cpu_second": round(orders / cpu) if cpu else 0,
        "peak_rss_mb": peak_rss_mb(),
        "megabytes_on_disk": round(
            sum(path.stat().st_size for path in Path(dest).iterdir()) / 1e6, 1
        ),
    }


def own_cost_once(dataset: str, out: str, limit: int, optimiser: str) -> dict[str, Any]:
    """The replay's own CPU per order: replay with the Decider, then with its kept answers."""
    from engine.pipeline.decide import DeciderSettings
    from engine.simulation.replay import RunSpec, replay

    decider, sources = _decider("compiled", optimiser)
    spec = RunSpec(
        Path(dataset),
        Path(out),
        sources,
        limit=limit,
        settings=DeciderSettings(optimiser=optimiser),
    )
    kept: dict[str, Any] = {}

    class Keeping:
        def decide(self, order: Any, *args: Any, **kwargs: Any) -> Any:
            kept[order.id] = decision = decider.decide(order, *args, **kwargs)
            return decision

    class Replaying:
        def decide(self, order: Any, *args: Any, **kwargs: Any) -> Any:
            return kept[order.id]

    replay(spec, Keeping())
    first = (Path(out) / "orders.jsonl").read_bytes()
    again = replay(spec, Replaying())
    if (Path(out) / "orders.jsonl").read_bytes() != first:
        raise RuntimeError("replaying the kept decisions gave different outcomes")
    # Not compared with the first run's CPU: keeping every decision makes that run slower
    # than a plain replay (the collector walks them all); the compiled row is the reference.
    return {
        "orders": again.orders,
        "cpu_seconds": round(again.cpu_seconds, 2),
        "own_cpu_us_per_order": round(1e6 * again.cpu_seconds / again.orders, 1),
    }


def _progress(done: int, total: int) -> None:
    """A line per 5% of a long run, so someone watching the log sees it move."""
    if done == total or done % max(1, total // 20) < 1000:
        cpu = time.process_time()
        print(f"  {done:,} / {total:,} orders, {cpu:,.0f} CPU-s", file=sys.stderr, flush=True)


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
    parser.add_argument(
        "--full-only", action="store_true",
        help="replay all of --orders only, not a quarter and a half as well (the 1M run)",
    )  # fmt: skip
    parser.add_argument(
        "--sample", type=int, default=0,
        help="orders for the interpreted runner and the own-cost runs (default: a quarter)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.import_orders:
        imports = measure_import(args)
        print(_import_markdown(imports))
        if args.skip_replay:
            if args.json:
                args.json.write_text(json.dumps({"imports": imports}, indent=2) + "\n")
            return

    from engine.simulation.generate import GeneratorSpec

    spec = GeneratorSpec(orders=args.orders, locations=args.locations, skus=args.skus)
    dataset = args.workdir / f"history-{args.orders}-{args.locations}-{args.skus}-{spec.seed}"
    generated = None
    if not (dataset / "manifest.json").is_file():
        generated = measure(generate_once, args.orders, args.locations, args.skus, str(dataset))
        print({"generated": generated}, flush=True)
    if args.full_only:
        sizes = [args.orders]
    else:
        sizes = sorted({max(1, args.orders // 4), max(1, args.orders // 2), args.orders})
    sample = min(args.sample or max(1, args.orders // 4), args.orders)
    load_before = [round(x, 1) for x in os.getloadavg()]
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
    # The compiled runner on the same orders as the interpreted one, for a fair ratio.
    compiled = next((row for row in rows if row["orders"] == sample), None)
    if compiled is None:
        compiled = measure(
            replay_once, str(dataset), str(args.workdir / "run-sample"), sample, "compiled",
            args.optimiser,
        )  # fmt: skip
        rows.append({"what": f"replay, compiled runner, {sample:,} orders", **compiled})
        print(rows[-1], flush=True)
    interpreted = measure(
        replay_once,
        str(dataset),
        str(args.workdir / "run-interp"),
        sample,
        "interpreted",
        args.optimiser,
    )
    rows.append({"what": f"replay, interpreted runner, {sample:,} orders", **interpreted})
    print(rows[-1], flush=True)
    own = measure(own_cost_once, str(dataset), str(args.workdir / "run-own"), sample,
                  args.optimiser)  # fmt: skip
    print({"own_cost": own}, flush=True)
    largest = rows[len(sizes) - 1]
    report = {
        "history": {"orders": args.orders, "locations": args.locations, "skus": args.skus,
                    "seed": spec.seed, "generated": generated},
        "optimiser": args.optimiser,
        "rows": rows,
        "own_cost": {**own, "compiled_cpu_us_per_order": round(1e6 / compiled["cpu_rate"], 1)},
        "compiled_over_interpreted": round(compiled["cpu_rate"] / interpreted["cpu_rate"], 2),
        "replay_overhead_percent": round(
            100 * (1 - largest["decide_seconds"] / largest["loop_seconds"]), 1
        ),
        "projected_minutes_for_1m_orders": round(1_000_000 / largest["cpu_rate"] / 60, 1),
        "load_average_before": load_before,
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
    own = report["own_cost"]
    lines.append(
        f"replay's own CPU per order (kept decisions, {own['orders']:,} orders): "
        f"{own['own_cpu_us_per_order']} µs, of {own['compiled_cpu_us_per_order']} µs "
        "for the same orders with the Decider"
    )
    generated = report["history"]["generated"]
    if generated:
        lines.append(
            f"generating {generated['orders']:,} orders: {generated['cpu_seconds']} CPU-s "
            f"({generated['orders_per_cpu_second']:,} orders per CPU-s), peak RSS "
            f"{generated['peak_rss_mb']} MB, {generated['megabytes_on_disk']} MB on disk"
        )
    lines.append(
        f"compiled / interpreted (orders per CPU-second): {report['compiled_over_interpreted']}x; "
        f"replay's own share of the loop: {report['replay_overhead_percent']}%; "
        f"1M orders at this rate on one core: {report['projected_minutes_for_1m_orders']} min; "
        f"load average before and after: {report['load_average_before']}, "
        f"{report['load_average']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
