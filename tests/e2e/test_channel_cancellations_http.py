"""A shopper cancels in the shop, and the shop's webhook cancels the order in Ordo, over HTTP:
Shopify's `orders/cancelled` and WooCommerce's `order.updated` to `cancelled` post to the
order URL the shop already uses. The order is cancelled as support would cancel it (its stock
given back, the channel named in its history); a delivery sent again changes nothing; a
cancellation that comes before its order is remembered, and the order, however it comes, is
created cancelled, reserving nothing; an order past cancelling is answered 200 all the same
and raises an alert a person sees. Shopify orders leave out the lines that need no shipping,
and say so."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.adapters import orm
from ordo.bootstrap import build_workers
from tests.e2e.conftest import Api, order, shop_api
from tests.e2e.test_channel_webhooks_http import PAYLOAD as SHOPIFY_ORDER
from tests.e2e.test_channel_webhooks_http import SHOPIFY_SECRET
from tests.e2e.test_channel_webhooks_http import signed as shopify_signed
from tests.e2e.test_woocommerce_topics_http import deliver as woo_deliver
from tests.e2e.test_woocommerce_webhooks_http import PAYLOAD as WOO_ORDER
from tests.e2e.test_woocommerce_webhooks_http import WOO_SECRET

SHOPIFY_URL = "/v1/channels/shopify-us/orders"
SHOPIFY_ACTOR = "channel:shopify-us (shopify webhook)"
GIFT_CARD = {"id": 5, "sku": "GIFT-25", "quantity": 1, "price": "25.00",
             "requires_shipping": False, "gift_card": True}  # fmt: skip


@pytest.fixture
def shops(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """Ordo releasing orders by hand (so a new order can still be cancelled), with a Shopify
    and a WooCommerce connector, and stock of the fixtures' SKUs at Dallas."""
    connectors = {
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": SHOPIFY_SECRET},
        "woo-us": {"connector": "woocommerce", "channel": "woo-us", "secret": WOO_SECRET},
    }
    with shop_api(database_url, tmp_path / "data", connectors, auto_release=False) as api:
        yield api


def shopify(api: Api, topic: str, payload: dict[str, Any], webhook_id: str) -> Any:
    body, signature = shopify_signed(payload)
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": webhook_id,
    }
    return api.client.post(SHOPIFY_URL, content=body, headers=headers)


def shopify_cancelled(**changes: Any) -> dict[str, Any]:
    return {**SHOPIFY_ORDER, "cancelled_at": "2026-11-21T18:02:11-05:00",
            "cancel_reason": "customer", **changes}  # fmt: skip


def reserved(api: Api) -> int:
    return sum(s["reserved"] for s in api.get("/v1/inventory/skus/SHOE-42").json())


def history(api: Api, order_id: str) -> list[tuple[str, str]]:
    return [(e["actor"], e["action"]) for e in api.get(f"/v1/orders/{order_id}").json()["events"]]


def outbox(api: Api, name: str) -> list[dict[str, Any]]:
    with api.container.engine.connect() as connection:
        rows = connection.execute(
            select(orm.outbox.c.payload).where(orm.outbox.c.name == name).order_by(orm.outbox.c.id)
        ).all()
    return [dict(row.payload) for row in rows]


def test_a_shopify_cancellation_cancels_the_order_gives_its_stock_back_and_names_the_channel(
    shops: Api,
) -> None:
    created = shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert reserved(shops) == 1

    cancelled = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel")

    assert cancelled.status_code == 200, cancelled.text
    answer = cancelled.json()
    assert {key: answer[key] for key in ("connector", "channel_order_id", "outcome", "reason")} == {
        "connector": "shopify-us",
        "channel_order_id": "820982911946154508",
        "outcome": "cancelled",
        "reason": "cancelled in Shopify (customer)",
    }
    assert (answer["order"]["id"], answer["order"]["status"]) == (order_id, "cancelled")
    assert shops.get(f"/v1/orders/{order_id}").json()["status"] == "cancelled"
    assert reserved(shops) == 0
    assert (SHOPIFY_ACTOR, "order.cancel") in history(shops, order_id)


def test_a_cancellation_sent_again_is_answered_as_before_and_changes_nothing(shops: Api) -> None:
    order_id = shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create").json()["id"]
    first = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel")
    seen = history(shops, order_id)

    retried = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel")
    resent = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel-2")

    assert (retried.status_code, retried.headers["Idempotent-Replayed"]) == (200, "true")
    assert retried.json() == first.json()
    assert resent.status_code == 200, resent.text
    assert (resent.json()["outcome"], resent.json()["reason"]) == (
        "unchanged",
        f"order {order_id} is cancelled already",
    )
    assert history(shops, order_id) == seen
    assert len(outbox(shops, "order.cancelled")) == 1


def test_a_woocommerce_order_cancelled_in_the_shop_is_cancelled_in_ordo(shops: Api) -> None:
    created = woo_deliver(shops, "order.created", WOO_ORDER, delivery="d1")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    cancelled = woo_deliver(shops, "order.updated", {**WOO_ORDER, "status": "cancelled"}, "d2")

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["outcome"], cancelled.json()["reason"]) == (
        "cancelled",
        "cancelled in WooCommerce",
    )
    assert shops.get(f"/v1/orders/{order_id}").json()["status"] == "cancelled"
    assert ("channel:woo-us (woocommerce webhook)", "order.cancel") in history(shops, order_id)
    assert reserved(shops) == 0


