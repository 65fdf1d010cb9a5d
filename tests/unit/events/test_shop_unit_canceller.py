"""Units cancelled in Ordo, cancelled and refunded in their order's shop, on the bus with fakes:
a lowered line's units, a removed line's (from support's audit entry) and a cancelled part of
the remainder sent once, named by the event that cancelled them, and shown on the order's
timeline; the shop's own change, a cancelled order, additions, lines that are not the shop's
and a channel without a shop connector left alone; a refusal for good raising
`order.channel_units_cancel_failed` and a high alert naming the units; a shop out of reach
retried by the worker."""

from __future__ import annotations

from typing import Any

from connectors.base import DeliveryError, PermanentRefusal
from connectors.channels.base import ALREADY_CANCELLED, CANCELLED_IN_SHOP, CancelledUnits
from engine.adapters.bus import InProcessBus, Message
from engine.domain import commands as c
from engine.domain import events
from engine.pipeline.decide import DeciderSettings
from engine.service_layer import audit
from engine.service_layer.channel_unit_cancellations import (
    ChannelUnitCancellation,
    cancel_units_for_channel,
)
from engine.service_layer.shop_unit_cancellations import FAILED_RULE, ShopUnitCanceller
from engine.service_layer.unit_of_work import UnitOfWork
from engine.worker import Worker, WorkerConfig
from tests.unit.pipeline.world import Engine, build

SUPPORT = "support:sam"


class FakeShop:
    """A channel connector's shop: the unit cancellations it was asked for; `answer` is what
    it says, or the error it raises. The units it cancelled are kept by change (`held`), as
    the shop keeps Ordo's refunds, and asked again for a change it holds it answers
    `already_cancelled`; `reads` counts the times they were read back."""

    def __init__(self, channel: str = "shopify-us", answer: Any = CANCELLED_IN_SHOP) -> None:
        self.channel, self.answer = channel, answer
        self.tells_refunds = True
        self.asked: list[tuple[str, CancelledUnits]] = []
        self.held: dict[str, dict[str, int]] = {}
        self.reads = 0

    def cancel_units_in_shop(self, channel_order_id: str, cancelled: CancelledUnits) -> str:
        self.asked.append((channel_order_id, cancelled))
        if isinstance(self.answer, Exception):
            raise self.answer
        if cancelled.change in self.held:
            return ALREADY_CANCELLED
        if self.answer == CANCELLED_IN_SHOP:
            self.held[cancelled.change] = dict(cancelled.units)
        return str(self.answer)

    def units_refunded_by_ordo(
        self, channel_order_id: str, order_id: str
    ) -> dict[str, dict[str, int]]:
        self.reads += 1
        return {change: dict(units) for change, units in self.held.items()}


def an_order(channel: str = "shopify-us", a: int = 3, stock_of_a: int = 5) -> tuple[Engine, str]:
    """Order 450789469 of `channel`: `a` of A (the shop's line 1001) and one of B (1002)."""
    engine = build(
        {("A", "NJ"): (stock_of_a, 0), ("B", "NJ"): (5, 0)},
        settings=DeciderSettings(optimiser="greedy"),
    )
    lines = (c.LineInput("A", a, line_id="1001"), c.LineInput("B", 1, line_id="1002"))
    command = c.CreateOrder(channel, "450789469", "c1", c.AddressInput("10001"), lines)
    order_id = str(engine.bus.handle(command))
    engine.uow.committed_events.clear()
    return engine, order_id


def lines_of(uow: UnitOfWork, order_id: str) -> dict[str, int]:
    order = uow.orders.get(order_id)
    assert order is not None
    return {line.id: line.quantity for line in order.lines}


def by_support(engine: Engine, command: c.Command, event: type[events.Event]) -> Message:
    """Run support's `command` audited as the API audits a modification (each line's quantity
    before and after), and the `event` it raised as the worker gets it."""
    order_id = command.order_id  # type: ignore[attr-defined]
    with engine.uow as uow:
        before = {"lines": lines_of(uow, order_id)}

    def audited(uow: UnitOfWork) -> None:
        after = {"lines": lines_of(uow, order_id)}
        audit.record(uow, SUPPORT, "order.modify", "order", order_id, before, after)

    engine.bus.handle(command, before_commit=audited)
    return the_event(engine, event)


