"""Which shop deliveries say that some units of an order were cancelled, and which units:
Shopify's `refunds/create` by its `cancel` refund lines (a refund of money or of returned goods
cancels nothing), and WooCommerce's `order.updated` by the quantities its lines still have.
The payloads are shaped as the shops send them (`shopify_refund.json` is the Admin REST Refund
resource, as `refunds/create` posts it)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.channels.base import PayloadError, UnitCancellation, WrongTopic, json_path
from connectors.channels.shopify import ShopifyChannel
from connectors.channels.woocommerce import WooCommerceChannel

HERE = Path(__file__).parent
REFUND = json.loads((HERE / "shopify_refund.json").read_text())
WOO_ORDER = json.loads((HERE / "woocommerce_order.json").read_text())
SHOPIFY_REFUND = {"X-Shopify-Topic": "refunds/create"}
WOO_UPDATED = {"X-WC-Webhook-Topic": "order.updated"}


def shopify() -> ShopifyChannel:
    return ShopifyChannel({"channel": "shopify-us", "secret": "hush"})


def woocommerce() -> WooCommerceChannel:
    return WooCommerceChannel({"channel": "woo-us", "secret": "hush"})


def refund(*restock_types: str) -> dict[str, Any]:
    """The fixture's refund, its lines' restock types replaced by these."""
    payload = copy.deepcopy(REFUND)
    for line, restock in zip(payload["refund_line_items"], restock_types, strict=True):
        line["restock_type"] = restock
    return payload


def test_a_shopify_refund_cancels_the_units_of_its_cancel_lines_and_no_others() -> None:
    found = shopify().unit_cancellation(SHOPIFY_REFUND, REFUND)

    assert found == UnitCancellation(
        "820982911946154508",
        "cancelled in Shopify (refund 929361464: out of stock)",
        cancelled={"866550311766439020": 1},
        change="shopify refund 929361464",
    )
    for other in (
        {"X-Shopify-Topic": "orders/create"},
        {"X-Shopify-Topic": "orders/cancelled"},
        {},
    ):
        assert shopify().unit_cancellation(other, REFUND) is None


@pytest.mark.parametrize("restock", ["return", "no_restock", "legacy_restock"])
def test_a_shopify_refund_of_money_or_returned_goods_cancels_nothing_and_is_left_alone(
    restock: str,
) -> None:
    payload = refund(restock, restock)

    assert shopify().unit_cancellation(SHOPIFY_REFUND, payload) is None
    why = shopify().passed_over(SHOPIFY_REFUND, payload)
    assert why is not None and why.startswith("the refund cancels no unit")


def test_shopifys_orders_edited_is_refused_since_its_removals_come_again_as_refunds() -> None:
    removed = {"id": 866550311766439020, "delta": 1}
    edited = {"order_edit": {"id": 78912328793123782, "order_id": 820982911946154508,
                             "line_items": {"additions": [], "removals": [removed]}}}  # fmt: skip

    with pytest.raises(WrongTopic) as refused:
        shopify().passed_over({"X-Shopify-Topic": "orders/edited"}, edited)
    assert "refunds/create (units cancelled by a refund or an order edit)" in refused.value.message


@pytest.mark.parametrize(
    ("change", "path", "says"),
    [({"order_id": None}, "$.order_id", "is required but missing"),
     ({"refund_line_items": "all"}, "$.refund_line_items", "must be a list of lines"),
     ({"refund_line_items": [{"line_item_id": 866550311766439020, "quantity": -1,
                              "restock_type": "cancel"}]},
      "$.refund_line_items[0].quantity", "must be a whole number of units")],
)  # fmt: skip
def test_a_shopify_refund_whose_order_or_units_cannot_be_read_is_refused_at_the_field(
    change: dict[str, Any], path: str, says: str
) -> None:
    with pytest.raises(PayloadError) as refused:
        shopify().unit_cancellation(SHOPIFY_REFUND, {**REFUND, **change})

    [error] = refused.value.errors
    assert (json_path(error.loc), error.message[: len(says)]) == (path, says)


def test_a_woocommerce_update_of_an_order_ordo_takes_says_what_each_line_still_has() -> None:
    edited = copy.deepcopy(WOO_ORDER)
    edited["status"] = "on-hold"
    edited["line_items"] = [edited["line_items"][1]]  # item 315 removed
    edited["line_items"][0]["quantity"] = 1  # item 316 lowered from 2

    found = woocommerce().unit_cancellation(WOO_UPDATED, edited)

    assert found == UnitCancellation(
        "727",
        "lowered or removed in WooCommerce (the order was edited)",
        kept={"316": 1},
        change="woocommerce lines 316=1",
    )
    assert woocommerce().unit_cancellation({"X-WC-Webhook-Topic": "order.created"}, edited) is None
    for status in ("pending", "completed", "cancelled"):
        assert woocommerce().unit_cancellation(WOO_UPDATED, {**edited, "status": status}) is None
