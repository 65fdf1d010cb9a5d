"""The migration that gives fulfilment orders their WMS reference, on both databases: a shipment
made before has an empty one and keeps a reference once it is given one; the downgrade drops
the column and keeps the shipments and their tracking events (rebuilding the table on SQLite
would have deleted those through the foreign key's cascade)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, text

from engine.domain.fulfilment import ShipmentStatus, TrackingEvent
from tests.support.builders import a_shipment, at
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, json_value

MIGRATION = "wms_reference"


def a_shipment_made_before(engine: Engine) -> None:
    lines = json.dumps([{"order_line_id": "L1", "sku": "SHOE-42", "quantity": 1}])
    value = json_value(engine, ":lines")
    label = "''::bytea" if engine.dialect.name == "postgresql" else "X''"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO fulfillment_orders (id, order_id, location_code, status, lines, "
                "carrier, service, rate, tracking_number, label_format, label, created_at) "
                f"VALUES ('ful_1', 'ord_1', 'DAL-01', 'released', {value}, 'ups', 'ground', "
                f"'9.50', '', '', {label}, :created)"
            ),
            {"lines": lines, "created": datetime(2026, 11, 24)},
        )


def test_a_shipment_made_before_has_no_wms_reference_and_keeps_one_given_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "wms_reference" not in columns_of(engine, "fulfillment_orders")
        a_shipment_made_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            found = uow.shipments.get("ful_1")
            assert found is not None and found.wms_reference == ""
            found.wms_reference = "WMS-000123"
            uow.commit()
        with uows() as uow:
            again = uow.shipments.get("ful_1")
            assert again is not None and again.wms_reference == "WMS-000123"


def test_downgrading_drops_the_column_and_keeps_the_shipment_and_its_tracking_events(
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.shipments.add(
                a_shipment(
                    id="ful_2",
                    status=ShipmentStatus.SHIPPED,
                    wms_reference="WMS-7",
                    tracking=[TrackingEvent(at(95), "in_transit", "Departed", "Dallas, TX")],
                )
            )
            uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "wms_reference" not in columns_of(engine, "fulfillment_orders")
        with engine.connect() as connection:
            status = connection.execute(text("SELECT status FROM fulfillment_orders"))
            assert status.scalar_one() == "shipped"
            events = connection.execute(text("SELECT code FROM shipment_tracking"))
            assert events.scalars().all() == ["in_transit"]
    migration.to_head()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        kept = uow.shipments.get("ful_2")
        assert kept is not None and kept.wms_reference == "" and len(kept.tracking) == 1
