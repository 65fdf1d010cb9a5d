"""Shopify and WooCommerce cancelling units Ordo cancelled, against fake shop APIs
(httpx.MockTransport): Shopify's calculated refund of those units as `cancel` refund lines,
refunded for what it suggests on the sale's parent transaction; WooCommerce's refund of the
line items with their totals and taxes shared per unit, through the gateway, restocking
nothing; a refund marked with Ordo's change taken as done; a line the shop has not got, more
than is left, a currency apart or a refund the shop will not make refused for good naming
what was said; an outage retried; and Shopify's news of Ordo's own refund left alone. Ordo's
refunds read back from WooCommerce a page of 100 at a time, up to 50 pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.base import DeliveryError, PermanentRefusal
from connectors.channels import build_channels
from connectors.channels.base import ALREADY_CANCELLED, CANCELLED_IN_SHOP, CancelledUnits
from connectors.channels.shopify import TOPIC_HEADER
from tests.unit.connectors.test_shop_cancel_connectors import SHOP, STORE, shopify, woo
from tests.unit.connectors.test_shop_refund_connectors import (
    ORDERS,
    a_shopify_order,
    a_woo_order,
    calculated,
    sent,
    shopify_answering,
    woo_answering,
)

UNITS = CancelledUnits("O-1", "4711", "USD", {"518995019": 2})
NOTE = "Ordo cancelled units of order O-1 (event 4711)"


def suggesting(*amounts: str) -> dict[str, Any]:
    """Shopify's calculation suggesting `amounts` on payments 801038806, 801038807, ..."""
    answer = calculated(*((801038806 + i, "bogus", "199.00") for i in range(len(amounts))))
    for transaction, amount in zip(answer["refund"]["transactions"], amounts, strict=True):
        transaction["amount"] = amount
    return answer


# --- Shopify ---------------------------------------------------------------------------------


def test_shopify_cancels_the_units_as_cancel_lines_and_refunds_what_it_suggests() -> None:
    connector, fake = shopify(shopify_answering(a_shopify_order(), suggesting("42.40")))

    assert connector.cancel_units_in_shop("450789469", UNITS) == CANCELLED_IN_SHOP

    look_up, calculation, refund = fake.requests
    assert (look_up.method, look_up.url.params["fields"]) == (
        "GET",
        "id,currency,line_items,refunds",
    )
    lines = [{"line_item_id": 518995019, "quantity": 2, "restock_type": "cancel"}]
    assert (calculation.url.path, sent(calculation)) == (
        f"{ORDERS}/refunds/calculate.json",
        {"refund": {"currency": "USD", "refund_line_items": lines}},
    )
    assert (refund.url.path, sent(refund)) == (f"{ORDERS}/refunds.json", {"refund": {
        "currency": "USD", "notify": False, "note": NOTE, "refund_line_items": lines,
        "transactions": [
            {"parent_id": 801038806, "amount": "42.40", "kind": "refund", "gateway": "bogus"}
        ],
    }})  # fmt: skip


def test_shopify_refunds_each_payment_what_it_suggests_and_none_it_suggests_nothing_of() -> None:
    connector, fake = shopify(shopify_answering(a_shopify_order(), suggesting("10.00", "0.00")))

    connector.cancel_units_in_shop("450789469", UNITS)

    assert [t["parent_id"] for t in sent(fake.requests[-1])["refund"]["transactions"]] == [
        801038806
    ]


def test_a_shopify_refund_noting_the_change_already_is_done_without_a_second_refund() -> None:
    earlier = {"id": 929361465, "note": NOTE}
    connector, fake = shopify(shopify_answering(a_shopify_order(earlier), suggesting("42.40")))

    assert connector.cancel_units_in_shop("450789469", UNITS) == ALREADY_CANCELLED
    assert [r.method for r in fake.requests] == ["GET"]


def test_a_line_shopify_has_not_got_is_refused_before_anything_is_refunded() -> None:
    kit_part = CancelledUnits("O-1", "4711", "USD", {"518995019.1": 1})
    connector, fake = shopify(shopify_answering(a_shopify_order(), suggesting("1.00")))

    with pytest.raises(PermanentRefusal) as refused:
        connector.cancel_units_in_shop("450789469", kit_part)
    assert str(refused.value) == (
        f"Shopify {SHOP} order 450789469 has no line item '518995019.1', so the units Ordo "
        "cancelled of it (1 of line 518995019.1) cannot be cancelled there"
    )
    assert [r.method for r in fake.requests] == ["GET"]


