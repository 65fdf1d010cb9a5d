"""A storefront's own webhook over HTTP: Shopify posts `orders/create` to
`/v1/channels/shopify-us/orders`, signed, and Ordo files and decides the order like any other.
It answers so that Shopify retries what may succeed later and stops retrying what is done."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from connectors.channels.shopify import ShopifyChannel
from engine.adapters.orm_api import SqlApiKeyStore
from engine.domain.access import Role
from engine.service_layer.auth import create_api_key
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, issue_role_keys

SHOPIFY_SECRET = "shpss_0123456789abcdef0123456789abcdef"
URL = "/v1/channels/shopify-us/orders"
PAYLOAD = json.loads(
    (Path(__file__).parents[1] / "unit" / "connectors" / "shopify_order.json").read_text()
)


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """Ordo with a Shopify connector `shopify-us` filing orders under channel `shopify-us`,
    stock for the fixture's two SKUs, and a channel key of that channel (`shopify`)."""
    connectors = {
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": SHOPIFY_SECRET}
    }
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        channel_connectors=json.dumps(connectors),
    )
    with build_app_container(settings) as container:
        app = create_app(container)
        with TestClient(app, raise_server_exceptions=False) as client:
            keys = issue_role_keys(container)
            _, keys["shopify"] = create_api_key(
                SqlApiKeyStore(container.session_factory),
                "shopify-integration",
                Role.CHANNEL,
                server_secret=SECRET,
                channel="shopify-us",
            )
            api = Api(client, keys, container, app)
            api.seed("SHOE-42", units=10)
            api.seed("SOCK-M", units=10)
            yield api


def signed(payload: Any, secret: str = SHOPIFY_SECRET) -> tuple[bytes, str]:
    """The body as Shopify sends it and its signature, computed here as Shopify documents it
    (base64 of the HMAC-SHA256 of the raw body), not with the code under test."""
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return body, base64.b64encode(digest).decode()


def deliver(
    api: Api,
    payload: Any = PAYLOAD,
    webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    url: str = URL,
    secret: str = SHOPIFY_SECRET,
    signature: str | None = None,
) -> Any:
    """One webhook delivery, as Shopify makes it: no API key, the signature and the id."""
    body, computed = signed(payload, secret)
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": computed if signature is None else signature,
        "X-Shopify-Webhook-Id": webhook_id,
    }
    return api.client.post(url, content=body, headers=headers)


