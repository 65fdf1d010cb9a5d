"""The migration that adds EDI's tables, on both databases: after it, a control number, an
850's envelope and an outbound document are kept; downgrading removes the three tables and
nothing else, and upgrading again gives a pair its numbers from 1."""

from __future__ import annotations

from engine.domain.edi import Pair
from engine.service_layer import edi
from tests.support.migration_steps import MigrationSteps

MIGRATION = "edi_partners"
TABLES = {"edi_control_numbers", "edi_purchase_orders", "edi_outbound"}
ACME = Pair("ZZ", "ORDO", "ZZ", "ACME")


def test_downgrading_removes_the_edi_tables_alone_and_upgrading_starts_the_count_again(
    migration: MigrationSteps,
) -> None:
    with migration.at_this().uows() as uows:
        assert migration.tables() >= TABLES
        assert edi.take_control_number(uows, ACME) == 1
        others = migration.tables() - TABLES

    migration.downgrade()

    assert migration.tables() == others

    migration.upgrade()
    with migration.uows() as uows:
        assert edi.take_control_number(uows, ACME) == 1
