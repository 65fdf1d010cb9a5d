"""Ship to store when stock reaches a warehouse later: a pickup order waiting at a store that
takes `ship_to_store` is sent what it lacks once a warehouse receives it, exactly the missing
units and once, in the backorder pass's rank order; an order waiting at a store that takes no
transfers keeps waiting for the store's own stock."""

from __future__ import annotations

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands, events
from engine.domain.catalog import Location, LocationType, Service
from engine.domain.inventory import InboundSupply
from engine.domain.orders import LineStatus, OrderStatus
from engine.domain.values import Address
from engine.service_layer.backorders import latest_sourcing
from engine.service_layer.messagebus import MessageBus
from tests.unit.pipeline.test_ship_to_store import (
    a_pickup,
    a_world,
    on_hand,
    status_of,
    transfers_for,
)

# A second store near the first that offers pickup but is sent nothing.
NO_TRANSFERS = Location(
    "NYC-6", "Sixth Avenue", LocationType.STORE, Address("10001"),
    services=frozenset({Service.PICKUP}),
)  # fmt: skip


def awaiting(uow: InMemoryUnitOfWork, order_id: str) -> list[events.OrderAwaitingTransfer]:
    return [
        e for e in uow.committed_events if isinstance(e, events.OrderAwaitingTransfer)
        and e.order_id == order_id
    ]  # fmt: skip


def an_order(bus: MessageBus, number: str, units: int, priority: int, store: str = "") -> str:
    """An order for `units` mugs, collected at `store` if one is named, else shipped; a
    higher `priority` ranks it first (the orders share their creation time)."""
    pickup = {"fulfilment": "pickup", "pickup_location": store} if store else {}
    return str(
        bus.handle(
            commands.CreateOrder(
                channel="web", channel_order_id=number, customer_id="C-1",
                ship_to=commands.AddressInput("10001"), lines=(commands.LineInput("MUG", units),),
                priority=priority, **pickup,
            )
        )
    )  # fmt: skip


def pending(transfers: list[InboundSupply]) -> list[tuple[str, str, int]]:
    return [(t.sku, t.reference, t.quantity) for t in transfers if t.pending]


def test_a_pickup_with_no_warehouse_stock_is_sent_the_units_when_a_warehouse_receives_them() -> (
    None
):
    uow, bus = a_world({("MUG", "NJ-DC"): 0})
    order_id = a_pickup(bus, ("MUG", 3))
    assert status_of(uow, order_id) is OrderStatus.BACKORDERED
    assert transfers_for(uow, order_id) == []

    bus.handle(commands.ReceiveStock("MUG", "NJ-DC", 5, "PO-1"))

    [transfer] = transfers_for(uow, order_id)
    assert pending([transfer]) == [("MUG", "from NJ-DC", 3)]
    assert transfer.location_code == "NYC-5"
    assert on_hand(uow, "MUG", "NJ-DC") == (2, 0)
    assert status_of(uow, order_id) is OrderStatus.BACKORDERED  # until the units are there
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.promised_date == transfer.expected_on
        trace = latest_sourcing(uow, order_id)
        assert trace is not None and trace.outcome == "backordered"
        assert trace.detail["reason"] == "MUG arrived" and trace.detail["allocations"] == []
        [waits] = trace.detail["backorders"]
        assert (waits["quantity"], waits["promised_date"]) == (3, transfer.expected_on.isoformat())
        assert trace.detail["ship_to_store"]["MUG"]["sent"][0]["from"] == "NJ-DC"
        assert [e.transfer_id for e in awaiting(uow, order_id)] == [transfer.id]


def test_a_second_receipt_or_the_same_event_again_sends_nothing_more_for_the_same_units() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 0})
    order_id = a_pickup(bus, ("MUG", 3))
    bus.handle(commands.ReceiveStock("MUG", "NJ-DC", 5, "PO-1"))
    with uow:
        [arrival] = [
            e for e in uow.committed_events
            if isinstance(e, events.StockAdjusted) and e.location_code == "NJ-DC" and e.delta > 0
        ]  # fmt: skip

    bus.handle(commands.ReceiveStock("MUG", "NJ-DC", 4, "PO-2"))
    bus.handle(arrival)  # delivered again

    assert pending(transfers_for(uow, order_id)) == [("MUG", "from NJ-DC", 3)]
    assert on_hand(uow, "MUG", "NJ-DC") == (6, 0)
    with uow:
        assert len(awaiting(uow, order_id)) == 1


