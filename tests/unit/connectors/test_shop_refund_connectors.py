"""Shopify and WooCommerce refunding a return Ordo refunded, against fake shop APIs
(httpx.MockTransport): the requests each shop's API documents (Shopify's calculate, then its
refund on the sale's parent transaction; WooCommerce's refund through the gateway), the money
only, restocking nothing; the lines given when they are the shop's; a refund already marked
with the return's RMA taken as done; a refund larger than what is left, or one the shop will
not make, refused for good naming what was said; an outage retried."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.base import DeliveryError, PermanentRefusal
from connectors.channels import build_channels
from connectors.channels.base import ALREADY_REFUNDED, REFUNDED_IN_SHOP, RefundLine, ShopRefund
from connectors.channels.shopify import API_VERSION
from connectors.channels.woocommerce import spread
from tests.unit.connectors.test_shop_cancel_connectors import (
    SHOP,
    STORE,
    TOKEN,
    Answer,
    shopify,
    woo,
)

RMA = "RMA-20261124-0A1B2C3D"
SHOE = RefundLine("466157049", 1, Decimal("59.00"))
SOCKS = RefundLine("518995019", 2, Decimal("20.00"))
REFUND = ShopRefund(RMA, Decimal("79.00"), "USD", (SHOE, SOCKS))
ORDERS = f"/admin/api/{API_VERSION}/orders/450789469"


def a_shopify_order(*refunds: dict[str, Any], currency: str = "USD") -> dict[str, Any]:
    items = [{"id": 466157049, "quantity": 1}, {"id": 518995019, "quantity": 3}]
    return {"order": {"id": 450789469, "currency": currency, "line_items": items,
                      "refunds": list(refunds)}}  # fmt: skip


def calculated(*held: tuple[int, str, str]) -> dict[str, Any]:
    """Shopify's calculated refund: a suggested refund per payment (parent, gateway, most)."""
    return {"refund": {"currency": "USD", "transactions": [
        {"order_id": 450789469, "kind": "suggested_refund", "parent_id": parent,
         "gateway": gateway, "amount": "0.00", "currency": "USD", "maximum_refundable": most}
        for parent, gateway, most in held
    ]}}  # fmt: skip