def test_an_order_shopify_holds_in_another_currency_is_refused_before_anything_is_refunded() -> (
    None
):
    connector, fake = shopify(
        shopify_answering(a_shopify_order(currency="EUR"), suggesting("1.00"))
    )

    with pytest.raises(PermanentRefusal, match="is in EUR, but Ordo's order O-1 is in USD"):
        connector.cancel_units_in_shop("450789469", UNITS)
    assert [r.method for r in fake.requests] == ["GET"]


def test_shopify_refusing_the_refund_is_a_refusal_for_good_in_its_words() -> None:
    said = httpx.Response(422, json={"errors": {"refund_line_items": ["cannot cancel more"]}})
    connector, _ = shopify(shopify_answering(a_shopify_order(), suggesting("42.40"), said))

    with pytest.raises(PermanentRefusal) as refused:
        connector.cancel_units_in_shop("450789469", UNITS)
    assert str(refused.value) == (
        f"Shopify {SHOP} refused the refund of units Ordo cancelled on order 450789469: 422 "
        "refund_line_items: cannot cancel more"
    )


@pytest.mark.parametrize("status", [429, 500, 503])
def test_shopify_busy_or_failing_is_retried_not_refused(status: int) -> None:
    busy = httpx.Response(status, json={"errors": "try later"})
    connector, _ = shopify(shopify_answering(a_shopify_order(), suggesting("42.40"), busy))

    with pytest.raises(DeliveryError) as failed:
        connector.cancel_units_in_shop("450789469", UNITS)
    assert not isinstance(failed.value, PermanentRefusal)


def test_shopifys_news_of_ordos_own_refund_is_not_taken_as_a_cancellation() -> None:
    connector, _ = shopify(lambda _: httpx.Response(500))
    headers = {TOPIC_HEADER: "refunds/create"}
    refund = {"id": 929361466, "order_id": 450789469, "note": NOTE, "refund_line_items": [
        {"line_item_id": 518995019, "quantity": 2, "restock_type": "cancel"}]}  # fmt: skip

    assert connector.unit_cancellation(headers, refund) is None
    assert "the refund is Ordo's own" in str(connector.passed_over(headers, refund))
    theirs = connector.unit_cancellation(headers, {**refund, "note": "out of stock"})
    assert theirs is not None and theirs.cancelled == {"518995019": 2}


def test_shopify_reads_back_the_units_of_ordos_refunds_of_the_order_by_change() -> None:
    ours = {"id": 929361465, "note": NOTE, "refund_line_items": [
        {"id": 1, "line_item_id": 518995019, "quantity": 2, "restock_type": "cancel"},
        {"id": 2, "line_item_id": 466157049, "quantity": 1, "restock_type": "cancel"},
    ]}  # fmt: skip
    others = [
        {"id": 929361466, "note": "Ordo cancelled units of order O-2 (event 4712)",
         "refund_line_items": [{"line_item_id": 518995019, "quantity": 1}]},
        {"id": 929361467, "note": "out of stock",
         "refund_line_items": [{"line_item_id": 518995019, "quantity": 1}]},
        {"id": 929361468, "note": "Ordo return RMA-1", "refund_line_items": []},
    ]  # fmt: skip
    connector, fake = shopify(shopify_answering(a_shopify_order(ours, *others), suggesting()))

    assert connector.units_refunded_by_ordo("450789469", "O-1") == {
        "4711": {"518995019": 2, "466157049": 1}
    }
    [look_up] = fake.requests
    assert (look_up.method, look_up.url.path, look_up.url.params["fields"]) == (
        "GET", f"{ORDERS}.json", "id,refunds",
    )  # fmt: skip


# --- WooCommerce -----------------------------------------------------------------------------


def a_taxed_woo_order(*refunds: dict[str, Any], total: str = "138.00") -> dict[str, Any]:
    order = a_woo_order(*refunds, total=total)
    order["line_items"] = [
        {"id": 466157049, "quantity": 1, "total": "59.00", "taxes": []},
        {"id": 518995019, "quantity": 3, "total": "60.00",
         "taxes": [{"id": 75, "total": "4.80", "subtotal": "4.80"}]},
    ]  # fmt: skip
    return order


