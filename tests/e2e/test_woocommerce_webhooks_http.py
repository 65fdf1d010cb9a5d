"""A WooCommerce store's webhook over HTTP: it pings `/v1/channels/woo-us/orders` when the
webhook is activated, then posts each `order.created` signed, and Ordo files and decides the
order like any other. Requests are made here as WooCommerce's `WC_Webhook` makes them."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, shop_api

WOO_SECRET = "wc-0123456789abcdef0123456789abcdef"
URL = "/v1/channels/woo-us/orders"
PAYLOAD = json.loads(
    (Path(__file__).parents[1] / "unit" / "connectors" / "woocommerce_order.json").read_text()
)
# What `WC_Webhook::get_new_delivery_id` sends: a hash of the webhook's id and the second.
DELIVERY = "3f9d2c7b1a0e4d5c8b6a7f1e2d3c4b5a"


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """Ordo with a WooCommerce connector `woo-us` filing orders under channel `woo-us` (and a
    Shopify one beside it), and stock for the fixture's two SKUs."""
    connectors = {
        "woo-us": {"connector": "woocommerce", "channel": "woo-us", "secret": WOO_SECRET},
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": WOO_SECRET},
    }
    with shop_api(database_url, tmp_path / "data", connectors) as api:
        yield api


def signed(body: bytes, secret: str = WOO_SECRET) -> str:
    """The signature as WooCommerce computes it (`WC_Webhook::generate_signature`: base64 of
    the raw HMAC-SHA256 of the body), not with the code under test."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(
    api: Api,
    payload: Any = PAYLOAD,
    delivery: str = DELIVERY,
    signature: str | None = None,
) -> Any:
    """One `order.created` delivery with the headers `WC_Webhook::deliver` sets."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-Signature": signed(body) if signature is None else signature,
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": delivery,
    }
    return api.client.post(URL, content=body, headers=headers)


def ping(api: Api, url: str = URL, **headers: str) -> Any:
    """`WC_Webhook::deliver_ping`: a form-encoded `webhook_id`, no signature, no WC headers."""
    return api.client.post(
        url,
        content=b"webhook_id=12",
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )


def woo_orders(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/v1/orders?channel=woo-us").json())


def test_a_signed_delivery_creates_an_order_filed_under_the_channel_and_decided(
    shop: Api,
) -> None:
    answer = deliver(shop)
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert (order["channel"], order["channel_order_id"], order["customer_id"]) == (
        "woo-us",
        "727",
        "26",
    )
    assert (order["status"], order["service_level"], order["total"]) == (
        "released",
        "standard",
        "129.70",
    )
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [
        ("SHOE-42", 1),
        ("SOCK-M", 2),
    ]
    entries = shop.get("/v1/audit?entity=order&limit=5").json()
    assert entries[0]["actor"] == "channel:woo-us (woocommerce webhook)"
    assert shop.get("/v1/inventory/atp/SOCK-M").json()["total"] == 8


def test_the_same_delivery_again_gets_the_first_answer_and_creates_nothing(shop: Api) -> None:
    first = deliver(shop)
    again = deliver(shop)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(woo_orders(shop)) == 1


def test_two_orders_sent_in_the_same_second_under_one_delivery_id_are_both_created(
    shop: Api,
) -> None:
    first = deliver(shop)
    second = deliver(shop, {**PAYLOAD, "id": 728, "number": "728"})
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert sorted(order["channel_order_id"] for order in woo_orders(shop)) == ["727", "728"]


def test_a_bad_postcode_is_422_naming_the_woocommerce_field(shop: Api) -> None:
    payload = copy.deepcopy(PAYLOAD)
    payload["shipping"]["postcode"] = "1" * 21
    refused = deliver(shop, payload)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "$.shipping.postcode"
    assert "at most 20 characters" in error["message"]
    assert woo_orders(shop) == []


def test_an_unpaid_order_is_422_telling_the_store_owner_what_to_send(shop: Api) -> None:
    refused = deliver(shop, {**PAYLOAD, "status": "pending"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["path"], error["type"]) == ("$.status", "order_status_not_taken")
    assert "subscribe order.updated too" in error["message"]
    assert woo_orders(shop) == []
    # Once paid, WooCommerce's order.updated brings it again, and it is taken.
    assert deliver(shop, delivery="a" * 32).status_code == 201


def test_every_fault_is_named_at_once_the_mappings_and_the_order_models(shop: Api) -> None:
    payload = {**copy.deepcopy(PAYLOAD), "status": "failed", "currency": "usd"}
    payload["line_items"][1]["sku"] = ""
    payload["shipping"]["postcode"] = "1" * 21
    refused = deliver(shop, payload)
    assert refused.status_code == 422
    assert [error["path"] for error in refused.json()["errors"]] == [
        "$.status",
        "$.line_items[1].sku",
        "$.shipping.postcode",
        "$.currency",
    ]


def test_the_ping_woocommerce_sends_when_a_webhook_is_activated_is_200_and_creates_nothing(
    shop: Api,
) -> None:
    answer = ping(shop)
    # WooCommerce keeps the webhook's set-up flagged as failed unless it gets exactly 200.
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"connector": "woo-us", "ping": True}
    assert woo_orders(shop) == []
    signed_ping = ping(shop, **{"X-WC-Webhook-Signature": signed(b"webhook_id=12")})
    assert signed_ping.status_code == 200


def test_a_ping_with_a_wrong_signature_or_to_a_channel_that_sends_none_is_401(
    shop: Api,
) -> None:
    forged = ping(shop, **{"X-WC-Webhook-Signature": signed(b"webhook_id=12", "guess")})
    assert forged.status_code == 401
    assert ping(shop, url="/v1/channels/shopify-us/orders").status_code == 401


@pytest.mark.parametrize(
    "signature",
    ["", signed(b"webhook_id=12"), signed(json.dumps(PAYLOAD).encode(), "another-secret")],
    ids=["empty", "another-body", "another-secret"],
)
def test_a_bad_signature_is_401_and_stores_nothing(shop: Api, signature: str) -> None:
    refused = deliver(shop, signature=signature)
    assert refused.status_code == 401
    assert "X-WC-Webhook-Signature signature does not match" in refused.json()["detail"]
    assert woo_orders(shop) == []


def test_an_unsigned_order_is_401_naming_woocommerces_header(shop: Api) -> None:
    body = json.dumps(PAYLOAD).encode()
    refused = shop.client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 401
    assert "X-WC-Webhook-Signature" in refused.json()["detail"]
    assert woo_orders(shop) == []
