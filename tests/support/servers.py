"""Throw-away databases and Redis slots for integration tests.

Each test gets its own database: PostgreSQL databases are cloned from a template migrated
once per session (`CREATE DATABASE ... TEMPLATE` copies a few files, far cheaper than running
the migrations again), SQLite files are copied from a migrated template file. Servers that
cannot be reached make the test skip with the reason, except under `CI=true` where a missing
server is a broken pipeline and must fail loudly.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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


class PostgresDatabases:
    """Hands out fresh databases cloned from `template`, one step ahead of the tests.

    Creating and dropping a database each costs a few hundred milliseconds, mostly waiting
    for the disk; a background thread creates the next database and drops used ones while
    tests run, so that wait overlaps with the tests instead of adding to them.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ordo-test-pg")
        self._next: Future[str] = self._worker.submit(self._create)

    def _create(self) -> str:
        name = f"ordo_test_{secrets.token_hex(5)}"
        _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    @staticmethod
    def _drop(name: str) -> None:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def acquire(self) -> str:
        name = self._next.result()
        self._next = self._worker.submit(self._create)
        return name

    def release(self, name: str) -> None:
        self._worker.submit(self._drop, name)

    def close(self) -> None:
        """Drop the database prepared for a test that never came, after every pending drop."""
        try:
            leftover = self._next.result()
        except Exception:  # creating it failed: nothing to drop
            leftover = None
        if leftover is not None:
            self._worker.submit(self._drop, leftover)
        self._worker.shutdown(wait=True)


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
