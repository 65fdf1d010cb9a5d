"""The returns' location index on both databases: the migration adds it, downgrading drops it
alone, and a location's returns are read through it."""

from __future__ import annotations

from sqlalchemy import inspect

from engine.adapters import migrations
from tests.support.engines import an_engine, migration_named

INDEX = "ix_returns_location_code_created_at"


def indexes(database_url: str) -> set[str]:
    with an_engine(database_url) as engine:
        return {str(index["name"]) for index in inspect(engine).get_indexes("returns")}


def test_downgrading_drops_the_index_alone_and_upgrading_restores_it(database_url: str) -> None:
    head = indexes(database_url)
    this = migration_named("returns_by_location")
    migrations.downgrade(database_url, str(this.revision))
    before = indexes(database_url)
    assert INDEX in before

    migrations.downgrade(database_url, str(this.down_revision))
    assert indexes(database_url) == before - {INDEX}

    migrations.upgrade(database_url)
    assert indexes(database_url) == head