def shopify_answering(
    order: dict[str, Any], calculation: dict[str, Any], refund: httpx.Response | None = None
) -> Answer:
    """A Shopify that answers the order look-up, the calculation and the refund."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=order)
        if request.url.path.endswith("/calculate.json"):
            return httpx.Response(200, json=calculation)
        return refund or httpx.Response(201, json={"refund": {"id": 929361465}})

    return answer


def sent(request: httpx.Request) -> Any:
    return json.loads(request.content)


# --- Shopify ---------------------------------------------------------------------------------


def test_shopify_refunds_the_amount_on_the_sales_parent_transaction_restocking_nothing() -> None:
    connector, fake = shopify(
        shopify_answering(a_shopify_order(), calculated((801038806, "bogus", "199.00")))
    )

    assert connector.tells_refunds
    assert connector.refund_in_shop("450789469", REFUND) == REFUNDED_IN_SHOP

    look_up, calculation, refund = fake.requests
    assert (look_up.method, str(look_up.url)) == (
        "GET",
        f"{SHOP}{ORDERS}.json?fields=id,currency,line_items,refunds",
    )
    lines = [
        {"line_item_id": 466157049, "quantity": 1, "restock_type": "no_restock"},
        {"line_item_id": 518995019, "quantity": 2, "restock_type": "no_restock"},
    ]
    assert (calculation.method, calculation.url.path) == (
        "POST",
        f"{ORDERS}/refunds/calculate.json",
    )
    assert sent(calculation) == {"refund": {"currency": "USD", "refund_line_items": lines}}
    assert (refund.method, refund.url.path) == ("POST", f"{ORDERS}/refunds.json")
    assert sent(refund) == {"refund": {
        "currency": "USD", "notify": False, "note": f"Ordo return {RMA}",
        "refund_line_items": lines,
        "transactions": [
            {"parent_id": 801038806, "amount": "79.00", "kind": "refund", "gateway": "bogus"}
        ],
    }}  # fmt: skip
    assert {r.headers["X-Shopify-Access-Token"] for r in fake.requests} == {TOKEN}


def test_a_refund_split_over_two_payments_takes_each_up_to_what_it_holds() -> None:
    held = calculated((801038806, "gift_card", "30.00"), (801038807, "shopify_payments", "169.00"))
    connector, fake = shopify(shopify_answering(a_shopify_order(), held))

    connector.refund_in_shop("450789469", REFUND)

    assert sent(fake.requests[-1])["refund"]["transactions"] == [
        {"parent_id": 801038806, "amount": "30.00", "kind": "refund", "gateway": "gift_card"},
        {"parent_id": 801038807, "amount": "49.00", "kind": "refund",
         "gateway": "shopify_payments"},
    ]  # fmt: skip


def test_lines_that_are_not_the_shops_are_left_out_and_the_money_alone_is_refunded() -> None:
    kit_part = ShopRefund(
        RMA, Decimal("10.00"), "USD", (RefundLine("466157049.1", 1, Decimal(10)),)
    )
    connector, fake = shopify(
        shopify_answering(a_shopify_order(), calculated((801038806, "bogus", "199.00")))
    )

    connector.refund_in_shop("450789469", kit_part)

    assert sent(fake.requests[1])["refund"]["refund_line_items"] == []
    assert sent(fake.requests[2])["refund"]["refund_line_items"] == []


def test_a_shopify_refund_carrying_the_rma_already_is_done_without_a_second_refund() -> None:
    earlier = {"id": 929361465, "note": f"Ordo return {RMA}"}
    connector, fake = shopify(
        shopify_answering(a_shopify_order(earlier), calculated((801038806, "bogus", "199.00")))
    )

    assert connector.refund_in_shop("450789469", REFUND) == ALREADY_REFUNDED
    assert [r.method for r in fake.requests] == ["GET"]


def test_more_than_the_payments_still_hold_is_refused_for_good_naming_both_amounts() -> None:
    connector, fake = shopify(
        shopify_answering(a_shopify_order(), calculated((801038806, "bogus", "41.94")))
    )

    with pytest.raises(PermanentRefusal) as refused:
        connector.refund_in_shop("450789469", REFUND)
    assert str(refused.value) == (
        f"Shopify {SHOP} order 450789469 has 41.94 USD left to refund, less than the 79.00 USD "
        f"Ordo refunded for return {RMA}"
    )
    assert not any(r.url.path.endswith("/refunds.json") for r in fake.requests)


def test_an_order_shopify_holds_in_another_currency_is_refused_before_anything_is_refunded() -> (
    None
):
    connector, fake = shopify(
        shopify_answering(a_shopify_order(currency="EUR"), calculated((1, "bogus", "199.00")))
    )

    with pytest.raises(PermanentRefusal, match=r"is in EUR, but Ordo refunded .* in USD"):
        connector.refund_in_shop("450789469", REFUND)
    assert [r.method for r in fake.requests] == ["GET"]


def test_shopify_refusing_the_refund_is_a_refusal_for_good_in_its_words() -> None:
    said = httpx.Response(422, json={"errors": {"base": ["Transaction amount is invalid"]}})
    connector, _ = shopify(
        shopify_answering(a_shopify_order(), calculated((801038806, "bogus", "199.00")), said)
    )

    with pytest.raises(PermanentRefusal) as refused:
        connector.refund_in_shop("450789469", REFUND)
    assert str(refused.value) == (
        f"Shopify {SHOP} refused the refund of return {RMA} on order 450789469: 422 base: "
        "Transaction amount is invalid"
    )


@pytest.mark.parametrize("status", [429, 500, 503])
def test_shopify_busy_or_failing_is_retried_not_refused(status: int) -> None:
    busy = httpx.Response(status, json={"errors": "try later"})
    connector, _ = shopify(
        shopify_answering(a_shopify_order(), calculated((801038806, "bogus", "199.00")), busy)
    )

    with pytest.raises(DeliveryError) as failed:
        connector.refund_in_shop("450789469", REFUND)
    assert not isinstance(failed.value, PermanentRefusal)
    assert f"{status} try later" in str(failed.value)


def test_an_answer_that_is_no_json_is_retried() -> None:
    connector, _ = shopify(lambda _: httpx.Response(200, text="<html>maintenance</html>"))

    with pytest.raises(DeliveryError) as failed:
        connector.refund_in_shop("450789469", REFUND)
    assert not isinstance(failed.value, PermanentRefusal)
    assert "answered the look-up of order 450789469 with no JSON" in str(failed.value)


# --- WooCommerce -----------------------------------------------------------------------------


def a_woo_order(*refunds: dict[str, Any], total: str = "138.00") -> dict[str, Any]:
    items = [{"id": 466157049, "quantity": 1}, {"id": 518995019, "quantity": 2}]
    return {"id": 727, "status": "completed", "currency": "USD", "total": total,
            "line_items": items, "refunds": list(refunds)}  # fmt: skip


def woo_answering(order: dict[str, Any], refund: httpx.Response | None = None) -> Answer:
    """A WooCommerce that answers the order look-up and the refund."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=order)
        return refund or httpx.Response(201, json={"id": 801, "amount": "79.00"})

    return answer


