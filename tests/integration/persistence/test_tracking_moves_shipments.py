"""A carrier's scan moves the shipment on SQLite and PostgreSQL, in the transaction that
records it: `delivered` delivers the shipment (and the order once all its shipments are),
a failed attempt is raised, and every event leaves through the outbox with the timeline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from engine.adapters import orm
from engine.domain.commands import TrackShipment
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.orders import OrderStatus
from engine.service_layer.tracking import track_shipment
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b

SHIPPED_AT = b.at(90)
DELIVERED_AT = b.at(60 * 24)


def an_order_shipped_in(uows: UowFactory, shipments: int) -> None:
    with uows() as uow:
        uow.orders.add(b.a_plain_order(1, status=OrderStatus.SHIPPED))
        for number in range(1, shipments + 1):
            uow.shipments.add(
                b.a_shipment(
                    id=f"F-{number}", status=ShipmentStatus.SHIPPED, shipped_at=SHIPPED_AT,
                    tracking=[],
                )
            )  # fmt: skip
        uow.commit()


def outbox(engine: Engine) -> list[tuple[str, dict[str, object]]]:
    with engine.connect() as connection:
        rows = connection.execute(select(orm.outbox).order_by(orm.outbox.c.id)).mappings()
        return [(str(row["name"]), dict(row["payload"])) for row in rows]


def scan(uows: UowFactory, shipment_id: str, code: str, minutes_after: int = 0) -> bool:
    at = DELIVERED_AT + timedelta(minutes=minutes_after)
    return track_shipment(TrackShipment(shipment_id, at, code, "", "Dallas", "ups-hook"), uows())


def test_a_delivered_scan_delivers_the_shipment_and_its_order_in_the_same_commit(
    sql_uow_factory: UowFactory, db_engine: Engine
) -> None:
    an_order_shipped_in(sql_uow_factory, shipments=1)
    assert scan(sql_uow_factory, "F-1", "DL")

    with sql_uow_factory() as uow:
        shipment, order = uow.shipments.get("F-1"), uow.orders.get("O-1")
        assert shipment is not None and order is not None
        assert (shipment.status, shipment.delivered_at) == (ShipmentStatus.DELIVERED, DELIVERED_AT)
        assert order.status is OrderStatus.DELIVERED
        [entry] = uow.audit.list(entity="shipment", entity_id="F-1")
    assert (entry.before, entry.after["status"]) == ({"status": "shipped"}, "delivered")
    assert sorted(name for name, _ in outbox(db_engine)) == [
        "order.status_changed",
        "shipment.status_changed",
        "shipment.tracked",
    ]


def test_an_order_waits_for_its_other_shipment_to_be_delivered(
    sql_uow_factory: UowFactory,
) -> None:
    an_order_shipped_in(sql_uow_factory, shipments=2)
    scan(sql_uow_factory, "F-1", "delivered")
    with sql_uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None and order.status is OrderStatus.SHIPPED
    scan(sql_uow_factory, "F-2", "01")
    with sql_uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None and order.status is OrderStatus.DELIVERED


def test_an_older_scan_arriving_after_the_delivery_leaves_everything_as_it_was(
    sql_uow_factory: UowFactory, db_engine: Engine
) -> None:
    an_order_shipped_in(sql_uow_factory, shipments=1)
    scan(sql_uow_factory, "F-1", "DL")
    before = outbox(db_engine)
    assert scan(sql_uow_factory, "F-1", "02", minutes_after=-120)

    with sql_uow_factory() as uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.status is ShipmentStatus.DELIVERED
        assert [t.code for t in shipment.tracking] == ["02", "DL"]
    added = outbox(db_engine)[len(before) :]
    assert [(name, payload["milestone"]) for name, payload in added] == [
        ("shipment.tracked", "attempted")
    ]


def test_a_failed_attempt_leaves_through_the_outbox_with_what_the_carrier_said(
    sql_uow_factory: UowFactory, db_engine: Engine
) -> None:
    an_order_shipped_in(sql_uow_factory, shipments=1)
    scan(sql_uow_factory, "F-1", "NOTICE LEFT")  # not a code: no milestone, nothing raised
    assert scan(sql_uow_factory, "F-1", "delivery_attempted", minutes_after=30)

    raised = [payload for name, payload in outbox(db_engine) if name.endswith("_exception")]
    assert raised == [
        {
            "shipment_id": "F-1", "order_id": "O-1", "milestone": "attempted",
            "code": "delivery_attempted", "description": "",
            "at": (DELIVERED_AT + timedelta(minutes=30)).isoformat(), "location": "Dallas",
            "parcel_tracking_number": "",
        }
    ]  # fmt: skip
    with sql_uow_factory() as uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.status is ShipmentStatus.SHIPPED
