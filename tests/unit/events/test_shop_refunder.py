"""Returns refunded in Ordo, refunded in their order's shop, on the bus with fakes: the refund
sent once with the return's amount, currency, RMA and lines (a redelivery sends nothing more)
and shown on the return's timeline; a channel without a shop connector, a connector without
credentials and a refund of nothing left alone; a refusal for good raising
`return.channel_refund_failed` and a high alert naming the amounts; a shop out of reach
retried by the worker; whole kits returned of a kit's parts sent as the kit's line, counted
in kits, and part of a kit as its parts (which the shop refunds as money alone)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import DeliveryError, PermanentRefusal
from connectors.channels.base import ALREADY_REFUNDED, REFUNDED_IN_SHOP, RefundLine, ShopRefund
from engine.adapters.bus import InProcessBus, Message
from engine.domain import commands as c
from engine.domain import events
from engine.domain.catalog import Product
from engine.pipeline.decide import DeciderSettings
from engine.service_layer.shop_refunds import FAILED_RULE, ShopRefunder
from engine.worker import Worker, WorkerConfig
from tests.unit.pipeline.world import Engine, build


class FakeShop:
    """A channel connector's shop: the refunds it was asked for; `answer` is what it says, or
    the error it raises."""

    def __init__(self, channel: str = "shopify-us", answer: Any = REFUNDED_IN_SHOP) -> None:
        self.channel, self.answer = channel, answer
        self.tells_refunds = True
        self.asked: list[tuple[str, ShopRefund]] = []

    def refund_in_shop(self, channel_order_id: str, refund: ShopRefund) -> str:
        self.asked.append((channel_order_id, refund))
        if isinstance(self.answer, Exception):
            raise self.answer
        return str(self.answer)


def a_refunded_return(
    channel: str = "shopify-us",
    channel_order_id: str = "450789469",
    amount: Decimal | None = None,
) -> tuple[Engine, str, Message]:
    """Two units of A at 20.00 shipped on an order of `channel`, one returned, received and
    refunded (`amount`, else its worth); the `return.status_changed` to refunded, as the
    worker gets it."""
    engine = build({("A", "NJ"): (5, 0)}, settings=DeciderSettings(optimiser="greedy"))
    lines = (c.LineInput("A", 2, line_id="1001"),)
    command = c.CreateOrder(channel, channel_order_id, "c1", c.AddressInput("10001"), lines)
    order_id = str(engine.bus.handle(command))
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)
    engine.bus.handle(c.UpdateShipment(shipment.id, "shipped"))
    asked = c.RequestReturn(order_id, (c.ReturnLineInput("1001", 1, "too small"),))
    return_id = str(engine.bus.handle(asked))
    engine.bus.handle(c.AuthoriseReturn(return_id))
    engine.bus.handle(c.ReceiveReturn(return_id, "NJ"))
    engine.uow.committed_events.clear()
    engine.bus.handle(c.RefundReturn(return_id, amount))
    [event] = [
        e
        for e in engine.uow.committed_events
        if isinstance(e, events.ReturnStatusChanged) and e.to_status == "refunded"
    ]
    engine.uow.committed_events.clear()
    return engine, return_id, Message("evt-1", event.name, event.payload(), event.order_id)


def a_refunded_kit_return(
    *returned: tuple[str, int], removed: tuple[str, ...] = ()
) -> tuple[Engine, str, Message]:
    """Shopify's order 450789469, its line 7 three AB-SETs (an A and two Bs each, filed as
    parts 7.1: 3 A and 7.2: 6 B at 20.00), the parts `removed` taken off it, shipped;
    `returned` (part, units) received and refunded; the `return.status_changed` to refunded,
    as the worker gets it."""
    engine = build({("A", "NJ"): (5, 0), ("B", "NJ"): (10, 0)},
                   settings=DeciderSettings(optimiser="greedy"))  # fmt: skip
    with engine.uow as uow:
        uow.products.add(Product("AB-SET", "A and two Bs", Decimal("60.00"), weight_kg=3.0,
                                 kit_components={"A": 1, "B": 2}))  # fmt: skip
        uow.commit()
    lines = (c.LineInput("AB-SET", 3, line_id="7"),)
    command = c.CreateOrder("shopify-us", "450789469", "c1", c.AddressInput("10001"), lines)
    order_id = str(engine.bus.handle(command))
    if removed:
        engine.bus.handle(c.ModifyOrder(order_id, remove_lines=removed))
    with engine.uow as uow:
        for shipment in uow.shipments.for_order(order_id):
            if shipment.status != "cancelled":
                engine.bus.handle(c.UpdateShipment(shipment.id, "shipped"))
    asked = c.RequestReturn(order_id, tuple(c.ReturnLineInput(line, units, "unwanted")
                                            for line, units in returned))  # fmt: skip
    return_id = str(engine.bus.handle(asked))
    engine.bus.handle(c.AuthoriseReturn(return_id))
    engine.bus.handle(c.ReceiveReturn(return_id, "NJ"))
    engine.uow.committed_events.clear()
    engine.bus.handle(c.RefundReturn(return_id, None))
    [event] = [
        e
        for e in engine.uow.committed_events
        if isinstance(e, events.ReturnStatusChanged) and e.to_status == "refunded"
    ]
    return engine, return_id, Message("evt-1", event.name, event.payload(), event.order_id)


def timeline(engine: Engine, return_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    with engine.uow as uow:
        entries = uow.audit.list(entity="return", entity_id=return_id)
    return [(e.actor, e.action, e.after) for e in reversed(entries)]


def rma_of(engine: Engine, return_id: str) -> str:
    with engine.uow as uow:
        found = uow.returns.get(return_id)
    assert found is not None
    return found.rma


def test_a_refunded_return_is_refunded_in_its_shop_once_and_shown_on_its_timeline() -> None:
    engine, return_id, message = a_refunded_return()
    shop = FakeShop()
    refunder = ShopRefunder({"shopify-us": shop})

    refunder(message, engine.uow)
    refunder(message, engine.uow)  # the same event again (a crash before the worker's ack)

    rma = rma_of(engine, return_id)
    line = RefundLine("1001", 1, Decimal("20.00"))
    assert shop.asked == [("450789469", ShopRefund(rma, Decimal("20.00"), "USD", (line,)))]
    assert refunder.sent == 1
    [sent] = engine.uow.committed_events
    assert sent == events.ReturnRefundSentToChannel(
        return_id,
        message.payload["order_id"],
        "shopify-us",
        "450789469",
        "20.00",
        "USD",
        "refunded",
    )
    assert timeline(engine, return_id)[-1] == (
        "system",
        "return.refund_sent_to_channel",
        {"channel": "shopify-us", "channel_order_id": "450789469", "amount": "20.00",
         "currency": "USD", "outcome": "refunded"},
    )  # fmt: skip


def test_the_amount_support_chose_is_the_amount_refunded_in_the_shop() -> None:
    engine, _, message = a_refunded_return(amount=Decimal("12.5"))
    shop = FakeShop()

    ShopRefunder({"shopify-us": shop})(message, engine.uow)

    [(_, refund)] = shop.asked
    assert refund.amount == Decimal("12.50")


def test_a_refund_the_shop_held_already_is_recorded_as_such() -> None:
    engine, _, message = a_refunded_return()

    ShopRefunder({"shopify-us": FakeShop(answer=ALREADY_REFUNDED)})(message, engine.uow)

    [sent] = engine.uow.committed_events
    assert isinstance(sent, events.ReturnRefundSentToChannel)
    assert sent.outcome == "already_refunded"


def test_a_return_of_a_channel_without_a_shop_connector_is_left_alone() -> None:
    engine, _, message = a_refunded_return(channel="web", channel_order_id="W-1")
    shop = FakeShop()

    ShopRefunder({"shopify-us": shop})(message, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_a_connector_without_the_shops_credentials_is_not_asked() -> None:
    shop = FakeShop()
    shop.tells_refunds = False
    refunder = ShopRefunder({"shopify-us": shop})

    refunded = {"return_id": "R-1", "order_id": "O-1", "from_status": "received",
                "to_status": "refunded"}  # fmt: skip
    assert refunder.shops == {}
    assert not refunder.wants(Message("e", "return.status_changed", refunded, "O-1"))


def test_only_a_return_moving_to_refunded_is_sent() -> None:
    refunder = ShopRefunder({"shopify-us": FakeShop()})

    def moved(to: str) -> Message:
        payload = {"return_id": "R-1", "order_id": "O-1", "from_status": "x", "to_status": to}
        return Message("e", "return.status_changed", payload, "O-1")

    assert refunder.wants(moved("refunded"))
    assert not refunder.wants(moved("received")) and not refunder.wants(moved("rejected"))


def test_a_refund_of_nothing_is_not_sent() -> None:
    engine, _, message = a_refunded_return(amount=Decimal("0"))
    shop = FakeShop()

    ShopRefunder({"shopify-us": shop})(message, engine.uow)

    assert shop.asked == [] and engine.uow.committed_events == []


def test_a_shop_that_refuses_for_good_raises_a_high_alert_and_is_not_asked_again() -> None:
    engine, return_id, message = a_refunded_return()
    said = (
        "Shopify https://acme.myshopify.com order 450789469 has 5.00 USD left to refund, less "
        "than the 20.00 USD Ordo refunded for return RMA-1"
    )
    shop = FakeShop(answer=PermanentRefusal(said))
    refunder = ShopRefunder({"shopify-us": shop})

    refunder(message, engine.uow)
    refunder(message, engine.uow)

    assert len(shop.asked) == 1 and refunder.sent == 0
    failed, alert = engine.uow.committed_events
    assert failed == events.ReturnChannelRefundFailed(
        return_id, message.payload["order_id"], "shopify-us", "450789469", "20.00", "USD", said
    )
    assert isinstance(alert, events.AlertTriggered)
    assert (alert.rule, alert.key, alert.severity) == (FAILED_RULE, return_id, "high")
    assert "refunded 20.00 USD in Ordo" in alert.message and said in alert.message
    assert "refund it in the shop" in alert.message
    assert timeline(engine, return_id)[-1][:2] == ("system", "return.channel_refund_failed")


def test_a_shop_out_of_reach_is_retried_by_the_worker_and_told_once_it_answers() -> None:
    engine, _, message = a_refunded_return()
    shop = FakeShop(answer=DeliveryError("Shopify https://acme.myshopify.com refused: 503"))
    bus = InProcessBus()
    worker = Worker(bus=bus, uow_factory=lambda: engine.uow, handlers={},
                    observers=[ShopRefunder({"shopify-us": shop})],
                    config=WorkerConfig(block_ms=0))  # fmt: skip
    bus.publish(message.name, message.payload, message.partition_key, event_id="evt-1")

    worker.run_once()
    assert len(shop.asked) == 1 and engine.uow.committed_events == []

    shop.answer = REFUNDED_IN_SHOP  # the shop is back: the retry tells it
    for _ in range(3):
        worker.run_once()
    assert len(shop.asked) == 2
    assert [e.name for e in engine.uow.committed_events] == ["return.refund_sent_to_channel"]


def test_whole_kits_returned_of_a_kits_parts_are_sent_as_so_many_of_the_kits_line() -> None:
    engine, return_id, message = a_refunded_kit_return(("7.1", 2), ("7.2", 4))
    shop = FakeShop()

    ShopRefunder({"shopify-us": shop})(message, engine.uow)

    [(_, refund)] = shop.asked
    # Two kits: the shop's line 7 counts AB-SETs, worth what their 2 A and 4 B were priced at.
    assert refund.lines == (RefundLine("7", 2, Decimal("120.00")),)
    assert refund.amount == Decimal("120.00") and refund.rma == rma_of(engine, return_id)


def test_part_of_a_kit_returned_is_sent_as_its_parts_which_are_no_lines_of_the_shop() -> None:
    engine, _, message = a_refunded_kit_return(("7.2", 2))  # the Bs of a kit, not its A
    shop = FakeShop()

    ShopRefunder({"shopify-us": shop})(message, engine.uow)

    [(_, refund)] = shop.asked
    assert refund.lines == (RefundLine("7.2", 2, Decimal("40.00")),)


def test_the_rest_of_a_kit_whose_part_was_removed_is_sent_as_its_parts_never_as_whole_kits() -> (
    None
):
    # The Bs removed before it shipped: the A that came back is no AB-SET, though it is all
    # that is left of line 7 on the order.
    engine, _, message = a_refunded_kit_return(("7.1", 1), removed=("7.2",))
    shop = FakeShop()

    ShopRefunder({"shopify-us": shop})(message, engine.uow)

    [(_, refund)] = shop.asked
    assert refund.lines == (RefundLine("7.1", 1, Decimal("20.00")),)
