"""The HTTP ERP/CRM connector against a fake receiver (httpx.MockTransport): each entity PUT to
its own URL as a signed, versioned upsert, a customer's erasure as a DELETE, refusals named
without the secret, and ORDO_ERP_SYNC_* checked when Ordo starts."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.base import DeliveryError, PermanentRefusal
from connectors.erp import HttpSync
from ordo.bootstrap import build_erp_sync
from ordo.settings import SettingsError, load_settings, shown_value

SECRET = "erp-signing-secret-nobody-may-see"
URL = "https://erp.example.com/ordo"
STAMP = {"version": 1764000000000001, "updated_at": "2026-11-24T16:00:00.000001+00:00"}


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


class FakeErp:
    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda _: httpx.Response(204))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def an_erp(fake: FakeErp, **options: Any) -> HttpSync:
    config = {"url": URL, "secret": SECRET, **options}
    return HttpSync(config, client=httpx.Client(transport=httpx.MockTransport(fake)))


def signed(request: httpx.Request) -> bool:
    expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
    return request.headers["X-Ordo-Signature"] == f"sha256={expected}"


def test_an_order_is_put_to_its_own_url_as_a_signed_versioned_upsert() -> None:
    fake = FakeErp()
    state = {"id": "ord_1", "status": "released", "total": "44.98"}
    an_erp(fake).sync("order", {"key": {"id": "ord_1"}, "state": state, **STAMP})

    [request] = fake.requests
    assert (request.method, str(request.url)) == ("PUT", f"{URL}/orders/ord_1")
    assert signed(request)
    assert json.loads(request.content) == {
        "contract": "ordo.sync.v1",
        "op": "upsert",
        "entity": "order",
        "key": {"id": "ord_1"},
        "version": STAMP["version"],
        "updated_at": STAMP["updated_at"],
        "data": state,
    }


@pytest.mark.parametrize(
    ("entity", "key", "path"),
    [
        ("customer", {"id": "C-1001"}, "/customers/C-1001"),
        ("return", {"id": "ret_9"}, "/returns/ret_9"),
        ("stock", {"sku": "TEE/RED M", "location_code": "DAL-01"}, "/stock/TEE%2FRED%20M/DAL-01"),
    ],
)
def test_each_entity_has_its_own_url_with_its_key_escaped(
    entity: str, key: dict[str, str], path: str
) -> None:
    fake = FakeErp()
    an_erp(fake).sync(entity, {"key": key, "state": {"a": 1}, **STAMP})
    assert fake.requests[0].url.raw_path.decode() == "/ordo" + path


def test_a_customers_erasure_is_a_signed_delete_naming_only_the_customer() -> None:
    fake = FakeErp()
    an_erp(fake).erase("customer", {"key": {"id": "C-1001"}, **STAMP})

    [request] = fake.requests
    assert (request.method, str(request.url)) == ("DELETE", f"{URL}/customers/C-1001")
    assert signed(request)
    body = json.loads(request.content)
    assert (body["op"], body["entity"], body["key"]) == ("erase", "customer", {"id": "C-1001"})
    assert "data" not in body and body["version"] == STAMP["version"]


def test_a_refusal_names_what_was_sent_and_the_status_never_the_secret() -> None:
    fake = FakeErp(lambda _: httpx.Response(500, text=f"boom while checking {SECRET}"))
    with pytest.raises(DeliveryError) as refused:
        an_erp(fake).sync("order", {"key": {"id": "ord_1"}, "state": {}, **STAMP})
    assert str(refused.value) == (
        "ERP https://erp.example.com refused PUT orders/ord_1: 500 boom while checking ***"
    )


@pytest.mark.parametrize(
    ("status", "for_good"),
    [(400, True), (404, True), (422, True), (401, False), (409, False), (429, False),
     (500, False), (503, False)],
)  # fmt: skip
def test_a_4xx_that_trying_again_cannot_mend_is_a_refusal_for_good(
    status: int, for_good: bool
) -> None:
    fake = FakeErp(lambda _: httpx.Response(status, text="no"))
    with pytest.raises(DeliveryError) as refused:
        an_erp(fake).sync("order", {"key": {"id": "ord_1"}, "state": {}, **STAMP})
    assert isinstance(refused.value, PermanentRefusal) is for_good
    assert (
        str(refused.value) == f"ERP https://erp.example.com refused PUT orders/ord_1: {status} no"
    )


def test_an_unreachable_receiver_is_a_delivery_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(DeliveryError, match="unreachable for DELETE customers/C-1: timed out"):
        an_erp(FakeErp(down)).erase("customer", {"key": {"id": "C-1"}, **STAMP})


def test_the_settings_build_the_connector_with_the_entities_chosen() -> None:
    settings = load_settings(
        erp_sync_url=URL,
        erp_sync_secret=SECRET,
        erp_sync_entities="orders, stock",
        erp_sync_timeout_seconds="2.5",
    )
    erp = build_erp_sync(settings)

    assert erp is not None and erp.entities == ("orders", "stock")
    assert erp.config.timeout_seconds == 2.5
    assert shown_value(settings, "erp_sync_secret") == "(set)"
    assert shown_value(settings, "erp_sync_url") == "https://erp.example.com/…"
    assert build_erp_sync(load_settings()) is None  # off without a URL


def refusal(**settings: Any) -> str:
    with pytest.raises(SettingsError) as raised:
        build_erp_sync(load_settings(**settings))
    message = str(raised.value)
    assert SECRET not in message and "\n" not in message
    return message


def test_a_url_without_a_secret_stops_start_up_naming_the_variable() -> None:
    assert refusal(erp_sync_url=URL) == "ORDO_ERP_SYNC_SECRET: is required"


def test_an_entity_ordo_does_not_sync_is_refused_with_a_suggestion() -> None:
    assert refusal(erp_sync_url=URL, erp_sync_secret=SECRET, erp_sync_entities="orders,refund") == (
        "ORDO_ERP_SYNC_ENTITIES: got 'refund', which is not one of orders, customers, returns, "
        "stock (did you mean returns?)"
    )


def test_a_url_that_is_not_http_is_refused_without_showing_its_path() -> None:
    message = refusal(erp_sync_url=f"ftp://erp.example.com/{SECRET}", erp_sync_secret=SECRET)
    assert message.startswith("ORDO_ERP_SYNC_URL: must be an http:// or https:// URL")
