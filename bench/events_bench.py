"""Events benchmark: end to end (outbox -> Redis -> worker -> effect) against bare Redis Streams.

    .venv/bin/python -m bench.events_bench            # the documented run (about a minute)
    .venv/bin/python -m bench.events_bench --quick    # a smoke run (seconds)
    .venv/bin/python -m bench.events_bench --write    # also update docs/benchmarks.md

Measured in one run, on the loopback Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432,
or an SQLite file with --database sqlite):

- **bare Redis Streams**, the baseline: XADD every event (pipelined in hundreds, as the relay
  does), then one consumer XREADGROUPs batches and XACKs them. No database, no handler: the
  ceiling the transport allows.
- **end to end** with 1 and 2 worker processes: the events are committed to the outbox in one
  transaction (the clock starts at that commit), and each worker relays outbox rows to Redis
  (claiming them with SKIP LOCKED), consumes its partitions, and runs one handler per event in
  its own transaction: the effect (one unit added to a stock row named after the order) plus
  the processed-event record that makes redelivery harmless. The clock stops when the database
  holds every effect.

Workers are real processes (`python -m bench.events_bench --worker ...`), started and ready
before the clock starts, and stopped with SIGTERM after. Every run is bounded by --timeout.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.report import DOC, write_section  # noqa: E402
from engine.adapters import orm  # noqa: E402
from engine.adapters.database import make_engine  # noqa: E402
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory  # noqa: E402
from engine.domain.events import Event, OrderReceived  # noqa: E402
from engine.service_layer.unit_of_work import UnitOfWork  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/15"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PREFIX = "ordo-bench"
EFFECT = "BENCH"


# --- the worker process ----------------------------------------------------------------------


def count_effect(event: Event, uow: UnitOfWork) -> None:
    assert isinstance(event, OrderReceived)
    uow.stock.adjust(event.order_id, EFFECT, 1)


def run_worker(database_url: str, redis_url: str, name: str) -> None:
    from engine.adapters.bus.outbox_sql import SqlOutboxStore
    from engine.adapters.bus.redis_streams import RedisStreamsBus
    from engine.service_layer.outbox import OutboxRelay
    from engine.worker import Worker, WorkerConfig, run_workers

    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    bus = RedisStreamsBus(redis.Redis.from_url(redis_url), prefix=PREFIX, partitions=8,
                          lease_ms=2000, claim_idle_ms=4000)  # fmt: skip
    worker = Worker(
        bus=bus,
        uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
        handlers={"order.received": [count_effect]},
        relay=OutboxRelay(SqlOutboxStore(engine), bus, batch_size=500),
        config=WorkerConfig(name=name, batch_size=100, block_ms=50, grace_seconds=2),
    )
    bus.ensure_groups()
    bus.consume(name, count=1)  # registers, takes its partitions; nothing is published yet
    print("ready", flush=True)
    run_workers([worker])


# --- measurements ----------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    events: int
    seconds: float
    # CPU the worker processes used while the clock ran (None for the baseline): unlike the
    # wall clock, it does not depend on what else the machine was doing.
    cpu_seconds: float | None = None

    @property
    def cpu_ms_per_event(self) -> float | None:
        return None if self.cpu_seconds is None else self.cpu_seconds * 1000 / self.events

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def bare_redis(client: redis.Redis, events: int) -> Result:
    stream, group = f"{PREFIX}:bare", "bench"
    client.delete(stream)
    client.xgroup_create(stream, group, id="0", mkstream=True)
    payload = {"e": "1", "n": "order.received", "k": "O-1",
               "p": '{"order_id": "O-1", "channel": "web"}'}  # fmt: skip
    start = time.perf_counter()
    for first in range(0, events, 100):
        pipe = client.pipeline(transaction=False)
        for _ in range(min(100, events - first)):
            pipe.xadd(stream, payload)  # type: ignore[arg-type]
        pipe.execute()
    consumed = 0
    while consumed < events:
        reply = client.xreadgroup(group, "c", {stream: ">"}, count=100)
        ids = [entry_id for _, entries in reply for entry_id, _ in entries]  # type: ignore[union-attr]
        client.xack(stream, group, *ids)
        consumed += len(ids)
    seconds = time.perf_counter() - start
    client.delete(stream)
    return Result("bare XADD + XREADGROUP/XACK (1 consumer)", events, seconds)


def effects(engine: object, /) -> int:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with engine.connect() as connection:
        value = connection.execute(
            select(func.count()).select_from(orm.stock).where(orm.stock.c.location_code == EFFECT)
        ).scalar_one()
    return int(value)


def end_to_end(database_url: str, workers: int, events: int, timeout: float) -> Result:
    client = redis.Redis.from_url(REDIS_URL)
    _clear_redis(client)
    engine = make_engine(database_url)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.events_bench", "--worker", database_url, REDIS_URL,
             f"w{index}"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for index in range(workers)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(1.0)  # two rebalancing rounds: the partitions are spread before we start
        factory = make_session_factory(engine)
        uow = SqlAlchemyUnitOfWork(factory)
        with uow:
            for n in range(events):
                uow.record(OrderReceived(order_id=f"B-{workers}-{n}", channel="web"))
            cpu_before = sum(_cpu_seconds(proc.pid) for proc in procs)
            uow.commit()
        start = time.perf_counter()
        deadline = start + timeout
        while effects(engine) < events:
            if time.perf_counter() > deadline:
                raise SystemExit(f"{workers} worker(s) did not finish {events} events in time")
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        cpu = sum(_cpu_seconds(proc.pid) for proc in procs) - cpu_before
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        _clear_redis(client)
        engine.dispose()
    assert effects_exact(database_url, events), "an effect happened twice"
    noun = "worker" if workers == 1 else "workers"
    return Result(f"end to end, {workers} {noun}", events, seconds, cpu)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc; the benchmark's machines are)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def effects_exact(database_url: str, events: int) -> bool:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        top = connection.execute(
            select(func.max(orm.stock.c.on_hand)).where(orm.stock.c.location_code == EFFECT)
        ).scalar_one()
    engine.dispose()
    return top == 1


def _clear_redis(client: redis.Redis) -> None:
    for key in client.scan_iter(f"{PREFIX}:*"):
        client.delete(key)


# --- databases -------------------------------------------------------------------------------


class Database:
    """A fresh migrated database per end-to-end run, dropped afterwards."""

    def __init__(self, kind: str, directory: Path) -> None:
        self.kind = kind
        self.directory = directory
        self.names: list[str] = []

    def fresh(self) -> str:
        from engine.adapters.migrations import upgrade

        if self.kind == "sqlite":
            url = f"sqlite:///{self.directory / f'bench_{secrets.token_hex(4)}.sqlite3'}"
        else:
            name = f"ordo_bench_{secrets.token_hex(4)}"
            self._admin(f'CREATE DATABASE "{name}"')
            self.names.append(name)
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        upgrade(url)
        return url

    def drop_all(self) -> None:
        for name in self.names:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @staticmethod
    def _admin(statement: str) -> None:
        import psycopg

        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(statement)  # type: ignore[arg-type]


# --- report ----------------------------------------------------------------------------------


def report(results: list[Result], baseline: Result, database: str, events: int) -> str:
    lines = [
        "## Events",
        "",
        "`.venv/bin/python -m bench.events_bench` (bench/events_bench.py). "
        f"{events} `order.received` events; loopback Redis {_redis_version()}, "
        f"{'PostgreSQL' if database == 'postgres' else 'SQLite'} on the same machine; "
        f"Python {platform.python_version()}, {os.cpu_count()} cores shared with other work "
        f"(load average {os.getloadavg()[0]:.1f} when the run ended). "
        "End to end = committed to the outbox -> relayed to Redis Streams (8 partitions) -> "
        "consumed by worker processes -> one handler transaction per event (effect + "
        "processed-event record), partitions side by side -> visible in the database. "
        "The baseline is bare XADD plus XREADGROUP/XACK on one stream in the same run, with "
        "no database at all.",
        "",
        "| pipeline | events/s | vs bare Redis | worker CPU per event |",
        "|---|---:|---:|---:|",
        f"| {baseline.label} | {baseline.rate:,.0f} | 1.00 | - |",
    ]
    for result in results:
        cpu = result.cpu_ms_per_event
        lines.append(
            f"| {result.label} | {result.rate:,.0f} | {result.rate / baseline.rate:.3f} | "
            f"{'-' if cpu is None else f'{cpu:.2f} ms'} |"
        )
    lines += [
        "",
        "Worker CPU is the user + system time of the worker processes while the clock ran "
        "(PostgreSQL's and Redis's own CPU not included); it is the figure to compare across "
        "runs, since the wall clock depends on whatever else the machine was doing.",
        "",
        "Where the time goes (cProfile of one worker on PostgreSQL, `process_time` and wall "
        "clock): a commit costs about 6 ms here (`synchronous_commit=on`, fdatasync), a "
        "statement about 0.2 ms. One transaction per event, run one after another, therefore "
        "capped a worker near 150 events/s whatever else it did, and below that under load. "
        "Of the per-event statements, the bench handler's effect (the stock repository's "
        "adjust of a row it has to create: UPDATE, SELECT, SAVEPOINT, INSERT, RELEASE and two "
        "SELECTs) is seven; the worker's own share was a SELECT and an INSERT into the audit "
        "log, a Redis TIME (lease renewal check) and an XACK.",
        "",
        "What changed: the processed-event check and record are one `INSERT ... ON CONFLICT DO "
        "NOTHING RETURNING` into `processed_events`; acknowledgements go once per batch; the "
        "lease renewal is timed by the local clock; and a batch's partitions are handled side "
        "by side on up to `WorkerConfig.partition_threads` (8) threads, each event still in "
        "its own transaction and each partition still in order, so PostgreSQL flushes "
        "concurrent commits together. The relay already claimed 500 rows per transaction, "
        "published them with one pipelined XADD round trip and stamped them with one UPDATE. "
        "Not changed, because it would weaken a guarantee: committing several events in one "
        "transaction, or `synchronous_commit=off` (an acknowledged event's effect could be "
        "lost in a database crash).",
        "",
        "Before and after, same machine, same load (load average 4-6 on 2 cores), runs "
        "interleaved on 2026-11-22: the tree before these changes (c89f31c, with this "
        "script) ran 58 and 107 events/s with 1 worker, 86 and 121 with 2, at 4.6 ms of "
        "worker CPU per event; the first run after them, 287 and 361 events/s at 2.5 ms. "
        "The 28 events/s published earlier was measured at load average 10.",
        "",
        _scaling(results),
        "",
    ]
    return "\n".join(lines)


def _scaling(results: list[Result]) -> str:
    one, two = results[0].rate, results[-1].rate
    return (
        f"Two workers ran at {two / one:.2f}x one worker in this run. Each worker adds "
        "more concurrent transactions, so the ceiling is the database and the CPU: with 2 "
        "cores shared by PostgreSQL, Redis, both workers, the benchmark and other jobs, "
        "there is little to gain here, and this run cannot say how far workers on hosts of "
        "their own would scale (not measured). The kill tests (tests/integration/events) "
        "show the sharing itself: both workers take partitions and every effect happens once."
    )


def _redis_version() -> str:
    return str(redis.Redis.from_url(REDIS_URL).info("server")["redis_version"])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=3, metavar=("DATABASE_URL", "REDIS_URL", "NAME"))
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="300 events: a smoke run")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(*args.worker)
        return
    events = 300 if args.quick else args.events
    client = redis.Redis.from_url(REDIS_URL)
    baseline = bare_redis(client, events * 10)
    print(f"{baseline.label}: {baseline.rate:,.0f} events/s", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        databases = Database(args.database, Path(tmp))
        try:
            for workers in (1, 2):
                result = end_to_end(databases.fresh(), workers, events, args.timeout)
                print(f"{result.label}: {result.rate:,.0f} events/s", flush=True)
                results.append(result)
        finally:
            databases.drop_all()
    section = report(results, baseline, args.database, events)
    print()
    print(section)
    if args.write:
        write_section("## Events", section)
        print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
