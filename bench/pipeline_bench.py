"""Order pipeline benchmark: decision latency, persisted decisions, reservation throughput.

    .venv/bin/python -m bench.pipeline_bench            # the documented run (a few minutes)
    .venv/bin/python -m bench.pipeline_bench --quick    # a smoke run
    .venv/bin/python -m bench.pipeline_bench --write    # also update docs/benchmarks.md

Measured in one process, on one world per size (US locations at real postal codes, 300 SKUs
each carried by about a third of the locations, the shipped rulesets of every kind):

1. **Decision** (the target): `Decider.decide` alone — validation, reservation and sourcing
   rules, candidates, optimiser, fallbacks, carrier rules and rate cards — on an in-memory
   stock view, for 1-, 5- and 20-line orders over 50 and 500 locations; p50 and p99. The
   named baseline is the same decision with no rulesets (optimiser and rate cards only), so
   the ratio is what the rules cost.
2. **Persisted decision**: `ProcessOrder` through the message bus and the SQLAlchemy unit of
   work on SQLite and PostgreSQL — load, decide, reserve atomically, write reservations,
   fulfilment orders, traces and outbox rows, commit; p50 and p99.
3. **Reservations per second**, single connection: the pipeline's reservation path (a unit
   of work: `uow.stock.try_reserve` + a Reservation row + commit with its outbox event)
   against the bare conditional `UPDATE stock SET reserved = reserved + 1 WHERE ... AND
   on_hand - reserved - safety_stock >= 1` in its own transaction, run in the same process.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from bench.report import DOC, write_section

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from engine.adapters import orm  # noqa: E402
from engine.adapters.database import make_engine  # noqa: E402
from engine.adapters.migrations import upgrade  # noqa: E402
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory  # noqa: E402
from engine.domain import commands as c  # noqa: E402
from engine.domain.catalog import Customer, Location, LocationType, Product  # noqa: E402
from engine.domain.events import StockReserved  # noqa: E402
from engine.domain.inventory import Reservation, Stock  # noqa: E402
from engine.domain.orders import Order, OrderLine  # noqa: E402
from engine.domain.values import Address  # noqa: E402
from engine.pipeline.carriers import load_catalog  # noqa: E402
from engine.pipeline.decide import Decider, DeciderSettings  # noqa: E402
from engine.pipeline.stock_view import SnapshotStockView  # noqa: E402
from engine.rules.registry import RulesetRegistry, shipped_versions  # noqa: E402
from engine.service_layer.handlers import PipelineOptions  # noqa: E402
from engine.service_layer.messagebus import build_bus  # noqa: E402

NOW = datetime(2026, 11, 18, 10, 0)
SKUS = 300
CARRY = 0.33
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HEADING = "## Order pipeline"


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    locations: list[Location]
    products: dict[str, Product]
    stock: list[Stock]
    postal_codes: list[str]


def build_world(n_locations: int, seed: int = 7) -> World:
    import zipcodes

    rng = random.Random(seed)
    standard = [z for z in zipcodes.list_all() if z["zip_code_type"] == "STANDARD" and z["lat"]]
    picked = rng.sample(standard, n_locations + 200)
    locations = []
    for i, z in enumerate(picked[:n_locations]):
        kind = LocationType.STORE if i % 4 == 3 else LocationType.WAREHOUSE
        locations.append(
            Location(
                f"L{i:03d}",
                z["city"],
                kind,
                Address(z["zip_code"], state=z["state"], lat=float(z["lat"]), lon=float(z["long"])),
                daily_capacity=100_000,
            )
        )
    products = {
        f"SKU{i:04d}": Product(
            f"SKU{i:04d}",
            f"Product {i}",
            Decimal(str(rng.randint(5, 120))),
            weight_kg=round(rng.uniform(0.2, 4.0), 2),
        )
        for i in range(SKUS)
    }
    stock = [
        Stock(sku, loc.code, on_hand=rng.randint(20, 200))
        for sku in products
        for loc in locations
        if rng.random() < CARRY
    ]
    return World(locations, products, stock, [z["zip_code"] for z in picked[n_locations:]])


def make_order(world: World, rng: random.Random, lines: int, number: int) -> Order:
    skus = rng.sample(sorted(world.products), lines)
    return Order(
        f"B{number}",
        "web",
        f"B{number}",
        "c1",
        Address(rng.choice(world.postal_codes)),
        [
            OrderLine(str(i + 1), sku, rng.randint(1, 3), world.products[sku].price)
            for i, sku in enumerate(skus)
        ],
        NOW,
    )


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- 1. the decision itself --------------------------------------------------------------------


def time_decisions(decider: Decider, world: World, lines: int, count: int) -> list[float]:
    """CPU milliseconds of each decision (thread time: the machine is shared, so wall time
    measures the neighbours; the decision does no I/O, so CPU time is its latency)."""
    rng = random.Random(lines * 1000 + len(world.locations))
    view = SnapshotStockView(world.stock)
    orders = [make_order(world, rng, lines, n) for n in range(count)]
    customer = Customer("c1", "c1@example.com")
    for order in orders[:20]:  # warm caches (postal codes, compiled code paths)
        decider.decide(order, customer, world.products, world.locations, view, NOW)
    samples = []
    for order in orders:
        start = time.thread_time()
        decider.decide(order, customer, world.products, world.locations, view, NOW)
        samples.append((time.thread_time() - start) * 1000)
    return samples


# --- 2. persisted decisions --------------------------------------------------------------------


def seed(uow_factory: Callable[[], SqlAlchemyUnitOfWork], world: World) -> None:
    with uow_factory() as uow:
        for loc in world.locations:
            uow.locations.add(loc)
        for product in world.products.values():
            uow.products.add(product)
        uow.customers.add(Customer("c1", "c1@example.com"))
        uow.commit()
    # Stock rows in bulk (tens of thousands at 500 locations): seeding is not what we measure.
    rows = [
        {
            "sku": r.sku,
            "location_code": r.location_code,
            "on_hand": r.on_hand,
            "reserved": 0,
            "safety_stock": 0,
            "reorder_point": 0,
            "version": 0,
        }
        for r in world.stock
    ]
    with uow_factory() as uow:
        engine = uow.session.get_bind()  # type: ignore[union-attr]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(orm.stock), rows[start : start + 5000])


def time_persisted(
    url: str, world: World, lines_counts: Sequence[int], count: int
) -> dict[int, list[float]]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    seed(uow_factory, world)
    registry = RulesetRegistry()
    registry.publish(shipped_versions())
    decider = Decider(registry, load_catalog(), DeciderSettings())
    bus = build_bus(uow_factory, decider, lambda: NOW, PipelineOptions(), process_in_process=False)
    results: dict[int, list[float]] = {}
    for lines in lines_counts:
        rng = random.Random(lines)
        samples = []
        for n in range(count + 5):
            order = make_order(world, rng, lines, n)
            order_id = bus.handle(
                c.CreateOrder(
                    "web",
                    f"P{lines}-{n}",
                    "c1",
                    c.AddressInput(order.ship_to.postal_code),
                    tuple(c.LineInput(x.sku, x.quantity) for x in order.lines),
                )
            )
            start = time.perf_counter()
            bus.handle(c.ProcessOrder(order_id))
            if n >= 5:  # the first few warm the connection pool and statement caches
                samples.append((time.perf_counter() - start) * 1000)
        results[lines] = samples
    engine.dispose()
    return results


# --- 3. reservations per second ----------------------------------------------------------------

BARE = text(
    "UPDATE stock SET reserved = reserved + :q, version = version + 1 "
    "WHERE sku = :sku AND location_code = :loc AND on_hand - reserved - safety_stock >= :q"
)


def reservation_rates(url: str, count: int) -> tuple[float, float, float]:
    """Per second, on one connection, one reservation per transaction: (the reservation path:
    `uow.stock.try_reserve` in a unit of work; the same plus the Reservation row and its
    outbox event, as `ProcessOrder` writes them; the bare conditional UPDATE)."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uow_factory() as uow:
        uow.locations.add(Location("R1", "R1", LocationType.WAREHOUSE, Address("10001")))
        for sku in ("PSKU", "RSKU", "BSKU"):
            uow.products.add(Product(sku, sku))
            uow.stock.add(Stock(sku, "R1", on_hand=count * 2))
        uow.commit()

    def bare() -> None:
        with engine.begin() as conn:
            assert conn.execute(BARE, {"q": 1, "sku": "BSKU", "loc": "R1"}).rowcount == 1

    def path() -> None:
        with uow_factory() as uow:
            assert uow.stock.try_reserve("PSKU", "R1", 1, "web")
            uow.commit()

    def recorded(n: int) -> None:
        with uow_factory() as uow:
            assert uow.stock.try_reserve("RSKU", "R1", 1, "web")
            uow.reservations.add(
                Reservation(f"r{secrets.token_hex(6)}{n}", "o1", "1", "RSKU", "R1", 1, NOW, "web")
            )
            uow.record(StockReserved("o1", "RSKU", "R1", 1))
            uow.commit()

    best = [0.0, 0.0, 0.0]
    rounds = count // 3
    for _ in range(3):  # interleaved, best of three: the machine is shared
        for slot, step in enumerate((lambda n: path(), recorded, lambda n: bare())):
            start = time.perf_counter()
            for n in range(rounds):
                step(n)
            best[slot] = max(best[slot], rounds / (time.perf_counter() - start))
    engine.dispose()
    return best[0], best[1], best[2]


