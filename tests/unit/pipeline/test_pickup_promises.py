"""A pickup order waiting for a ship-to-store transfer is ready when the transfer is there:
when the transfer's arrival day moves (its shipped report, a repeated report, a carrier's
scan), the order's promised date moves with it; a day past the decision's promise tells the
customer once per slip, an earlier one is taken silently, each move is on the order's audit
trail, and an order no longer waiting for the transfer keeps its date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands, events
from engine.domain.orders import OrderStatus
from engine.domain.tracking_codes import Milestone
from engine.service_layer.backorders import latest_sourcing
from engine.service_layer.messagebus import MessageBus
from engine.service_layer.notifications import CustomerNotifier
from tests.unit.pipeline.test_ship_to_store import a_world, status_of, transfers_for

LEFT = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def a_pickup_with_email(bus: MessageBus, *lines: tuple[str, int], number: str = "W-1") -> str:
    return str(
        bus.handle(
            commands.CreateOrder(
                channel="web", channel_order_id=number, customer_id="C-1",
                ship_to=commands.AddressInput("10001"), email="ada@example.com",
                lines=tuple(commands.LineInput(sku, units) for sku, units in lines),
                fulfilment="pickup", pickup_location="NYC-5",
            )
        )
    )  # fmt: skip


def shipped(transfer_id: str, expected_on: date) -> commands.ReportTransferShipped:
    return commands.ReportTransferShipped(
        transfer_id, "ups", f"1Z{transfer_id}", LEFT, expected_on, "wms:nj"
    )


def promised(uow: InMemoryUnitOfWork, order_id: str) -> date | None:
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return order.promised_date


def delays(uow: InMemoryUnitOfWork) -> list[events.OrderPickupDelayed]:
    with uow:
        return [e for e in uow.committed_events if isinstance(e, events.OrderPickupDelayed)]


def waiting_for_one_transfer() -> tuple[InMemoryUnitOfWork, MessageBus, str, str, date]:
    """A pickup of three mugs its store lacks, sent from the warehouse: (uow, bus, order,
    transfer, the day it was promised)."""
    uow, bus = a_world({("MUG", "NJ-DC"): 10})
    order_id = a_pickup_with_email(bus, ("MUG", 3))
    [transfer] = transfers_for(uow, order_id)
    day = promised(uow, order_id)
    assert day == transfer.expected_on
    return uow, bus, order_id, transfer.id, day


def test_a_later_arrival_day_moves_the_pickups_promise_and_tells_the_customer_once() -> None:
    uow, bus, order_id, transfer_id, day = waiting_for_one_transfer()
    bus.handle(shipped(transfer_id, day))  # shipped as planned: nothing to tell

    bus.handle(shipped(transfer_id, day + timedelta(days=3)))
    bus.handle(shipped(transfer_id, day + timedelta(days=3)))  # the WMS retrying

    assert promised(uow, order_id) == day + timedelta(days=3)
    [delay] = delays(uow)
    assert (delay.order_id, delay.transfer_id, delay.pickup_location) == (
        order_id, transfer_id, "NYC-5",
    )  # fmt: skip
    assert (delay.promised_date, delay.ready_date, delay.previous_ready_date) == (
        day.isoformat(), (day + timedelta(days=3)).isoformat(), day.isoformat(),
    )  # fmt: skip
    assert delay.days_late == 3
    # The decision's own record keeps what the customer was promised.
    with uow:
        trace = latest_sourcing(uow, order_id)
        assert trace is not None
        assert trace.detail["backorders"][0]["promised_date"] == day.isoformat()


def test_the_first_shipped_report_with_a_later_carriers_day_is_a_slip_too() -> None:
    uow, bus, order_id, transfer_id, day = waiting_for_one_transfer()

    bus.handle(shipped(transfer_id, day + timedelta(days=2)))

    assert promised(uow, order_id) == day + timedelta(days=2)
    assert [d.days_late for d in delays(uow)] == [2]


def test_each_later_day_is_told_again_and_a_redelivered_event_tells_nothing_more() -> None:
    uow, bus, order_id, transfer_id, day = waiting_for_one_transfer()
    bus.handle(shipped(transfer_id, day + timedelta(days=1)))
    bus.handle(shipped(transfer_id, day + timedelta(days=4)))
    with uow:
        [revised] = [
            e for e in uow.committed_events if isinstance(e, events.TransferArrivalRevised)
        ]  # fmt: skip

    bus.handle(revised)  # delivered again

    assert promised(uow, order_id) == day + timedelta(days=4)
    assert [(d.previous_ready_date, d.days_late) for d in delays(uow)] == [
        (day.isoformat(), 1), ((day + timedelta(days=1)).isoformat(), 4),
    ]  # fmt: skip


def promise_entries(uow: InMemoryUnitOfWork, order_id: str) -> list[tuple[Any, Any]]:
    """The order's audit entries of its ready day moving: (before, after) each, oldest first."""
    return [
        (e.before, e.after)
        for e in uow.audit.committed
        if (e.action, e.entity, e.entity_id, e.actor)
        == ("order.pickup_promise", "order", order_id, "system")
    ]