def test_woocommerce_refunds_the_units_lines_with_their_tax_restocking_nothing() -> None:
    connector, fake = woo(woo_answering(a_taxed_woo_order()))

    assert connector.cancel_units_in_shop("727", UNITS) == CANCELLED_IN_SHOP

    look_up, refund = fake.requests
    assert (look_up.method, str(look_up.url)) == ("GET", f"{STORE}/wp-json/wc/v3/orders/727")
    assert (refund.method, str(refund.url)) == ("POST", f"{STORE}/wp-json/wc/v3/orders/727/refunds")
    assert sent(refund) == {
        "amount": "43.20", "reason": NOTE, "api_refund": True, "api_restock": False,
        "line_items": [{"id": 518995019, "quantity": 2, "refund_total": "40.00",
                        "refund_tax": [{"id": 75, "refund_total": "3.20"}]}],
    }  # fmt: skip


def test_a_woocommerce_refund_giving_the_change_as_its_reason_is_done_without_a_second() -> None:
    earlier = {"id": 801, "reason": NOTE, "total": "-43.20"}
    connector, fake = woo(woo_answering(a_taxed_woo_order(earlier)))

    assert connector.cancel_units_in_shop("727", UNITS) == ALREADY_CANCELLED
    assert [r.method for r in fake.requests] == ["GET"]


def test_more_than_the_woocommerce_order_has_left_is_refused_before_anything_is_sent() -> None:
    by_hand = {"id": 800, "reason": "goodwill", "total": "-100.00"}
    connector, fake = woo(woo_answering(a_taxed_woo_order(by_hand)))

    with pytest.raises(PermanentRefusal) as refused:
        connector.cancel_units_in_shop("727", UNITS)
    assert str(refused.value) == (
        f"WooCommerce {STORE} order 727 has 38.00 USD left to refund, less than the 43.20 USD "
        "the units Ordo cancelled cost (2 of line 518995019)"
    )
    assert [r.method for r in fake.requests] == ["GET"]


def test_a_woocommerce_line_without_a_total_is_refused_for_a_person() -> None:
    order = a_taxed_woo_order()
    del order["line_items"][1]["total"]
    connector, fake = woo(woo_answering(order))

    with pytest.raises(PermanentRefusal, match="gives line item 518995019 no total and quantity"):
        connector.cancel_units_in_shop("727", UNITS)
    assert [r.method for r in fake.requests] == ["GET"]


def test_a_woocommerce_gateway_that_cannot_refund_is_a_refusal_for_good() -> None:
    message = "The payment gateway for this order does not support automatic refunds."
    answer = httpx.Response(500, json={"code": "woocommerce_rest_cannot_create_order_refund",
                                       "message": message, "data": 500})  # fmt: skip
    connector, _ = woo(woo_answering(a_taxed_woo_order(), answer))

    with pytest.raises(PermanentRefusal) as refused:
        connector.cancel_units_in_shop("727", UNITS)
    assert str(refused.value) == (
        f"WooCommerce {STORE} refused the refund of units Ordo cancelled on order 727: 500 "
        f"{message}"
    )


def test_woocommerce_down_is_retried() -> None:
    connector, _ = woo(woo_answering(a_taxed_woo_order(), httpx.Response(502, text="Bad gateway")))

    with pytest.raises(DeliveryError) as failed:
        connector.cancel_units_in_shop("727", UNITS)
    assert not isinstance(failed.value, PermanentRefusal)


def a_woo_refund(refund_id: int, reason: str, *lines: tuple[int, int]) -> dict[str, Any]:
    """WooCommerce's refund as `GET .../orders/{id}/refunds` lists it: each line (the order's
    line item, units) as its own item, the units negative, the line item in its meta."""
    return {"id": refund_id, "reason": reason, "amount": "10.00", "line_items": [
        {"id": 900 + n, "quantity": -units, "total": "-10.00",
         "meta_data": [{"id": 5, "key": "_refunded_item_id", "value": str(item)}]}
        for n, (item, units) in enumerate(lines)
    ]}  # fmt: skip