def test_woocommerce_refunds_through_the_gateway_without_restocking() -> None:
    connector, fake = woo(woo_answering(a_woo_order()))

    assert connector.tells_refunds
    assert connector.refund_in_shop("727", REFUND) == REFUNDED_IN_SHOP

    look_up, refund = fake.requests
    assert (look_up.method, str(look_up.url)) == ("GET", f"{STORE}/wp-json/wc/v3/orders/727")
    assert (refund.method, str(refund.url)) == (
        "POST",
        f"{STORE}/wp-json/wc/v3/orders/727/refunds",
    )
    assert sent(refund) == {
        "amount": "79.00", "reason": f"Ordo return {RMA}", "api_refund": True,
        "api_restock": False,
        "line_items": [
            {"id": 466157049, "quantity": 1, "refund_total": "59.00"},
            {"id": 518995019, "quantity": 2, "refund_total": "20.00"},
        ],
    }  # fmt: skip


def test_a_partial_refund_shares_the_amount_over_the_lines_to_the_cent() -> None:
    connector, fake = woo(woo_answering(a_woo_order()))

    connector.refund_in_shop("727", ShopRefund(RMA, Decimal("50.00"), "USD", (SHOE, SOCKS)))

    lines = sent(fake.requests[-1])["line_items"]
    assert [line["refund_total"] for line in lines] == ["37.34", "12.66"]
    assert sum(Decimal(line["refund_total"]) for line in lines) == Decimal("50.00")


def test_shares_always_add_up_to_the_amount() -> None:
    assert spread(Decimal("10.00"), [Decimal(1)] * 3) == [
        Decimal("3.33"), Decimal("3.33"), Decimal("3.34"),
    ]  # fmt: skip
    assert spread(Decimal("5.00"), [Decimal(0), Decimal(0)]) == [Decimal("2.50"), Decimal("2.50")]


def test_a_woocommerce_refund_carrying_the_rma_already_is_done_without_a_second_refund() -> None:
    earlier = {"id": 801, "reason": f"Ordo return {RMA}", "total": "-79.00"}
    connector, fake = woo(woo_answering(a_woo_order(earlier)))

    assert connector.refund_in_shop("727", REFUND) == ALREADY_REFUNDED
    assert [r.method for r in fake.requests] == ["GET"]


def test_more_than_the_order_has_left_is_refused_for_good_before_anything_is_sent() -> None:
    by_hand = {"id": 800, "reason": "goodwill", "total": "-100.00"}
    connector, fake = woo(woo_answering(a_woo_order(by_hand)))

    with pytest.raises(PermanentRefusal) as refused:
        connector.refund_in_shop("727", REFUND)
    assert str(refused.value) == (
        f"WooCommerce {STORE} order 727 has 38.00 USD left to refund, less than the 79.00 USD "
        f"Ordo refunded for return {RMA}"
    )
    assert [r.method for r in fake.requests] == ["GET"]


def test_a_gateway_that_cannot_refund_is_a_refusal_for_good_not_an_outage() -> None:
    message = "The payment gateway for this order does not support automatic refunds."
    answer = httpx.Response(500, json={"code": "woocommerce_rest_cannot_create_order_refund",
                                       "message": message, "data": 500})  # fmt: skip
    connector, _ = woo(woo_answering(a_woo_order(), answer))

    with pytest.raises(PermanentRefusal) as refused:
        connector.refund_in_shop("727", REFUND)
    assert str(refused.value) == (
        f"WooCommerce {STORE} refused the refund of return {RMA} on order 727: 500 {message}"
    )


def test_woocommerce_down_is_retried() -> None:
    connector, _ = woo(woo_answering(a_woo_order(), httpx.Response(502, text="Bad gateway")))

    with pytest.raises(DeliveryError) as failed:
        connector.refund_in_shop("727", REFUND)
    assert not isinstance(failed.value, PermanentRefusal)


# --- without credentials ---------------------------------------------------------------------


def test_a_connector_without_the_shops_credentials_refunds_nothing() -> None:
    built = build_channels({
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": "hush"},
        "woo-us": {"connector": "woocommerce", "channel": "woo-us", "secret": "hush"},
    })  # fmt: skip
    assert [channel.tells_refunds for channel in built.values()] == [False, False]
    with pytest.raises(PermanentRefusal, match="cannot refund returns in its shop"):
        built["woo-us"].refund_in_shop("1", REFUND)


def test_an_order_id_that_is_no_shop_id_is_refused_without_asking_the_shop() -> None:
    connector, fake = woo(lambda _: httpx.Response(200, json={}))

    with pytest.raises(PermanentRefusal, match=f"cannot be asked to refund return {RMA}"):
        connector.refund_in_shop("W-1", REFUND)
    assert fake.requests == []
