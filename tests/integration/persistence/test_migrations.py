"""The Alembic migrations build exactly the schema the code expects, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from engine.adapters import migrations
from engine.adapters.database import make_engine

ALL_TABLES = {name for meta in migrations.target_metadata() for name in meta.tables}


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, migrations.target_metadata()))  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    assert _differences(database_url) == []


def test_a_migrated_database_is_at_the_newest_revision(database_url: str) -> None:
    assert migrations.current(database_url) == migrations.head()


def test_upgrading_an_up_to_date_database_changes_nothing(database_url: str) -> None:
    migrations.upgrade(database_url)

    assert migrations.current(database_url) == migrations.head()
    assert _differences(database_url) == []


def test_downgrading_to_the_beginning_removes_every_table_and_upgrading_restores_them(
    database_url: str,
) -> None:
    migrations.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    assert migrations.current(database_url) is None

    migrations.upgrade(database_url)
    assert _tables(database_url) == ALL_TABLES


def test_migrations_run_from_any_working_directory_into_a_new_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    url = f"sqlite:///{tmp_path / 'data' / 'nested' / 'ordo.sqlite3'}"

    migrations.upgrade(url)

    assert migrations.current(url) == migrations.head()
    assert _tables(url) == ALL_TABLES
