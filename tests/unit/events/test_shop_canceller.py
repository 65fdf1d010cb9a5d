"""Orders cancelled in Ordo, cancelled in their shop, on the bus with fakes: support's
cancellation sent once (a redelivery sends nothing more) and shown on the order's timeline;
the shop's own cancellation never sent back; a channel without a shop connector, a
consolidated order and a partial cancellation left alone; a refusal for good raising
`order.channel_cancel_failed` and a high alert; a shop out of reach retried by the worker."""

from __future__ import annotations

from typing import Any

from connectors.base import DeliveryError, PermanentRefusal
from connectors.channels.base import ALREADY_CANCELLED, CANCELLED_IN_SHOP
from engine.adapters.bus import InProcessBus, Message
from engine.domain import commands as c
from engine.domain import events
from engine.pipeline.decide import DeciderSettings
from engine.service_layer import audit
from engine.service_layer.channel_cancellations import ChannelCancellation, cancel_for_channel
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.shop_cancellations import FAILED_RULE, ShopCanceller
from engine.service_layer.unit_of_work import UnitOfWork
from engine.worker import Worker, WorkerConfig
from tests.unit.pipeline.world import Engine, build

SUPPORT = "support:sam"
SHOPIFY = "channel:shopify-us (shopify webhook)"


class FakeShop:
    """A channel connector's shop: the orders it was asked to cancel; `answer` is what it
    says, or the error it raises."""

    def __init__(self, channel: str = "shopify-us", answer: Any = CANCELLED_IN_SHOP) -> None:
        self.channel, self.answer = channel, answer
        self.tells_cancellations = True
        self.asked: list[str] = []

    def cancel_in_shop(self, channel_order_id: str) -> str:
        self.asked.append(channel_order_id)
        if isinstance(self.answer, Exception):
            raise self.answer
        return str(self.answer)


def an_order(
    channel: str = "shopify-us", channel_order_id: str = "450789469"
) -> tuple[Engine, str]:
    """A reserved order of `channel`, not released (so it can be cancelled)."""
    engine = build(
        {("A", "NJ"): (5, 0)},
        settings=DeciderSettings(optimiser="greedy"),
        options=PipelineOptions(auto_release=False),
    )
    lines = (c.LineInput("A", 1),)
    command = c.CreateOrder(channel, channel_order_id, "c1", c.AddressInput("10001"), lines)
    order_id = str(engine.bus.handle(command))
    engine.uow.committed_events.clear()
    return engine, order_id


def cancelled_by_support(engine: Engine, order_id: str) -> Message:
    """Cancel as `POST /v1/orders/{id}/cancel` does (audited in the command's commit); the
    `order.cancelled` it raised, as the worker gets it."""

    def audited(uow: UnitOfWork) -> None:
        after = {"reason": "customer called", "status": "cancelled"}
        audit.record(uow, SUPPORT, "order.cancel", "order", order_id, {}, after)

    engine.bus.handle(c.CancelOrder(order_id, "customer called", SUPPORT), before_commit=audited)
    return cancelled_message(engine)


def cancelled_message(engine: Engine) -> Message:
    [event] = [e for e in engine.uow.committed_events if isinstance(e, events.OrderCancelled)]
    engine.uow.committed_events.clear()
    return Message("evt-1", event.name, event.payload(), event.order_id)