def test_a_remainder_waiting_at_the_store_is_sent_exactly_the_units_it_still_lacks() -> None:
    uow, bus = a_world({("MUG", "NYC-5"): 1, ("MUG", "NJ-DC"): 0})
    order_id = a_pickup(bus, ("MUG", 3))
    assert status_of(uow, order_id) is OrderStatus.RELEASED  # the one the store has
    assert transfers_for(uow, order_id) == []

    bus.handle(commands.AdjustStock("MUG", "NJ-DC", 10, "found"))

    assert pending(transfers_for(uow, order_id)) == [("MUG", "from NJ-DC", 2)]
    assert on_hand(uow, "MUG", "NJ-DC") == (8, 0)
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.lines[0].status is LineStatus.BACKORDERED
        [shipment] = uow.shipments.for_order(order_id)  # no second pickup before they arrive
        assert shipment.quantity == 1


def test_each_sku_is_sent_as_its_warehouse_stock_arrives_and_the_last_arrival_releases_it() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 0, ("CUP", "NJ-DC"): 0})
    order_id = a_pickup(bus, ("MUG", 2), ("CUP", 1))

    bus.handle(commands.ReceiveStock("MUG", "DAL-DC", 2))
    assert pending(transfers_for(uow, order_id)) == [("MUG", "from DAL-DC", 2)]
    bus.handle(commands.ReceiveStock("CUP", "NJ-DC", 1))
    sent = transfers_for(uow, order_id)
    assert pending(sent) == [("CUP", "from NJ-DC", 1), ("MUG", "from DAL-DC", 2)]

    for transfer in sent:
        bus.handle(commands.ReceiveTransfer(transfer.id))

    assert status_of(uow, order_id) is OrderStatus.RELEASED
    with uow:
        [shipment] = uow.shipments.for_order(order_id)
        assert (shipment.location_code, shipment.carrier) == ("NYC-5", "pickup")
        assert sorted((line.sku, line.quantity) for line in shipment.lines) == [
            ("CUP", 1), ("MUG", 2),
        ]  # fmt: skip


def test_warehouse_stock_goes_to_the_order_ranked_first_and_the_next_is_sent_the_next_units() -> (
    None
):
    uow, bus = a_world({("MUG", "NJ-DC"): 0})
    shipped = an_order(bus, "S-1", 2, priority=3)
    first = an_order(bus, "W-1", 2, priority=2, store="NYC-5")
    second = an_order(bus, "W-2", 2, priority=1, store="NYC-5")

    bus.handle(commands.ReceiveStock("MUG", "NJ-DC", 4))

    assert status_of(uow, shipped) is OrderStatus.RELEASED  # oldest, served from the DC
    assert pending(transfers_for(uow, first)) == [("MUG", "from NJ-DC", 2)]
    assert transfers_for(uow, second) == []
    bus.handle(commands.ReceiveStock("MUG", "NJ-DC", 2))
    assert pending(transfers_for(uow, second)) == [("MUG", "from NJ-DC", 2)]
    assert on_hand(uow, "MUG", "NJ-DC") == (2, 2)


def test_an_order_waiting_at_a_store_that_takes_no_transfers_is_not_sent_the_units() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 0})
    with uow:
        uow.locations.add(NO_TRANSFERS)
        uow.commit()
    order_id = an_order(bus, "W-0", 2, priority=2, store="NYC-6")
    supplied = an_order(bus, "W-1", 2, priority=1, store="NYC-5")  # ranked after it

    bus.handle(commands.ReceiveStock("MUG", "NJ-DC", 2))

    assert transfers_for(uow, order_id) == []
    assert status_of(uow, order_id) is OrderStatus.BACKORDERED
    with uow:
        traces = [t for t in uow.traces.for_order(order_id) if t.step == "sourcing"]
        assert len(traces) == 1  # nothing decided again for it
    # The units it could not have went to the order whose store is sent them.
    assert pending(transfers_for(uow, supplied)) == [("MUG", "from NJ-DC", 2)]