def the_event(engine: Engine, event: type[events.Event], event_id: str = "4711") -> Message:
    [found] = [e for e in engine.uow.committed_events if isinstance(e, event)]
    engine.uow.committed_events.clear()
    return Message(event_id, found.name, found.payload(), found.payload()["order_id"])


def timeline(engine: Engine, order_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    with engine.uow as uow:
        entries = uow.audit.list(entity="order", entity_id=order_id)
    return [(e.actor, e.action, e.after) for e in reversed(entries)]


def lowered(engine: Engine, order_id: str, quantity: int = 1) -> Message:
    return by_support(
        engine, c.ModifyOrder(order_id, quantities={"1001": quantity}, actor=SUPPORT),
        events.OrderModified,
    )  # fmt: skip


def test_a_lowered_line_is_cancelled_in_its_shop_once_and_shown_on_the_orders_timeline() -> None:
    engine, order_id = an_order()
    message = lowered(engine, order_id)
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})

    canceller(message, engine.uow)
    canceller(message, engine.uow)  # the same event again (a crash before the worker's ack)

    assert shop.asked == [("450789469", CancelledUnits(order_id, "4711", "USD", {"1001": 2}))]
    assert canceller.sent == 1
    assert shop.reads == 0  # a line of no kit: the shop is asked once, and nothing read back
    [sent] = engine.uow.committed_events
    assert sent == events.OrderUnitsCancelSentToChannel(
        order_id, "shopify-us", "450789469", {"1001": 2}, "4711", "cancelled"
    )
    assert timeline(engine, order_id)[-1] == (
        "system",
        "order.units_cancel_sent_to_channel",
        {"channel": "shopify-us", "channel_order_id": "450789469", "lines": {"1001": 2},
         "change": "4711", "outcome": "cancelled"},
    )  # fmt: skip


def test_a_removed_lines_units_are_read_from_supports_audit_entry() -> None:
    engine, order_id = an_order()
    message = by_support(
        engine, c.ModifyOrder(order_id, remove_lines=("1001",), actor=SUPPORT),
        events.OrderModified,
    )  # fmt: skip
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    [(_, cancelled)] = shop.asked
    assert cancelled.units == {"1001": 3}


def test_a_removed_lines_units_come_with_the_event_so_a_change_no_one_audited_is_sent_too(
) -> None:  # fmt: skip
    engine, order_id = an_order()
    engine.bus.handle(c.ModifyOrder(order_id, remove_lines=("1001",), actor="a script"))
    message = the_event(engine, events.OrderModified)
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    [(_, cancelled)] = shop.asked
    assert cancelled.units == {"1001": 3}


def test_units_of_the_remainder_cancelled_are_cancelled_in_the_shop() -> None:
    engine, order_id = an_order(a=5, stock_of_a=2)  # 3 of A wait for stock
    engine.bus.handle(c.CancelBackordered(order_id, "would not wait", {"1001": 2}, SUPPORT))
    message = the_event(engine, events.OrderRemainderCancelled)
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    [(_, cancelled)] = shop.asked
    assert cancelled.units == {"1001": 2}


def test_the_shops_own_change_is_not_sent_back_to_it() -> None:
    engine, _ = an_order()
    asked = ChannelUnitCancellation("shopify-us", "450789469", "cancelled in Shopify",
                                    "channel:shopify-us", cancelled={"1001": 2},
                                    change="shopify refund 929361464")  # fmt: skip
    cancel_units_for_channel(
        lambda: engine.uow,
        lambda command, audited: engine.bus.handle(command, before_commit=audited),
        asked,
    )
    message = the_event(engine, events.OrderModified)
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_the_shops_own_change_is_told_apart_from_supports_same_change_before_it() -> None:
    engine, order_id = an_order()
    supports = lowered(engine, order_id, quantity=2)
    asked = ChannelUnitCancellation("shopify-us", "450789469", "cancelled in Shopify",
                                    "channel:shopify-us", cancelled={"1001": 1},
                                    change="shopify refund 929361464")  # fmt: skip
    cancel_units_for_channel(
        lambda: engine.uow,
        lambda command, audited: engine.bus.handle(command, before_commit=audited),
        asked,
    )
    shops = the_event(engine, events.OrderModified, event_id="4712")
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})

    canceller(supports, engine.uow)
    canceller(shops, engine.uow)

    assert [cancelled.units for _, cancelled in shop.asked] == [{"1001": 1}]


