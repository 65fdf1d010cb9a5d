"""Shopify and WooCommerce cancelling an order Ordo cancelled, against fake shop APIs
(httpx.MockTransport): the request each shop's API documents, with the connector's
credentials; "already cancelled" taken as done; a refusal for good (401, 404, a fulfilled
order) told apart from one worth retrying (429, 5xx, a timeout), each naming what the shop
said and never the credentials; and the outbound settings checked when Ordo starts."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.base import DeliveryError, PermanentRefusal
from connectors.channels import ChannelSettingsError, build_channels
from connectors.channels.base import ALREADY_CANCELLED, CANCELLED_IN_SHOP
from connectors.channels.shopify import API_VERSION, ShopifyChannel
from connectors.channels.woocommerce import WooCommerceChannel

TOKEN = "shpat-nobody-may-see-this"
KEY, SECRET = "ck_nobody_may_see_this", "cs_nobody_may_see_this"
SHOP = "https://acme.myshopify.com"
STORE = "https://shop.example.com"
Answer = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """Answers each request with `answer(request)` and keeps the requests."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def shopify(answer: Answer, **config: Any) -> tuple[ShopifyChannel, FakeApi]:
    fake = FakeApi(answer)
    settings = {"channel": "shopify-us", "secret": "hush", "shop_url": SHOP,
                "access_token": TOKEN, **config}  # fmt: skip
    client = httpx.Client(transport=httpx.MockTransport(fake))
    return ShopifyChannel(settings, client=client), fake


def woo(answer: Answer, **config: Any) -> tuple[WooCommerceChannel, FakeApi]:
    fake = FakeApi(answer)
    settings = {"channel": "woo-us", "secret": "hush", "store_url": STORE,
                "consumer_key": KEY, "consumer_secret": SECRET, **config}  # fmt: skip
    client = httpx.Client(transport=httpx.MockTransport(fake))
    return WooCommerceChannel(settings, client=client), fake


def shopify_order(cancelled_at: str | None) -> httpx.Response:
    return httpx.Response(200, json={"order": {"id": 450789469, "cancelled_at": cancelled_at}})


# --- Shopify ---------------------------------------------------------------------------------


def test_shopify_is_asked_to_cancel_the_order_with_the_access_token() -> None:
    connector, fake = shopify(lambda _: httpx.Response(200, json={"order": {"id": 450789469}}))

    assert connector.tells_cancellations
    assert connector.cancel_in_shop("450789469") == CANCELLED_IN_SHOP

    [request] = fake.requests
    assert (request.method, str(request.url)) == (
        "POST",
        f"{SHOP}/admin/api/{API_VERSION}/orders/450789469/cancel.json",
    )
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert json.loads(request.content) == {"reason": "other", "email": False}


def test_shopify_answering_422_for_an_order_cancelled_already_is_done() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(422, json={"error": "Order has already been cancelled"})
        return shopify_order("2026-11-24T10:00:00-05:00")

    connector, fake = shopify(answer)

    assert connector.cancel_in_shop("450789469") == ALREADY_CANCELLED
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("POST", f"/admin/api/{API_VERSION}/orders/450789469/cancel.json"),
        ("GET", f"/admin/api/{API_VERSION}/orders/450789469.json"),
    ]


def test_shopify_answering_422_for_an_order_it_will_not_cancel_is_refused_for_good() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(422, json={"error": "Cannot cancel a fulfilled order"})
        return shopify_order(None)

    connector, _ = shopify(answer)

    with pytest.raises(PermanentRefusal) as refused:
        connector.cancel_in_shop("450789469")
    assert str(refused.value) == (
        "Shopify https://acme.myshopify.com refused the cancellation of order 450789469: "
        "422 Cannot cancel a fulfilled order"
    )


@pytest.mark.parametrize(
    ("status", "said"),
    [(401, "[API] Invalid API key or access token (unrecognized login or wrong password)"),
     (404, "Not Found")],
)  # fmt: skip
def test_wrong_credentials_or_no_such_order_are_refusals_for_good_naming_what_shopify_said(
    status: int, said: str
) -> None:
    connector, _ = shopify(lambda _: httpx.Response(status, json={"errors": said}))

    with pytest.raises(PermanentRefusal) as refused:
        connector.cancel_in_shop("450789469")
    assert f"{status} {said}" in str(refused.value)
    assert TOKEN not in str(refused.value)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_too_many_requests_or_shopify_failing_is_retried_not_refused(status: int) -> None:
    connector, _ = shopify(lambda _: httpx.Response(status, json={"errors": "try later"}))

    with pytest.raises(DeliveryError) as failed:
        connector.cancel_in_shop("450789469")
    assert not isinstance(failed.value, PermanentRefusal)
    assert f"{status} try later" in str(failed.value)


def test_shopify_out_of_reach_is_retried_and_the_token_never_shows() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout(f"timed out sending {TOKEN}", request=request)

    connector, _ = shopify(answer)

    with pytest.raises(DeliveryError) as failed:
        connector.cancel_in_shop("450789469")
    assert not isinstance(failed.value, PermanentRefusal)
    assert str(failed.value) == (
        "Shopify https://acme.myshopify.com unreachable for the cancellation of order "
        "450789469: timed out sending ***"
    )


