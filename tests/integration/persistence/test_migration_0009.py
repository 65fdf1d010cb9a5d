"""Migration 0009 on both databases: dead letters get a table, returns their indexes, and the
tracking events stored as JSON lists become rows, a shipment's duplicates dropped first (the
earliest kept) so the unique key cannot fail on old data; the downgrade puts them back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text

from engine.adapters import migrations
from engine.domain.fulfilment import TrackingEvent
from tests.support.engines import an_engine, uow_factory_on

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
    tracking_value = (
        "CAST(:tracking AS JSONB)" if engine.dialect.name == "postgresql" else (":tracking")
    )
    lines_value = "CAST('[]' AS JSONB)" if engine.dialect.name == "postgresql" else "'[]'"
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


def indexes(engine: Engine, table: str) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes(table)}


@pytest.fixture
def at_0008(database_url: str) -> str:
    migrations.downgrade(database_url, "0008")
    return database_url


def test_upgrading_keeps_each_stored_tracking_event_once_in_time_order(at_0008: str) -> None:
    with an_engine(at_0008) as engine:
        a_shipment_at_0008(engine, STORED_BEFORE)

    migrations.upgrade(at_0008)

    with an_engine(at_0008) as engine:
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
        assert "tracking" not in {c["name"] for c in inspect(engine).get_columns(
            "fulfillment_orders")}  # fmt: skip
        assert {"ix_returns_rma", "ix_returns_created_at"} <= indexes(engine, "returns")
        assert "dead_letters" in inspect(engine).get_table_names()


def test_downgrading_puts_the_events_back_on_the_shipment_and_drops_what_0009_added(
    at_0008: str,
) -> None:
    with an_engine(at_0008) as engine:
        a_shipment_at_0008(engine, STORED_BEFORE)
    migrations.upgrade(at_0008)

    migrations.downgrade(at_0008, "0008")

    with an_engine(at_0008) as engine:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT tracking FROM fulfillment_orders"))
            value = stored.scalar_one()
        assert (json.loads(value) if isinstance(value, str) else value) == [SCANNED, IN_TRANSIT]
        tables = set(inspect(engine).get_table_names())
        assert not {"dead_letters", "shipment_tracking"} & tables
        assert not {"ix_returns_rma", "ix_returns_created_at"} & indexes(engine, "returns")
    migrations.upgrade(at_0008)
    assert migrations.current(at_0008) == migrations.head()
