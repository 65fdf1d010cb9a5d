"""A shop's cancellation of one of its orders, on the bus with fakes: the order filed under the
channel's id is cancelled as support cancels one (stock back, audited for the channel), an
order that ships nothing already is left as it is, one Ordo has not seen yet is remembered
(test_early_channel_cancellations.py), and one past cancelling is refused with
`order.cancel_refused` and a high alert, once per order."""

from __future__ import annotations

from typing import Any

from engine.domain import commands as c
from engine.domain import events
from engine.domain.fulfilment import Return, ReturnStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.orders import OrderStatus
from engine.domain.values import utcnow
from engine.pipeline.decide import DeciderSettings
from engine.service_layer import audit
from engine.service_layer.channel_cancellations import (
    REFUSED_RULE,
    ChannelCancellation,
    Outcome,
    cancel_for_channel,
)
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.unit_of_work import UnitOfWork
from tests.unit.pipeline.world import Engine, build

SHOP = "channel:shopify-us (shopify webhook)"


def a_reserved_order(auto_release: bool = False) -> tuple[Engine, str]:
    """Order W-1 of channel `shop` for 2 of A (NJ has 5): reserved, or released."""
    engine = build(
        {("A", "NJ"): (5, 0)},
        settings=DeciderSettings(optimiser="greedy"),
        options=PipelineOptions(auto_release=auto_release),
    )
    command = c.CreateOrder("shop", "W-1", "c1", c.AddressInput("10001"), (c.LineInput("A", 2),))
    order_id = str(engine.bus.handle(command))
    engine.uow.committed_events.clear()
    return engine, order_id


def a_picked_order() -> tuple[Engine, str]:
    """Order W-1, released and its shipment picked at NJ: past cancelling."""
    engine, order_id = a_reserved_order(auto_release=True)
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)
    engine.bus.handle(c.UpdateShipment(shipment.id, "picked"))
    engine.uow.committed_events.clear()
    return engine, order_id


def a_delivered_order() -> tuple[Engine, str]:
    """Order W-1, its one shipment packed, shipped and delivered: nothing left to send."""
    engine, order_id = a_picked_order()
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)
    for status in ("packed", "shipped", "delivered"):
        engine.bus.handle(c.UpdateShipment(shipment.id, status, tracking_number="1Z1"))
    engine.uow.committed_events.clear()
    return engine, order_id


def a_return_refunded_in_the_shop(engine: Engine, order_id: str) -> None:
    with engine.uow as uow:
        refunded = Return("ret_1", order_id, [], utcnow(), ReturnStatus.REFUNDED, rma="RMA-1")
        uow.returns.add(refunded)
        audit.record(uow, "system", "return.refund_sent_to_channel", "return", "ret_1")
        uow.commit()


def cancel(engine: Engine, channel_order_id: str = "W-1") -> Outcome:
    def dispatch(command: c.Command, audited: Any) -> Any:
        return engine.bus.handle(command, before_commit=audited)

    def uows() -> UnitOfWork:
        return engine.uow

    asked = ChannelCancellation("shop", channel_order_id, "cancelled in Shopify (customer)", SHOP)
    return cancel_for_channel(uows, dispatch, asked)


def reserved_units(engine: Engine) -> int:
    with engine.uow as uow:
        stock = uow.stock.get(("A", "NJ"))
        assert stock is not None
        return stock.reserved


def actions(engine: Engine, order_id: str) -> list[tuple[str, str]]:
    with engine.uow as uow:
        entries = uow.audit.list(entity="order", entity_id=order_id)
        return [(e.actor, e.action) for e in reversed(entries) if e.actor == SHOP]


def test_an_unreleased_order_is_cancelled_its_stock_given_back_and_the_channel_named() -> None:
    engine, order_id = a_reserved_order()
    assert reserved_units(engine) == 2

    done = cancel(engine)

    assert (done.outcome, done.reason) == ("cancelled", "cancelled in Shopify (customer)")
    assert done.order is not None and done.order.status is OrderStatus.CANCELLED
    assert reserved_units(engine) == 0
    with engine.uow as uow:
        [reservation] = uow.reservations.for_order(order_id)
        assert reservation.status is ReservationStatus.RELEASED
        [entry] = [e for e in uow.audit.list(entity="order", entity_id=order_id) if e.actor == SHOP]
    assert (entry.action, entry.before, entry.after) == (
        "order.cancel",
        {"status": "carrier_assigned"},
        {
            "reason": "cancelled in Shopify (customer)",
            "status": "cancelled",
            "from_channel": "shop",
        },
    )
    assert events.OrderCancelled(order_id, "cancelled in Shopify (customer)") in (
        engine.uow.committed_events
    )


