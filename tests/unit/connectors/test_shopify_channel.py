"""The Shopify connector: an `orders/create` webhook body as an Ordo order, every field it
cannot map named by its path in Shopify's payload, and Shopify's signature checked."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.schemas.orders import OrderIn
from connectors.base import ConnectorRegistry
from connectors.channels.base import PayloadError, json_path
from connectors.channels.base import base64_signature as signature
from connectors.channels.shopify import ShopifyChannel
from engine.domain.commands import AddressInput, CreateOrder, LineInput

PAYLOAD = json.loads((Path(__file__).parent / "shopify_order.json").read_text())


def shopify(**config: Any) -> ShopifyChannel:
    return ShopifyChannel({"channel": "shopify-us", "secret": "hush", **config})


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
        shopify(**config).to_order(payload)
    return {json_path(error.loc): error.message for error in raised.value.errors}


def test_a_realistic_order_maps_to_the_order_ordo_would_take_through_its_api() -> None:
    assert shopify().to_command(PAYLOAD) == CreateOrder(
        channel="shopify-us",
        channel_order_id="820982911946154508",
        customer_id="115310627314723954",
        ship_to=AddressInput(
            postal_code="10001",
            country="US",
            line1="350 5th Ave, Suite 4200",
            city="New York",
            state="NY",
            name="Steve Shipper",
        ),
        lines=(
            LineInput("SHOE-42", 1, Decimal("79.90"), "866550311766439020"),
            LineInput("SOCK-M", 2, Decimal("24.90"), "141249953214522974"),
        ),
        email="jon@example.com",
        currency="USD",
        service_level="standard",
    )


def test_the_body_is_the_one_the_api_validates_and_builds_the_same_command_from() -> None:
    body = shopify().to_order(PAYLOAD).body
    assert OrderIn.model_validate(body).to_command("shopify-us") == shopify().to_command(PAYLOAD)


def test_the_customers_email_is_used_when_the_order_has_none() -> None:
    body = shopify().to_order(order(email=None, contact_email=None)).body
    assert body["email"] == "john@example.com"


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda p: p.pop("id"), "$.id", "is required but missing"),
        (lambda p: p.update(customer=None), "$.customer", "is required but missing"),
        (lambda p: p["customer"].pop("id"), "$.customer.id", "is required but missing"),
        (lambda p: p.update(customer="C-1"), "$.customer", "must be an object, got str"),
        (lambda p: p.pop("currency"), "$.currency", "is required but missing"),
        (lambda p: p.update(shipping_address=None), "$.shipping_address", "nothing for Ordo"),
        (lambda p: p["shipping_address"].update(zip=None), "$.shipping_address.zip", "missing"),
        (
            lambda p: p["shipping_address"].update(country_code=""),
            "$.shipping_address.country_code",
            "is required but missing",
        ),
        (lambda p: p.pop("line_items"), "$.line_items", "is required but missing"),
        (lambda p: p.update(line_items=[]), "$.line_items", "has no line"),
        (lambda p: p.update(line_items="SHOE-42"), "$.line_items", "must be a list"),
        (lambda p: p["line_items"].__setitem__(1, 7), "$.line_items[1]", "must be an object"),
        (lambda p: p["line_items"][1].update(sku=None), "$.line_items[1].sku", "missing: the"),
        (lambda p: p["line_items"][1].update(sku="  "), "$.line_items[1].sku", "missing: the"),
        (
            lambda p: p["line_items"][0].pop("quantity"),
            "$.line_items[0].quantity",
            "is required but missing",
        ),
        (lambda p: p.update(shipping_lines={}), "$.shipping_lines", "must be a list"),
        (lambda p: p["shipping_lines"].__setitem__(0, "x"), "$.shipping_lines[0]", "an object"),
    ],
)
def test_a_field_that_cannot_be_mapped_is_named_by_its_path_in_the_shopify_order(
    change: Any, path: str, words: str
) -> None:
    payload = copy.deepcopy(PAYLOAD)
    change(payload)
    errors = errors_of(payload)
    assert list(errors) == [path]
    assert words in errors[path]


def test_every_unmappable_field_is_named_at_once_and_nothing_raises_a_key_error() -> None:
    assert list(errors_of({})) == [
        "$.id",
        "$.customer",
        "$.currency",
        "$.shipping_address",
        "$.line_items",
    ]
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"][0]["sku"] = None
    payload["shipping_address"]["zip"] = ""
    assert set(errors_of(payload)) == {"$.shipping_address.zip", "$.line_items[0].sku"}


def test_a_line_without_a_sku_can_be_filed_under_its_variant_id_instead() -> None:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"][1]["sku"] = None
    mapped = shopify(missing_sku="variant_id").to_order(payload)
    assert mapped.body["lines"][1]["sku"] == "808950811"
    assert mapped.source_of(("lines", 1, "sku")) == ("line_items", 1, "variant_id")
    payload["line_items"][1]["variant_id"] = None
    assert list(errors_of(payload, missing_sku="variant_id")) == ["$.line_items[1].variant_id"]


def test_lines_that_need_no_shipping_are_left_out_and_errors_still_name_the_shopify_line() -> None:
    gift_card = {"id": 5, "sku": None, "quantity": 1, "price": "25.00", "requires_shipping": False}
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"].insert(0, gift_card)
    payload["line_items"][2]["quantity"] = 0  # the order model refuses it
    mapped = shopify().to_order(payload)
    assert [line["sku"] for line in mapped.body["lines"]] == ["SHOE-42", "SOCK-M"]
    assert mapped.source_of(("lines", 1, "quantity")) == ("line_items", 2, "quantity")
    assert mapped.source_of(("lines", 1)) == ("line_items", 2)
    errors = errors_of(order(line_items=[gift_card]))
    assert "no line requires shipping" in errors["$.line_items"]


def test_a_value_the_order_model_refuses_is_traced_back_to_its_shopify_field() -> None:
    mapped = shopify().to_order(PAYLOAD)
    assert mapped.source_of(("ship_to", "postal_code")) == ("shipping_address", "zip")
    assert mapped.source_of(("ship_to", "state")) == ("shipping_address", "province_code")
    assert mapped.source_of(("customer_id",)) == ("customer", "id")
    assert mapped.source_of(("lines", 0, "line_id")) == ("line_items", 0, "id")
    # A field the payload does not hold (the channel comes from the configuration) stays.
    assert mapped.source_of(("channel",)) == ("channel",)


def level(shipping_lines: Any, **config: Any) -> str:
    body = shopify(**config).to_order(order(shipping_lines=shipping_lines)).body
    return str(body["service_level"])


def test_the_shipping_method_picks_the_service_level_from_the_documented_table() -> None:
    assert level([{"code": "Express", "title": "Express Shipping"}]) == "two_day"
    assert level([{"code": "Standard", "title": "Standard Shipping"}]) == "standard"
    # The code first, then the title; case, spaces and punctuation do not matter.
    assert level([{"code": "custom-71", "title": "  OVERNIGHT "}]) == "overnight"
    assert level([{"code": "same-day", "title": "Rush"}]) == "same_day"


def test_the_connectors_own_table_overrides_the_documented_one() -> None:
    levels = {"FEDEX_2_DAY": "two_day", "Standard": "next_day"}
    assert level([{"code": "fedex_2_day", "title": "FedEx 2Day"}], service_levels=levels) == (
        "two_day"
    )
    assert level([{"code": "Standard"}], service_levels=levels) == "next_day"


def test_an_unknown_or_absent_shipping_method_gets_the_default_level_or_is_refused() -> None:
    assert level([{"code": "Free over $50", "title": "Free over $50"}]) == "standard"
    assert level([], default_service_level="two_day") == "two_day"
    errors = errors_of(
        order(shipping_lines=[{"code": "custom-71", "title": "Rush"}]), default_service_level=None
    )
    assert list(errors) == ["$.shipping_lines[0].code"]
    assert "code 'custom-71' or title 'Rush'" in errors["$.shipping_lines[0].code"]
    assert list(errors_of(order(shipping_lines=None), default_service_level=None)) == [
        "$.shipping_lines"
    ]


# An example computed with openssl, not with the code under test:
#   printf '%s' '{"id":1234567890,"email":"customer@example.com","total_price":"123.45"}' \
#     | openssl dgst -sha256 -hmac 'test-webhook-secret' -binary | base64
SIGNED_BODY = b'{"id":1234567890,"email":"customer@example.com","total_price":"123.45"}'
SIGNATURE = "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="


def test_the_signature_is_shopifys_base64_hmac_sha256_of_the_raw_body() -> None:
    assert signature(SIGNED_BODY, "test-webhook-secret") == SIGNATURE
    assert shopify(secret="test-webhook-secret").verify(SIGNED_BODY, SIGNATURE)


def test_a_changed_body_a_wrong_secret_or_a_garbled_header_is_refused() -> None:
    connector = shopify(secret="test-webhook-secret")
    assert not connector.verify(SIGNED_BODY.replace(b"123.45", b"0.01"), SIGNATURE)
    assert not connector.verify(SIGNED_BODY + b" ", SIGNATURE)
    assert not shopify(secret="another-secret").verify(SIGNED_BODY, SIGNATURE)
    assert not connector.verify(SIGNED_BODY, "")
    assert not connector.verify(SIGNED_BODY, "é" + SIGNATURE)  # not ASCII: refused, no crash


def test_the_connector_registers_as_a_sales_channel_and_checks_its_settings_when_built() -> None:
    registry = ConnectorRegistry()
    registry.register(ShopifyChannel)
    assert registry.kinds() == {"sales_channel": ["shopify"]}
    built = registry.build("sales_channel", "shopify", {"channel": "web", "secret": "s"})
    assert isinstance(built, ShopifyChannel) and built.channel == "web"
    with pytest.raises(ValueError, match="not a service level"):
        shopify(service_levels={"Express": "Two-Day"})
    with pytest.raises(ValueError, match="is empty"):
        shopify(secret=" ")
