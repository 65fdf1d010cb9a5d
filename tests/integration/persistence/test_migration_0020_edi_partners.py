"""The migration that adds EDI's tables, on both databases: after it, a control number, an
850's envelope and an outbound document are kept; downgrading removes the three tables and
nothing else, and upgrading again gives a pair its numbers from 1."""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import inspect

from engine.adapters import migrations
from engine.domain.edi import Pair
from engine.service_layer import edi
from tests.support.engines import an_engine, migration_named, uow_factory_on

TABLES = {"edi_control_numbers", "edi_purchase_orders", "edi_outbound"}
ACME = Pair("ZZ", "ORDO", "ZZ", "ACME")


def this_migration() -> ModuleType:
    return migration_named("edi_partners")


def test_downgrading_removes_the_edi_tables_alone_and_upgrading_starts_the_count_again(
    database_url: str,
) -> None:
    # The schema as this migration left it: later ones add tables of their own, which a
    # downgrade below it removes too.
    migrations.downgrade(database_url, str(this_migration().revision))
    with an_engine(database_url) as engine:
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert edi.take_control_number(uow_factory_on(engine), ACME) == 1
        others = set(inspect(engine).get_table_names()) - TABLES

    migrations.downgrade(database_url, str(this_migration().down_revision))

    with an_engine(database_url) as engine:
        assert set(inspect(engine).get_table_names()) == others

    migrations.upgrade(database_url)
    with an_engine(database_url) as engine:
        assert edi.take_control_number(uow_factory_on(engine), ACME) == 1