def test_each_move_of_the_ready_day_is_on_the_orders_audit_trail_once() -> None:
    uow, bus, order_id, transfer_id, day = waiting_for_one_transfer()
    later, earlier = day + timedelta(days=3), day - timedelta(days=1)
    bus.handle(shipped(transfer_id, day))  # as planned: the day does not move
    assert promise_entries(uow, order_id) == []

    bus.handle(shipped(transfer_id, later))
    bus.handle(shipped(transfer_id, later))  # the WMS retrying: nothing moves
    bus.handle(shipped(transfer_id, earlier))

    assert promise_entries(uow, order_id) == [
        (
            {"promised_date": day.isoformat()},
            {"promised_date": later.isoformat(), "transfer_id": transfer_id,
             "expected_on": later.isoformat(), "delayed": True},
        ),
        (
            {"promised_date": later.isoformat()},
            {"promised_date": earlier.isoformat(), "transfer_id": transfer_id,
             "expected_on": earlier.isoformat(), "delayed": False},
        ),
    ]  # fmt: skip


def test_an_earlier_day_moves_the_promise_silently_and_one_back_within_it_too() -> None:
    uow, bus, order_id, transfer_id, day = waiting_for_one_transfer()
    bus.handle(shipped(transfer_id, day))

    bus.handle(shipped(transfer_id, day - timedelta(days=1)))
    assert promised(uow, order_id) == day - timedelta(days=1)
    bus.handle(shipped(transfer_id, day))  # later again, but not past the promise

    assert promised(uow, order_id) == day
    assert delays(uow) == []


def test_a_carriers_scan_estimating_a_later_day_moves_the_promise_and_tells_the_customer() -> None:
    uow, bus, order_id, transfer_id, day = waiting_for_one_transfer()
    bus.handle(shipped(transfer_id, day))

    bus.handle(
        commands.TrackTransfer(
            transfer_id, LEFT + timedelta(hours=8), "IT", Milestone.IN_TRANSIT,
            day + timedelta(days=2), "carrier:ups",
        )
    )  # fmt: skip

    assert promised(uow, order_id) == day + timedelta(days=2)
    assert [d.days_late for d in delays(uow)] == [2]


def test_the_order_is_ready_when_its_last_transfer_is_there_whichever_moved() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 5, ("CUP", "DAL-DC"): 5})
    order_id = a_pickup_with_email(bus, ("MUG", 1), ("CUP", 1))
    [cups] = [t for t in transfers_for(uow, order_id) if t.sku == "CUP"]
    [mugs] = [t for t in transfers_for(uow, order_id) if t.sku == "MUG"]
    assert mugs.expected_on < cups.expected_on == promised(uow, order_id)

    bus.handle(shipped(mugs.id, cups.expected_on))  # the mugs now come with the cups
    assert promised(uow, order_id) == cups.expected_on
    bus.handle(shipped(mugs.id, cups.expected_on + timedelta(days=1)))

    assert promised(uow, order_id) == cups.expected_on + timedelta(days=1)
    [delay] = delays(uow)
    assert (delay.transfer_id, delay.promised_date, delay.days_late) == (
        mugs.id, cups.expected_on.isoformat(), 1,
    )  # fmt: skip


def test_an_order_cancelled_keeps_its_date_while_another_waiting_follows_its_transfer() -> None:
    uow, bus = a_world({("MUG", "NJ-DC"): 10})
    gone = a_pickup_with_email(bus, ("MUG", 3), number="W-0")
    kept = a_pickup_with_email(bus, ("MUG", 2))
    [released] = transfers_for(uow, gone)
    [followed] = transfers_for(uow, kept)
    gone_day, kept_day = promised(uow, gone), promised(uow, kept)
    assert gone_day is not None and kept_day is not None
    bus.handle(shipped(released.id, gone_day))
    bus.handle(shipped(followed.id, kept_day))
    bus.handle(commands.CancelOrder(gone, "changed mind"))  # its transfer keeps going

    bus.handle(shipped(released.id, gone_day + timedelta(days=5)))
    bus.handle(shipped(followed.id, kept_day + timedelta(days=5)))

    assert status_of(uow, gone) is OrderStatus.CANCELLED
    assert promised(uow, gone) == gone_day
    assert promised(uow, kept) == kept_day + timedelta(days=5)
    assert [d.order_id for d in delays(uow)] == [kept]


def test_the_customer_is_emailed_the_new_day_and_the_store_to_collect_at() -> None:
    uow, bus, order_id, transfer_id, day = waiting_for_one_transfer()
    bus.handle(shipped(transfer_id, day + timedelta(days=2)))
    [delay] = delays(uow)
    sent: list[tuple[str, list[str], Mapping[str, Any]]] = []

    class Outbox:
        def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
            sent.append((kind, list(to), context))

    with uow:
        message = Message("e1", delay.name, delay.payload(), order_id)
        CustomerNotifier(Outbox())(message, uow)

    [(kind, to, context)] = sent
    assert (kind, to) == ("pickup_delayed", ["ada@example.com"])
    assert context["event"]["ready_date"] == (day + timedelta(days=2)).isoformat()
    assert context["order"]["promised_date"] == (day + timedelta(days=2)).isoformat()
    assert context["pickup"]["name"] == "Fifth Avenue"
