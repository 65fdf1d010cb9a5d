"""The Idempotency-Key contract: replay, concurrent replay, changed payload, in flight."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from engine.adapters.orm_api import SqlIdempotencyStore
from engine.domain.access import IdempotencyRecord
from engine.service_layer.auth import Authenticator
from engine.service_layer.idempotency import request_hash
from tests.e2e.conftest import Api, order
from tests.e2e.live import at_once, serve


def _orders(api: Api) -> list[dict[str, object]]:
    return list(api.get("/v1/orders?channel=web").json())


def test_a_retry_with_the_same_key_and_body_replays_the_first_response(api: Api) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "retry-1"}
    first = api.post("/v1/orders", role="channel", json=order("I-1"), headers=headers)
    second = api.post("/v1/orders", role="channel", json=order("I-1"), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(_orders(api)) == 1


def test_a_key_reused_for_a_different_order_is_refused_with_422(api: Api) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "retry-2"}
    api.post("/v1/orders", role="channel", json=order("I-2"), headers=headers)
    changed = api.post("/v1/orders", role="channel", json=order("I-2", quantity=5), headers=headers)
    assert changed.status_code == 422
    assert changed.headers["content-type"] == "application/problem+json"
    assert changed.json()["code"] == "idempotency_key_reused"
    assert "retry-2" in changed.json()["detail"]
    assert [o["lines"][0]["quantity"] for o in _orders(api)] == [1]  # type: ignore[index]


def test_a_key_whose_first_request_is_still_running_is_refused_with_409(api: Api) -> None:
    api.seed(units=10)
    body = order("I-3")
    channel = Authenticator(api.app.state.ordo.keys, api.app.state.ordo.server_secret)
    owner = channel.authenticate(api.keys["channel"]).key_id
    running = IdempotencyRecord(
        key="retry-3",
        owner=owner,
        request_hash=request_hash("POST", "/v1/orders", _canonical(api, body)),
        created_at=datetime.now(UTC),
    )
    assert SqlIdempotencyStore(api.container.session_factory).insert(running)
    response = api.post(
        "/v1/orders", role="channel", json=body, headers={"Idempotency-Key": "retry-3"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_flight"
    assert _orders(api) == []


def _canonical(api: Api, body: dict[str, object]) -> object:
    """The body as the server fingerprints it: every field with its default filled in."""
    from api.schemas.orders import OrderIn

    return OrderIn.model_validate(body).model_dump(mode="json")


def test_a_refusal_is_replayed_too_so_a_retry_learns_the_same_outcome(api: Api) -> None:
    api.seed(units=10)
    api.post("/v1/orders", role="channel", json=order("I-4"))
    headers = {"Idempotency-Key": "retry-4"}
    first = api.post("/v1/orders", role="channel", json=order("I-4"), headers=headers)
    second = api.post("/v1/orders", role="channel", json=order("I-4"), headers=headers)
    assert first.status_code == second.status_code == 409
    assert second.json() == first.json()


def test_keys_belong_to_their_caller_so_two_channels_never_collide(api: Api) -> None:
    api.seed(units=10)
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post("/v1/orders", role="channel", json=order("K-1"), headers=headers)
    theirs = api.post("/v1/orders", role="admin", json=order("K-2", channel="pos"), headers=headers)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_two_clients_sending_the_same_key_at_once_create_exactly_one_order(
    api: Api, app: FastAPI
) -> None:
    api.seed(units=50)
    with serve(app) as base:
        for round_ in range(4):
            headers = {"X-API-Key": api.keys["channel"], "Idempotency-Key": f"race-{round_}"}
            answers = at_once(base, [("/v1/orders", order(f"R-{round_}"), headers)] * 2)
            statuses = sorted(a.status_code for a in answers)
            assert statuses in ([201, 201], [201, 409]), [a.text for a in answers]
            created = {a.json()["id"] for a in answers if a.status_code == 201}
            assert len(created) == 1
    assert len(_orders(api)) == 4
