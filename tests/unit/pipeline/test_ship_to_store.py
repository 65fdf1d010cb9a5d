"""Ship to store: what a pickup order's store lacks is sent there from the nearest warehouse
holding it, the transfer's arrival releases that order (not another waiting at the store),
and an order cancelled or changed leaves no transfer behind."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands, events
from engine.domain.catalog import Location, LocationType, Product, Service
from engine.domain.errors import Conflict
from engine.domain.inventory import InboundKind, InboundSupply, ReservationStatus, Stock
from engine.domain.orders import LineStatus, OrderStatus
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry, snapshot_of
from engine.service_layer.messagebus import MessageBus, build_bus

MORNING = datetime(2026, 11, 18, 10, 0)  # a Wednesday
NEAR_DC = Location("NJ-DC", "Newark DC", LocationType.WAREHOUSE, Address("07114"))
FAR_DC = Location("DAL-DC", "Dallas DC", LocationType.WAREHOUSE, Address("75201"))
OTHER_STORE = Location(
    "BKN-1", "Brooklyn", LocationType.STORE, Address("11201"),
    services=frozenset({Service.PICKUP, Service.SHIP_TO_STORE}),
)  # fmt: skip
STORE = Location(
    "NYC-5", "Fifth Avenue", LocationType.STORE, Address("10001", line1="350 5th Ave"),
    cutoff=time(17, 0), services=frozenset({Service.PICKUP, Service.SHIP_TO_STORE}),
)  # fmt: skip
MUG = Product("MUG", "Mug", Decimal("12.00"), weight_kg=0.4)
CUP = Product("CUP", "Cup", Decimal("8.00"), weight_kg=0.3)


def a_world(
    stock: dict[tuple[str, str], int],
    store: Location = STORE,
) -> tuple[InMemoryUnitOfWork, MessageBus]:
    uow = InMemoryUnitOfWork()
    with uow:
        for location in (NEAR_DC, FAR_DC, OTHER_STORE, store):
            uow.locations.add(location)
        uow.products.add(MUG)
        uow.products.add(CUP)
        for (sku, code), units in stock.items():
            uow.stock.add(Stock(sku, code, on_hand=units))
        uow.commit()
    decider = Decider(RulesetRegistry(snapshot_of([])), load_catalog(), DeciderSettings())
    return uow, build_bus(lambda: uow, decider, lambda: MORNING)


def a_pickup(bus: MessageBus, *lines: tuple[str, int], number: str = "W-1") -> str:
    order_id = bus.handle(
        commands.CreateOrder(
            channel="web", channel_order_id=number, customer_id="C-1",
            ship_to=commands.AddressInput("10001"),
            lines=tuple(commands.LineInput(sku, units) for sku, units in lines),
            fulfilment="pickup", pickup_location="NYC-5",
        )
    )  # fmt: skip
    return str(order_id)


def transfers_for(uow: InMemoryUnitOfWork, order_id: str) -> list[InboundSupply]:
    with uow:
        return sorted(uow.inbound.for_order(order_id), key=lambda s: (s.sku, s.id))


def on_hand(uow: InMemoryUnitOfWork, sku: str, code: str) -> tuple[int, int]:
    with uow:
        row = uow.stock.get((sku, code))
        assert row is not None
        return row.on_hand, row.reserved


def status_of(uow: InMemoryUnitOfWork, order_id: str) -> OrderStatus:
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return order.status


def test_the_missing_units_are_sent_from_the_nearest_warehouse_holding_them() -> None:
    uow, bus = a_world(
        {("MUG", "NYC-5"): 1, ("MUG", "NJ-DC"): 10, ("MUG", "DAL-DC"): 50, ("MUG", "BKN-1"): 9}
    )

    order_id = a_pickup(bus, ("MUG", 3))

    [transfer] = transfers_for(uow, order_id)
    assert (transfer.kind, transfer.sku, transfer.reference, transfer.location_code) == (
        InboundKind.TRANSFER, "MUG", "from NJ-DC", "NYC-5",
    )  # fmt: skip
    assert transfer.quantity == 2 and transfer.pending
    assert on_hand(uow, "MUG", "NJ-DC") == (8, 0)
    assert on_hand(uow, "MUG", "BKN-1") == (9, 0)  # a store does not send to a store
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.lines[0].status is LineStatus.BACKORDERED
        # Ready when the transfer is at the store, not before.
        assert order.promised_date == transfer.expected_on > MORNING.date()
        [trace] = [t for t in uow.traces.for_order(order_id) if t.step == "sourcing"]
        [waits] = trace.detail["backorders"]
        assert waits["promised_date"] == transfer.expected_on.isoformat()
        sent = [e for e in uow.committed_events if isinstance(e, events.OrderAwaitingTransfer)]
    assert [(e.order_id, e.transfer_id, e.from_location, e.quantity) for e in sent] == [
        (order_id, transfer.id, "NJ-DC", 2)
    ]


def test_a_warehouse_that_has_too_few_is_topped_up_from_the_next_nearest() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 2, ("MUG", "DAL-DC"): 50})

    order_id = a_pickup(bus, ("MUG", 5))

    assert sorted((t.reference, t.quantity) for t in transfers_for(uow, order_id)) == [
        ("from DAL-DC", 3), ("from NJ-DC", 2),
    ]  # fmt: skip


def test_no_transfer_while_the_store_has_everything_then_one_for_what_it_lacks() -> None:
    uow, bus = a_world({("MUG", "NYC-5"): 3, ("MUG", "NJ-DC"): 10})

    served = a_pickup(bus, ("MUG", 3))
    short = a_pickup(bus, ("MUG", 2), number="W-2")

    assert transfers_for(uow, served) == []
    assert status_of(uow, served) is OrderStatus.RELEASED
    assert [t.quantity for t in transfers_for(uow, short)] == [2]


def test_no_transfer_when_no_warehouse_has_enough_and_the_line_waits_at_the_store() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 1, ("MUG", "BKN-1"): 40})

    order_id = a_pickup(bus, ("MUG", 3))

    assert transfers_for(uow, order_id) == []
    assert status_of(uow, order_id) is OrderStatus.BACKORDERED
    assert on_hand(uow, "MUG", "NJ-DC") == (1, 0)
    with uow:
        [trace] = [t for t in uow.traces.for_order(order_id) if t.step == "sourcing"]
    why = trace.detail["ship_to_store"]["MUG"]
    assert why["why"].startswith("the warehouses can send only 1 of the 3 needed")
    assert why["excluded"] == {"BKN-1": "a store, not a warehouse"}


def test_a_store_that_takes_no_transfers_waits_for_its_own_stock() -> None:
    closed = Location(
        "NYC-5", "Fifth Avenue", LocationType.STORE, Address("10001"),
        services=frozenset({Service.PICKUP}),
    )  # fmt: skip
    uow, bus = a_world({("MUG", "NJ-DC"): 10}, store=closed)

    order_id = a_pickup(bus, ("MUG", 3))

    assert transfers_for(uow, order_id) == []
    with uow:
        [trace] = [t for t in uow.traces.for_order(order_id) if t.step == "sourcing"]
        assert trace.detail["backorders"][0]["promised_date"] is None
    assert trace.detail["ship_to_store"]["MUG"]["why"] == "NYC-5 does not offer ship_to_store"


def test_the_arriving_transfer_releases_its_order_and_not_an_older_one_waiting_there() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 2})
    older = a_pickup(bus, ("MUG", 2), number="W-0")  # sent the two the warehouse has
    later = a_pickup(bus, ("MUG", 2), number="W-1")  # nothing left to send it: it waits
    assert transfers_for(uow, later) == []
    bus.handle(commands.AdjustStock("MUG", "NJ-DC", 2, "found"))
    [sent] = transfers_for(uow, later)
    [still_coming] = transfers_for(uow, older)
    assert still_coming.pending

    bus.handle(commands.ReceiveTransfer(sent.id))

    assert status_of(uow, later) is OrderStatus.RELEASED
    assert status_of(uow, older) is OrderStatus.BACKORDERED
    with uow:
        [shipment] = uow.shipments.for_order(later)
        assert (shipment.location_code, shipment.carrier, shipment.quantity) == (
            "NYC-5", "pickup", 2,
        )  # fmt: skip


def test_units_of_a_first_transfer_stay_with_its_order_until_the_second_arrives() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 2, ("CUP", "NJ-DC"): 1})
    order_id = a_pickup(bus, ("MUG", 2), ("CUP", 1))
    rival = a_pickup(bus, ("MUG", 2), number="W-0")  # waits at the store, nothing to send
    mugs, cups = sorted(transfers_for(uow, order_id), key=lambda t: t.sku != "MUG")

    bus.handle(commands.ReceiveTransfer(mugs.id))

    assert status_of(uow, order_id) is OrderStatus.BACKORDERED
    assert status_of(uow, rival) is OrderStatus.BACKORDERED
    assert on_hand(uow, "MUG", "NYC-5") == (2, 2)  # claimed for the order
    bus.handle(commands.ReceiveTransfer(cups.id))
    assert status_of(uow, order_id) is OrderStatus.RELEASED
    assert status_of(uow, rival) is OrderStatus.BACKORDERED
    with uow:
        [shipment] = uow.shipments.for_order(order_id)
        assert sorted((line.sku, line.quantity) for line in shipment.lines) == [
            ("CUP", 1), ("MUG", 2),
        ]  # fmt: skip
        live = [
            r for r in uow.reservations.for_order(order_id)
            if r.status is ReservationStatus.ACTIVE
        ]  # fmt: skip
    assert sum(r.quantity for r in live) == 3 and not any(r.id.startswith("clm_") for r in live)
    assert on_hand(uow, "MUG", "NYC-5") == (2, 2)


def test_cancelling_the_order_calls_its_transfer_off_and_the_units_go_back() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 10})
    order_id = a_pickup(bus, ("MUG", 3))
    [transfer] = transfers_for(uow, order_id)

    bus.handle(commands.CancelOrder(order_id, "changed mind"))

    [called_off] = transfers_for(uow, order_id)
    assert called_off.cancelled and not called_off.pending
    assert on_hand(uow, "MUG", "NJ-DC") == (10, 0)
    with uow:
        cancelled = [e for e in uow.committed_events if isinstance(e, events.TransferCancelled)]
    assert [(e.transfer_id, e.from_location, e.quantity) for e in cancelled] == [
        (transfer.id, "NJ-DC", 3)
    ]


def test_cancelling_an_order_gives_back_the_units_a_transfer_brought_it() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 2, ("CUP", "NJ-DC"): 1})
    order_id = a_pickup(bus, ("MUG", 2), ("CUP", 1))
    rival = a_pickup(bus, ("MUG", 2), number="W-0")
    [mugs] = [t for t in transfers_for(uow, order_id) if t.sku == "MUG"]
    bus.handle(commands.ReceiveTransfer(mugs.id))

    bus.handle(commands.CancelOrder(order_id, "changed mind"))

    assert status_of(uow, rival) is OrderStatus.RELEASED  # the mugs went to the next in line
    assert on_hand(uow, "CUP", "NJ-DC") == (1, 0)


def test_a_modified_order_keeps_the_transfer_it_still_needs_and_no_more() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 10})
    order_id = a_pickup(bus, ("MUG", 3))
    [transfer] = transfers_for(uow, order_id)

    bus.handle(commands.ModifyOrder(order_id, quantities={"1": 4}))

    kept, added = sorted(transfers_for(uow, order_id), key=lambda t: t.id != transfer.id)
    assert (kept.id, kept.pending, kept.quantity) == (transfer.id, True, 3)
    assert (added.pending, added.quantity) == (True, 1)
    assert on_hand(uow, "MUG", "NJ-DC") == (6, 0)


def test_an_order_switched_to_shipping_leaves_no_transfer_on_its_way() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 10})
    order_id = a_pickup(bus, ("MUG", 3))

    bus.handle(commands.ModifyOrder(order_id, fulfilment="ship"))

    assert [t.cancelled for t in transfers_for(uow, order_id)] == [True]
    with uow:
        [shipment] = [s for s in uow.shipments.for_order(order_id) if s.status.value != "cancelled"]
        assert shipment.location_code == "NJ-DC" and shipment.carrier != "pickup"
    assert on_hand(uow, "MUG", "NJ-DC") == (10, 3)


def test_a_cancelled_transfer_cannot_be_received() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 10})
    order_id = a_pickup(bus, ("MUG", 3))
    bus.handle(commands.CancelOrder(order_id, "changed mind"))
    [transfer] = transfers_for(uow, order_id)

    with pytest.raises(Conflict, match=f"transfer {transfer.id} was cancelled"):
        bus.handle(commands.ReceiveTransfer(transfer.id))

    assert on_hand(uow, "MUG", "NJ-DC") == (10, 0)
    with uow:
        assert uow.stock.get(("MUG", "NYC-5")) is None
