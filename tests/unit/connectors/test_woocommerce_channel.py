"""The WooCommerce connector: an `order.created` webhook body as an Ordo order, every field it
cannot map named by its path in WooCommerce's payload, WooCommerce's signature checked, its
ping recognised, and its delivery ids told apart per order."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.schemas.orders import OrderIn
from connectors.base import ConnectorRegistry
from connectors.channels import build_channels
from connectors.channels.base import PayloadError, json_path
from connectors.channels.base import base64_signature as signature
from connectors.channels.woocommerce import WooCommerceChannel
from engine.domain.commands import AddressInput, CreateOrder, LineInput

PAYLOAD = json.loads((Path(__file__).parent / "woocommerce_order.json").read_text())


def woocommerce(**config: Any) -> WooCommerceChannel:
    return WooCommerceChannel({"channel": "woo-us", "secret": "hush", **config})


def order(**changes: Any) -> dict[str, Any]:
    """The fixture with top-level fields replaced (None removes one)."""
    payload = copy.deepcopy(PAYLOAD)
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def errors_of(payload: dict[str, Any], **config: Any) -> dict[str, str]:
    with pytest.raises(PayloadError) as raised:
        woocommerce(**config).to_order(payload)
    return {json_path(error.loc): error.message for error in raised.value.errors}


def test_a_realistic_order_maps_to_the_order_ordo_would_take_through_its_api() -> None:
    assert woocommerce().to_command(PAYLOAD) == CreateOrder(
        channel="woo-us",
        channel_order_id="727",
        customer_id="26",
        ship_to=AddressInput(
            postal_code="10001",
            country="US",
            line1="350 5th Ave, Suite 4200",
            city="New York",
            state="NY",
            name="Steve Shipper, Shipping Company",
        ),
        lines=(
            LineInput("SHOE-42", 1, Decimal("79.90"), "315"),
            LineInput("SOCK-M", 2, Decimal("24.90"), "316"),
        ),
        email="jon@example.com",
        currency="USD",
        service_level="standard",
    )


def test_the_body_is_the_one_the_api_validates_and_builds_the_same_command_from() -> None:
    body = woocommerce().to_order(PAYLOAD).body
    assert OrderIn.model_validate(body).to_command("woo-us") == woocommerce().to_command(PAYLOAD)


def test_every_field_is_traced_back_to_the_woocommerce_field_it_came_from() -> None:
    mapped = woocommerce().to_order(PAYLOAD)
    expected = {
        ("channel_order_id",): ("id",),
        ("customer_id",): ("customer_id",),
        ("email",): ("billing", "email"),
        ("currency",): ("currency",),
        ("ship_to", "postal_code"): ("shipping", "postcode"),
        ("ship_to", "country"): ("shipping", "country"),
        ("ship_to", "line1"): ("shipping", "address_1"),
        ("ship_to", "city"): ("shipping", "city"),
        ("ship_to", "state"): ("shipping", "state"),
        ("ship_to", "name"): ("shipping", "first_name"),
        ("lines", 1): ("line_items", 1),
        ("lines", 1, "sku"): ("line_items", 1, "sku"),
        ("lines", 1, "quantity"): ("line_items", 1, "quantity"),
        ("lines", 1, "price"): ("line_items", 1, "price"),
        ("lines", 1, "line_id"): ("line_items", 1, "id"),
        ("service_level",): ("shipping_lines", 0, "method_title"),
    }
    assert {loc: mapped.source_of(loc) for loc in expected} == expected
    # A field the payload does not hold (the channel comes from the configuration) stays.
    assert mapped.source_of(("channel",)) == ("channel",)


def test_the_order_number_is_not_the_id_because_plugins_rewrite_it() -> None:
    body = woocommerce().to_order(order(number="WC-2026-0042")).body
    assert body["channel_order_id"] == "727"


def test_a_guest_gets_a_customer_id_of_its_own_order_and_is_not_refused() -> None:
    mapped = woocommerce().to_order(order(customer_id=0))
    assert mapped.body["customer_id"] == "guest-727"
    assert mapped.source_of(("customer_id",)) == ("customer_id",)
    other = woocommerce().to_order(order(customer_id=0, id=728)).body
    assert other["customer_id"] == "guest-728", "two guests are two customers"


def test_the_shipping_address_is_taken_as_sent_and_billing_is_never_used_in_its_place() -> None:
    without_extras = copy.deepcopy(PAYLOAD)
    without_extras["shipping"].update(address_2="", company="", last_name="")
    ship_to = woocommerce().to_order(without_extras).body["ship_to"]
    assert (ship_to["line1"], ship_to["name"]) == ("350 5th Ave", "Steve")
    empty = {key: "" for key in PAYLOAD["shipping"]}
    errors = errors_of(order(shipping=empty))
    assert list(errors) == ["$.shipping"]
    assert "nothing to ship" in errors["$.shipping"]


def test_a_price_with_many_places_is_rounded_to_the_cent() -> None:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"][1].update(quantity=3, price=26.666666666666668)
    payload["line_items"][0]["price"] = 80
    lines = woocommerce().to_order(payload).body["lines"]
    assert [line["price"] for line in lines] == ["80.00", "26.67"]
    payload["line_items"][0]["price"] = "cheap"  # left for the order model to refuse
    assert woocommerce().to_order(payload).body["lines"][0]["price"] == "cheap"


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda p: p.pop("id"), "$.id", "is required but missing"),
        (lambda p: p.pop("customer_id"), "$.customer_id", "is required but missing"),
        (lambda p: p.update(billing="jon@example.com"), "$.billing", "must be an object"),
        (lambda p: p.pop("currency"), "$.currency", "is required but missing"),
        (lambda p: p.pop("shipping"), "$.shipping", "nothing to ship"),
        (lambda p: p.update(shipping=["350 5th Ave"]), "$.shipping", "must be an object"),
        (lambda p: p["shipping"].update(postcode=""), "$.shipping.postcode", "missing"),
        (lambda p: p["shipping"].pop("country"), "$.shipping.country", "missing"),
        (lambda p: p.pop("line_items"), "$.line_items", "is required but missing"),
        (lambda p: p.update(line_items=[]), "$.line_items", "has no line"),
        (lambda p: p.update(line_items="SHOE-42"), "$.line_items", "must be a list"),
        (lambda p: p["line_items"].__setitem__(1, 7), "$.line_items[1]", "must be an object"),
        (
            lambda p: p["line_items"][0].pop("quantity"),
            "$.line_items[0].quantity",
            "is required but missing",
        ),
        (lambda p: p.update(shipping_lines={}), "$.shipping_lines", "must be a list"),
        (lambda p: p["shipping_lines"].__setitem__(0, "x"), "$.shipping_lines[0]", "an object"),
        (lambda p: p.pop("status"), "$.status", "is required but missing"),
        (lambda p: p.update(status=["processing"]), "$.status", "must be text"),
    ],
)
def test_a_field_that_cannot_be_mapped_is_named_by_its_path_in_the_woocommerce_order(
    change: Any, path: str, words: str
) -> None:
    payload = copy.deepcopy(PAYLOAD)
    change(payload)
    errors = errors_of(payload)
    assert list(errors) == [path]
    assert words in errors[path]


@pytest.mark.parametrize("sku", ["", "  ", None])
def test_a_line_without_a_sku_is_refused_naming_the_line(sku: str | None) -> None:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"][1]["sku"] = sku
    with pytest.raises(PayloadError) as raised:
        woocommerce().to_order(payload)
    [error] = raised.value.errors
    assert (json_path(error.loc), error.kind) == ("$.line_items[1].sku", "missing_sku")
    assert "the product has no SKU in WooCommerce" in error.message
    # What did map is handed over, so its values are checked in the same answer.
    assert raised.value.partial is not None
    assert [line["sku"] for line in raised.value.partial.body["lines"]] == ["SHOE-42"]


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("pending", "not paid yet. WooCommerce sends order.created only once: subscribe "
                    "order.updated too"),
        ("failed", "its payment failed: there is nothing to ship"),
        ("cancelled", "it was cancelled: there is nothing to ship"),
        ("completed", "fulfilled already"),
        ("awaiting-pickup", "the connector's statuses do not name it"),
    ],
)  # fmt: skip
def test_an_order_that_is_not_processing_or_on_hold_is_refused_saying_what_to_send(
    status: str, words: str
) -> None:
    with pytest.raises(PayloadError) as raised:
        woocommerce().to_order(order(status=status))
    [error] = raised.value.errors
    assert (json_path(error.loc), error.kind) == ("$.status", "order_status_not_taken")
    assert error.message.startswith(f"is '{status}': Ordo takes an order that is processing or ")
    assert words in error.message


def test_on_hold_orders_are_taken_and_the_statuses_taken_can_be_configured() -> None:
    assert woocommerce().to_order(order(status="on-hold")).body["channel_order_id"] == "727"
    custom = {"statuses": ["processing", "awaiting-shipment"]}
    assert woocommerce(**custom).to_order(order(status="awaiting-shipment")).body
    assert list(errors_of(order(status="on-hold"), **custom)) == ["$.status"]


def test_every_fault_in_one_payload_is_named_at_once_and_nothing_raises_a_key_error() -> None:
    assert list(errors_of({})) == [
        "$.id",
        "$.status",
        "$.customer_id",
        "$.currency",
        "$.shipping",
        "$.line_items",
    ]
    payload = order(status="pending")
    payload["line_items"][0]["sku"] = ""
    payload["shipping"]["postcode"] = None
    payload["line_items"][1]["quantity"] = None
    assert list(errors_of(payload)) == [
        "$.status",
        "$.shipping.postcode",
        "$.line_items[0].sku",
        "$.line_items[1].quantity",
    ]


def level(shipping_lines: Any, **config: Any) -> str:
    body = woocommerce(**config).to_order(order(shipping_lines=shipping_lines)).body
    return str(body["service_level"])


def rate(method_id: str, instance_id: str = "0", title: str = "") -> dict[str, str]:
    return {"method_id": method_id, "instance_id": instance_id, "method_title": title}


def test_the_shipping_method_picks_the_service_level_from_the_documented_table() -> None:
    assert level([rate("flat_rate", "3", "Flat rate")]) == "standard"
    assert level([rate("free_shipping", "4", "Free shipping")]) == "standard"
    # The title before the method: a shop's flat rates all share the method flat_rate.
    assert level([rate("flat_rate", "5", "Express")]) == "two_day"
    assert level([rate("flat_rate", "6", "  NEXT-day ")]) == "next_day"


def test_the_connectors_own_table_names_a_rate_a_title_or_a_method() -> None:
    levels = {"flat_rate:6": "overnight", "DHL Express": "next_day", "fedex": "two_day"}
    assert level([rate("flat_rate", "6", "Express")], service_levels=levels) == "overnight"
    assert level([rate("dhl", "2", "DHL Express")], service_levels=levels) == "next_day"
    assert level([rate("fedex", "7", "FedEx 2Day")], service_levels=levels) == "two_day"
    mapped = woocommerce(service_levels=levels).to_order(
        order(shipping_lines=[rate("flat_rate", "6", "Express")])
    )
    assert mapped.source_of(("service_level",)) == ("shipping_lines", 0, "method_id")


def test_an_unknown_or_absent_shipping_method_gets_the_default_level_or_is_refused() -> None:
    assert level([rate("table_rate", "9", "Rush")]) == "standard"
    assert level([], default_service_level="two_day") == "two_day"
    errors = errors_of(
        order(shipping_lines=[rate("table_rate", "9", "Rush")]), default_service_level=None
    )
    assert list(errors) == ["$.shipping_lines[0].method_id"]
    assert (
        "('table_rate:9', 'Rush', 'table_rate') maps to no service level"
        in (errors["$.shipping_lines[0].method_id"])
    )
    assert list(errors_of(order(shipping_lines=None), default_service_level=None)) == [
        "$.shipping_lines"
    ]


# An example computed with openssl, not with the code under test:
#   printf '%s' '{"id":727,"status":"processing","total":"139.70"}' \
#     | openssl dgst -sha256 -hmac 'test-webhook-secret' -binary | base64
SIGNED_BODY = b'{"id":727,"status":"processing","total":"139.70"}'
SIGNATURE = "eMRb2t4MeV8xCSSdDH7ADFb3CvkJbbwRddeknJd6WEI="
# The same, for the body with "total":"0.01".
OTHER_BODYS_SIGNATURE = "w5S5sQkGklb5tkwZEnv64KwevjFAWrhLcPx2HnPqPyI="


def test_the_signature_is_woocommerces_base64_hmac_sha256_of_the_raw_body() -> None:
    assert signature(SIGNED_BODY, "test-webhook-secret") == SIGNATURE
    assert woocommerce(secret="test-webhook-secret").verify(SIGNED_BODY, SIGNATURE)
    assert woocommerce(secret="test-webhook-secret").verify(SIGNED_BODY, f" {SIGNATURE}\n")


def test_a_wrong_missing_or_another_bodys_signature_is_refused() -> None:
    connector = woocommerce(secret="test-webhook-secret")
    assert not woocommerce(secret="another-secret").verify(SIGNED_BODY, SIGNATURE)
    assert not connector.verify(SIGNED_BODY, "")
    assert not connector.verify(SIGNED_BODY, OTHER_BODYS_SIGNATURE)
    assert not connector.verify(SIGNED_BODY.replace(b"139.70", b"0.01"), SIGNATURE)
    assert not connector.verify(SIGNED_BODY, "é" + SIGNATURE)  # not ASCII: refused, no crash


def test_the_ping_is_exactly_what_woocommerce_posts_when_a_webhook_is_activated() -> None:
    connector = woocommerce()
    assert connector.is_ping(b"webhook_id=12")
    assert connector.is_ping(b"webhook_id=4711\n")
    assert not connector.is_ping(b"webhook_id=")
    assert not connector.is_ping(b"webhook_id=12&id=727")
    assert not connector.is_ping(b'{"webhook_id": 12}')
    assert not connector.is_ping(json.dumps(PAYLOAD).encode())


DELIVERY_ID = "8b1f0c2de3a4f5b6c7d8e9f0a1b2c3d4"


def test_a_delivery_is_remembered_under_its_id_and_its_orders_id() -> None:
    # WooCommerce's delivery id is a hash of the webhook's id and the second it was sent in:
    # two orders sent in one second share it.
    headers = {"X-WC-Webhook-Delivery-ID": DELIVERY_ID}
    connector = woocommerce()
    assert connector.delivery_id(headers, PAYLOAD) == f"{DELIVERY_ID}:727"
    assert connector.delivery_id(headers, order(id=728)) == f"{DELIVERY_ID}:728"
    assert connector.delivery_id({}, PAYLOAD) is None
    assert connector.delivery_id(headers, order(id="x")) == headers["X-WC-Webhook-Delivery-ID"]


def test_the_connector_is_built_in_and_checks_its_settings_when_built() -> None:
    built = build_channels(
        {"woo-us": {"connector": "woocommerce", "channel": "web", "secret": "s"}}
    )
    assert isinstance(built["woo-us"], WooCommerceChannel) and built["woo-us"].channel == "web"
    registry = ConnectorRegistry()
    registry.register(WooCommerceChannel)
    assert registry.kinds() == {"sales_channel": ["woocommerce"]}
    with pytest.raises(ValueError, match="not a service level"):
        woocommerce(service_levels={"Express": "Two-Day"})
    with pytest.raises(ValueError, match="is empty"):
        woocommerce(secret=" ")
    with pytest.raises(ValueError, match="is empty: name the statuses"):
        woocommerce(statuses=[])
    with pytest.raises(ValueError, match="'wc-processing' is not a WooCommerce order status"):
        woocommerce(statuses=["wc-processing"])
