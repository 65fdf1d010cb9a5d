"""The migration that keeps a shipment's planned ship day, on both databases: a shipment
stored before has none (NULL) after upgrading, one stored after keeps its day, and the
downgrade drops the column and keeps the shipments."""

from __future__ import annotations

from datetime import date

from engine.adapters import translation as tr
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps
from tests.support.stored_rows import insert_as_stored

MIGRATION = "planned_ship_date"
STORED_BEFORE = b.a_shipment(id="F-OLD", tracking=[])
PLANNED = b.a_shipment(id="F-NEW", tracking=[], planned_ship_date=date(2026, 3, 4))


def test_a_shipment_stored_before_has_no_planned_day_and_one_stored_after_keeps_its_own(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "planned_ship_date" not in columns_of(engine, "fulfillment_orders")
        with engine.begin() as connection:
            connection.execute(*insert_as_stored(connection, tr.shipment_row(STORED_BEFORE)))

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.shipments.add(PLANNED)
            uow.commit()
        with uows() as uow:
            old, new = uow.shipments.get("F-OLD"), uow.shipments.get("F-NEW")
            assert old is not None and old.planned_ship_date is None
            assert new is not None and new.planned_ship_date == date(2026, 3, 4)


def test_downgrading_drops_the_column_and_keeps_the_shipments(migration: MigrationSteps) -> None:
    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.shipments.add(PLANNED)
            uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "planned_ship_date" not in columns_of(engine, "fulfillment_orders")
        with engine.connect() as connection:
            ids = connection.exec_driver_sql("SELECT id FROM fulfillment_orders").scalars()
            assert list(ids) == [PLANNED.id]
    migration.upgrade()
