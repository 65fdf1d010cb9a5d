"""The Decider alone, on a generated history: CPU per decision and a digest of every Decision.

    .venv/bin/python bench/decide_profile.py --orders 2000
    .venv/bin/python bench/decide_profile.py --orders 2000 --profile 30   # cProfile, top 30
    .venv/bin/python bench/decide_profile.py --orders 2000 --dump /tmp/digests.txt
    .venv/bin/python bench/decide_profile.py --orders 2000 --no-trace    # decide(trace=False)

Digests at 2026-11-22 on the default history (2,000 orders, seed 7, greedy): core
e5372f43f057..., hits 00475612eea7..., full 46c9f12d55e8... (8b899ee42d86... before the
optimiser section of the trace named the rule or setting that requested the method).
For instructions rather than CPU time (steadier on a busy machine), run it under
`valgrind --tool=cachegrind --cache-sim=no` with `--no-digests --history 2000`, once with
`--orders 1` for the fixed cost and once with `--orders 300`.

It exists so a speed-up of `engine.pipeline.Decider` can prove it changed no decision. The
orders run exactly as the replay runs them (`engine.simulation.replay`): in time order, stock
in a `StockLedger` built from the history's snapshot, receipts landing on their dates, each
sourced order reserving what it was allocated and counting its shipments against the day's
capacity before the next order is decided. The loop is written out here rather than borrowed
from `replay`, so work on the replay's own cost cannot move this tool's figures.

It prints the CPU microseconds per `decide` call (time.process_time around the call alone),
and SHA-256 digests of a canonical JSON of every Decision, in order:
- `full`: everything, the trace included (dict order kept: a reordered trace is a change);
- `core`: everything but the trace (what a trace-less mode must still give identically);
- `hits`: the per-rule hit counts the replay's KPIs read from the trace.
`--dump` writes one line per order (id, core digest, full digest) to find the first order
that differs between two versions.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.domain.inventory import Stock
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.decision import PlannedShipment
from engine.simulation.dataset import (
    Dataset,
    to_customer,
    to_location,
    to_order,
    to_product,
    to_receipt,
)
from engine.simulation.generate import GeneratorSpec, generate_dataset
from engine.simulation.ledger import StockLedger
from engine.simulation.outcome import fired_rules
from engine.simulation.replay import RunSpec, build_decider
from engine.simulation.rulesets import read_rulesets, shipped_rulesets_dir

SOURCED = ("allocated", "partially_allocated")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"a Decision holds a {type(value).__name__}, which has no canonical JSON")


def canonical(decision: Decision, *, trace: bool) -> bytes:
    """The Decision as JSON: floats by repr (exact), dict order as built."""
    body: dict[str, Any] = {
        "outcome": decision.outcome,
        "order_id": decision.order_id,
        "code": decision.code,
        "message": decision.message,
        "allocations": [asdict(a) for a in decision.allocations],
        "backorders": [asdict(b) for b in decision.backorders],
        "shipments": [_shipment(s) for s in decision.shipments],
        "cost": decision.cost,
        "shipping_cost": decision.shipping_cost,
        "priority": decision.priority,
        "versions": dict(decision.versions),
    }
    if decision.transfers:
        body["transfers"] = [asdict(t) for t in decision.transfers]
    if trace:
        body["trace"] = decision.trace
    return json.dumps(body, separators=(",", ":"), default=_plain).encode()


def _shipment(shipment: PlannedShipment) -> dict[str, Any]:
    """A planned shipment as JSON; its parcels only when it was packed (the history is not),
    so digests stay comparable with those taken before shipments kept their parcels."""
    body = asdict(shipment)
    if not shipment.parcels:
        del body["parcels"]
    return body


class Digests:
    def __init__(self, dump: Path | None) -> None:
        self.full = hashlib.sha256()
        self.core = hashlib.sha256()
        self.hits: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.dump = dump.open("w", encoding="utf-8") if dump else None

    def add(self, decision: Decision, with_trace: bool) -> None:
        core = canonical(decision, trace=False)
        self.core.update(core)
        self.outcomes[decision.outcome] += 1
        full_hex = ""
        if with_trace:
            full = canonical(decision, trace=True)
            self.full.update(full)
            full_hex = hashlib.sha256(full).hexdigest()[:16]
        self.hits.update(fired_rules(decision.trace))
        if self.dump:
            core_hex = hashlib.sha256(core).hexdigest()[:16]
            self.dump.write(f"{decision.order_id} {core_hex} {full_hex}\n")

    def report(self, with_trace: bool) -> dict[str, str]:
        hits = json.dumps(sorted(self.hits.items()), separators=(",", ":")).encode()
        if self.dump:
            self.dump.close()
        return {
            "full": self.full.hexdigest() if with_trace else "(not computed)",
            "core": self.core.hexdigest(),
            "hits": hashlib.sha256(hits).hexdigest(),
        }


def history(workdir: Path, orders: int, locations: int, skus: int) -> Path:
    """The generated history, made once and reused (the same spec always gives the same one)."""
    spec = GeneratorSpec(orders=orders, locations=locations, skus=skus)
    path = workdir / f"history-{orders}-{locations}-{skus}-{spec.seed}"
    if not (path / "manifest.json").is_file():
        generate_dataset(spec, path)
    return path


class World:
    """A history's reference data, and a fresh stock ledger for each pass over its orders."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.locations = [to_location(r) for r in dataset.records("locations")]
        self.products = {p.sku: p for p in map(to_product, dataset.records("products"))}
        self.customers = {c.id: c for c in map(to_customer, dataset.records("customers"))}

    def ledger(self) -> StockLedger:
        records = self.dataset.records
        return StockLedger(
            (
                Stock(r["sku"], r["location_code"], on_hand=r["on_hand"],
                      safety_stock=r["safety_stock"])
                for r in records("stock")
            ),
            (to_receipt(r, n) for n, r in enumerate(records("receipts"), start=1)),
        )  # fmt: skip


