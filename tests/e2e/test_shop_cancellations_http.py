"""Support cancels a shop's order in Ordo, over HTTP, and the shop is told: `POST
/v1/orders/{id}/cancel` -> the worker -> the fake shop receives Shopify's `cancel.json` (or
WooCommerce's order set cancelled), the order's history shows it, and the shop's own webhook
echoing the cancellation back changes nothing. A cancellation that came from the shop is
never sent back to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Api, run_worker, shop_api
from tests.e2e.test_channel_cancellations_http import history, shopify, shopify_cancelled
from tests.e2e.test_channel_webhooks_http import PAYLOAD as SHOPIFY_ORDER
from tests.e2e.test_channel_webhooks_http import SHOPIFY_SECRET
from tests.e2e.test_woocommerce_topics_http import deliver as woo_deliver
from tests.e2e.test_woocommerce_webhooks_http import PAYLOAD as WOO_ORDER
from tests.e2e.test_woocommerce_webhooks_http import WOO_SECRET
from tests.support.fake_shop import FakeShop, shopify_connector, woo_connector

SHOPIFY_ID = str(SHOPIFY_ORDER["id"])


@pytest.fixture
def shops(database_url: str, tmp_path: Path, shop: FakeShop) -> Iterator[Api]:
    """Ordo releasing orders by hand (so they can be cancelled), with a Shopify and a
    WooCommerce connector that hold the fake shop's API credentials."""
    connectors = {"shopify-us": shopify_connector(shop, SHOPIFY_SECRET),
                  "woo-us": woo_connector(shop, WOO_SECRET)}  # fmt: skip
    with shop_api(database_url, tmp_path / "data", connectors, auto_release=False) as api:
        yield api


def test_an_order_support_cancels_in_ordo_is_cancelled_in_shopify(
    shops: Api, shop: FakeShop
) -> None:
    created = shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    cancelled = shops.post(f"/v1/orders/{order_id}/cancel", role="support",
                           json={"reason": "customer called"})  # fmt: skip
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    run_worker(shops)

    assert shop.cancels() == [
        ("POST", f"/shopify/admin/api/2026-10/orders/{SHOPIFY_ID}/cancel.json",
         {"reason": "other", "email": False}),
    ]  # fmt: skip
    assert ("system", "order.cancel_sent_to_channel") in history(shops, order_id)

    # Shopify then sends its orders/cancelled webhook: the order is cancelled already.
    echoed = shopify(shops, "orders/cancelled", shopify_cancelled(cancel_reason="other"), "w-2")
    assert (echoed.status_code, echoed.json()["outcome"]) == (200, "unchanged")
    run_worker(shops)
    assert len(shop.cancels()) == 1


def test_an_order_cancelled_in_ordo_is_set_cancelled_in_woocommerce(
    shops: Api, shop: FakeShop
) -> None:
    created = woo_deliver(shops, "order.created", WOO_ORDER, delivery="d1")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    cancelled = shops.post(f"/v1/orders/{order_id}/cancel", role="support",
                           json={"reason": "out of stock"})  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    run_worker(shops)

    assert shop.cancels() == [
        ("PUT", f"/woo/wp-json/wc/v3/orders/{WOO_ORDER['id']}", {"status": "cancelled"}),
    ]
    assert ("system", "order.cancel_sent_to_channel") in history(shops, order_id)


def test_a_cancellation_that_came_from_the_shop_is_not_sent_back_to_it(
    shops: Api, shop: FakeShop
) -> None:
    order_id = shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create").json()["id"]

    done = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel")
    assert done.json()["outcome"] == "cancelled"
    run_worker(shops)

    assert shop.requests == []
    assert [action for _, action in history(shops, order_id)] == ["order.create", "order.cancel"]
