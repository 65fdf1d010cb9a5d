"""A shop's cancellation that arrives before its order, on the bus with fakes: it is remembered,
and the order that comes later from that channel under that id is created and cancelled at
once (nothing decided, nothing reserved, audited with the shop's reason for the channel); an
order of another channel with the same id is taken as any other; the memory is forgotten past
its retention; and an order that arrived while the cancellation was being remembered is
cancelled after all."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from engine.domain import commands as c
from engine.domain import events
from engine.domain.orders import Order, OrderStatus
from engine.domain.values import Address, utcnow
from engine.pipeline.decide import DeciderSettings
from engine.service_layer import audit
from engine.service_layer.channel_cancellations import (
    ChannelCancellation,
    EarlyCancellationKeeper,
    Outcome,
    cancel_for_channel,
)
from engine.service_layer.handlers import PipelineOptions, order_lines
from engine.service_layer.unit_of_work import EarlyCancellation, UnitOfWork
from ordo.bootstrap import pipeline_options
from ordo.settings import load_settings
from tests.unit.pipeline.world import Engine, build

SHOP = "channel:shopify-us (shopify webhook)"
REASON = "cancelled in Shopify (customer)"


def a_shop(auto_release: bool = False) -> Engine:
    """2 of A at NJ (of 5), nothing ordered yet."""
    return build(
        {("A", "NJ"): (5, 0)},
        settings=DeciderSettings(optimiser="greedy"),
        options=PipelineOptions(auto_release=auto_release),
    )


def dispatch(engine: Engine) -> Any:
    def run(command: c.Command, audited: Any) -> Any:
        return engine.bus.handle(command, before_commit=audited)

    return run


def cancel(engine: Engine, channel_order_id: str = "W-1", delivery: str = "d-1") -> Outcome:
    asked = ChannelCancellation("shop", channel_order_id, REASON, SHOP, delivery)
    return cancel_for_channel(lambda: engine.uow, dispatch(engine), asked)


def order_comes(engine: Engine, channel: str = "shop", channel_order_id: str = "W-1") -> str:
    command = c.CreateOrder(
        channel, channel_order_id, "c1", c.AddressInput("10001"), (c.LineInput("A", 2),)
    )
    with audit.acting_as("channel:shopify-us"):
        return str(engine.bus.handle(command))


def the_order(engine: Engine, order_id: str) -> Order:
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return order


def reserved_units(engine: Engine) -> int:
    with engine.uow as uow:
        stock = uow.stock.get(("A", "NJ"))
        assert stock is not None
        return stock.reserved


def test_an_order_arriving_after_its_cancellation_is_cancelled_at_once_reserving_nothing() -> None:
    engine = a_shop()
    assert cancel(engine).outcome == "remembered"

    order_id = order_comes(engine)

    order = the_order(engine, order_id)
    assert order.status is OrderStatus.CANCELLED
    assert all(line.quantity_cancelled == 2 for line in order.lines)
    assert reserved_units(engine) == 0
    with engine.uow as uow:
        assert uow.reservations.for_order(order_id) == []
        assert uow.shipments.for_order(order_id) == []
        assert uow.traces.for_order(order_id) == []
        entries = list(reversed(uow.audit.list(entity="order", entity_id=order_id)))
        assert uow.early_cancellations.kept == {}
    assert [(e.actor, e.action, e.before) for e in entries] == [
        ("channel:shopify-us", "order.create", {}),
        (SHOP, "order.cancel", {"status": "received"}),
    ]
    assert entries[1].after["reason"] == REASON and entries[1].after["delivery_id"] == "d-1"
    names = [e.name for e in engine.uow.committed_events if getattr(e, "order_id", "") == order_id]
    assert "order.cancelled" in names and "order.reserved" not in names
    assert events.OrderCancelled(order_id, REASON) in engine.uow.committed_events


def test_an_order_of_another_channel_with_the_same_id_is_taken_as_any_other() -> None:
    engine = a_shop()
    cancel(engine)

    order_id = order_comes(engine, channel="web")

    assert the_order(engine, order_id).status is OrderStatus.CARRIER_ASSIGNED
    assert reserved_units(engine) == 2
    assert list(engine.uow.early_cancellations.kept) == [("shop", "W-1")]


def test_a_retry_of_the_news_keeps_the_first_and_the_order_is_cancelled_once() -> None:
    engine = a_shop()
    cancel(engine, delivery="d-1")
    assert cancel(engine, delivery="d-2").outcome == "remembered"
    [kept] = engine.uow.early_cancellations.kept.values()
    assert kept.delivery_id == "d-1"

    order_id = order_comes(engine)

    assert the_order(engine, order_id).status is OrderStatus.CANCELLED
    assert cancel(engine, delivery="d-3").outcome == "unchanged"


def test_past_its_retention_a_cancellation_is_forgotten_and_its_order_taken() -> None:
    engine = a_shop()
    cancel(engine)
    keeper = EarlyCancellationKeeper(lambda: engine.uow, dispatch(engine), timedelta(days=30))

    assert keeper.tick(utcnow() + timedelta(days=29)) == 0
    assert list(engine.uow.early_cancellations.kept) == [("shop", "W-1")]
    keeper.every = timedelta(0)
    assert keeper.tick(utcnow() + timedelta(days=31)) == 1
    assert engine.uow.early_cancellations.kept == {}

    order_id = order_comes(engine)
    assert the_order(engine, order_id).status is OrderStatus.CARRIER_ASSIGNED
    assert reserved_units(engine) == 2


def an_order_behind_the_check(engine: Engine) -> str:
    """Order W-1 stored as a transaction that read before the cancellation committed would
    store it: received, its cancellation not looked at."""
    with engine.uow as uow:
        lines = order_lines(uow, (c.LineInput("A", 2),))
        uow.orders.add(Order("ord_raced", "shop", "W-1", "c1", Address("10001"), lines, utcnow()))
        uow.commit()
    return "ord_raced"


def test_an_order_stored_while_its_cancellation_was_remembered_is_cancelled_after_all() -> None:
    engine = a_shop()
    calls = 0

    def uows() -> UnitOfWork:
        nonlocal calls
        calls += 1
        if calls == 2:  # the cancellation is remembered: the order lands just then
            an_order_behind_the_check(engine)
        return engine.uow

    asked = ChannelCancellation("shop", "W-1", REASON, SHOP)
    done = cancel_for_channel(uows, dispatch(engine), asked)

    assert (done.outcome, done.reason) == ("cancelled", REASON)
    assert the_order(engine, "ord_raced").status is OrderStatus.CANCELLED
    assert engine.uow.early_cancellations.kept == {}


def test_the_worker_settles_a_cancellation_whose_order_came_past_both_checks() -> None:
    engine = a_shop()
    an_order_behind_the_check(engine)
    with engine.uow as uow:
        uow.early_cancellations.remember(
            EarlyCancellation("shop", "W-1", REASON, SHOP, "", utcnow())
        )
        uow.commit()
    keeper = EarlyCancellationKeeper(lambda: engine.uow, dispatch(engine))

    assert keeper.tick(utcnow()) == 1

    assert the_order(engine, "ord_raced").status is OrderStatus.CANCELLED
    assert engine.uow.early_cancellations.kept == {}
    with engine.uow as uow:
        [entry] = [e for e in uow.audit.list(entity="order", entity_id="ord_raced")]
    assert (entry.actor, entry.action, entry.after["reason"]) == (SHOP, "order.cancel", REASON)


def test_only_orders_of_channels_with_a_connector_are_looked_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = build(
        {("A", "NJ"): (5, 0)},
        settings=DeciderSettings(optimiser="greedy"),
        options=PipelineOptions(
            auto_release=False, early_cancellation_channels=frozenset({"shop"})
        ),
    )
    asked: list[tuple[str, str]] = []
    take = engine.uow.early_cancellations.take
    monkeypatch.setattr(
        engine.uow.early_cancellations, "take", lambda *key: asked.append(key) or take(*key)
    )

    order_comes(engine, channel="web", channel_order_id="W-1")
    order_comes(engine, channel="shop", channel_order_id="W-2")

    assert asked == [("shop", "W-2")]


def test_the_channels_looked_up_are_those_of_the_webhook_connectors() -> None:
    connectors = {
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": "s" * 32},
        "woo": {"connector": "woocommerce", "channel": "woo-eu", "secret": "s" * 32},
    }
    settings = load_settings(channel_connectors=json.dumps(connectors))

    assert pipeline_options(settings).early_cancellation_channels == {"shopify-us", "woo-eu"}
    assert pipeline_options(load_settings()).early_cancellation_channels == frozenset()
