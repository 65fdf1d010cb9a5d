"""The shared database fixtures give every test a clean, migrated database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from engine.adapters import migrations
from tests.support import servers


def _count(name: str, table: str) -> int:
    rows = servers._execute_in(name, f"SELECT count(*) FROM {table}")
    return int(str(rows[0][0]))


def _exists(name: str) -> bool:
    rows = servers._execute_in("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    return bool(rows)


@pytest.fixture(scope="module")
def template(_postgres_problem: str | None) -> Iterator[str]:
    """A template of this module's own, so the pools below are independent of the session's."""
    if _postgres_problem is not None:
        servers.unavailable(_postgres_problem)
    with servers.postgres_template() as name:
        yield name
    assert not _exists(name)


def _settle(databases: servers.PostgresDatabases) -> None:
    """Wait until the background worker has finished what was asked of it so far."""
    databases._worker.submit(lambda: None).result()


def test_sqlite_url_is_a_migrated_file_of_the_tests_own(sqlite_url: str, tmp_path: Path) -> None:
    assert sqlite_url.startswith(f"sqlite:///{tmp_path}")
    assert migrations.current(sqlite_url) == migrations.head()


def test_postgres_url_is_a_migrated_database_named_for_tests(postgres_url: str) -> None:
    assert postgres_url.rsplit("/", 1)[1].startswith("ordo_test_")
    assert migrations.current(postgres_url) == migrations.head()


def test_a_database_is_handed_out_again_only_once_emptied_and_is_dropped_at_the_end(
    template: str,
) -> None:
    databases = servers.PostgresDatabases(template)
    first = databases.acquire()
    servers._execute_in(
        first, "INSERT INTO outbox (name, payload, created_at) VALUES ('x', '{}', now())"
    )
    # A connection left open in a transaction must not keep the reset waiting.
    straggler = psycopg.connect(host=servers.PG_HOST, user="postgres", dbname=first)
    straggler.execute("SELECT 1")
    databases.release(first)
    _settle(databases)

    second = databases.acquire()
    assert second == first
    assert _count(second, "outbox") == 0
    servers._execute_in(
        second, "INSERT INTO outbox (name, payload, created_at) VALUES ('y', '{}', now())"
    )
    assert servers._execute_in(second, "SELECT id FROM outbox") == [(1,)]
    databases.release(second)
    databases.close()

    assert not _exists(first) and not _exists(second)


def test_a_database_whose_schema_a_test_changed_is_dropped_not_reused(template: str) -> None:
    databases = servers.PostgresDatabases(template)
    changed = databases.acquire()
    servers._execute_in(changed, "CREATE TABLE stray (x integer)")
    databases.release(changed)
    _settle(databases)

    fresh = databases.acquire()

    assert fresh != changed
    with pytest.raises(psycopg.errors.UndefinedTable):
        _count(fresh, "stray")
    databases.release(fresh)
    databases.close()