def test_an_order_cancelled_since_is_left_to_the_whole_orders_cancellation() -> None:
    engine, order_id = an_order()
    message = lowered(engine, order_id)
    engine.bus.handle(c.CancelOrder(order_id, "changed her mind", SUPPORT))
    engine.uow.committed_events.clear()
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_added_lines_and_raised_quantities_are_not_sent() -> None:
    engine, order_id = an_order()
    raised = lowered(engine, order_id, quantity=4)
    added = by_support(
        engine, c.ModifyOrder(order_id, add_lines=(c.LineInput("B", 1),), actor=SUPPORT),
        events.OrderModified,
    )  # fmt: skip
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})

    canceller(raised, engine.uow)
    canceller(added, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_lines_a_consolidated_order_brought_and_kit_parts_are_not_the_shops() -> None:
    engine, order_id = an_order()
    changes = {"lines.O-2:1.quantity": [2, 1], "lines.1001.1.quantity": [2, 1]}
    message = Message("4711", "order.modified", {"order_id": order_id, "changes": changes}, "k")
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_an_order_of_a_channel_without_a_shop_connector_is_left_alone() -> None:
    engine, order_id = an_order(channel="web")
    message = lowered(engine, order_id)
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_a_connector_without_the_shops_credentials_is_not_asked() -> None:
    shop = FakeShop()
    shop.tells_refunds = False
    canceller = ShopUnitCanceller({"shopify-us": shop})

    assert canceller.shops == {}
    assert not canceller.wants(Message("e", "order.remainder_cancelled", {"lines": {}}, "O-1"))


def test_a_units_cancellation_the_shop_held_already_is_recorded_as_such() -> None:
    engine, order_id = an_order()
    message = lowered(engine, order_id)

    ShopUnitCanceller({"shopify-us": FakeShop(answer=ALREADY_CANCELLED)})(message, engine.uow)

    [sent] = engine.uow.committed_events
    assert isinstance(sent, events.OrderUnitsCancelSentToChannel)
    assert sent.outcome == "already_cancelled"


def test_a_shop_that_refuses_for_good_raises_a_high_alert_and_is_not_asked_again() -> None:
    engine, order_id = an_order()
    message = lowered(engine, order_id)
    said = "Shopify https://acme.myshopify.com refused the refund: 422 cannot cancel more"
    shop = FakeShop(answer=PermanentRefusal(said))
    canceller = ShopUnitCanceller({"shopify-us": shop})

    canceller(message, engine.uow)
    canceller(message, engine.uow)

    assert len(shop.asked) == 1 and canceller.sent == 0
    failed, alert = engine.uow.committed_events
    assert failed == events.OrderChannelUnitsCancelFailed(
        order_id, "shopify-us", "450789469", {"1001": 2}, "4711", said
    )
    assert isinstance(alert, events.AlertTriggered)
    assert (alert.rule, alert.key, alert.severity) == (FAILED_RULE, order_id, "high")
    assert "(2 of line 1001)" in alert.message and said in alert.message
    assert "cancel and refund them in the shop" in alert.message
    assert timeline(engine, order_id)[-1][:2] == ("system", "order.channel_units_cancel_failed")


def test_a_shop_out_of_reach_is_retried_by_the_worker_and_told_once_it_answers() -> None:
    engine, order_id = an_order()
    message = lowered(engine, order_id)
    shop = FakeShop(answer=DeliveryError("Shopify https://acme.myshopify.com refused: 503"))
    bus = InProcessBus()
    worker = Worker(bus=bus, uow_factory=lambda: engine.uow, handlers={},
                    observers=[ShopUnitCanceller({"shopify-us": shop})],
                    config=WorkerConfig(block_ms=0))  # fmt: skip
    bus.publish(message.name, message.payload, message.partition_key, event_id="4711")

    worker.run_once()
    assert len(shop.asked) == 1 and engine.uow.committed_events == []

    shop.answer = CANCELLED_IN_SHOP  # the shop is back: the retry tells it
    for _ in range(3):
        worker.run_once()
    assert len(shop.asked) == 2
    assert [e.name for e in engine.uow.committed_events] == ["order.units_cancel_sent_to_channel"]
