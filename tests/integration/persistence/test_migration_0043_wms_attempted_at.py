"""The migration that keeps on a shipment that its release to a WMS was attempted, on both
databases: a released or cancelled shipment stored before without a reference may have been
attempted, so it keeps being looked up at the WMS when cancelled; one sent (with a
reference) or still pending was not; the downgrade drops the column and keeps the
shipments."""

from __future__ import annotations

from engine.adapters import translation as tr
from engine.domain.fulfilment import ShipmentStatus
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps
from tests.support.stored_rows import insert_as_stored

MIGRATION = "wms_attempted_at"
CREATED = b.at(9)


def a_shipment(id: str, status: ShipmentStatus, wms_reference: str = "") -> tr.Row:
    shipment = b.a_shipment(id=id, status=status, wms_reference=wms_reference, tracking=[],
                            shipped_at=None, created_at=CREATED)  # fmt: skip
    return tr.shipment_row(shipment)


def test_shipments_released_or_cancelled_before_without_a_reference_count_as_attempted(
    migration: MigrationSteps,
) -> None:
    stored = {
        "F-LOST": ShipmentStatus.CANCELLED,
        "F-ON-ITS-WAY": ShipmentStatus.RELEASED,
        "F-PENDING": ShipmentStatus.PENDING,
    }
    with migration.at_before().engine() as engine:
        assert "wms_attempted_at" not in columns_of(engine, "fulfillment_orders")
        with engine.begin() as connection:
            for id, status in stored.items():
                connection.execute(*insert_as_stored(connection, a_shipment(id, status)))
            sent = a_shipment("F-SENT", ShipmentStatus.CANCELLED, "WMS-7")
            connection.execute(*insert_as_stored(connection, sent))

    migration.upgrade()

    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        attempted = {
            id: shipment.wms_attempted_at
            for id in [*stored, "F-SENT"]
            if (shipment := uow.shipments.get(id)) is not None
        }
        assert attempted == {
            "F-LOST": CREATED, "F-ON-ITS-WAY": CREATED, "F-PENDING": None, "F-SENT": None,
        }  # fmt: skip


def test_downgrading_drops_the_column_and_keeps_the_shipments(migration: MigrationSteps) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.shipments.add(b.a_shipment(id="F-1", wms_attempted_at=CREATED))
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "wms_attempted_at" not in columns_of(engine, "fulfillment_orders")
        with engine.connect() as connection:
            ids = connection.exec_driver_sql("SELECT id FROM fulfillment_orders").scalars()
            assert list(ids) == ["F-1"]
    migration.upgrade()
