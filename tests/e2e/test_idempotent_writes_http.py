"""Every write honours Idempotency-Key, not only order ingestion: the retry a 500 promises is safe.

Receipts, cancels and the other writes go through the idempotency middleware (api/idempotent.py);
the orders routes keep their own handling (tests/e2e/test_idempotency_http.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from engine.adapters.orm_api import SqlIdempotencyStore
from engine.service_layer.auth import Authenticator
from tests.e2e.conftest import SECRET, Api, order
from tests.e2e.live import at_once, serve

RECEIPT = {"sku": "SHOE-42", "location_code": "DAL-01", "quantity": 4}


def _on_hand(api: Api) -> int:
    [stock] = api.get("/v1/inventory/skus/SHOE-42").json()
    return int(stock["on_hand"])


def test_a_receipt_sent_twice_with_one_key_changes_stock_once_and_replays_the_first_answer(
    api: Api,
) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "receipt-1"}
    first = api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    second = api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200), second.text
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert "idempotent-replayed" not in first.headers
    assert _on_hand(api) == 14


def test_a_receipt_sent_twice_without_a_key_is_booked_twice(api: Api) -> None:
    api.seed(units=10)
    api.post("/v1/inventory/receipts", json=RECEIPT)
    again = api.post("/v1/inventory/receipts", json=RECEIPT)
    assert "idempotent-replayed" not in again.headers
    assert _on_hand(api) == 18


def test_a_cancel_retried_with_its_key_replays_the_first_200_instead_of_a_409(api: Api) -> None:
    api.seed(units=0)
    created = api.post("/v1/orders", role="channel", json=order("IC-1", quantity=3)).json()
    cancel = f"/v1/orders/{created['id']}/cancel"
    headers = {"Idempotency-Key": "cancel-1"}
    first = api.post(cancel, role="support", json={"reason": "asked"}, headers=headers)
    retry = api.post(cancel, role="support", json={"reason": "asked"}, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200), retry.text
    assert retry.json() == first.json()
    assert retry.json()["status"] == "cancelled"
    assert retry.headers["idempotent-replayed"] == "true"
    other_key = {"Idempotency-Key": "cancel-2"}
    assert api.post(
        cancel, role="support", json={"reason": "x"}, headers=other_key
    ).status_code == (409)


def test_a_key_sent_again_with_a_different_body_is_refused_with_422_and_books_nothing(
    api: Api,
) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "receipt-2"}
    api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    changed = api.post("/v1/inventory/receipts", json={**RECEIPT, "quantity": 5}, headers=headers)
    assert changed.status_code == 422
    assert changed.headers["content-type"] == "application/problem+json"
    assert changed.json()["code"] == "idempotency_key_reused"
    assert "receipt-2" in changed.json()["detail"]
    assert _on_hand(api) == 14


def test_the_same_body_in_another_key_order_and_spacing_is_the_same_request(api: Api) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "receipt-3", "Content-Type": "application/json"}
    api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    reordered = '{ "quantity": 4, "location_code": "DAL-01",\n  "sku": "SHOE-42" }'
    again = api.post("/v1/inventory/receipts", content=reordered, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert _on_hand(api) == 14


def test_two_callers_may_use_the_same_key_string_independently(api: Api) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "shared-receipt"}
    mine = api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    theirs = api.post("/v1/inventory/receipts", role="warehouse", json=RECEIPT, headers=headers)
    assert (mine.status_code, theirs.status_code) == (200, 200), theirs.text
    assert "idempotent-replayed" not in theirs.headers
    for role in ("admin", "warehouse"):  # each caller's retry replays its own first answer
        retry = api.post("/v1/inventory/receipts", role=role, json=RECEIPT, headers=headers)
        assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == theirs.json()
    assert _on_hand(api) == 18


@pytest.mark.parametrize(
    ("crash", "status"),
    [
        (RuntimeError("the first attempt crashes"), 500),
        (OperationalError("UPDATE stock", {}, Exception("server closed the connection")), 503),
    ],
    ids=["500", "503"],
)
def test_a_5xx_on_a_write_leaves_the_key_free_so_the_retry_runs_for_real(
    api: Api, monkeypatch: pytest.MonkeyPatch, crash: Exception, status: int
) -> None:
    api.seed(units=10)
    bus = api.container.bus
    handle = bus.handle
    crashes = [crash]

    def crash_once(command: Any, **options: Any) -> Any:
        if crashes:
            raise crashes.pop()
        return handle(command, **options)

    monkeypatch.setattr(bus, "handle", crash_once)
    headers = {"Idempotency-Key": "receipt-4"}
    failed = api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    assert failed.status_code == status
    assert "Retrying with the same Idempotency-Key is safe." in failed.json()["detail"]
    assert _on_hand(api) == 10
    retried = api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert _on_hand(api) == 14
    # The answer that did not fail is kept: one more retry is its replay.
    replayed = api.post("/v1/inventory/receipts", json=RECEIPT, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert _on_hand(api) == 14


def test_a_refused_write_is_replayed_too_so_a_retry_learns_the_same_outcome(api: Api) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "receipt-5"}
    unknown = {**RECEIPT, "location_code": "NOWHERE-9"}
    first = api.post("/v1/inventory/receipts", json=unknown, headers=headers)
    second = api.post("/v1/inventory/receipts", json=unknown, headers=headers)
    assert first.status_code == second.status_code
    assert 400 <= first.status_code < 500
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"


def test_a_catalogue_put_retried_with_its_key_is_replayed(api: Api) -> None:
    headers = {"Idempotency-Key": "product-1"}
    product = {"name": "Trail shoe", "price": "30.00"}
    first = api.put("/v1/products/TRAIL-1", json=product, headers=headers)
    second = api.put("/v1/products/TRAIL-1", json=product, headers=headers)
    assert first.status_code == second.status_code == 200, first.text
    assert second.headers["idempotent-replayed"] == "true"


def test_a_key_longer_than_200_characters_is_refused_naming_the_header(api: Api) -> None:
    api.seed(units=10)
    refused = api.post(
        "/v1/inventory/receipts", json=RECEIPT, headers={"Idempotency-Key": "k" * 201}
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["path"] == "header parameter 'Idempotency-Key'"
    assert "1 to 200 characters" in body["detail"]
    assert _on_hand(api) == 10


def test_two_clients_sending_one_receipt_at_once_with_one_key_book_it_once(
    api: Api, app: FastAPI
) -> None:
    api.seed(units=10)
    with serve(app) as base:
        headers = {"X-API-Key": api.keys["admin"], "Idempotency-Key": "race-receipt"}
        answers = at_once(base, [("/v1/inventory/receipts", RECEIPT, headers)] * 2)
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([200, 200], [200, 409]), [a.text for a in answers]
    assert _on_hand(api) == 14


def test_the_openapi_document_shows_the_header_on_the_writes_that_honour_it(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]

    def takes_key(path: str, method: str) -> bool:
        parameters = paths[path][method].get("parameters", [])
        return any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)

    assert takes_key("/v1/inventory/receipts", "post")
    assert takes_key("/v1/orders/{order_id}/cancel", "post")
    assert takes_key("/v1/products/{sku}", "put")
    assert takes_key("/v1/orders", "post")  # declared by the route itself, once
    assert not takes_key("/v1/keys", "post")  # its answer holds a secret: never kept
    assert not takes_key("/v1/inventory/skus/{sku}", "get")
    receipts = paths["/v1/inventory/receipts"]["post"]
    assert "409" in receipts["responses"]
    [declared] = [
        p for p in paths["/v1/orders"]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    ]
    assert declared["in"] == "header"


def test_a_key_sent_to_no_route_is_not_kept(api: Api) -> None:
    headers = {"Idempotency-Key": "nowhere-1"}
    missing = api.post("/v1/nowhere", json={}, headers=headers)
    assert missing.status_code == 404
    owner = Authenticator(api.app.state.ordo.keys, SECRET).authenticate(api.keys["admin"]).key_id
    assert SqlIdempotencyStore(api.container.session_factory).get(owner, "nowhere-1") is None
