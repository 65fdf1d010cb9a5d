"""Support refunds a shop's return in Ordo, over HTTP, and the shop pays the customer back: an
order from the Shopify (or WooCommerce) webhook shipped, a return requested, authorised,
received and refunded through the API -> the worker -> the fake shop receives the refund of
the amount Ordo refunded, on the sale's transaction, naming the returned lines without
restocking them, and the return's history shows it. Asked again, the shop is not paid twice."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, run_worker, shop_api
from tests.e2e.test_channel_cancellations_http import shopify
from tests.e2e.test_channel_webhooks_http import PAYLOAD as SHOPIFY_ORDER
from tests.e2e.test_channel_webhooks_http import SHOPIFY_SECRET
from tests.e2e.test_woocommerce_topics_http import deliver as woo_deliver
from tests.e2e.test_woocommerce_webhooks_http import PAYLOAD as WOO_ORDER
from tests.e2e.test_woocommerce_webhooks_http import WOO_SECRET
from tests.support.fake_shop import (
    SALE_ID,
    FakeShop,
    ShopOrder,
    shopify_connector,
    woo_connector,
)

SHOPIFY_ID = str(SHOPIFY_ORDER["id"])
SOCKS = SHOPIFY_ORDER["line_items"][1]  # two pairs at 24.90, the shop's line id its own


@pytest.fixture
def shops(database_url: str, tmp_path: Path, shop: FakeShop) -> Iterator[Api]:
    """Ordo with a Shopify and a WooCommerce connector that hold the fake shop's API
    credentials."""
    connectors = {"shopify-us": shopify_connector(shop, SHOPIFY_SECRET),
                  "woo-us": woo_connector(shop, WOO_SECRET)}  # fmt: skip
    with shop_api(database_url, tmp_path / "data", connectors) as api:
        yield api


def shipped(api: Api, created: Any) -> dict[str, Any]:
    """The order the webhook created, its every shipment shipped through the API."""
    assert created.status_code == 201, created.text
    order = api.get(f"/v1/orders/{created.json()['id']}").json()
    for shipment in order["shipments"]:
        moved = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": "shipped"})
        assert moved.status_code == 200, moved.text
    return dict(api.get(f"/v1/orders/{order['id']}").json())


def returned_and_refunded(api: Api, order: dict[str, Any], sku: str, quantity: int) -> Any:
    """A return of `quantity` of the order's `sku` line, through each step over HTTP."""
    [line] = [line for line in order["lines"] if line["sku"] == sku]
    body = {"lines": [{"order_line_id": line["id"], "quantity": quantity, "reason": "too big"}]}
    asked = api.post(f"/v1/orders/{order['id']}/returns", role="support", json=body)
    assert asked.status_code == 201, asked.text
    return_id = asked.json()["id"]
    authorised = api.post(f"/v1/returns/{return_id}/authorise", role="support")
    assert authorised.status_code == 200, authorised.text
    received = api.post(f"/v1/returns/{return_id}/receive", role="warehouse",
                        json={"location_code": "DAL-01"})  # fmt: skip
    assert received.status_code == 200, received.text
    refunded = api.post(f"/v1/returns/{return_id}/refund", role="support", json={})
    assert refunded.status_code == 200, refunded.text
    return refunded.json()


def history(api: Api, return_id: str) -> list[tuple[str, str]]:
    entries = api.get(f"/v1/audit?entity=return&entity_id={return_id}").json()
    return [(e["actor"], e["action"]) for e in entries]


def test_a_return_refunded_in_ordo_is_refunded_in_shopify_for_the_same_amount(
    shops: Api, shop: FakeShop
) -> None:
    shop.orders[f"shopify:{SHOPIFY_ID}"] = ShopOrder(
        line_items=[{"id": item["id"], "quantity": item["quantity"]}
                    for item in SHOPIFY_ORDER["line_items"]]
    )  # fmt: skip
    order = shipped(shops, shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create"))

    refund = returned_and_refunded(shops, order, "SOCK-M", 2)
    assert (refund["status"], refund["refund_amount"]) == ("refunded", "49.80")
    run_worker(shops)
    run_worker(shops)  # a second worker finds the return told already

    assert shop.refunds_made() == [
        ("POST", f"/shopify/admin/api/2026-10/orders/{SHOPIFY_ID}/refunds.json", {"refund": {
            "currency": "USD", "notify": False, "note": f"Ordo return {refund['rma']}",
            "refund_line_items": [
                {"line_item_id": SOCKS["id"], "quantity": 2, "restock_type": "no_restock"}],
            "transactions": [{"parent_id": SALE_ID, "amount": "49.80", "kind": "refund",
                              "gateway": "bogus"}],
        }}),
    ]  # fmt: skip
    assert ("system", "return.refund_sent_to_channel") in history(shops, refund["id"])


def test_a_return_refunded_in_ordo_is_refunded_in_woocommerce_through_its_gateway(
    shops: Api, shop: FakeShop
) -> None:
    shop.orders[f"woo:{WOO_ORDER['id']}"] = ShopOrder(paid=Decimal(WOO_ORDER["total"]))
    order = shipped(shops, woo_deliver(shops, "order.created", WOO_ORDER, delivery="d1"))

    refund = returned_and_refunded(shops, order, "SHOE-42", 1)
    run_worker(shops)

    assert shop.refunds_made() == [
        ("POST", f"/woo/wp-json/wc/v3/orders/{WOO_ORDER['id']}/refunds",
         {"amount": "79.90", "reason": f"Ordo return {refund['rma']}", "api_refund": True,
          "api_restock": False}),
    ]  # fmt: skip
    assert ("system", "return.refund_sent_to_channel") in history(shops, refund["id"])
