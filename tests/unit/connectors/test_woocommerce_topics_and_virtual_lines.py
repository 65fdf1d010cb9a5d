"""Which WooCommerce deliveries carry an order for Ordo: `order.created`, and `order.updated`
of an order in a status Ordo takes; another topic is refused naming the header, an update of
an order Ordo does not take is left alone, and an update to a cancel status (cancelled,
refunded, failed) is the order's cancellation. Lines of the virtual products the shop names are
left out of the order, noted, and an order of those alone is left alone."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.channels import ChannelSettingsError, build_channels
from connectors.channels.base import Cancellation, PayloadError, WrongTopic, json_path
from connectors.channels.woocommerce import WooCommerceChannel

PAYLOAD = json.loads((Path(__file__).parent / "woocommerce_order.json").read_text())
GIFT_CARD = {"id": 317, "name": "Gift card", "product_id": 120, "variation_id": 0,
             "quantity": 1, "sku": "GIFT-50", "price": 50.0}  # fmt: skip
EBOOK = {"id": 318, "name": "Care guide (PDF)", "product_id": 121, "variation_id": 0,
         "quantity": 1, "sku": "", "price": 4.0}  # fmt: skip
VIRTUAL = {"virtual_skus": ["GIFT-50"], "virtual_product_ids": [121]}


def woocommerce(**config: Any) -> WooCommerceChannel:
    return WooCommerceChannel({"channel": "woo-us", "secret": "hush", **config})


def topic(name: str) -> dict[str, str]:
    return {"X-WC-Webhook-Topic": name}


def with_lines(*extra: dict[str, Any], keep: bool = True) -> dict[str, Any]:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"] = [*(payload["line_items"] if keep else []), *extra]
    return payload


@pytest.mark.parametrize(
    "name", ["product.created", "order.deleted", "customer.updated", "action.woocommerce_x", ""]
)
def test_a_delivery_of_another_topic_is_refused_naming_the_header_and_the_topic(name: str) -> None:
    with pytest.raises(WrongTopic) as refused:
        woocommerce().passed_over(topic(name), PAYLOAD)
    assert refused.value.header == "X-WC-Webhook-Topic"
    assert refused.value.message.startswith(f"is {name!r}: this URL takes WooCommerce orders")
    assert "Order created" in refused.value.message


@pytest.mark.parametrize("headers", [topic("order.created"), topic("order.updated"), {}])
def test_a_new_or_updated_order_in_a_status_taken_is_taken_and_so_is_one_without_a_topic(
    headers: dict[str, str],
) -> None:
    assert woocommerce().passed_over(headers, PAYLOAD) is None


@pytest.mark.parametrize("status", ["pending", "completed", "cancelled", "refunded"])
def test_an_update_of_an_order_in_a_status_not_taken_is_left_alone_saying_why(status: str) -> None:
    why = woocommerce().passed_over(topic("order.updated"), {**PAYLOAD, "status": status})
    assert why == (
        f"an order.updated delivery of an order that is '{status}': Ordo takes an order once "
        "it is processing or on-hold, and leaves changes to it in WooCommerce alone"
    )
    # A new order in such a status is still refused, saying why (the mapping's 422).
    assert woocommerce().passed_over(topic("order.created"), {**PAYLOAD, "status": status}) is None


def test_lines_of_virtual_products_are_left_out_and_noted_by_sku_or_product_id() -> None:
    mapped = woocommerce(**VIRTUAL).to_order(with_lines(GIFT_CARD, EBOOK))
    assert [line["sku"] for line in mapped.body["lines"]] == ["SHOE-42", "SOCK-M"]
    assert [(json_path(x.loc), x.sku, x.reason) for x in mapped.left_out] == [
        ("$.line_items[2]", "GIFT-50",
         "SKU GIFT-50 is a virtual product (the connector's virtual_skus)"),
        ("$.line_items[3]", "",
         "product_id 121 is a virtual product (the connector's virtual_product_ids)"),
    ]  # fmt: skip
    assert woocommerce(**VIRTUAL).passed_over(topic("order.created"), with_lines(GIFT_CARD)) is None


def test_a_virtual_variation_is_named_by_its_variation_id() -> None:
    variation = {**GIFT_CARD, "sku": "GIFT-X", "product_id": 120, "variation_id": 130}
    mapped = woocommerce(virtual_product_ids=[130]).to_order(with_lines(variation))
    assert [json_path(x.loc) for x in mapped.left_out] == ["$.line_items[2]"]


def test_without_the_shops_list_every_line_is_taken_as_before() -> None:
    mapped = woocommerce().to_order(with_lines(GIFT_CARD))
    assert [line["sku"] for line in mapped.body["lines"]] == ["SHOE-42", "SOCK-M", "GIFT-50"]
    assert mapped.left_out == ()


def test_an_order_of_virtual_products_alone_is_left_alone_and_not_mapped() -> None:
    payload = with_lines(GIFT_CARD, EBOOK, keep=False)
    payload["shipping"] = {key: "" for key in payload["shipping"]}
    payload["shipping_lines"] = []
    assert woocommerce(**VIRTUAL).passed_over(topic("order.created"), payload) == (
        "every line is a virtual product's: Ordo has nothing to ship"
    )
    with pytest.raises(PayloadError) as refused:
        woocommerce(**VIRTUAL).to_order({**payload, "shipping": PAYLOAD["shipping"]})
    [error] = refused.value.errors
    assert (json_path(error.loc), error.kind) == ("$.line_items", "nothing_to_ship")


def test_the_virtual_products_settings_are_checked_when_built() -> None:
    assert woocommerce(virtual_skus=[" GIFT-50 "]).config.virtual_skus == ["GIFT-50"]
    with pytest.raises(ValueError, match="names an empty SKU"):
        woocommerce(virtual_skus=["GIFT-50", " "])
    with pytest.raises(ValueError, match="names an id below 1"):
        woocommerce(virtual_product_ids=[0])


@pytest.mark.parametrize("status", ["cancelled", "refunded", "failed"])
def test_an_update_to_a_status_that_ends_the_order_is_its_cancellation(status: str) -> None:
    said = woocommerce().cancellation(topic("order.updated"), {**PAYLOAD, "status": status})
    assert said == Cancellation("727", f"{status} in WooCommerce")
    for other in ({}, topic("order.created")):  # a new order in that status is still refused
        assert woocommerce().cancellation(other, {**PAYLOAD, "status": status}) is None


@pytest.mark.parametrize("status", ["processing", "pending", "completed"])
def test_an_update_to_another_status_is_no_cancellation(status: str) -> None:
    cancelled = {**PAYLOAD, "status": "cancelled"}
    assert woocommerce().cancellation(topic("order.updated"), cancelled) is not None
    assert woocommerce().cancellation(topic("order.updated"), {**PAYLOAD, "status": status}) is None


def test_the_shop_chooses_which_statuses_cancel_and_none_switches_cancelling_off() -> None:
    refunded = {**PAYLOAD, "status": "refunded"}
    assert woocommerce().cancellation(topic("order.updated"), refunded) is not None
    assert woocommerce(cancel_statuses=["cancelled"]).cancellation(
        topic("order.updated"), refunded
    ) is None  # fmt: skip
    assert woocommerce(cancel_statuses=[]).cancellation(
        topic("order.updated"), {**PAYLOAD, "status": "cancelled"}
    ) is None  # fmt: skip


def test_a_cancellation_without_the_orders_id_is_refused_at_it() -> None:
    payload = {key: value for key, value in PAYLOAD.items() if key != "id"}
    with pytest.raises(PayloadError) as refused:
        woocommerce().cancellation(topic("order.updated"), {**payload, "status": "cancelled"})
    assert [json_path(error.loc) for error in refused.value.errors] == ["$.id"]


@pytest.mark.parametrize(
    ("settings", "says"),
    [({"cancel_statuses": ["processing"]}, "cancel_statuses: names 'processing', a status an "
      "order is taken in (statuses)"),
     ({"cancel_statuses": ["wc-cancelled"]}, "cancel_statuses: 'wc-cancelled' is not a "
      "WooCommerce order status")],
)  # fmt: skip
def test_cancel_statuses_that_are_taken_or_are_no_slugs_stop_the_start(
    settings: dict[str, Any], says: str
) -> None:
    entry = {"connector": "woocommerce", "channel": "woo-us", "secret": "hush", **settings}
    with pytest.raises(ChannelSettingsError) as refused:
        build_channels({"woo-us": entry})
    assert str(refused.value).startswith(f"woo-us.{says}")
