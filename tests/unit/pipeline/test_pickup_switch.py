"""Switching an order between shipping and click and collect, through the order's
modification: what was reserved goes back, the order is sourced again for its new way to the
customer, and a switch that cannot be made is refused before anything changes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands, events
from engine.domain.errors import DomainError, IllegalTransition
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.orders import Fulfilment, InvalidLine, OrderStatus
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import build_bus
from tests.unit.pipeline.test_pickup_orders import (
    MORNING,
    a_command,
    a_decider,
    a_pickup,
    a_store_world,
)


def a_world() -> tuple[InMemoryUnitOfWork, Any]:
    """A Newark DC with 50 mugs and the Fifth Avenue store (pickup only) with one; orders
    wait for a person to release them, so a decided order still holds its reservations."""
    uow, _ = a_store_world()
    bus = build_bus(lambda: uow, a_decider(), lambda: MORNING, PipelineOptions(auto_release=False))
    return uow, bus


def shipped_order(bus: Any) -> str:
    return str(bus.handle(a_command(lines=(commands.LineInput("MUG", 1),), fulfilment="ship",
                                    pickup_location=None)))  # fmt: skip


def collected_order(bus: Any) -> str:
    one = (commands.LineInput("MUG", 1),)
    return str(bus.handle(a_command(channel_order_id="W-2", lines=one)))


def live(uow: InMemoryUnitOfWork, order_id: str) -> list[tuple[str, str]]:
    """Where each live shipment of the order goes from, and whether a carrier takes it."""
    with uow:
        return [
            (s.location_code, "pickup" if s.is_pickup else "carrier")
            for s in uow.shipments.for_order(order_id)
            if s.status is not ShipmentStatus.CANCELLED
        ]


def reserved(uow: InMemoryUnitOfWork) -> dict[str, int]:
    with uow:
        return {row.location_code: row.reserved for row in uow.stock.for_sku("MUG")}


def test_a_shipped_order_switched_to_pickup_gives_back_its_stock_and_is_sourced_at_the_store() -> (
    None
):
    uow, bus = a_world()
    order_id = shipped_order(bus)
    assert (live(uow, order_id), reserved(uow)) == (
        [("NJ-DC", "carrier")],
        {"NJ-DC": 1, "NYC-5": 0},
    )
    uow.committed_events.clear()

    bus.handle(commands.ModifyOrder(order_id, fulfilment="pickup", pickup_location="NYC-5"))

    with uow:
        order = uow.orders.get(order_id)
        assert order is not None
        assert (order.status, order.fulfilment, order.pickup_location) == (
            OrderStatus.CARRIER_ASSIGNED,
            Fulfilment.PICKUP,
            "NYC-5",
        )
    assert live(uow, order_id) == [("NYC-5", "pickup")]
    assert reserved(uow) == {"NJ-DC": 0, "NYC-5": 1}
    modified = [e for e in uow.committed_events if isinstance(e, events.OrderModified)]
    assert modified == [
        events.OrderModified(
            order_id, {"fulfilment": ["ship", "pickup"], "pickup_location": [None, "NYC-5"]}
        )
    ]
    assert events.StockReleased(order_id, "MUG", "NJ-DC", 1) in uow.committed_events
    back = events.OrderStatusChanged(
        order_id, OrderStatus.CARRIER_ASSIGNED, OrderStatus.RECEIVED, "modified"
    )
    assert back in uow.committed_events


def test_a_pickup_switched_to_shipping_leaves_its_store_and_ships_from_the_warehouse() -> None:
    uow, bus = a_world()
    order_id = collected_order(bus)
    assert live(uow, order_id) == [("NYC-5", "pickup")]

    bus.handle(commands.ModifyOrder(order_id, fulfilment="ship"))

    with uow:
        order = uow.orders.get(order_id)
        assert order is not None
        assert (order.fulfilment, order.pickup_location) == (Fulfilment.SHIP, None)
    assert live(uow, order_id) == [("NJ-DC", "carrier")]
    assert reserved(uow) == {"NJ-DC": 1, "NYC-5": 0}


def test_a_store_named_alone_moves_a_pickup_and_keeps_it_a_pickup() -> None:
    order = a_pickup()

    assert order.switched_to(None, "NYC-9") == (Fulfilment.PICKUP, "NYC-9")
    assert order.switched_to(Fulfilment.PICKUP, None) == (Fulfilment.PICKUP, "NYC-5")
    assert order.switched_to(Fulfilment.SHIP, None) == (Fulfilment.SHIP, None)


@pytest.mark.parametrize(
    ("asked", "says"),
    [
        ({"fulfilment": "pickup"}, "a pickup order needs the code of the store"),
        ({"pickup_location": "NYC-5"}, "names store 'NYC-5' but the order is shipped"),
        ({"fulfilment": "pickup", "pickup_location": "NOWHERE"}, "is not known to Ordo"),
        ({"fulfilment": "pickup", "pickup_location": "NJ-DC"}, "does not offer pickup"),
        ({"fulfilment": "by_drone"}, "'by_drone' is not one of 'ship', 'pickup'"),
    ],
)
def test_a_switch_that_cannot_be_made_is_refused_at_its_field_and_changes_nothing(
    asked: dict[str, str], says: str
) -> None:
    uow, bus = a_world()
    order_id = shipped_order(bus)

    with pytest.raises(InvalidLine, match=says) as refused:
        bus.handle(commands.ModifyOrder(order_id, **asked))

    assert refused.value.loc in (("pickup_location",), ("fulfilment",))
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None
        assert (order.status, order.fulfilment) == (OrderStatus.CARRIER_ASSIGNED, Fulfilment.SHIP)
    assert reserved(uow) == {"NJ-DC": 1, "NYC-5": 0}


def test_switching_to_what_the_order_already_is_is_nothing_to_change() -> None:
    _, bus = a_world()
    shipped, collected = shipped_order(bus), collected_order(bus)

    with pytest.raises(DomainError, match="it is already shipped to its ship_to"):
        bus.handle(commands.ModifyOrder(shipped, fulfilment="ship"))
    with pytest.raises(DomainError, match="it is already collected at store NYC-5"):
        bus.handle(commands.ModifyOrder(collected, fulfilment="pickup", pickup_location="NYC-5"))


def test_an_order_whose_pickup_the_store_is_already_preparing_cannot_be_switched() -> None:
    uow, bus = a_world()
    order_id = collected_order(bus)
    bus.handle(commands.ReleaseOrder(order_id))
    with uow:
        [shipment] = uow.shipments.for_order(order_id)
    bus.handle(commands.UpdateShipment(shipment.id, "picked"))

    with pytest.raises(IllegalTransition, match="cannot go from 'picked' to 'modified'"):
        bus.handle(commands.ModifyOrder(order_id, fulfilment="ship"))

    assert live(uow, order_id) == [("NYC-5", "pickup")]
    assert reserved(uow) == {"NJ-DC": 0, "NYC-5": 1}