def test_a_look_up_that_fails_after_a_422_is_retried_rather_than_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(422, json={"error": "Order has already been cancelled"})
        return httpx.Response(503, text="busy")

    connector, _ = shopify(answer)

    with pytest.raises(DeliveryError) as failed:
        connector.cancel_in_shop("450789469")
    assert not isinstance(failed.value, PermanentRefusal)


def test_an_order_id_that_is_no_shopify_id_is_refused_without_asking_shopify() -> None:
    connector, fake = shopify(lambda _: httpx.Response(200, json={}))

    with pytest.raises(PermanentRefusal, match=r"'W-1/\.\./2' is not a Shopify order id"):
        connector.cancel_in_shop("W-1/../2")
    assert fake.requests == []


# --- WooCommerce -----------------------------------------------------------------------------


def test_woocommerce_reads_the_order_then_sets_it_cancelled_with_the_rest_api_key() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        status = "cancelled" if request.method == "PUT" else "processing"
        return httpx.Response(200, json={"id": 727, "status": status})

    connector, fake = woo(answer)

    assert connector.tells_cancellations
    assert connector.cancel_in_shop("727") == CANCELLED_IN_SHOP

    assert [(r.method, str(r.url)) for r in fake.requests] == [
        ("GET", f"{STORE}/wp-json/wc/v3/orders/727"),
        ("PUT", f"{STORE}/wp-json/wc/v3/orders/727"),
    ]
    assert json.loads(fake.requests[1].content) == {"status": "cancelled"}
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert {r.headers["Authorization"] for r in fake.requests} == {f"Basic {basic}"}


@pytest.mark.parametrize("status", ["cancelled", "refunded", "failed"])
def test_a_woocommerce_order_that_will_not_be_paid_already_is_done_without_a_change(
    status: str,
) -> None:
    connector, fake = woo(lambda _: httpx.Response(200, json={"id": 727, "status": status}))

    assert connector.cancel_in_shop("727") == ALREADY_CANCELLED
    assert [r.method for r in fake.requests] == ["GET"]


def test_a_completed_woocommerce_order_is_not_set_cancelled_but_refused_for_a_person() -> None:
    connector, fake = woo(lambda _: httpx.Response(200, json={"id": 727, "status": "completed"}))

    with pytest.raises(PermanentRefusal, match="has order 727 completed"):
        connector.cancel_in_shop("727")
    assert [r.method for r in fake.requests] == ["GET"]


@pytest.mark.parametrize(
    ("status", "code", "said"),
    [(400, "woocommerce_rest_shop_order_invalid_id", "ID is invalid."),
     (401, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")],
)  # fmt: skip
def test_an_unknown_order_or_a_wrong_key_is_refused_for_good_naming_what_woocommerce_said(
    status: int, code: str, said: str
) -> None:
    answer = httpx.Response(
        status, json={"code": code, "message": said, "data": {"status": status}}
    )
    connector, _ = woo(lambda _: answer)

    with pytest.raises(PermanentRefusal) as refused:
        connector.cancel_in_shop("727")
    assert str(refused.value) == (
        f"WooCommerce https://shop.example.com refused the look-up of order 727: {status} {said}"
    )


def test_woocommerce_failing_to_save_the_cancellation_is_retried() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(502, text="Bad gateway")
        return httpx.Response(200, json={"id": 727, "status": "on-hold"})

    connector, _ = woo(answer)

    with pytest.raises(DeliveryError) as failed:
        connector.cancel_in_shop("727")
    assert not isinstance(failed.value, PermanentRefusal)
    assert "refused the cancellation of order 727: 502 Bad gateway" in str(failed.value)


# --- settings --------------------------------------------------------------------------------


def test_a_connector_without_the_shops_credentials_tells_the_shop_nothing() -> None:
    built = build_channels({
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": "hush"},
        "woo-us": {"connector": "woocommerce", "channel": "woo-us", "secret": "hush"},
    })  # fmt: skip
    assert [channel.tells_cancellations for channel in built.values()] == [False, False]
    with pytest.raises(PermanentRefusal, match="has no API credentials"):
        built["shopify-us"].cancel_in_shop("1")


@pytest.mark.parametrize(
    ("entry", "message"),
    [({"connector": "shopify", "access_token": TOKEN},
      "shop.shop_url: is required with access_token"),
     ({"connector": "shopify", "shop_url": SHOP}, "shop.access_token: is required with shop_url"),
     ({"connector": "shopify", "shop_url": "acme.myshopify.com", "access_token": TOKEN},
      "shop.shop_url: must be an http:// or https:// URL with a host"),
     ({"connector": "shopify", "shop_url": SHOP, "access_token": TOKEN, "api_version": "2026-11"},
      "shop.api_version: must be a Shopify API version"),
     ({"connector": "woocommerce", "store_url": STORE, "consumer_key": KEY},
      "shop.consumer_secret: is required with store_url, consumer_key")],
)  # fmt: skip
def test_outbound_settings_given_in_part_stop_ordo_at_start_naming_the_missing_one(
    entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(ChannelSettingsError) as raised:
        build_channels({"shop": {"channel": "shop", "secret": "hush", **entry}})
    assert str(raised.value).startswith(message)
    assert TOKEN not in str(raised.value) and KEY not in str(raised.value)
