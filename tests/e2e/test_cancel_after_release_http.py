"""Cancelling and modifying an order after its release, over HTTP, with releases automatic
(the default, ORDO_AUTO_RELEASE): an order released as soon as its carrier is assigned is
still cancelled (its shipment cancelled, its stock back) or modified (decided again) while
nothing of it is picked; once its location has picked, both are 409 naming the shipment. A
warehouse system holding the shipment gets its cancellation; one that has picked it already
refuses (409), and a person is alerted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ordo.bootstrap import Container, build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, order, run_worker
from tests.integration.events.test_wms_release_worker import (  # `outside`: a fixture
    TOKEN,
    Outside,
    outside,  # noqa: F401
)


@pytest.fixture
def container(
    database_url: str,
    tmp_path: Path,
    outside: Outside,  # noqa: F811
) -> Iterator[Container]:
    """The app of a deployment whose DAL-01 works with a WMS (the fake `outside`)."""
    wms = {"dallas": {"base_url": f"{outside.url}/wms", "token": TOKEN, "locations": ["DAL-01"]}}
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        wms=json.dumps(wms),
    )
    with build_app_container(settings) as built:
        yield built


def a_released_order(api: Api, number: str, quantity: int = 3) -> dict[str, Any]:
    """An order for `quantity` SHOE-42 of the 5 at DAL-01, released with its carrier."""
    api.seed(units=5)
    created = api.post("/v1/orders", role="channel", json=order(number, quantity=quantity))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "released"
    return dict(api.get(f"/v1/orders/{created.json()['id']}", role="support").json())


def stock(api: Api) -> tuple[int, int]:
    [row] = api.get("/v1/inventory/locations/DAL-01").json()
    return row["on_hand"], row["reserved"]


def cancel(api: Api, order_id: str) -> Any:
    return api.post(
        f"/v1/orders/{order_id}/cancel", role="support", json={"reason": "changed mind"}
    )


def test_a_released_order_is_cancelled_its_shipment_cancelled_and_its_stock_back(
    api: Api,
) -> None:
    placed = a_released_order(api, "CR-1")
    [shipment] = placed["shipments"]
    assert shipment["status"] == "released" and stock(api) == (5, 3)

    response = cancel(api, placed["id"])

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    after = api.get(f"/v1/orders/{placed['id']}", role="support").json()
    assert [s["status"] for s in after["shipments"]] == ["cancelled"]
    assert stock(api) == (5, 0)
    [entry] = api.get(f"/v1/audit?entity=shipment&entity_id={shipment['id']}").json()
    assert (entry["action"], entry["before"], entry["after"]) == (
        "shipment.status",
        {"status": "released"},
        {"status": "cancelled", "reason": f"order {placed['id']} cancelled: changed mind"},
    )


def test_once_its_shipment_is_picked_the_order_is_409_naming_it(api: Api) -> None:
    placed = a_released_order(api, "CR-2")
    [shipment] = placed["shipments"]
    picked = api.post(
        f"/v1/shipments/{shipment['id']}/status", role="warehouse", json={"status": "picked"}
    )
    assert picked.status_code == 200, picked.text

    refused = cancel(api, placed["id"])

    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    detail = refused.json()["detail"]
    assert f"shipment {shipment['id']} at DAL-01 is already picked" in detail
    assert f"POST /v1/orders/{placed['id']}/returns" in detail
    changed = api.post(
        f"/v1/orders/{placed['id']}/modify", role="support", json={"quantities": {"1": 1}}
    )
    assert changed.status_code == 409 and shipment["id"] in changed.json()["detail"]
    assert stock(api) == (5, 3)


def test_a_released_orders_quantity_is_changed_and_the_order_decided_again(api: Api) -> None:
    placed = a_released_order(api, "CR-3", quantity=3)
    [first] = placed["shipments"]
    line_id = placed["lines"][0]["id"]

    response = api.post(
        f"/v1/orders/{placed['id']}/modify", role="support", json={"quantities": {line_id: 2}}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["lines"][0]["quantity"]) == ("released", 2)
    after = api.get(f"/v1/orders/{placed['id']}", role="support").json()
    statuses = {s["id"]: (s["status"], s["lines"][0]["quantity"]) for s in after["shipments"]}
    assert statuses.pop(first["id"]) == ("cancelled", 3)
    assert list(statuses.values()) == [("released", 2)]
    assert stock(api) == (5, 2)


def test_the_wms_holding_the_shipment_gets_its_cancellation(
    api: Api,
    outside: Outside,  # noqa: F811
) -> None:
    placed = a_released_order(api, "CR-4")
    [shipment] = placed["shipments"]
    run_worker(api)  # the release goes to the WMS first
    [(_, sent)] = outside.posts
    assert sent["id"] == shipment["id"]

    assert cancel(api, placed["id"]).status_code == 200
    run_worker(api)

    [(method, path, _, body)] = outside.changes
    assert (method, path) == ("POST", "/wms/fulfilment-orders/WMS-000001/cancel")
    assert (body["message"], body["id"]) == ("cancel", shipment["id"])
    assert api.get("/v1/alerts").json() == []


def test_a_wms_that_picked_the_shipment_already_refuses_and_a_person_is_alerted(
    api: Api,
    outside: Outside,  # noqa: F811
) -> None:
    placed = a_released_order(api, "CR-5")
    [shipment] = placed["shipments"]
    run_worker(api)
    answer = outside.answer

    def picked_there(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if path.endswith("/cancel"):  # the WMS had it picked before Ordo heard of it
            return 409, {"message": "already picked"}
        return answer(method, path, headers, body)

    outside.answer = picked_there  # type: ignore[method-assign]

    assert cancel(api, placed["id"]).status_code == 200
    run_worker(api)

    [alert] = api.get("/v1/alerts").json()
    assert (alert["rule"], alert["key"], alert["severity"]) == (
        "wms/WMS refused a change",
        shipment["id"],
        "high",
    )
    assert "refused its cancellation" in alert["message"]