# --- databases ---------------------------------------------------------------------------------


class Database:
    """A fresh migrated SQLite file or PostgreSQL database per measurement, dropped after."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.name = ""

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        else:
            self.name = f"ordo_bench_{secrets.token_hex(4)}"
            admin = make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"
        upgrade(url)
        return url

    def __exit__(self, *exc: object) -> None:
        if self.name:
            admin = make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    p50: float
    p99: float
    baseline_p50: float = 0.0


def run_decisions(quick: bool) -> list[Row]:
    registry = RulesetRegistry()
    registry.publish(shipped_versions())
    rows = []
    for n_locations in (50, 500):
        world = build_world(n_locations)
        ruled = Decider(registry, load_catalog(), DeciderSettings(optimiser="greedy"))
        bare = Decider(RulesetRegistry(), load_catalog(), DeciderSettings(optimiser="greedy"))
        auto = Decider(registry, load_catalog(), DeciderSettings(optimiser="auto"))
        for lines in (1, 5, 20):
            count = (60 if quick else 400) if lines < 20 else (20 if quick else 120)
            gc.collect()
            gc.freeze()  # a long-running service freezes its start-up objects the same way
            samples = time_decisions(ruled, world, lines, count)
            base = time_decisions(bare, world, lines, count)
            rows.append(
                Row(
                    f"{lines}-line, {n_locations} locations",
                    percentile(samples, 50),
                    percentile(samples, 99),
                    percentile(base, 50),
                )
            )
            if lines in (5, 20):
                with_auto = time_decisions(auto, world, lines, count)
                rows.append(
                    Row(
                        f"{lines}-line, {n_locations} locations, optimiser auto",
                        percentile(with_auto, 50),
                        percentile(with_auto, 99),
                        percentile(base, 50),
                    )
                )
            gc.unfreeze()
    return rows


def run_persisted(quick: bool, kinds: Sequence[str]) -> list[Row]:
    rows = []
    for kind in kinds:
        for n_locations in (50, 500):
            world = build_world(n_locations)
            with Database(kind) as url:
                found = time_persisted(url, world, (1, 5, 20), 8 if quick else 24)
            for lines, samples in found.items():
                rows.append(
                    Row(
                        f"{kind}: {lines}-line, {n_locations} locations",
                        percentile(samples, 50),
                        percentile(samples, 99),
                    )
                )
    return rows


def run_reservations(quick: bool, kinds: Sequence[str]) -> list[tuple[str, float, float, float]]:
    found = []
    for kind in kinds:
        with Database(kind) as url:
            found.append((kind, *reservation_rates(url, 300 if quick else 1500)))
    return found


def report(
    decisions: list[Row], persisted: list[Row], reservations: list[tuple[str, float, float, float]]
) -> str:
    target = next(r for r in decisions if r.label == "5-line, 50 locations")
    lines = [
        "Produced by `.venv/bin/python -m bench.pipeline_bench --write` "
        f"({platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, a 2-core machine shared with other builds while measuring).",
        "",
        "### Decision latency (rules + optimiser + carriers, no I/O)",
        "",
        "CPU time per `Decider.decide` call (thread time, so neighbours on the shared machine "
        "do not count), greedy optimiser, the shipped rulesets of every kind. The named "
        "baseline is the same decision with no rulesets; *rules ×* is p50 over that baseline.",
        "",
        "| order | p50 ms | p99 ms | baseline p50 ms | rules × |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in decisions:
        ratio = r.p50 / r.baseline_p50 if r.baseline_p50 else 0.0
        lines.append(
            f"| {r.label} | {r.p50:.2f} | {r.p99:.2f} | {r.baseline_p50:.2f} | {ratio:.2f} |"
        )
    verdict = "met" if target.p99 <= 2.0 else "NOT met"
    lines += [
        "",
        f"Target: 5-line order over 50 locations, p99 ≤ 2 ms: **{verdict}** "
        f"(p50 {target.p50:.2f} ms, p99 {target.p99:.2f} ms).",
        "",
        "Where the time goes (cProfile of the 5-line case): the rules themselves cost about a "
        "third over the no-rules baseline (validation, sourcing, reservation once per line, "
        "carrier once per shipment, with their traces); the rest is screening every location "
        "that stocks a line (facts, distance, rule tests), candidates with what reservation "
        "rules hold back, pricing each candidate from the rate cards, the greedy itself, and "
        "quoting every service for each planned shipment. Work grows with the locations that "
        "stock the order's SKUs, hence the 500-location rows. With `auto`, the search for a "
        "cheaper plan than greedy's runs only when greedy needs three or more locations or "
        "leaves units short across a split, and the model has at most 400 (line, location) "
        "pairs. With the shipped split limit of two it prices every location and pair "
        "(`optimiser.best_of_two`, exact for distinct SKUs): about 2 ms of CPU for a 20-line "
        "order at 50 locations, where the HiGHS MIP took 0.1-1.3 s (p50 247 ms, p99 1,182 ms "
        "at 3d5589a; the MIP now runs only for larger split limits or a SKU on two lines). "
        "`auto` chose plans of the same cost as before on every bench order; 21 of the 120 "
        "20-line orders at 50 locations get another plan of equal cost.",
        "",
        "### Persisted decision (`ProcessOrder` through the bus and the database)",
        "",
        "Wall-clock milliseconds: load the order, customer, products, locations, stock and "
        "inbound supply; decide; reserve with conditional updates; write reservations, "
        "fulfilment orders, traces and outbox rows; commit.",
        "",
        "| database and order | p50 ms | p99 ms |",
        "|---|---:|---:|",
    ]
    lines += [f"| {r.label} | {r.p50:.1f} | {r.p99:.1f} |" for r in persisted]
    lines += [
        "",
        "The Decider here runs with its default optimiser, `auto` (before the pair search "
        "replaced the MIP for split limits of two, the 20-line, 50-location rows were the "
        "HiGHS MIP: about 630 ms of CPU per order against 25 ms with `greedy`). Persistence "
        "itself is a fixed number of statements "
        "per order: one query each for the order, its products, its stock, the customer, the "
        "locations and the capacity counts of the locations that stock it, one conditional "
        "UPDATE per reserved line (on PostgreSQL one UPDATE for them all), and one "
        "multi-row INSERT per table written (on PostgreSQL all of them one statement at "
        "commit). Every location that stocks a line is loaded and translated per order (the "
        "500-location rows).",
    ]
    lines += [
        "",
        "### Reservations per second (one connection)",
        "",
        "| database | bare conditional UPDATE /s (baseline) | reservation path /s | × | "
        "with Reservation row + outbox event /s | × |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, path, recorded, bare in reservations:
        lines.append(
            f"| {kind} | {bare:.0f} | {path:.0f} | {path / bare:.2f} | "
            f"{recorded:.0f} | {recorded / bare:.2f} |"
        )
    lines += [
        "",
        "One reservation per transaction, one connection. The reservation path is "
        "`uow.stock.try_reserve` in a unit of work (session, one conditional UPDATE with the "
        "channel-allocation subqueries and RETURNING, commit); the last columns add the "
        "Reservation row and its outbox event, as `ProcessOrder` writes them. "
        "Target: reservation path ≥ 0.5× the bare SQL baseline: "
        + ", ".join(
            f"{kind} **{'met' if path / bare >= 0.5 else 'NOT met'}** ({path / bare:.2f}×)"
            for kind, path, _, bare in reservations
        )
        + ". Wall-clock, best of three interleaved rounds: the ratio moves with the "
        "machine's load (a loaded machine slows the bare UPDATE more and flatters it), so "
        "hold CPU time per reservation against the target (at 630b387: SQLite 0.66-0.69x, "
        "PostgreSQL 0.74-0.75x). The stock moves run on the transaction's DBAPI cursor; what "
        "remains on SQLite is mostly the unit of work's Session (created, begun, committed, "
        "closed per transaction); on PostgreSQL the commit dominates both.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (fewer samples)")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        help="comma-separated: sqlite, postgres (default both)",
    )
    args = parser.parse_args(argv)
    kinds = [k for k in args.databases.split(",") if k]
    started = time.perf_counter()
    decisions = run_decisions(args.quick)
    persisted = run_persisted(args.quick, kinds)
    reservations = run_reservations(args.quick, kinds)
    markdown = report(decisions, persisted, reservations)
    print(markdown)
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    if args.write:
        write_section(HEADING, markdown)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
