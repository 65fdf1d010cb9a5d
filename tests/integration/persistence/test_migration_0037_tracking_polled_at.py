"""The migration that keeps the tracking poll's memory on the shipments, on both databases: a
shipment stored before was never asked about (NULL), is silent to the poll, and is claimed
once after upgrading; the downgrade drops the column and keeps the shipments."""

from __future__ import annotations

from datetime import timedelta

from engine.adapters import translation as tr
from engine.adapters.silent_shipments import claim_for_poll, silent_with_carrier
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps
from tests.support.stored_rows import insert_as_stored
from tests.unit.pipeline.test_carrier_polls import NOW, SILENCE, hours_ago

MIGRATION = "tracking_polled_at"
SHIPPED = b.a_shipment(tracking=[], shipped_at=hours_ago(8), created_at=hours_ago(9))


def test_a_shipment_stored_before_was_never_asked_about_and_is_claimed_once_after(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "tracking_polled_at" not in columns_of(engine, "fulfillment_orders")
        with engine.begin() as connection:
            connection.execute(*insert_as_stored(connection, tr.shipment_row(SHIPPED)))

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            shipment = uow.shipments.get(SHIPPED.id)
            assert shipment is not None and shipment.tracking_polled_at is None
            cutoff = NOW - SILENCE
            assert [s.id for s in silent_with_carrier(uow.shipments, "ups", cutoff, 10)] == [
                SHIPPED.id
            ]
            assert claim_for_poll(uow.shipments, [SHIPPED.id], NOW, cutoff) == {SHIPPED.id}
            uow.commit()
        with uows() as uow:
            later = NOW + timedelta(minutes=5)
            assert claim_for_poll(uow.shipments, [SHIPPED.id], later, later - SILENCE) == set()


def test_downgrading_drops_the_column_and_keeps_the_shipments(migration: MigrationSteps) -> None:
    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.shipments.add(SHIPPED)
            uow.commit()
        with uows() as uow:
            claim_for_poll(uow.shipments, [SHIPPED.id], NOW, NOW - SILENCE)
            uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "tracking_polled_at" not in columns_of(engine, "fulfillment_orders")
        with engine.connect() as connection:
            ids = connection.exec_driver_sql("SELECT id FROM fulfillment_orders").scalars()
            assert list(ids) == [SHIPPED.id]
    migration.upgrade()
