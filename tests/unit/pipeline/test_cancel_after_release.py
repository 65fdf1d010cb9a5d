"""Cancelling and modifying an order after its release, on the bus with fakes: with every
shipment still released (nothing picked), the order is cancelled or decided again as before
release, its shipments cancelled naming why, audited, their labels dropped and their stock
given back; once a shipment is picked, both are refused naming it and nothing changes."""

from __future__ import annotations

import pytest

from engine.domain import commands as c
from engine.domain import events
from engine.domain.errors import IllegalTransition
from engine.domain.fulfilment import Label, ShipmentStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.orders import OrderStatus
from engine.pipeline.decide import DeciderSettings
from tests.unit.pipeline.world import Engine, build


def a_released_order(units: int = 3) -> tuple[Engine, str, str]:
    """`units` of A from NJ (10 on hand), released as soon as its carrier is assigned (the
    default): the engine, the order's id and its one shipment's id, labelled in PDF."""
    engine = build({("A", "NJ"): (10, 0)}, settings=DeciderSettings(optimiser="greedy"))
    command = c.CreateOrder("web", "W-1", "c1", c.AddressInput("10001"), (c.LineInput("A", units),))
    order_id = str(engine.bus.handle(command))
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED
        [shipment] = uow.shipments.for_order(order_id)
        assert shipment.status is ShipmentStatus.RELEASED
        shipment.label_format = "pdf"
        uow.labels.put("shipment", shipment.id, Label("pdf", b"%PDF-1.4"))
        uow.commit()
    engine.uow.committed_events.clear()
    return engine, order_id, shipment.id


def stock_of_a(engine: Engine) -> tuple[int, int]:
    with engine.uow as uow:
        stock = uow.stock.get(("A", "NJ"))
        assert stock is not None
        return stock.on_hand, stock.reserved


def cancellations(engine: Engine) -> list[events.ShipmentStatusChanged]:
    return [
        e
        for e in engine.uow.committed_events
        if isinstance(e, events.ShipmentStatusChanged) and e.to_status == "cancelled"
    ]


def test_a_released_order_nothing_of_which_is_picked_is_cancelled_and_its_stock_given_back() -> (
    None
):
    engine, order_id, shipment_id = a_released_order()

    status = engine.bus.handle(c.CancelOrder(order_id, "customer asked", "support:ann"))

    assert status == "cancelled"
    assert stock_of_a(engine) == (10, 0)
    with engine.uow as uow:
        [reservation] = uow.reservations.for_order(order_id)
        assert reservation.status is ReservationStatus.RELEASED
        shipment = uow.shipments.get(shipment_id)
        assert shipment is not None
        assert (shipment.status, shipment.label_format) == (ShipmentStatus.CANCELLED, "")
        assert uow.labels.get("shipment", shipment_id) is None
        [entry] = uow.audit.list(entity="shipment", entity_id=shipment_id)
    [event] = cancellations(engine)
    assert (event.shipment_id, event.from_status) == (shipment_id, "released")
    assert event.reason == f"order {order_id} cancelled: customer asked"
    assert (entry.action, entry.actor, entry.before, entry.after) == (
        "shipment.status",
        "support:ann",
        {"status": "released"},
        {"status": "cancelled", "reason": f"order {order_id} cancelled: customer asked"},
    )


def test_a_released_order_modified_is_decided_again_with_a_new_shipment() -> None:
    engine, order_id, shipment_id = a_released_order(units=3)

    status = engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 5}, actor="support:ann"))

    assert status == "received"  # to be decided again: the bus runs the pipeline next
    assert stock_of_a(engine) == (10, 5)
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED  # with its carrier
        by_status = {s.status: s for s in uow.shipments.for_order(order_id)}
        assert set(by_status) == {ShipmentStatus.CANCELLED, ShipmentStatus.RELEASED}
        assert by_status[ShipmentStatus.CANCELLED].id == shipment_id
        assert [line.quantity for line in by_status[ShipmentStatus.RELEASED].lines] == [5]
        reservations = uow.reservations.for_order(order_id)
        assert sorted((r.quantity, r.status) for r in reservations) == [
            (3, ReservationStatus.RELEASED),
            (5, ReservationStatus.ACTIVE),
        ]
    [event] = cancellations(engine)
    assert event.reason == f"order {order_id} modified by support:ann: decided again"


@pytest.mark.parametrize(
    "command",
    [c.CancelOrder("?", "too late"), c.ModifyOrder("?", quantities={"1": 1})],
    ids=["cancel", "modify"],
)
def test_once_a_shipment_is_picked_the_order_is_refused_naming_it_and_nothing_changes(
    command: c.CancelOrder | c.ModifyOrder,
) -> None:
    engine, order_id, shipment_id = a_released_order()
    engine.bus.handle(c.UpdateShipment(shipment_id, "picked"))
    engine.uow.committed_events.clear()

    with pytest.raises(IllegalTransition) as refused:
        engine.bus.handle(type(command)(**{**vars(command), "order_id": order_id}))

    assert f"shipment {shipment_id} at NJ is already picked" in refused.value.message
    assert f"(POST /v1/orders/{order_id}/returns)" in refused.value.message
    assert stock_of_a(engine) == (10, 3)
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        shipment = uow.shipments.get(shipment_id)
        assert order is not None and order.status is OrderStatus.PICKED
        assert shipment is not None and shipment.status is ShipmentStatus.PICKED
    assert engine.uow.committed_events == []


def test_a_shipment_cancelled_with_its_order_can_no_longer_be_picked() -> None:
    engine, order_id, shipment_id = a_released_order()
    engine.bus.handle(c.CancelOrder(order_id, "customer asked"))

    with pytest.raises(IllegalTransition, match="'cancelled' to 'picked'"):
        engine.bus.handle(c.UpdateShipment(shipment_id, "picked"))