def timeline(engine: Engine, order_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    with engine.uow as uow:
        entries = uow.audit.list(entity="order", entity_id=order_id)
    return [(e.actor, e.action, e.after) for e in reversed(entries)]


def test_an_order_support_cancels_is_cancelled_in_its_shop_once_and_shown_on_its_timeline() -> None:
    engine, order_id = an_order()
    message = cancelled_by_support(engine, order_id)
    shop = FakeShop()
    canceller = ShopCanceller({"shopify-us": shop})

    canceller(message, engine.uow)
    canceller(message, engine.uow)  # the same event again (a crash before the worker's ack)

    assert shop.asked == ["450789469"] and canceller.sent == 1
    sent = events.OrderCancelSentToChannel(order_id, "shopify-us", "450789469", "cancelled")
    assert engine.uow.committed_events == [sent]
    assert timeline(engine, order_id)[-1] == (
        "system",
        "order.cancel_sent_to_channel",
        {"channel": "shopify-us", "channel_order_id": "450789469", "outcome": "cancelled"},
    )


def test_an_order_the_shop_had_cancelled_already_is_recorded_as_such() -> None:
    engine, order_id = an_order()
    message = cancelled_by_support(engine, order_id)

    ShopCanceller({"shopify-us": FakeShop(answer=ALREADY_CANCELLED)})(message, engine.uow)

    assert engine.uow.committed_events == [
        events.OrderCancelSentToChannel(order_id, "shopify-us", "450789469", "already_cancelled")
    ]


def test_a_cancellation_that_came_from_the_shop_is_never_sent_back_to_it() -> None:
    engine, _ = an_order()

    def dispatch(command: c.Command, audited: Any) -> Any:
        return engine.bus.handle(command, before_commit=audited)

    asked = ChannelCancellation("shopify-us", "450789469", "cancelled in Shopify (customer)",
                                SHOPIFY, "w-1")  # fmt: skip
    assert cancel_for_channel(lambda: engine.uow, dispatch, asked).outcome == "cancelled"
    shop = FakeShop()

    ShopCanceller({"shopify-us": shop})(cancelled_message(engine), engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_an_order_the_shop_cancelled_before_it_came_is_not_sent_back_either() -> None:
    options = PipelineOptions(early_cancellation_channels=frozenset({"shopify-us"}))
    engine = build(
        {("A", "NJ"): (5, 0)}, settings=DeciderSettings(optimiser="greedy"), options=options
    )

    def dispatch(command: c.Command, audited: Any) -> Any:
        return engine.bus.handle(command, before_commit=audited)

    asked = ChannelCancellation("shopify-us", "450789469", "cancelled in Shopify (customer)",
                                SHOPIFY, "w-1")  # fmt: skip
    assert cancel_for_channel(lambda: engine.uow, dispatch, asked).outcome == "remembered"
    command = c.CreateOrder("shopify-us", "450789469", "c1", c.AddressInput("10001"),
                            (c.LineInput("A", 1),))  # fmt: skip
    with audit.acting_as("channel:shopify-us"):
        engine.bus.handle(command)  # created cancelled
    shop = FakeShop()

    ShopCanceller({"shopify-us": shop})(cancelled_message(engine), engine.uow)

    assert shop.asked == []


def test_an_order_of_a_channel_without_a_shop_connector_is_left_alone() -> None:
    engine, order_id = an_order(channel="web", channel_order_id="W-1")
    message = cancelled_by_support(engine, order_id)
    shop = FakeShop()

    ShopCanceller({"shopify-us": shop})(message, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_a_connector_without_the_shops_credentials_is_not_asked() -> None:
    shop = FakeShop()
    shop.tells_cancellations = False
    canceller = ShopCanceller({"shopify-us": shop})

    assert canceller.shops == {}
    assert not canceller.wants(Message("e", "order.cancelled", {"order_id": "O-1"}, "O-1"))


def test_a_partial_cancellation_is_not_sent_only_a_whole_order() -> None:
    canceller = ShopCanceller({"shopify-us": FakeShop()})
    payload = {"order_id": "O-1", "lines": {"L1": 1}, "reason": "customer would not wait"}

    assert not canceller.wants(Message("e", "order.remainder_cancelled", payload, "O-1"))
    assert canceller.wants(Message("e", "order.cancelled", {"order_id": "O-1"}, "O-1"))


def test_an_order_consolidated_into_another_stands_in_its_shop() -> None:
    engine, first = an_order(channel_order_id="1001")
    second = str(engine.bus.handle(
        c.CreateOrder("shopify-us", "1002", "c1", c.AddressInput("10001"),
                      (c.LineInput("A", 1),))))  # fmt: skip
    engine.uow.committed_events.clear()
    primary = engine.bus.handle(c.ConsolidateOrders("c1"))
    merged = second if primary == first else first
    shop = FakeShop()

    ShopCanceller({"shopify-us": shop})(cancelled_message(engine), engine.uow)

    assert primary in (first, second) and merged != primary
    assert shop.asked == []


def test_a_shop_that_refuses_for_good_raises_a_high_alert_and_is_not_asked_again() -> None:
    engine, order_id = an_order()
    message = cancelled_by_support(engine, order_id)
    said = "Shopify https://acme.myshopify.com refused ...: 401 Invalid API key or access token"
    shop = FakeShop(answer=PermanentRefusal(said))
    canceller = ShopCanceller({"shopify-us": shop})

    canceller(message, engine.uow)
    canceller(message, engine.uow)

    assert shop.asked == ["450789469"] and canceller.sent == 0
    failed, alert = engine.uow.committed_events
    assert failed == events.OrderChannelCancelFailed(order_id, "shopify-us", "450789469", said)
    assert isinstance(alert, events.AlertTriggered)
    assert (alert.rule, alert.key, alert.severity) == (FAILED_RULE, order_id, "high")
    assert "cancel it in the shop" in alert.message and said in alert.message
    assert timeline(engine, order_id)[-1][:2] == ("system", "order.channel_cancel_failed")


def test_a_shop_out_of_reach_is_retried_by_the_worker_and_told_once_it_answers() -> None:
    engine, order_id = an_order()
    message = cancelled_by_support(engine, order_id)
    shop = FakeShop(answer=DeliveryError("Shopify https://acme.myshopify.com refused: 503"))
    bus = InProcessBus()
    worker = Worker(bus=bus, uow_factory=lambda: engine.uow, handlers={},
                    observers=[ShopCanceller({"shopify-us": shop})],
                    config=WorkerConfig(block_ms=0))  # fmt: skip
    bus.publish(message.name, message.payload, message.partition_key, event_id="evt-1")

    worker.run_once()
    assert shop.asked == ["450789469"] and engine.uow.committed_events == []

    shop.answer = CANCELLED_IN_SHOP  # the shop is back: the retry tells it
    for _ in range(3):
        worker.run_once()
    assert shop.asked == ["450789469", "450789469"]
    assert [e.name for e in engine.uow.committed_events] == ["order.cancel_sent_to_channel"]
