"""SQLite transactions in one process queue for the file's writer in the process, not in
SQLite's sleeping busy handler; however a transaction ends, the next one may begin."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from engine.adapters import database
from engine.adapters.database import make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    built = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    with built.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return built


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT n FROM counter")).scalar_one())


def test_threads_writing_at_once_each_get_the_writer_in_turn(engine: Engine) -> None:
    errors: list[BaseException] = []

    def increment_many() -> None:
        try:
            for _ in range(50):
                with engine.begin() as connection:  # read, then write: lost updates show
                    n = connection.execute(text("SELECT n FROM counter")).scalar_one()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=increment_many) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert _count(engine) == 300


def test_a_transaction_given_back_without_commit_lets_the_next_one_begin(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 2_000)
    with engine.connect() as connection:
        connection.execute(text("UPDATE counter SET n = 5"))
        # No commit: the pool rolls back when the connection is checked in.
    started = time.monotonic()
    with engine.begin() as connection:
        connection.execute(text("UPDATE counter SET n = n + 1"))
    assert time.monotonic() - started < 1.0, "the abandoned transaction kept the writer"
    assert _count(engine) == 1


def test_a_commit_refused_by_the_database_keeps_the_writer_until_its_rollback(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.execute(
            text("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER "
                 "REFERENCES counter(id) DEFERRABLE INITIALLY DEFERRED)")
        )  # fmt: skip
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), engine.begin() as connection:
        connection.execute(text("INSERT INTO child VALUES (1, 99)"))  # checked at COMMIT
    with engine.begin() as connection:
        connection.execute(text("UPDATE counter SET n = 7"))
    assert _count(engine) == 7


def test_a_thread_opening_a_second_transaction_inside_its_first_is_told_the_database_is_locked(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 300)
    with engine.begin() as outer:
        outer.execute(text("UPDATE counter SET n = 1"))
        # The driver's own error, as a BEGIN IMMEDIATE that timed out raised it before the queue.
        with pytest.raises(sqlite3.OperationalError, match="database is locked"), engine.begin():
            pass
    assert _count(engine) == 1, "the first transaction still commits"
