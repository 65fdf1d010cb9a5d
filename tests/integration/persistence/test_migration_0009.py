"""Migration 0009 on both databases: dead letters get a table, returns their indexes, and the
tracking events stored as JSON lists become rows, a shipment's duplicates dropped first (the
earliest kept) so the unique key cannot fail on old data; the downgrade puts them back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, text

from engine.domain.fulfilment import TrackingEvent
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, indexes_of, json_value

MIGRATION = "dead_letters_tracking_returns"

SCANNED = {"at": "2026-11-22T09:30:00+00:00", "code": "scanned", "description": "Picked up",
           "location": "Leeds"}  # fmt: skip
IN_TRANSIT = {"at": "2026-11-22T12:00:00+00:00", "code": "in_transit", "description": "",
              "location": ""}  # fmt: skip
# As old rows may hold them: a carrier's retry stored twice, once without a zone (UTC) and
# once in another zone, and out of time order.
STORED_BEFORE = [
    IN_TRANSIT,
    SCANNED,
    {**SCANNED, "at": "2026-11-22T09:30:00"},
    {**IN_TRANSIT, "at": "2026-11-22T17:00:00+05:00"},
    SCANNED,
]


def a_shipment_at_0008(engine: Engine, tracking: list[dict[str, str]]) -> None:
    tracking_value, lines_value = json_value(engine, ":tracking"), json_value(engine, "'[]'")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO fulfillment_orders (id, order_id, location_code, status, lines, "
                "carrier, service, rate, tracking_number, label_format, label, tracking, "
                f"created_at) VALUES ('shp_1', 'ord_1', 'DC1', 'shipped', {lines_value}, "
                f"'ups', 'ground', '5.00', '1Z', '', :label, {tracking_value}, :created)"
            ),
            {"label": b"", "tracking": json.dumps(tracking), "created": datetime(2026, 11, 22)},
        )


def test_upgrading_keeps_each_stored_tracking_event_once_in_time_order(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        a_shipment_at_0008(engine, STORED_BEFORE)

    migration.upgrade()

    with migration.engine() as engine:
        with uow_factory_on(engine)() as uow:
            shipment = uow.shipments.get("shp_1")
        assert shipment is not None
        assert shipment.tracking == [
            TrackingEvent(datetime(2026, 11, 22, 9, 30, tzinfo=UTC), "scanned", "Picked up",
                          "Leeds"),
            TrackingEvent(datetime(2026, 11, 22, 12, tzinfo=UTC), "in_transit"),
        ]  # fmt: skip
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM shipment_tracking"))
            assert count.scalar_one() == 2
        assert "tracking" not in columns_of(engine, "fulfillment_orders")
        assert {"ix_returns_rma", "ix_returns_created_at"} <= indexes_of(engine, "returns")
        assert "dead_letters" in inspect(engine).get_table_names()


def test_downgrading_puts_the_events_back_on_the_shipment_and_drops_what_0009_added(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        a_shipment_at_0008(engine, STORED_BEFORE)
    migration.upgrade()

    migration.downgrade()

    with migration.engine() as engine:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT tracking FROM fulfillment_orders"))
            value = stored.scalar_one()
        assert (json.loads(value) if isinstance(value, str) else value) == [SCANNED, IN_TRANSIT]
        tables = set(inspect(engine).get_table_names())
        assert not {"dead_letters", "shipment_tracking"} & tables
        assert not {"ix_returns_rma", "ix_returns_created_at"} & indexes_of(engine, "returns")
    migration.to_head()
