"""A shop's cancellation of some units of one of its orders, on the bus with fakes: while the
order can change the units come off as support's modification takes them off (stock back,
audited for the channel with its change named); once it is on its way what still waits for
stock is cancelled and the rest is refused with `order.channel_change_refused` and a high
alert, once per change; the same change again changes nothing; an order Ordo has not got is
ignored; a change that leaves nothing cancels the whole order."""

from __future__ import annotations

from typing import Any

from engine.domain import commands as c
from engine.domain import events
from engine.domain.orders import OrderStatus
from engine.service_layer.channel_unit_cancellations import (
    REFUSED_RULE,
    ChannelUnitCancellation,
    UnitOutcome,
    cancel_units_for_channel,
)
from engine.service_layer.unit_of_work import UnitOfWork
from tests.unit.pipeline.test_channel_cancellations import (
    SHOP,
    a_picked_order,
    a_reserved_order,
    reserved_units,
)
from tests.unit.pipeline.test_remainder_cancel_handler import a_released_order_waiting_for
from tests.unit.pipeline.world import Engine

REFUND = "cancelled in Shopify (refund 929361464: out of stock)"


def cancel_units(
    engine: Engine,
    cancelled: dict[str, int] | None = None,
    kept: dict[str, int] | None = None,
    change: str = "shopify refund 929361464",
    channel: str = "shop",
) -> UnitOutcome | None:
    def dispatch(command: c.Command, audited: Any) -> Any:
        return engine.bus.handle(command, before_commit=audited)

    def uows() -> UnitOfWork:
        return engine.uow

    asked = ChannelUnitCancellation(channel, "W-1", REFUND, SHOP, cancelled, kept, change)
    return cancel_units_for_channel(uows, dispatch, asked)


def pick(engine: Engine, order_id: str) -> None:
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)
    engine.bus.handle(c.UpdateShipment(shipment.id, "picked"))
    engine.uow.committed_events.clear()


def shop_entries(engine: Engine, order_id: str) -> list[tuple[str, dict[str, Any]]]:
    with engine.uow as uow:
        entries = uow.audit.list(entity="order", entity_id=order_id)
        return [(e.action, e.after) for e in reversed(entries) if e.actor == SHOP]


def test_units_of_an_order_not_yet_picked_come_off_as_supports_change_takes_them_off() -> None:
    engine, order_id = a_reserved_order()
    assert reserved_units(engine) == 2

    done = cancel_units(engine, cancelled={"1": 1})

    assert done is not None
    assert (done.outcome, done.reason, done.cancelled, done.refused) == (
        "cancelled", REFUND, {"1": 1}, {},
    )  # fmt: skip
    assert done.order is not None and [line.quantity for line in done.order.lines] == [1]
    assert reserved_units(engine) == 1
    [(action, after)] = shop_entries(engine, order_id)
    assert action == "order.modify"
    assert {k: after[k] for k in ("lines", "cancelled", "from_channel", "channel_change")} == {
        "lines": {"1": 1},
        "cancelled": {"1": 1},
        "from_channel": "shop",
        "channel_change": "shopify refund 929361464",
    }


def test_the_same_change_delivered_again_changes_nothing() -> None:
    engine, order_id = a_reserved_order()
    cancel_units(engine, cancelled={"1": 1})
    engine.uow.committed_events.clear()

    again = cancel_units(engine, cancelled={"1": 1})

    assert again is not None and again.outcome == "unchanged"
    assert again.reason == f"order {order_id} has had this change taken already"
    assert engine.uow.committed_events == []
    assert reserved_units(engine) == 1


def test_units_of_an_order_ordo_has_not_got_are_ignored_and_nothing_changes() -> None:
    engine, _ = a_reserved_order()

    done = cancel_units(engine, cancelled={"1": 1}, channel="other-shop")

    assert done is not None and done.outcome == "ignored"
    assert done.reason.startswith("Ordo has no order W-1 of channel other-shop")
    assert engine.uow.committed_events == []


def test_units_a_location_picked_are_refused_and_a_person_is_alerted_once() -> None:
    engine, order_id = a_picked_order()

    done = cancel_units(engine, cancelled={"1": 1})
    again = cancel_units(engine, cancelled={"1": 1})

    assert done is not None and (done.outcome, done.refused, done.cancelled) == (
        "refused", {"1": 1}, {},
    )  # fmt: skip
    assert done.reason.startswith(f"1 of line 1 of order {order_id} are past changing")
    assert again is not None and again.outcome == "refused"
    refusals = [e for e in engine.uow.committed_events
                if isinstance(e, events.OrderChannelChangeRefused)]  # fmt: skip
    alerts = [e for e in engine.uow.committed_events if isinstance(e, events.AlertTriggered)]
    assert [(e.order_id, e.lines, e.status) for e in refusals] == [(order_id, {"1": 1}, "picked")]
    assert [(a.rule, a.key, a.severity) for a in alerts] == [(REFUSED_RULE, order_id, "high")]
    assert [action for action, _ in shop_entries(engine, order_id)] == [
        "order.channel_change_refused"
    ]


def test_once_on_its_way_units_waiting_for_stock_are_cancelled_and_picked_ones_refused() -> None:
    engine, order_id = a_released_order_waiting_for(3)  # 2 of 5 placed, 3 waiting
    pick(engine, order_id)

    done = cancel_units(engine, cancelled={"1": 4}, channel="web")

    assert done is not None and (done.outcome, done.cancelled, done.refused) == (
        "refused", {"1": 3}, {"1": 1},
    )  # fmt: skip
    assert events.OrderRemainderCancelled(order_id, {"1": 3}, REFUND) in (
        engine.uow.committed_events
    )
    assert [action for action, _ in shop_entries(engine, order_id)] == [
        "order.cancel_backordered",
        "order.channel_change_refused",
    ]


def test_a_whole_order_sent_again_takes_off_what_it_lowered_and_is_no_cancellation_else() -> None:
    engine, _ = a_reserved_order()
    assert cancel_units(engine, kept={"1": 2}, change="woocommerce lines 1=2") is None
    assert cancel_units(engine, kept={"1": 2}, channel="other-shop") is None
    assert engine.uow.committed_events == []

    done = cancel_units(engine, kept={"1": 1}, change="woocommerce lines 1=1")

    assert done is not None and (done.outcome, done.cancelled) == ("cancelled", {"1": 1})
    assert reserved_units(engine) == 1


def test_a_change_that_leaves_the_order_nothing_cancels_the_whole_order() -> None:
    engine, _ = a_reserved_order()

    done = cancel_units(engine, cancelled={"1": 5})

    assert done is not None and (done.outcome, done.cancelled) == ("cancelled", {"1": 2})
    assert done.order is not None and done.order.status is OrderStatus.CANCELLED
    assert reserved_units(engine) == 0
