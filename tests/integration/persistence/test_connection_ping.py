"""Pooled PostgreSQL connections: pinged only after they sat idle, and replaced when dead.

A ping is a round trip; under load every order paid one on checkout. A connection returned
a moment ago goes out unpinged, one idle for longer is pinged, and one the server closed
meanwhile (a restart, an idle-session timeout) is replaced before the caller sees it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from engine.adapters import database
from engine.adapters.database import make_engine


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ping the pool sends, by connection."""
    sent: list[Any] = []
    ping = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return sent


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(postgres_url: str, pid: int) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_returned_a_moment_ago_is_handed_out_without_a_ping(
    engine: Engine, pings: list[Any]
) -> None:
    first = _backend_pid(engine)
    second = _backend_pid(engine)

    assert second == first  # the same pooled connection
    assert pings == []


def test_a_connection_idle_for_longer_than_the_window_is_pinged(
    engine: Engine, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _backend_pid(engine)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)

    _backend_pid(engine)

    assert len(pings) == 1


def test_an_idle_connection_the_server_closed_is_replaced_before_it_is_used(
    engine: Engine, postgres_url: str, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = _backend_pid(engine)
    _terminate(postgres_url, closed)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)

    replacement = _backend_pid(engine)

    assert replacement != closed
    assert len(pings) >= 1


def test_a_burst_past_the_pool_waits_for_connections_and_opens_no_more_than_the_pool(
    engine: Engine,
) -> None:
    # Three rounds of twice the pool's size at once: with overflow, each round opened
    # connections past the pool and closed them on return, and the next round opened new ones.
    pids: set[int] = set()
    lock = threading.Lock()
    start = threading.Barrier(2 * database.POOL_SIZE)

    def transaction() -> None:
        start.wait()
        with engine.connect() as connection:
            pid = int(
                connection.execute(text("SELECT pg_backend_pid(), pg_sleep(0.05)")).first()[0]
            )
        with lock:
            pids.add(pid)

    for _ in range(3):
        threads = [threading.Thread(target=transaction) for _ in range(2 * database.POOL_SIZE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(pids) <= database.POOL_SIZE
    assert engine.pool.checkedin() == len(pids)  # kept, not closed on their way back