def shopify_orders(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/v1/orders?channel=shopify-us").json())


def with_line(index: int, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(PAYLOAD)
    payload["line_items"][index].update(changes)
    return payload


def test_a_signed_webhook_creates_an_order_filed_under_the_channel_and_decided(shop: Api) -> None:
    answer = deliver(shop)
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert (order["channel"], order["channel_order_id"]) == ("shopify-us", "820982911946154508")
    assert (order["status"], order["service_level"], order["total"]) == (
        "released",
        "standard",
        "129.70",
    )
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [
        ("SHOE-42", 1),
        ("SOCK-M", 2),
    ]
    detail = shop.get(f"/v1/orders/{order['id']}", role="channel").status_code
    assert detail == 404, "a key of another channel does not see it"
    seen = shop.get(f"/v1/orders/{order['id']}", role="shopify").json()
    [created] = [event for event in seen["events"] if event["action"] == "order.create"]
    assert created["actor"] == "channel:shopify-us (shopify webhook)"
    assert shop.get("/v1/inventory/atp/SOCK-M").json()["total"] == 8


def test_a_redelivery_returns_the_first_answer_and_creates_nothing(shop: Api) -> None:
    first = deliver(shop, webhook_id="delivery-1")
    again = deliver(shop, webhook_id="delivery-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(shopify_orders(shop)) == 1


def test_the_same_order_under_a_new_webhook_id_is_acknowledged_with_200_and_created_once(
    shop: Api,
) -> None:
    first = deliver(shop, webhook_id="delivery-1")
    again = deliver(shop, webhook_id="delivery-2")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert "Idempotent-Replayed" not in again.headers
    assert len(shopify_orders(shop)) == 1


@pytest.mark.parametrize(
    "signature",
    ["", "not-a-signature", signed(PAYLOAD, "another-shops-secret")[1]],
    ids=["empty", "garbled", "another-secret"],
)
def test_a_bad_signature_is_401_and_stores_nothing(shop: Api, signature: str) -> None:
    refused = deliver(shop, signature=signature)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert "X-Shopify-Hmac-Sha256 signature does not match" in refused.json()["detail"]
    assert shopify_orders(shop) == []
    # Nothing was kept under the delivery's id: once the secret is right, it goes through.
    assert deliver(shop).status_code == 201


def test_a_body_changed_after_signing_is_401(shop: Api) -> None:
    body, signature = signed(PAYLOAD)
    tampered = body.replace(b'"quantity": 2', b'"quantity": 20')
    headers = {"X-Shopify-Hmac-Sha256": signature, "Content-Type": "application/json"}
    assert shop.client.post(URL, content=tampered, headers=headers).status_code == 401
    assert shopify_orders(shop) == []


def test_no_signature_and_no_key_is_401_naming_both_ways_in(shop: Api) -> None:
    body, _ = signed(PAYLOAD)
    refused = shop.client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 401
    assert "X-Shopify-Hmac-Sha256" in refused.json()["detail"]
    assert "X-API-Key" in refused.json()["detail"]


def test_an_unknown_connector_is_404(shop: Api) -> None:
    missing = deliver(shop, url="/v1/channels/shopify-eu/orders")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "channel connector 'shopify-eu' does not exist"
    keyed = shop.post("/v1/channels/shopify-eu/orders", role="admin", json=PAYLOAD)
    assert keyed.status_code == 404


@pytest.mark.parametrize(
    ("payload", "path", "words"),
    [
        (with_line(1, sku=None), "$.line_items[1].sku", "missing: the variant has no SKU"),
        (with_line(0, quantity=0), "$.line_items[0].quantity", "greater than 0"),
        (with_line(1, price="12.345"), "$.line_items[1].price", "2 decimal places"),
        (
            {**PAYLOAD, "shipping_address": {**PAYLOAD["shipping_address"], "zip": "1" * 21}},
            "$.shipping_address.zip",
            "at most 20 characters",
        ),
        ({**PAYLOAD, "currency": "usd"}, "$.currency", "ISO 4217"),
        ({**PAYLOAD, "email": "jon at example"}, "$.email", "one e-mail address"),
    ],
)
def test_a_payload_that_cannot_be_mapped_is_422_naming_the_shopify_field(
    shop: Api, payload: dict[str, Any], path: str, words: str
) -> None:
    refused = deliver(shop, payload)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == path and words in error["message"], error
    assert path in refused.json()["detail"]
    assert shopify_orders(shop) == []


def test_every_field_at_fault_is_named_at_once_the_mappings_and_the_order_models(
    shop: Api,
) -> None:
    payload = {**with_line(1, sku=None), "currency": "usd"}
    payload["shipping_address"] = {**PAYLOAD["shipping_address"], "zip": None}
    del payload["id"]
    refused = deliver(shop, payload)
    assert refused.status_code == 422
    assert [error["path"] for error in refused.json()["errors"]] == [
        "$.id",
        "$.shipping_address.zip",
        "$.line_items[1].sku",
        "$.currency",
    ]


def test_a_refusal_is_not_kept_so_the_retry_after_a_fix_goes_through(shop: Api) -> None:
    payload = with_line(1, sku=None)  # the variant has no SKU in Shopify
    assert deliver(shop, payload, webhook_id="delivery-9").status_code == 422
    # The operator files such lines under the variant id (and restarts Ordo), and adds it to
    # the catalogue; Shopify's next retry repeats the same delivery.
    shop.container.channels["shopify-us"] = ShopifyChannel(
        {"channel": "shopify-us", "secret": SHOPIFY_SECRET, "missing_sku": "variant_id"}
    )
    shop.seed("808950811", units=5)
    retried = deliver(shop, payload, webhook_id="delivery-9")
    assert retried.status_code == 201, retried.text
    assert [line["sku"] for line in retried.json()["lines"]] == ["SHOE-42", "808950811"]


def test_a_body_that_is_not_a_json_object_is_refused(shop: Api) -> None:
    body = b"not json"
    digest = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest())
    headers = {"X-Shopify-Hmac-Sha256": digest.decode(), "Content-Type": "application/json"}
    unreadable = shop.client.post(URL, content=body, headers=headers)
    assert (unreadable.status_code, unreadable.json()["code"]) == (400, "unreadable_body")
    listed = deliver(shop, [PAYLOAD])
    assert listed.status_code == 422
    assert listed.json()["errors"][0]["path"] == "$"


def test_a_channel_key_of_that_channel_may_post_instead_of_a_signature(shop: Api) -> None:
    created = shop.post(URL, role="shopify", json=PAYLOAD)
    assert created.status_code == 201, created.text
    assert created.json()["channel"] == "shopify-us"
    entries = shop.get("/v1/audit?entity=order&limit=5").json()
    assert entries[0]["actor"] == "channel:shopify-integration"


def test_another_channels_key_is_403_and_stores_nothing(shop: Api) -> None:
    refused = shop.post(URL, role="channel", json=PAYLOAD)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "this key ingests for channel 'web', and connector 'shopify-us' files its orders under "
        "channel 'shopify-us'"
    )
    assert shopify_orders(shop) == []


def test_an_idempotency_key_sent_with_an_api_key_replays_the_first_answer(shop: Api) -> None:
    headers = {"Idempotency-Key": "replay-1"}
    first = shop.post(URL, role="admin", json=PAYLOAD, headers=headers)
    again = shop.post(URL, role="admin", json=PAYLOAD, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(shopify_orders(shop)) == 1
