"""Throw-away databases and Redis slots for integration tests.

Each test gets a migrated database of its own: PostgreSQL databases are cloned from a
template migrated once per session and, once a test is done, emptied for the next one (see
`PostgresDatabases`); SQLite files are copied from a migrated template file. Servers that
cannot be reached make the test skip with the reason, except under `CI=true` where a missing
server is a broken pipeline and must fail loudly.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
# Redis databases 1..15 are handed out to concurrent test sessions; 0 holds the claims.
REDIS_DBS = range(1, 16)
_CLAIM_PREFIX = "ordo:test:claimed-db:"
_CLAIM_SECONDS = 3600


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip locally, fail in CI: a CI run that silently skips a database proves nothing."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def migrate(url: str) -> None:
    """Bring a fresh database to the current schema the way production does: Alembic."""
    from engine.adapters.migrations import upgrade

    upgrade(url)


# --- SQLite ---------------------------------------------------------------------------------


def sqlite_template(directory: Path) -> Path:
    template = directory / "template.sqlite3"
    migrate(f"sqlite:///{template}")
    return template


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"ordo_{secrets.token_hex(4)}.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


# --- PostgreSQL -----------------------------------------------------------------------------


def _admin_execute(*statements: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user="postgres",
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    ) as conn:
        # Throw-away databases need no durable commit; not waiting for the flush halves the
        # time CREATE/DROP DATABASE take.
        conn.execute("SET synchronous_commit TO off")
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def postgres_reachable() -> str | None:
    """None when the server answers, else why not (shown in the skip or failure)."""
    try:
        _admin_execute("SELECT 1")
    except Exception as exc:  # any driver or socket error means "not usable here"
        return f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {_one_line(exc)}"
    return None


def pg_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"


@contextmanager
def postgres_template() -> Iterator[str]:
    """A migrated database used only as a template; dropped at the end of the session."""
    name = f"ordo_tmpl_{secrets.token_hex(5)}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        migrate(pg_url(name))
        yield name
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Tables the migrations fill, and how a used database gets back what they wrote.
_SEEDED = {
    "catalogue_version": (
        "DELETE FROM catalogue_version",
        "INSERT INTO catalogue_version (id, version) VALUES (1, 0)",
    ),
}


class PostgresDatabases:
    """Hands each test a migrated database of its own that no other test is using.

    Creating a database costs one to three seconds on a busy machine, far more than most
    tests. So databases are cloned from `template` only when none is free, and a used one
    is reset in a background thread while the next test runs: connections left behind are
    terminated, every table is truncated and sequences restarted, and the rows the migrations
    wrote are written again (`_SEEDED`). A database whose schema a test changed (tables
    added or dropped, another migration revision) is dropped instead of reused. Every
    database is dropped when the session ends.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.tables = _public_tables(template)
        self.revision = _revision(template)
        self._all: set[str] = set()
        self._free: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ordo-test-pg")
        self._worker.submit(lambda: self._free.put(self._create()))

    def _create(self) -> str:
        name = f"ordo_test_{secrets.token_hex(5)}"
        with self._lock:
            self._all.add(name)
        _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def acquire(self) -> str:
        try:
            # A reset takes a fraction of a second; creating a database takes longer.
            return self._free.get(timeout=3)
        except queue.Empty:
            return self._create()

    def release(self, name: str) -> None:
        self._worker.submit(self._reset, name)

    def _reset(self, name: str) -> None:
        try:
            _admin_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            if _public_tables(name) != self.tables or _revision(name) != self.revision:
                raise ValueError("schema changed by the test")
            emptied = self.tables - {"alembic_version", *_SEEDED}
            tables = ", ".join(f'"{t}"' for t in sorted(emptied))
            _execute_in(
                name,
                f"TRUNCATE {tables} RESTART IDENTITY CASCADE",
                *(statement for statements in _SEEDED.values() for statement in statements),
            )
        except Exception:  # a database that cannot be reset is dropped, never reused
            self._drop(name)
            self._free.put(self._create())
            return
        self._free.put(name)

    def _drop(self, name: str) -> None:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with self._lock:
            self._all.discard(name)

    def close(self) -> None:
        self._worker.shutdown(wait=True)
        for name in list(self._all):
            self._drop(name)


def _execute_in(database: str, *statements: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user="postgres",
        dbname=database,
        autocommit=True,
        connect_timeout=3,
    ) as conn:
        conn.execute("SET synchronous_commit TO off")
        rows: list[tuple[object, ...]] = []
        for statement in statements:
            cursor = conn.execute(statement)  # type: ignore[arg-type]
            rows = cursor.fetchall() if cursor.description else []
        return rows


def _public_tables(database: str) -> frozenset[str]:
    rows = _execute_in(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return frozenset(str(row[0]) for row in rows)


def _revision(database: str) -> str:
    rows = _execute_in(database, "SELECT version_num FROM alembic_version")
    return ",".join(sorted(str(row[0]) for row in rows))


# --- Redis ----------------------------------------------------------------------------------


def redis_reachable() -> str | None:
    import redis

    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=2).ping()
    except Exception as exc:  # connection refused, timeout, auth: all mean "not usable"
        return f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {_one_line(exc)}"
    return None


@contextmanager
def claimed_redis_db() -> Iterator[int]:
    """Claim a Redis database number no other concurrent test session is using."""
    import redis

    admin = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0)
    token = secrets.token_hex(8)
    for number in REDIS_DBS:
        if admin.set(f"{_CLAIM_PREFIX}{number}", token, nx=True, ex=_CLAIM_SECONDS):
            break
    else:
        raise RuntimeError(
            f"every Redis database {REDIS_DBS.start}..{REDIS_DBS.stop - 1} is claimed by "
            f"another test session (keys {_CLAIM_PREFIX}* in db 0)"
        )
    try:
        yield number
    finally:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number).flushdb()
        if admin.get(f"{_CLAIM_PREFIX}{number}") == token.encode():
            admin.delete(f"{_CLAIM_PREFIX}{number}")
        admin.close()


def flush_redis_db(number: int) -> None:
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number)
    client.flushdb()
    client.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
