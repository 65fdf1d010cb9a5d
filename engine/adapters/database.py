"""Database engines for Ordo: an SQLite file by default, PostgreSQL when a URL says so.

`make_engine(url)` is the only place a SQLAlchemy engine is created; the composition root
calls it with `ORDO_DATABASE_URL` and passes the engine on. The same tables, repositories and
migrations run on both databases, so the differences are all configured here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time as clock
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InvalidatePoolError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

# How long an SQLite transaction waits for the one before it to finish (milliseconds). SQLite
# runs one transaction at a time: a thread that opens a second unit of work while its first
# still holds a transaction waits this long for itself, then fails with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000

# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out
# (HikariCP's "alive bypass window" idea): a server restart must not turn the next request into
# an error, but a connection returned a moment ago was alive a moment ago, and pinging it cost
# every order a round trip of its own (a tenth of them) under load.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "ordo.idle_since"

# PostgreSQL's default random_page_cost (4) models a spinning disk, where reading a page out of
# order costs four of reading the next one. Ordo's stock, catalogue and network tables are read
# by key on every order and sit in memory, where the two cost the same; priced for a disk, a
# table of a few hundred rows is scanned whole (every row compared with every key) instead of
# probed by its primary key. The value PostgreSQL's own documentation suggests for data in
# memory or on SSDs, set for Ordo's connections only: an order's stock read, reservation
# UPDATE and product read cost the database half as much on the HTTP benchmark's catalogue. A
# URL that sets random_page_cost itself in its `options` is left as it is.
PLANNER_SETTINGS = {"random_page_cost": "1.1"}


class DatabaseConfigError(ValueError):
    """The database URL cannot be used; the message names it with the password masked."""


def mask_url(url: str | URL) -> str:
    """The URL as it is safe to log or show: any password replaced by ***."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return _mask_unparsed(str(url))
    return parsed.render_as_string(hide_password=True)


def _mask_unparsed(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def normalise_url(url: str) -> URL:
    """Parse `url`, pick the psycopg 3 driver for PostgreSQL, refuse anything else clearly."""
    if not isinstance(url, str) or not url.strip():
        raise DatabaseConfigError("the database URL is empty; set ORDO_DATABASE_URL")
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError) as exc:
        raise DatabaseConfigError(
            f"'{mask_url(url)}' is not a database URL ({exc}); expected e.g. "
            "sqlite:///data/ordo.sqlite3 or postgresql://user:password@host:5432/ordo"
        ) from None
    # Read the names off the URL: asking SQLAlchemy would load (and fail on) unknown dialects.
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        if driver not in ("", "psycopg", "psycopg2"):
            raise DatabaseConfigError(
                f"'{mask_url(parsed)}' asks for the PostgreSQL driver '{driver}'; Ordo uses "
                "psycopg 3: write postgresql://... or postgresql+psycopg://..."
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise DatabaseConfigError(
                f"'{mask_url(parsed)}' asks for an SQLite driver Ordo does not support; "
                "write sqlite:///path/to/file.sqlite3"
            )
        return parsed.set(drivername="sqlite+pysqlite")
    raise DatabaseConfigError(
        f"'{mask_url(parsed)}' uses '{backend}'; Ordo supports sqlite:/// and postgresql:// URLs"
    )


# Connections each process keeps to PostgreSQL, and no more: a request past them waits for
# one to come back. Not a smaller pool with overflow: SQLAlchemy closes an overflow
# connection as soon as it is returned to a full pool, so a load hovering above the pool's
# size opened and closed connections by the hundred (593 new PostgreSQL backends in one
# 12-second phase of orders over HTTP near the benchmark's target rate, each a process fork
# and a log-in), and the CPU that took made a server near its limit fall behind for good.
# Connections are opened as they are first needed and then kept.
POOL_SIZE = 10


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3)."""
    parsed = normalise_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, echo)
        engine = create_engine(
            parsed,
            echo=echo,
            pool_size=POOL_SIZE,
            max_overflow=0,
            connect_args={"options": _session_options(parsed)},
            json_serializer=dumps,
            json_deserializer=loads,
        )
    except NoSuchModuleError as exc:
        raise DatabaseConfigError(f"'{mask_url(parsed)}': driver not installed ({exc})") from None
    _ping_idle_connections(engine)
    return engine


def _session_options(url: URL, environment: Mapping[str, str] = os.environ) -> str:
    """libpq's `options` for a session: the URL's own (or, as libpq would take them when the
    URL has none, $PGOPTIONS), then `PLANNER_SETTINGS` they do not set. Sent with the
    connection's start-up packet, so they cost no round trip."""
    given = url.query.get("options") or environment.get("PGOPTIONS", "")
    own = " ".join(given) if isinstance(given, tuple) else given
    added = [f"-c {name}={value}" for name, value in PLANNER_SETTINGS.items() if name not in own]
    return " ".join(part for part in (own, *added) if part)


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections idle longer than
    `PING_AFTER_IDLE_SECONDS` only. A ping that fails marks every pooled connection as stale
    (a restart closed them all) and the pool opens a fresh one for this checkout."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = clock.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or clock.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just opened, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise InvalidatePoolError(f"the pooled connection was closed: {error}") from None
            raise


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        # One shared connection, or every checkout would see a different empty database.
        engine = create_engine(
            url,
            echo=echo,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            json_serializer=dumps,
            json_deserializer=loads,
        )
    else:
        path = Path(database).expanduser()
        if path.is_dir():  # SQLite itself says only "unable to open database file"
            raise DatabaseConfigError(
                f"{path} is a directory, not an SQLite database file; name a file, e.g. "
                f"sqlite:///{path / 'ordo.sqlite3'}"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseConfigError(
                f"'{mask_url(url)}': cannot create the directory {path.parent} ({exc.strerror})"
            ) from None
        engine = create_engine(
            url.set(database=str(path)),
            echo=echo,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "factory": _QueuedConnection,
            },
            json_serializer=dumps,
            json_deserializer=loads,
        )
    _configure_sqlite(engine, wal=not in_memory)
    return engine


