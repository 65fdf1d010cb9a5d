"""The returns' location index on both databases: the migration adds it, downgrading drops it
alone, and a location's returns are read through it."""

from __future__ import annotations

from tests.support.migration_steps import MigrationSteps

MIGRATION = "returns_by_location"
INDEX = "ix_returns_location_code_created_at"


def test_downgrading_drops_the_index_alone_and_upgrading_restores_it(
    migration: MigrationSteps,
) -> None:
    head = migration.indexes("returns")
    before = migration.at_this().indexes("returns")
    assert INDEX in before

    migration.downgrade()
    assert migration.indexes("returns") == before - {INDEX}

    migration.upgrade()
    assert migration.indexes("returns") == head
