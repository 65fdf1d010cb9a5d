"""Stock count benchmark: a location's 5,000-line count, set in batches against row by row.

    .venv/bin/python -m bench.count_bench            # the documented run (a minute or two)
    .venv/bin/python -m bench.count_bench --quick    # a smoke run
    .venv/bin/python -m bench.count_bench --write    # also update docs/benchmarks.md

One location with 5,000 products, 4,500 of them stocked (50 on hand, every eighth with 45
reserved), counted all at once with figures from 40 to 62: most rows fall, some rise, a few
agree, the eighths counted below 45 come up short and the 500 new SKUs get rows. The count is
`count_stock` (its checks, the read, the rows set, its events and audit entry, one
transaction). The named baseline is the same handler with the rows set the way it was before
`StockRepository.set_counts` (`tests.support.per_row_counts`: an atomic adjustment per SKU),
run in the same process, rounds interleaved, the stock put back before each count.
"""

from __future__ import annotations

import argparse
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.report import DOC, write_section

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, delete, insert, text  # noqa: E402

from engine.adapters import orm  # noqa: E402
from engine.adapters.database import make_engine  # noqa: E402
from engine.adapters.migrations import upgrade  # noqa: E402
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory  # noqa: E402
from engine.domain import commands as c  # noqa: E402
from engine.domain.catalog import Location, LocationType, Product  # noqa: E402
from engine.domain.values import Address  # noqa: E402
from engine.service_layer.counts import count_stock  # noqa: E402
from engine.service_layer.handlers import PipelineOptions  # noqa: E402
from tests.support.per_row_counts import per_row  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HEADING = "## Stock counts"
LOCATION = "NJ"
# Measured by hand (cProfile), not by this script: kept with the figures when --write runs.
WHERE_THE_TIME_GOES = (
    "Where the rest of the time goes (a cProfile of the batched count on SQLite, by hand): "
    "setting the rows (`StockRepository.set_counts`: five batches of a locked read, one UPDATE "
    "and one INSERT) is about a tenth of it; the rest is the same in both columns: the "
    "catalogue check of 5,000 SKUs, the unlocked read of their rows, and the commit writing "
    "one `stock.adjusted` per changed row to the outbox. Row by row, PostgreSQL also held "
    "every row it had set for the thousands of round trips that followed; in batches the rows "
    "are taken a thousand at a time, in SKU order, just before they are set."
)


class Database:
    """A fresh migrated SQLite file or PostgreSQL database, dropped after."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.name = ""

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        else:
            self.name = f"ordo_bench_{secrets.token_hex(4)}"
            self._admin(f'CREATE DATABASE "{self.name}"')
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"
        upgrade(url)
        return url

    def __exit__(self, *exc: object) -> None:
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @staticmethod
    def _admin(statement: str) -> None:
        admin = make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(statement))
        admin.dispose()


def _sku(n: int) -> str:
    return f"SKU-{n:05}"


def _seed(engine: Engine, lines: int) -> None:
    sessions = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.locations.add(Location(LOCATION, "Newark", LocationType.WAREHOUSE, Address("07114")))
        for n in range(lines):
            uow.products.add(Product(_sku(n), "x", Decimal("1.00")))
        uow.commit()


def _restock(engine: Engine, lines: int) -> None:
    """The location's rows as before any count: a tenth of the SKUs have none."""
    rows = [
        {
            "sku": _sku(n),
            "location_code": LOCATION,
            "on_hand": 50,
            "reserved": 45 if n % 8 == 0 else 0,
            "safety_stock": 0,
            "reorder_point": 0,
            "version": 0,
        }
        for n in range(lines)
        if n % 10
    ]
    with engine.begin() as conn:
        conn.execute(delete(orm.stock).where(orm.stock.c.location_code == LOCATION))
        conn.execute(insert(orm.stock), rows)


@dataclass
class Timing:
    wall: float
    cpu: float
    changed: int


def _count_once(
    engine: Engine, lines: int, how: Callable[[], AbstractContextManager[None]]
) -> Timing:
    _restock(engine, lines)
    counted = tuple(c.CountLine(_sku(n), 40 + n % 23) for n in range(lines))
    cmd = c.CountStock(LOCATION, counted, actor="bench", reason="cycle count")
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with how():
        wall, cpu = time.perf_counter(), time.process_time()
        done = count_stock(cmd, uow, PipelineOptions())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Timing(wall, cpu, done.changed)


@dataclass
class Result:
    kind: str
    lines: int
    changed: int
    per_row: Timing  # best of the rounds, by wall clock
    batched: Timing


def measure(kind: str, lines: int, rounds: int) -> Result:
    with Database(kind) as url:
        engine = make_engine(url)
        try:
            _seed(engine, lines)
            old: list[Timing] = []
            new: list[Timing] = []
            for _round in range(rounds):
                old.append(_count_once(engine, lines, per_row))
                new.append(_count_once(engine, lines, nullcontext))
        finally:
            engine.dispose()
    assert {t.changed for t in old + new} == {old[0].changed}  # the same work every time
    best = min(old, key=lambda t: t.wall), min(new, key=lambda t: t.wall)
    return Result(kind, lines, old[0].changed, *best)


def report(results: Sequence[Result], rounds: int) -> str:
    lines = [
        "Produced by `.venv/bin/python -m bench.count_bench --write` "
        f"(CPython {platform.python_version()}, {platform.machine()}, a 2-core machine shared "
        "with other work while measuring).",
        "",
        f"One `count_stock` of {results[0].lines:,} lines at one location ({results[0].changed:,} "
        f"rows changed, {results[0].lines // 10:,} of them new, the eighths counted below their "
        "reservations come up short), one transaction, best of "
        f"{rounds} interleaved rounds. The baseline is the same handler setting the rows one "
        "atomic adjustment per SKU, as it did before `StockRepository.set_counts` "
        "(`tests/support/per_row_counts.py`); × is the baseline's time over the batched one.",
        "",
        "| database | row by row ms (baseline) | CPU ms | in batches ms | CPU ms | × wall "
        "| × CPU |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.kind} | {r.per_row.wall * 1000:,.0f} | {r.per_row.cpu * 1000:,.0f} | "
            f"{r.batched.wall * 1000:,.0f} | {r.batched.cpu * 1000:,.0f} | "
            f"{r.per_row.wall / r.batched.wall:.1f} | {r.per_row.cpu / r.batched.cpu:.1f} |"
        )
    lines += ["", WHERE_THE_TIME_GOES]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (500 lines, 1 round)")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    args = parser.parse_args(argv)
    lines, rounds = (500, 1) if args.quick else (5_000, 3)
    results = [measure(kind, lines, rounds) for kind in args.databases.split(",") if kind]
    markdown = report(results, rounds)
    print(markdown)
    if args.write:
        write_section(HEADING, markdown)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