# One lock per SQLite file in this process: its transactions queue here for the file's one
# writer. Waiting in SQLite's busy handler instead meant sleeping in steps of up to 100 ms
# while the lock was free most of that time: with eight threads ordering at once, p99 was
# 700 ms for transactions of 5 ms. Other processes still meet in the busy handler.
_WRITER_LOCKS: dict[str, threading.Lock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(path: str) -> threading.Lock:
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(path, threading.Lock())


class _QueuedConnection(sqlite3.Connection):
    """An sqlite3 connection whose transactions take the file's in-process writer lock at
    BEGIN IMMEDIATE (`begin_immediate`) and give it back once COMMIT or ROLLBACK is done,
    whichever thread ends the transaction (the pool may roll back on check-in)."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._writer = _writer_lock(str(Path(database).resolve()))
        self._holding = False

    def begin_immediate(self) -> None:
        # Same-thread nesting (a second unit of work while the first is open) fails after the
        # busy timeout, as it did before the queue, rather than waiting for itself for ever.
        if not self._writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        self._holding = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release(closed=True)

    def _release(self, closed: bool = False) -> None:
        # Still in the transaction (a COMMIT that failed): the ROLLBACK that follows lets go.
        if self._holding and (closed or not self.in_transaction):
            self._holding = False
            self._writer.release()


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            # WAL lets readers proceed while one writer commits; NORMAL is durable in WAL.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then
        # writes fails at once with SQLITE_BUSY when another writer got in between (the busy
        # timeout does not apply to lock upgrades), so every transaction queues instead.
        # Straight to the driver: SQLAlchemy's statement machinery cost as much as the
        # conditional UPDATE a reservation then runs.
        driver = connection.connection.driver_connection
        if isinstance(driver, _QueuedConnection):
            driver.begin_immediate()  # queues for the file's writer in this process first
        else:
            driver.execute("BEGIN IMMEDIATE")


def dumps(value: Any) -> str:
    """JSON for columns and the outbox: dates, decimals, enums and sets become plain values."""
    return json.dumps(value, default=json_default, separators=(",", ":"))


# A run of digits long enough to be an integer beyond 64 bits, which orjson would read as a
# float: text holding one goes to the json module, which keeps it exact.
_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def loads(data: str | bytes) -> Any:
    """A JSON column's value, as the json module reads it. orjson reads it six times faster
    (an order reads about thirty such values: product and location details); what orjson
    would read differently (a long integer) or refuses (NaN and Infinity, which the json
    module writes) is left to the json module."""
    if isinstance(data, str):
        exact = _LONG_DIGITS.search(data) is None
    else:
        exact = _LONG_DIGITS_BYTES.search(data) is None
    if exact:
        with contextlib.suppress(orjson.JSONDecodeError):  # NaN, Infinity: json reads them
            return orjson.loads(data)
    return json.loads(data)


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON: {value!r}")