def test_a_second_cancellation_of_a_cancelled_order_changes_nothing() -> None:
    engine, order_id = a_reserved_order()
    cancel(engine)
    engine.uow.committed_events.clear()

    again = cancel(engine)

    assert (again.outcome, again.reason) == ("unchanged", f"order {order_id} is cancelled already")
    assert engine.uow.committed_events == []
    assert actions(engine, order_id) == [(SHOP, "order.cancel")]


def test_an_order_ordo_has_not_seen_yet_is_remembered_and_nothing_else_changes() -> None:
    engine, _ = a_reserved_order()

    done = cancel(engine, "W-404")

    assert done.outcome == "remembered" and done.order is None
    assert done.reason.startswith("Ordo has no order W-404 of channel shop yet")
    assert engine.uow.committed_events == []
    assert reserved_units(engine) == 2
    assert list(engine.uow.early_cancellations.kept) == [("shop", "W-404")]


def test_a_released_order_nothing_of_which_is_picked_is_cancelled_with_its_shipment() -> None:
    engine, order_id = a_reserved_order(auto_release=True)

    done = cancel(engine)

    assert done.outcome == "cancelled"
    assert done.order is not None and done.order.status is OrderStatus.CANCELLED
    with engine.uow as uow:
        assert [str(s.status) for s in uow.shipments.for_order(order_id)] == ["cancelled"]
    assert reserved_units(engine) == 0


def test_a_picked_order_is_refused_with_an_event_a_high_alert_and_an_audit_entry() -> None:
    engine, order_id = a_picked_order()

    done = cancel(engine)

    assert done.outcome == "refused"
    assert done.order is not None and done.order.status is OrderStatus.PICKED
    assert done.reason.startswith(f"order {order_id} is picked: picked at its location")
    [refused] = [e for e in engine.uow.committed_events if isinstance(e, events.OrderCancelRefused)]
    assert (refused.order_id, refused.channel, refused.channel_order_id, refused.status) == (
        order_id, "shop", "W-1", "picked",
    )  # fmt: skip
    assert refused.message.startswith(f"order {order_id} cannot go from 'picked' to 'cancelled'")
    [alert] = [e for e in engine.uow.committed_events if isinstance(e, events.AlertTriggered)]
    assert (alert.rule, alert.key, alert.severity) == (REFUSED_RULE, order_id, "high")
    assert "was cancelled in the shop (cancelled in Shopify (customer))" in alert.message
    assert reserved_units(engine) == 2
    assert actions(engine, order_id) == [(SHOP, "order.cancel_refused")]


def test_a_refusal_is_raised_once_however_often_the_shop_sends_the_cancellation() -> None:
    engine, order_id = a_picked_order()
    cancel(engine)
    engine.uow.committed_events.clear()

    again = cancel(engine)

    assert again.outcome == "refused"
    assert engine.uow.committed_events == []
    assert actions(engine, order_id) == [(SHOP, "order.cancel_refused")]


def test_the_shops_own_cancellation_after_ordo_refunded_a_return_there_is_still_refused() -> None:
    # The connector hands over only what the shop did itself (Ordo's own refunds coming back
    # are told apart there, from the delivery): an Ordo refund on the order excuses nothing.
    engine, order_id = a_picked_order()
    a_return_refunded_in_the_shop(engine, order_id)

    done = cancel(engine)

    assert done.outcome == "refused"
    [alert] = [e for e in engine.uow.committed_events if isinstance(e, events.AlertTriggered)]
    assert (alert.rule, alert.key) == (REFUSED_RULE, order_id)
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.PICKED


def test_a_refund_made_in_the_shop_by_hand_is_still_refused_as_before() -> None:
    engine, order_id = a_picked_order()
    with engine.uow as uow:
        refunded = Return("ret_1", order_id, [], utcnow(), ReturnStatus.REFUNDED, rma="RMA-1")
        uow.returns.add(refunded)
        uow.commit()

    assert cancel(engine).outcome == "refused"


def test_a_delivered_order_whose_return_ordo_refunded_in_the_shop_is_unchanged_without_alert() -> (
    None
):
    # The shop paying back the shipping after Ordo refunded the returned lines sets the order
    # `refunded`: nothing is left to send, so nothing for a person to stop.
    engine, order_id = a_delivered_order()
    a_return_refunded_in_the_shop(engine, order_id)

    done = cancel(engine)

    assert done.outcome == "unchanged"
    assert "nothing left to send" in done.reason
    assert not [e for e in engine.uow.committed_events if isinstance(e, events.AlertTriggered)]
    assert actions(engine, order_id) == []


def test_a_delivered_order_ordo_refunded_nothing_of_is_still_refused_for_a_person() -> None:
    engine, order_id = a_delivered_order()

    assert cancel(engine).outcome == "refused"
    assert actions(engine, order_id) == [(SHOP, "order.cancel_refused")]