def test_a_cancellation_before_its_order_is_remembered_and_the_order_comes_in_cancelled(
    shops: Api,
) -> None:
    early = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel")

    assert early.status_code == 200, early.text
    assert (early.json()["outcome"], early.json()["order"]) == ("remembered", None)
    assert early.json()["reason"].startswith("Ordo has no order 820982911946154508 of channel")
    assert shops.get("/v1/orders?channel=shopify-us").json() == []

    created = shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create")

    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert created.json()["status"] == "cancelled"
    assert {line["status"] for line in created.json()["lines"]} == {"cancelled"}
    assert shops.get(f"/v1/orders/{order_id}").json()["status"] == "cancelled"
    assert reserved(shops) == 0
    assert history(shops, order_id) == [
        (SHOPIFY_ACTOR, "order.create"),
        (SHOPIFY_ACTOR, "order.cancel"),
    ]
    [cancelled] = outbox(shops, "order.cancelled")
    assert cancelled == {"order_id": order_id, "reason": "cancelled in Shopify (customer)"}
    assert outbox(shops, "order.reserved") == []
    resent = shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create-again")
    assert (resent.status_code, resent.json()["status"]) == (200, "cancelled")


def test_orders_posted_to_the_api_for_a_channel_that_cancelled_them_come_in_cancelled(
    shops: Api,
) -> None:
    unpaid = {**WOO_ORDER, "id": 728, "status": "cancelled"}
    assert woo_deliver(shops, "order.updated", unpaid, delivery="d1").json()["outcome"] == (
        "remembered"
    )
    shopify(shops, "orders/cancelled", shopify_cancelled(id=9001), "w-cancel")

    one = shops.post("/v1/orders", json=order("9001", channel="shopify-us"))
    batch = shops.post(
        "/v1/orders/batch",
        json={"orders": [order("728", channel="woo-us"), order("729", channel="woo-us")]},
    )

    assert (one.status_code, one.json()["status"]) == (201, "cancelled"), one.text
    assert batch.status_code == 200, batch.text
    statuses = {r["channel_order_id"]: r["order"]["status"] for r in batch.json()["results"]}
    assert statuses == {"728": "cancelled", "729": "carrier_assigned"}
    assert reserved(shops) == 1  # order 729's shoe; nothing for the two cancelled


def test_a_shipped_orders_cancellation_is_200_and_alerts_a_person_once(shops: Api) -> None:
    order_id = shopify(shops, "orders/create", SHOPIFY_ORDER, "w-create").json()["id"]
    assert shops.post(f"/v1/orders/{order_id}/release", role="support").status_code == 200
    for shipment in shops.get(f"/v1/orders/{order_id}").json()["shipments"]:
        path = f"/v1/shipments/{shipment['id']}/status"
        sent = shops.post(path, role="warehouse", json={"status": "shipped"})
        assert sent.status_code == 200, sent.text

    refused = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel")
    again = shopify(shops, "orders/cancelled", shopify_cancelled(), "w-cancel-2")

    assert (refused.status_code, refused.json()["outcome"]) == (200, "refused")
    assert refused.json()["reason"].startswith(f"order {order_id} is shipped: picked at its")
    assert (again.status_code, again.json()["outcome"]) == (200, "refused")
    assert shops.get(f"/v1/orders/{order_id}").json()["status"] == "shipped"
    [event] = outbox(shops, "order.cancel_refused")
    assert (event["order_id"], event["channel"], event["status"], event["reason"]) == (
        order_id, "shopify-us", "shipped", "cancelled in Shopify (customer)",
    )  # fmt: skip
    assert history(shops, order_id).count((SHOPIFY_ACTOR, "order.cancel_refused")) == 1
    [worker] = build_workers(shops.container, name="w1")
    for _ in range(3):
        worker.run_once()
    [alert] = shops.get("/v1/alerts?status=open", role="support").json()
    assert (alert["rule"], alert["key"], alert["severity"]) == (
        "channels/cancellation refused", order_id, "high",
    )  # fmt: skip
    assert "was cancelled in the shop" in alert["message"]


def test_a_shopify_order_with_a_gift_card_leaves_it_out_and_says_so(shops: Api) -> None:
    payload = copy.deepcopy(SHOPIFY_ORDER)
    payload["line_items"].append(GIFT_CARD)

    taken = shopify(shops, "orders/create", payload, "w-1")

    assert taken.status_code == 201, taken.text
    assert [line["sku"] for line in taken.json()["lines"]] == ["SHOE-42", "SOCK-M"]
    assert taken.json()["left_out"] == [
        {"path": "$.line_items[2]", "sku": "GIFT-25",
         "reason": "requires_shipping is false (a gift card or a digital good): nothing to ship"},
    ]  # fmt: skip

    only_cards = {**payload, "id": 820982911946154509, "line_items": [GIFT_CARD]}
    ignored = shopify(shops, "orders/create", only_cards, "w-2")
    assert (ignored.status_code, ignored.json()["ignored"]) == (200, True)
    assert ignored.json()["reason"].startswith("no line requires shipping")
    assert len(shops.get("/v1/orders?channel=shopify-us").json()) == 1


def test_a_shopify_delivery_of_another_topic_is_422_naming_the_header(shops: Api) -> None:
    refused = shopify(shops, "orders/updated", SHOPIFY_ORDER, "w-1")

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert error["path"] == "header parameter 'X-Shopify-Topic'"
    assert error["message"].startswith("is 'orders/updated': this URL takes Shopify's")
    assert shops.get("/v1/orders?channel=shopify-us").json() == []


def test_a_cancellation_that_names_no_order_is_422_at_its_id(shops: Api) -> None:
    payload = {key: value for key, value in shopify_cancelled().items() if key != "id"}

    refused = shopify(shops, "orders/cancelled", payload, "w-1")

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "$.id"
    assert error["message"] == "is required but missing: a cancellation names the order it cancels"
