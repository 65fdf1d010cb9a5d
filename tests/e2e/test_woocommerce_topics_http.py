"""WooCommerce deliveries over HTTP by topic, and orders with virtual products: a webhook of
another topic pointed at the order URL is 422 naming `X-WC-Webhook-Topic`, an `order.updated`
of an unpaid order is 200 and left alone (and the paid one is taken), the ping still answers
200, and the lines of the shop's virtual products are left out and listed in the answer."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, shop_api
from tests.e2e.test_woocommerce_webhooks_http import PAYLOAD, URL, WOO_SECRET, ping, signed

GIFT_CARD = {"id": 317, "name": "Gift card", "product_id": 120, "variation_id": 0,
             "quantity": 1, "sku": "GIFT-50", "price": 50.0}  # fmt: skip


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """Ordo with a WooCommerce connector `woo-us` whose shop sells one virtual product."""
    connectors = {
        "woo-us": {"connector": "woocommerce", "channel": "woo-us", "secret": WOO_SECRET,
                   "virtual_skus": ["GIFT-50"]},
    }  # fmt: skip
    with shop_api(database_url, tmp_path / "data", connectors) as api:
        yield api


def deliver(api: Api, topic: str, payload: dict[str, Any] = PAYLOAD, delivery: str = "d1") -> Any:
    body = json.dumps(payload).encode()
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": signed(body),
        "X-WC-Webhook-Delivery-ID": delivery,
    }
    return api.client.post(URL, content=body, headers=headers)


def woo_orders(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/v1/orders?channel=woo-us").json())


@pytest.mark.parametrize("topic", ["product.created", "order.deleted"])
def test_a_webhook_of_another_topic_is_422_naming_the_header_and_creates_nothing(
    shop: Api, topic: str
) -> None:
    refused = deliver(shop, topic)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert error["path"] == "header parameter 'X-WC-Webhook-Topic'"
    assert error["message"].startswith(f"is '{topic}': this URL takes WooCommerce orders")
    assert woo_orders(shop) == []


def test_an_update_of_an_unpaid_order_is_left_alone_and_the_paid_one_is_taken(shop: Api) -> None:
    unpaid = deliver(shop, "order.updated", {**PAYLOAD, "status": "pending"}, delivery="d1")
    assert unpaid.status_code == 200, unpaid.text
    assert unpaid.json()["ignored"] is True
    assert "order that is 'pending'" in unpaid.json()["reason"]
    assert woo_orders(shop) == []

    paid = deliver(shop, "order.updated", PAYLOAD, delivery="d2")
    assert paid.status_code == 201, paid.text
    completed = deliver(shop, "order.updated", {**PAYLOAD, "status": "completed"}, delivery="d3")
    assert (completed.status_code, completed.json()["ignored"]) == (200, True)
    assert [o["channel_order_id"] for o in woo_orders(shop)] == ["727"]


def test_the_ping_is_still_answered_200(shop: Api) -> None:
    answer = ping(shop)
    assert (answer.status_code, answer.json()) == (200, {"connector": "woo-us", "ping": True})


def test_a_virtual_products_line_is_left_out_and_listed_in_the_answer(shop: Api) -> None:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"].append(GIFT_CARD)
    taken = deliver(shop, "order.created", payload)
    assert taken.status_code == 201, taken.text
    assert [line["sku"] for line in taken.json()["lines"]] == ["SHOE-42", "SOCK-M"]
    assert taken.json()["left_out"] == [
        {"path": "$.line_items[2]", "sku": "GIFT-50",
         "reason": "SKU GIFT-50 is a virtual product (the connector's virtual_skus)"},
    ]  # fmt: skip


def test_an_order_of_virtual_products_alone_is_200_and_creates_nothing(shop: Api) -> None:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"] = [GIFT_CARD]
    payload["shipping"] = {key: "" for key in payload["shipping"]}
    payload["shipping_lines"] = []
    answer = deliver(shop, "order.created", payload)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "connector": "woo-us",
        "ignored": True,
        "reason": "every line is a virtual product's: Ordo has nothing to ship",
    }
    assert woo_orders(shop) == []