def test_woocommerce_reads_back_the_units_of_ordos_refunds_from_the_refunds_themselves() -> None:
    refunds = [
        a_woo_refund(801, NOTE, (518995019, 2)),
        a_woo_refund(802, "Ordo cancelled units of order O-1 (event 4712)", (466157049, 1)),
        a_woo_refund(803, "goodwill", (518995019, 1)),
    ]
    connector, fake = woo(lambda _: httpx.Response(200, json=refunds))

    assert connector.units_refunded_by_ordo("727", "O-1") == {
        "4711": {"518995019": 2}, "4712": {"466157049": 1}
    }  # fmt: skip
    [look_up] = fake.requests
    assert (look_up.method, look_up.url.path, look_up.url.params["per_page"]) == (
        "GET", "/wp-json/wc/v3/orders/727/refunds", "100",
    )  # fmt: skip
    assert (look_up.url.params["page"], look_up.url.params["order"]) == ("1", "asc")


def paged(refunds: list[dict[str, Any]]) -> Any:
    """WooCommerce listing `refunds` a page of `per_page` at a time, as `page` asks."""

    def answer(request: httpx.Request) -> httpx.Response:
        per_page, page = (int(request.url.params[name]) for name in ("per_page", "page"))
        return httpx.Response(200, json=refunds[(page - 1) * per_page : page * per_page])

    return answer


def test_woocommerce_reads_ordos_refunds_behind_the_first_hundred_page_after_page() -> None:
    others = [a_woo_refund(1000 + n, "goodwill", (518995019, 1)) for n in range(150)]
    refunds = [*others, a_woo_refund(801, NOTE, (518995019, 2))]
    connector, fake = woo(paged(refunds))

    assert connector.units_refunded_by_ordo("727", "O-1") == {"4711": {"518995019": 2}}
    assert [request.url.params["page"] for request in fake.requests] == ["1", "2"]


def test_woocommerce_asks_one_page_more_when_the_last_is_full_and_finds_it_empty() -> None:
    refunds = [a_woo_refund(1000 + n, NOTE, (518995019, 1)) for n in range(200)]
    connector, fake = woo(paged(refunds))

    assert connector.units_refunded_by_ordo("727", "O-1") == {"4711": {"518995019": 200}}
    assert [request.url.params["page"] for request in fake.requests] == ["1", "2", "3"]


def test_a_shop_whose_every_page_of_refunds_is_full_is_refused_after_fifty_pages() -> None:
    full = [a_woo_refund(1000 + n, "goodwill", (518995019, 1)) for n in range(100)]
    connector, fake = woo(lambda _: httpx.Response(200, json=full))  # `page` ignored

    with pytest.raises(PermanentRefusal) as refused:
        connector.units_refunded_by_ordo("727", "O-1")
    assert str(refused.value) == (
        "WooCommerce https://shop.example.com listed 50 full pages of the refunds of order 727 "
        "(5000 refunds) and Ordo reads no more: check the order's refunds in the shop"
    )
    assert len(fake.requests) == 50


def test_a_shop_down_while_ordos_refunds_are_read_back_is_retried() -> None:
    connector, _ = woo(lambda _: httpx.Response(503, text="Service unavailable"))

    with pytest.raises(DeliveryError) as failed:
        connector.units_refunded_by_ordo("727", "O-1")
    assert not isinstance(failed.value, PermanentRefusal)


# --- without credentials ---------------------------------------------------------------------


def test_a_connector_without_the_shops_credentials_cancels_no_units() -> None:
    built = build_channels({
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": "hush"},
        "woo-us": {"connector": "woocommerce", "channel": "woo-us", "secret": "hush"},
    })  # fmt: skip
    for channel in built.values():
        with pytest.raises(PermanentRefusal, match="cannot cancel units of orders in its shop"):
            channel.cancel_units_in_shop("1", UNITS)
        with pytest.raises(PermanentRefusal, match="cannot read the units Ordo cancelled"):
            channel.units_refunded_by_ordo("1", "O-1")


def test_an_order_id_that_is_no_shop_id_is_refused_without_asking_the_shop() -> None:
    connector, fake = shopify(lambda _: httpx.Response(200, json={}))

    with pytest.raises(PermanentRefusal, match="cannot be asked to cancel units of order O-1"):
        connector.cancel_units_in_shop("W-1", UNITS)
    assert fake.requests == []


def test_the_note_marks_only_its_own_change() -> None:
    assert UNITS.marks(NOTE) and UNITS.marks(f" {NOTE} ")
    assert not UNITS.marks("Ordo cancelled units of order O-1 (event 4712)")
    assert not UNITS.marks(None)
