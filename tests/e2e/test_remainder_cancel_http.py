"""`POST /v1/orders/{id}/cancel-backordered` over HTTP: support cancels what of an order on
its way still waits for stock, audited; what cannot be cancelled is a 422 at its path, and an
order not on its way a 409 naming its status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Api, order


def a_released_order_waiting_for(api: Api, units: int, number: str = "R-1") -> dict[str, Any]:
    """Two SHOE-42 in stock, `2 + units` ordered with one SOCK-M: released, `units` waiting."""
    api.seed(sku="SHOE-42", units=2)
    api.seed(sku="SOCK-M", units=5)
    body = order(
        number, lines=[{"sku": "SHOE-42", "quantity": 2 + units}, {"sku": "SOCK-M", "quantity": 1}]
    )
    created = api.post("/v1/orders", role="channel", json=body).json()
    assert created["status"] == "released", created
    assert [line["status"] for line in created["lines"]] == ["backordered", "allocated"]
    return created


def cancel_backordered(api: Api, order_id: str, **body: Any) -> Any:
    return api.post(
        f"/v1/orders/{order_id}/cancel-backordered",
        role="support",
        json={"reason": "customer would not wait", **body},
    )


def test_support_cancels_the_whole_remainder_and_the_audit_names_the_units(api: Api) -> None:
    created = a_released_order_waiting_for(api, 3)

    response = cancel_backordered(api, created["id"])

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "released"
    assert [(x["status"], x["quantity_cancelled"]) for x in answer["lines"]] == [
        ("allocated", 3),
        ("allocated", 0),
    ]
    shoe = Decimal(created["lines"][0]["price"])
    assert (answer["total"], Decimal(answer["total_cancelled"])) == (created["total"], 3 * shoe)
    entry = api.get(f"/v1/orders/{created['id']}", role="support").json()["events"][-1]
    assert entry["action"] == "order.cancel_backordered"
    assert entry["before"] == {"status": "released", "backordered": {"1": 3}, "cancelled": {"1": 0}}
    assert entry["after"] == {
        "reason": "customer would not wait",
        "lines": None,
        "status": "released",
        "backordered": {},
        "cancelled": {"1": 3},
    }


def test_a_reduced_remainder_waits_for_what_is_left_and_the_order_ships_without_it(
    api: Api,
) -> None:
    created = a_released_order_waiting_for(api, 3)

    reduced = cancel_backordered(api, created["id"], lines={"1": 2})

    assert reduced.status_code == 200, reduced.text
    assert reduced.json()["lines"][0]["status"] == "backordered"
    entry = api.get(f"/v1/orders/{created['id']}").json()["events"][-1]
    assert (entry["before"]["backordered"], entry["after"]["backordered"]) == ({"1": 3}, {"1": 1})
    assert entry["after"]["cancelled"] == {"1": 2}
    for shipment in api.get(f"/v1/orders/{created['id']}").json()["shipments"]:
        shipped = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": "shipped"})
        assert shipped.status_code == 200, shipped.text
    assert api.get(f"/v1/orders/{created['id']}").json()["status"] == "partially_shipped"

    rest = cancel_backordered(api, created["id"], lines={"1": 1})

    assert rest.status_code == 200, rest.text
    assert rest.json()["status"] == "shipped"
    assert [x["status"] for x in rest.json()["lines"]] == ["shipped", "shipped"]


@pytest.mark.parametrize(
    ("lines", "path", "words"),
    [
        ({"9": 1}, "$.lines.9", "has no line '9' (the lines waiting for stock are 1)"),
        ({"2": 1}, "$.lines.2", "line '2' is 'allocated', not backordered"),
        ({"1": 4}, "$.lines.1", "only 3 unit(s) of line '1' wait for stock"),
        ({"1": 0}, "$.lines.1", "greater than 0"),
        ({}, "$.lines", "at least 1 item"),
    ],
)
def test_units_the_order_cannot_give_are_refused_at_their_path_and_nothing_changes(
    api: Api, lines: dict[str, int], path: str, words: str
) -> None:
    created = a_released_order_waiting_for(api, 3)

    response = cancel_backordered(api, created["id"], lines=lines)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert error["path"] == path
    assert words in error["message"]
    after = api.get(f"/v1/orders/{created['id']}").json()
    assert [x["quantity_cancelled"] for x in after["lines"]] == [0, 0]
    assert [e["action"] for e in after["events"]] == ["order.create"]


def test_an_order_not_yet_on_its_way_is_409_pointing_to_the_whole_cancel(api: Api) -> None:
    api.seed(units=0)
    created = api.post("/v1/orders", role="channel", json=order("B-1", quantity=3)).json()
    assert created["status"] == "backordered"

    response = cancel_backordered(api, created["id"])

    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert f"order {created['id']} is 'backordered'" in detail
    assert f"POST /v1/orders/{created['id']}/cancel)" in detail


def test_a_picked_order_with_a_remainder_points_its_cancel_to_the_new_route(api: Api) -> None:
    created = a_released_order_waiting_for(api, 3)
    for shipment in api.get(f"/v1/orders/{created['id']}").json()["shipments"]:
        path = f"/v1/shipments/{shipment['id']}/status"
        assert api.post(path, json={"status": "picked"}).status_code == 200

    refused = api.post(f"/v1/orders/{created['id']}/cancel", role="support", json={"reason": "x"})

    assert refused.status_code == 409
    assert f"POST /v1/orders/{created['id']}/cancel-backordered" in refused.json()["detail"]


def test_warehouse_and_customer_keys_may_not_cancel_a_remainder(api: Api) -> None:
    created = a_released_order_waiting_for(api, 3)

    for role in ("warehouse", "customer", "channel"):
        response = api.post(
            f"/v1/orders/{created['id']}/cancel-backordered", role=role, json={"reason": "x"}
        )
        assert response.status_code == 403, (role, response.text)