def replay(
    world: World,
    decider: Decider,
    limit: int,
    digests: Digests | None,
    profiler: cProfile.Profile | None,
    trace: bool = True,
) -> tuple[int, float]:
    """Decide the first `limit` orders as the replay does; (orders, CPU seconds in decide)."""
    ledger = world.ledger()
    # Only when asked, so the tool also runs against a Decider from before the switch.
    light: dict[str, Any] = {} if trace else {"trace": False}
    today: date | None = None
    shipments: dict[str, int] = defaultdict(int)
    cpu = 0.0
    done = 0
    for record in world.dataset.records("orders"):
        if done >= limit:
            break
        order = to_order(record)
        created = order.created_at.date()
        if created != today:
            today, shipments = created, defaultdict(int)
            ledger.receive_until(created)
        customer = world.customers.get(order.customer_id)
        inbound = ledger.pending(line.sku for line in order.lines)
        if profiler:
            profiler.enable()
        started = time.process_time()
        decision = decider.decide(
            order,
            customer,
            world.products,
            world.locations,
            ledger,
            order.created_at,
            inbound=inbound,
            shipments_today=shipments,
            **light,
        )
        cpu += time.process_time() - started
        if profiler:
            profiler.disable()
        if digests:
            digests.add(decision, with_trace=trace)
        if decision.outcome in SOURCED:
            for allocation in decision.allocations:
                if allocation.reserve:
                    ledger.reserve(
                        allocation.sku, allocation.location_code, allocation.quantity, order.channel
                    )
            for shipment in decision.shipments:
                shipments[shipment.location_code] += 1
        done += 1
    return done, cpu


def run(args: argparse.Namespace) -> None:
    size = args.history or args.orders
    dataset = Dataset(history(args.workdir, size, args.locations, args.skus))
    sources = read_rulesets([shipped_rulesets_dir()])
    spec = RunSpec(
        dataset.path, args.workdir, sources, settings=DeciderSettings(optimiser=args.optimiser)
    )
    world = World(dataset)
    digests = Digests(args.dump)
    profiler = cProfile.Profile() if args.profile else None
    # A fresh Decider per pass, as each replay builds one: its caches start cold every time.
    # The first pass computes the digests; the best pass is the least disturbed by others.
    first = digests if args.digests else None
    done, cpu = replay(world, build_decider(spec), args.orders, first, profiler, args.trace)
    passes = [cpu]
    for _ in range(args.repeat - 1):
        decider = build_decider(spec)
        passes.append(replay(world, decider, args.orders, None, None, args.trace)[1])
    figures = digests.report(with_trace=args.trace)
    print(
        f"orders: {done}  optimiser: {args.optimiser}  passes: {len(passes)}  trace: {args.trace}"
    )
    per = ", ".join(f"{1e6 * c / done:,.0f}" for c in passes)
    print(f"decide CPU: {1e6 * min(passes) / done:,.0f} µs/decision (best; every pass: {per})")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(digests.outcomes.items())))
    for name, value in figures.items():
        print(f"digest {name}: {value if args.digests else '(skipped)'}")
    if profiler:
        stats = pstats.Stats(profiler).strip_dirs().sort_stats(args.sort)
        stats.print_stats(args.profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument(
        "--history", type=int, default=0, help="orders in the generated history (default --orders)"
    )
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--optimiser", default="greedy", choices=("greedy", "auto", "exact"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ordo-decide-profile"))
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="cProfile the decide calls and print the top N functions",
    )
    parser.add_argument(
        "--no-trace",
        dest="trace",
        action="store_false",
        help="decide with trace=False (the core and hits digests must not change)",
    )
    parser.add_argument(
        "--no-digests",
        dest="digests",
        action="store_false",
        help="skip the digests (to count instructions of deciding alone, say under valgrind)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best is shown")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    parser.add_argument("--dump", type=Path, help="write per-order digests to this file")
    args = parser.parse_args()  # fmt: skip
    run(args)


if __name__ == "__main__":
    main()
