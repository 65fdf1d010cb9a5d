"""The migration that keeps when stock rows and returns last changed, on both databases: rows
stored before have no time (NULL, unknown) after upgrading and are sent by a backfill since
any day, rows changed after keep their time, and the downgrade drops the columns and keeps
the rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, Table, insert, select

from engine.adapters import orm
from engine.adapters import translation as tr
from engine.adapters.erp_backfill_keys import changed_keys
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

MIGRATION = "stock_and_return_changes"
STOCK_BEFORE = b.a_stock(sku="OLD", location_code="DAL-01")
RETURN_BEFORE = b.a_return(id="RT-OLD")
SINCE = datetime(2026, 3, 10, tzinfo=UTC)
# The stock table as it was: today's has a default for the column the migration adds.
STOCK_AS_STORED = Table(
    "stock", MetaData(), *(Column(c.name, c.type) for c in orm.stock.c if c.name != "updated_at")
)


def test_rows_stored_before_have_no_time_of_change_and_are_sent_since_any_day(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        for table in ("stock", "returns"):
            assert "updated_at" not in columns_of(engine, table)
        with engine.begin() as connection:
            connection.execute(insert(STOCK_AS_STORED), tr.stock_row(STOCK_BEFORE))
            connection.execute(insert(orm.returns), tr.return_row(RETURN_BEFORE))

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.stock.add(b.a_stock(sku="NEW", location_code="DAL-01"))
            uow.returns.add(b.a_return(id="RT-NEW"))
            uow.commit()
        with engine.connect() as connection:
            s, r = orm.stock.c, orm.returns.c
            stock = dict(connection.execute(select(s.sku, s.updated_at)).all())
            returns = dict(connection.execute(select(r.id, r.updated_at)).all())
        assert stock["OLD"] is None and returns["RT-OLD"] is None
        assert stock["NEW"] is not None and returns["RT-NEW"] is not None
        with uows() as uow:
            far_ahead = datetime(2999, 1, 1, tzinfo=UTC)
            assert changed_keys.page(uow, "stock", far_ahead, None, 10) == [("OLD", "DAL-01")]
            assert changed_keys.page(uow, "returns", far_ahead, None, 10) == ["RT-OLD"]


def test_downgrading_drops_the_columns_and_keeps_the_rows(migration: MigrationSteps) -> None:
    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.stock.add(b.a_stock(sku="NEW", location_code="DAL-01"))
            uow.returns.add(b.a_return(id="RT-NEW"))
            uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        for table in ("stock", "returns"):
            assert "updated_at" not in columns_of(engine, table)
        with engine.connect() as connection:
            skus = connection.exec_driver_sql("SELECT sku FROM stock").scalars()
            ids = connection.exec_driver_sql("SELECT id FROM returns").scalars()
            assert (list(skus), list(ids)) == (["NEW"], ["RT-NEW"])
    migration.upgrade()
