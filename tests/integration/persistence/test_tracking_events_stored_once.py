"""Tracking events are rows with a unique key: the database, not only the code, keeps a
carrier's retried post once, and two posts racing each other both land (or one, if equal)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from engine.adapters import orm
from engine.adapters.repositories import tracking_fingerprint
from engine.domain.fulfilment import FulfillmentOrder, ShipmentLine, TrackingEvent
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.engines import an_engine, uow_factory_on

UowFactory = Callable[[], UnitOfWork]
AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
SCANNED = TrackingEvent(AT, "scanned", "Picked up", "Leeds")


def a_shipment(uows: UowFactory, shipment_id: str = "shp_1") -> str:
    with uows() as uow:
        lines = [ShipmentLine("ol_1", "SKU-1", 1)]
        uow.shipments.add(FulfillmentOrder(shipment_id, "ord_1", "DC1", lines, AT))
        uow.commit()
    return shipment_id


def stored_rows(engine: Engine, shipment_id: str) -> int:
    table = orm.shipment_tracking
    with engine.connect() as connection:
        query = select(func.count()).where(table.c.shipment_id == shipment_id)
        return int(connection.execute(query).scalar_one())


def test_the_database_refuses_a_second_copy_of_an_event_the_shipment_has(
    db_engine: Engine, sql_uow_factory: UowFactory
) -> None:
    shipment = a_shipment(sql_uow_factory)
    with sql_uow_factory() as uow:
        found = uow.shipments.get(shipment)
        assert found is not None and found.track(SCANNED)
        uow.commit()

    row = {
        "shipment_id": shipment, "at": AT, "code": "scanned", "description": "Picked up",
        "location": "Leeds",
        "fingerprint": tracking_fingerprint(AT, "scanned", "Picked up", "Leeds"),
    }  # fmt: skip
    with pytest.raises(IntegrityError), db_engine.begin() as connection:
        connection.execute(insert(orm.shipment_tracking).values(row))
    assert stored_rows(db_engine, shipment) == 1


def test_the_same_moment_written_in_another_zone_is_the_same_event_to_the_database() -> None:
    naive_utc = AT.replace(tzinfo=None)  # a time without a zone is UTC
    plus_five = AT.astimezone(timezone(timedelta(hours=5)))
    fingerprints = {tracking_fingerprint(at, "c", "", "") for at in (AT, naive_utc, plus_five)}
    assert len(fingerprints) == 1


def test_two_identical_posts_racing_store_the_event_once_and_neither_fails(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        uows = uow_factory_on(engine)
        shipment = a_shipment(uows)
        first, second = uows(), uows()
        with first, second:
            # Both read the shipment before either writes: the code's check passes for both.
            mine, theirs = first.shipments.get(shipment), second.shipments.get(shipment)
            assert mine is not None and theirs is not None
            assert mine.track(SCANNED) and theirs.track(SCANNED)
            first.commit()
            second.commit()  # already recorded: nothing to add, no error

        assert stored_rows(engine, shipment) == 1
        with uows() as uow:
            found = uow.shipments.get(shipment)
            assert found is not None and found.tracking == [SCANNED]


def test_two_different_posts_racing_both_keep_their_event(postgres_url: str) -> None:
    in_transit = TrackingEvent(AT + timedelta(hours=3), "in_transit", "", "Leeds hub")
    with an_engine(postgres_url) as engine:
        uows = uow_factory_on(engine)
        shipment = a_shipment(uows)
        first, second = uows(), uows()
        with first, second:
            mine, theirs = first.shipments.get(shipment), second.shipments.get(shipment)
            assert mine is not None and theirs is not None
            mine.track(in_transit)
            theirs.track(SCANNED)
            first.commit()
            second.commit()

        with uows() as uow:
            found = uow.shipments.get(shipment)
            # The whole timeline was rewritten by whoever committed last; now each adds its own.
            assert found is not None and found.tracking == [SCANNED, in_transit]


def test_events_of_one_moment_read_back_in_the_order_they_came(
    sql_uow_factory: UowFactory,
) -> None:
    shipment = a_shipment(sql_uow_factory)
    for code in ("b_second", "a_first_in_name_only"):
        with sql_uow_factory() as uow:
            found = uow.shipments.get(shipment)
            assert found is not None and found.track(TrackingEvent(AT, code))
            uow.commit()
    with sql_uow_factory() as uow:
        found = uow.shipments.get(shipment)
        assert found is not None
        assert [event.code for event in found.tracking] == ["b_second", "a_first_in_name_only"]
