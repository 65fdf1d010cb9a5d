"""Which Shopify deliveries carry what: `orders/create` a new order, `orders/cancelled` the
order the shop cancelled, any other topic is refused naming `X-Shopify-Topic`. Lines that do
not require shipping (gift cards, digital goods) are left out of the order and noted, and an
order of those alone is left alone."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.channels.base import Cancellation, LeftOut, PayloadError, WrongTopic, json_path
from connectors.channels.shopify import ShopifyChannel

PAYLOAD = json.loads((Path(__file__).parent / "shopify_order.json").read_text())
GIFT_CARD = {"id": 5, "sku": "GIFT-25", "quantity": 1, "price": "25.00",
             "requires_shipping": False, "gift_card": True}  # fmt: skip
NO_SHIPPING = "requires_shipping is false (a gift card or a digital good): nothing to ship"


def shopify() -> ShopifyChannel:
    return ShopifyChannel({"channel": "shopify-us", "secret": "hush"})


def topic(name: str) -> dict[str, str]:
    return {"X-Shopify-Topic": name}


def cancelled(**changes: Any) -> dict[str, Any]:
    """The fixture as `orders/cancelled` sends it: the order, cancelled."""
    return {**PAYLOAD, "cancelled_at": "2026-11-21T18:02:11-05:00", "cancel_reason": "customer",
            **changes}  # fmt: skip


def with_lines(*items: dict[str, Any], keep: bool = True) -> dict[str, Any]:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"] = [*(payload["line_items"] if keep else []), *items]
    return payload


@pytest.mark.parametrize("other", [topic("orders/create"), {}])
def test_an_orders_cancelled_delivery_and_no_other_names_the_order_and_the_shops_reason(
    other: dict[str, str],
) -> None:
    assert shopify().cancellation(topic("orders/cancelled"), cancelled()) == Cancellation(
        "820982911946154508", "cancelled in Shopify (customer)"
    )
    unsaid = shopify().cancellation(topic("orders/cancelled"), cancelled(cancel_reason=None))
    assert unsaid == Cancellation("820982911946154508", "cancelled in Shopify")
    assert shopify().cancellation(other, cancelled()) is None


@pytest.mark.parametrize(
    ("order_id", "says"),
    [(None, "is required but missing"), ("", "is required but missing"),
     (True, "must be the order's id, a number or text; got bool"),
     ("#1001", "is not an order id Ordo could have taken"), (-5, "is not an order id")],
)  # fmt: skip
def test_a_cancellation_that_names_no_order_is_refused_at_its_id(order_id: Any, says: str) -> None:
    with pytest.raises(PayloadError) as refused:
        shopify().cancellation(topic("orders/cancelled"), cancelled(id=order_id))
    [error] = refused.value.errors
    assert json_path(error.loc) == "$.id" and error.message.startswith(says)


@pytest.mark.parametrize("name", ["orders/updated", "orders/delete", "products/create", ""])
def test_a_delivery_of_another_topic_is_refused_naming_the_header_and_the_topic(name: str) -> None:
    with pytest.raises(WrongTopic) as refused:
        shopify().passed_over(topic(name), PAYLOAD)
    assert refused.value.header == "X-Shopify-Topic"
    assert refused.value.message.startswith(f"is {name!r}: this URL takes Shopify's orders/create")
    for taken in (topic("orders/create"), topic("orders/cancelled"), {}):
        assert shopify().passed_over(taken, PAYLOAD) is None


def test_a_line_that_needs_no_shipping_is_left_out_and_noted_where_it_was() -> None:
    payload = with_lines()
    payload["line_items"].insert(1, GIFT_CARD)

    mapped = shopify().to_order(payload)

    assert [line["sku"] for line in mapped.body["lines"]] == ["SHOE-42", "SOCK-M"]
    assert mapped.left_out == (LeftOut(("line_items", 1), "GIFT-25", NO_SHIPPING),)
    assert mapped.source_of(("lines", 1)) == ("line_items", 2)
    assert shopify().passed_over(topic("orders/create"), payload) is None  # one line ships


def test_an_order_with_nothing_to_ship_is_left_alone_and_refused_when_mapped_anyway() -> None:
    payload = with_lines(GIFT_CARD, {**GIFT_CARD, "id": 6, "sku": None}, keep=False)

    why = shopify().passed_over(topic("orders/create"), payload)

    assert why is not None and why.startswith("no line requires shipping (gift cards or")
    with pytest.raises(PayloadError) as refused:
        shopify().to_order(payload)
    [error] = refused.value.errors
    assert (json_path(error.loc), error.kind) == ("$.line_items", "nothing_to_ship")
