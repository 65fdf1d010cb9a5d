"""Whether a tracking post is new is decided with the shipment's row locked: two identical
posts racing each other record the event once and audit it once, and the second is told it
added nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, Table, func, select

from engine.adapters import orm
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.commands import TrackShipment
from engine.domain.fulfilment import FulfillmentOrder, ShipmentLine, ShipmentStatus
from engine.service_layer.tracking import track_shipment
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.engines import an_engine
from tests.support.racing import MeetingAtCommit

UowFactory = Callable[[], UnitOfWork]
AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
SCANNED = TrackShipment("shp_1", AT, "scanned", "Picked up", "Leeds", actor="carrier-hook")


def a_shipment(uow: UnitOfWork, shipment_id: str = "shp_1") -> str:
    with uow:
        lines = [ShipmentLine("ol_1", "SKU-1", 1)]
        # Shipped: a carrier has it, so it takes tracking events.
        shipped = ShipmentStatus.SHIPPED
        uow.shipments.add(FulfillmentOrder(shipment_id, "ord_1", "DC1", lines, AT, status=shipped))
        uow.commit()
    return shipment_id


def count(engine: Engine, table: Table, **where: str) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(connection.execute(query).scalar_one())


def test_two_identical_posts_racing_store_one_event_and_write_one_audit_entry(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)
        shipment = a_shipment(SqlAlchemyUnitOfWork(sessions))
        meeting = threading.Barrier(2)

        def post() -> bool:
            return track_shipment(SCANNED, MeetingAtCommit(sessions, meeting))

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = [future.result(timeout=30) for future in [pool.submit(post) for _ in "ab"]]

        assert count(engine, orm.shipment_tracking, shipment_id=shipment) == 1
        audited = count(engine, orm.audit_log, entity_id=shipment, action="shipment.tracking")
        assert audited == 1
        assert sorted(answers) == [False, True]  # one recorded it, the other found it there


def test_a_repeated_post_adds_nothing_and_audits_nothing(sql_uow_factory: UowFactory) -> None:
    shipment = a_shipment(sql_uow_factory())
    assert track_shipment(SCANNED, sql_uow_factory()) is True
    assert track_shipment(SCANNED, sql_uow_factory()) is False
    with sql_uow_factory() as uow:
        found = uow.shipments.get(shipment)
        assert found is not None and [event.code for event in found.tracking] == ["scanned"]
        entries = uow.audit.list(entity="shipment", entity_id=shipment)
        assert [(e.action, e.actor) for e in entries] == [("shipment.tracking", "carrier-hook")]


def test_a_shipment_read_before_its_row_is_locked_is_not_handed_out_as_locked(
    sql_uow_factory: UowFactory,
) -> None:
    shipment = a_shipment(sql_uow_factory())
    with sql_uow_factory() as uow:
        assert uow.shipments.get(shipment) is not None
        with pytest.raises(RuntimeError, match="before its row was locked"):
            uow.shipments.get_for_update(shipment)
    with sql_uow_factory() as uow:
        locked = uow.shipments.get_for_update(shipment)
        assert locked is not None and uow.shipments.get_for_update(shipment) is locked
        assert uow.shipments.get_for_update("shp_none") is None
