"""Orders cancelled in Ordo, cancelled in their shop, as an operator turns it on: the shop's
API credentials in ORDO_CHANNEL_CONNECTORS -> `build_workers` -> an order cancelled by
support -> the outbox -> the worker, which cancels it in a fake Shopify and a fake
WooCommerce (a local HTTP server) once, keeps `order.cancel_sent_to_channel` on the order's
timeline, and raises an alert a person sees when the shop refuses; on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.domain import commands as c
from engine.service_layer.shop_cancellations import FAILED_RULE, ShopCanceller
from ordo.bootstrap import Container, build_workers
from tests.support.fake_shop import FakeShop, ordo_with_shops, outbox, run

HOOK_SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
def container(database_url: str, tmp_path: Path, shop: FakeShop) -> Iterator[Container]:
    with ordo_with_shops(database_url, tmp_path, shop, HOOK_SECRET, auto_release=False) as built:
        yield built


def cancelled_by_support(container: Container, channel: str, channel_order_id: str) -> str:
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    line = c.LineInput("JEANS", 1)
    order = c.CreateOrder(channel, channel_order_id, "c1", address, (line,))
    order_id = str(container.bus.handle(order))
    container.bus.handle(c.CancelOrder(order_id, "customer called", "support:sam"))
    return order_id


def test_the_worker_cancels_a_shopify_and_a_woocommerce_order_in_their_shop_once(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    assert ShopCanceller in {type(o) for o in worker.observers}
    shopify_order = cancelled_by_support(container, "shopify-us", "450789469")
    woo_order = cancelled_by_support(container, "woo-us", "727")

    run(worker)
    run(worker)  # nothing more to do: each shop was asked once

    assert shop.cancels() == [
        ("POST", "/shopify/admin/api/2026-10/orders/450789469/cancel.json",
         {"reason": "other", "email": False}),
        ("PUT", "/woo/wp-json/wc/v3/orders/727", {"status": "cancelled"}),
    ]  # fmt: skip
    assert shop.cancelled == {"shopify:450789469", "woo:727"}
    assert outbox(container, "order.cancel_sent_to_channel") == [
        {"order_id": shopify_order, "channel": "shopify-us", "channel_order_id": "450789469",
         "outcome": "cancelled"},
        {"order_id": woo_order, "channel": "woo-us", "channel_order_id": "727",
         "outcome": "cancelled"},
    ]  # fmt: skip
    with container.uow_factory() as uow:
        [told] = [e for e in uow.audit.list(entity="order", entity_id=shopify_order)
                  if e.action == "order.cancel_sent_to_channel"]  # fmt: skip
    assert told.after["outcome"] == "cancelled"


def test_an_order_shopify_cancelled_before_ordo_asked_is_recorded_as_already_cancelled(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    shop.cancelled.add("shopify:450789469")  # cancelled in the shop, its webhook not here yet
    cancelled_by_support(container, "shopify-us", "450789469")

    run(worker)

    assert [(method, path) for method, path, _ in shop.requests] == [
        ("POST", "/shopify/admin/api/2026-10/orders/450789469/cancel.json"),
        ("GET", "/shopify/admin/api/2026-10/orders/450789469.json?fields=id,cancelled_at"),
    ]
    [sent] = outbox(container, "order.cancel_sent_to_channel")
    assert sent["outcome"] == "already_cancelled"


def test_a_shop_refusing_for_good_raises_an_alert_a_person_sees(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    shop.failures.append((401, {"errors": "[API] Invalid API key or access token"}))
    order_id = cancelled_by_support(container, "shopify-us", "450789469")

    run(worker)

    assert len(shop.requests) == 1  # not retried
    [failed] = outbox(container, "order.channel_cancel_failed")
    assert failed["order_id"] == order_id
    assert failed["message"].endswith("401 [API] Invalid API key or access token")
    with container.uow_factory() as uow:
        [alert] = [a for a in uow.alerts.list() if a.rule == FAILED_RULE]
    assert (alert.key, alert.severity) == (order_id, "high")
    assert "Invalid API key" in alert.message
