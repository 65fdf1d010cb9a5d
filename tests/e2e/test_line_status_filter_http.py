"""`GET /v1/orders?line_status=`: orders with a line in that status, whatever the order's own
status, so an order on its way with a line still waiting for stock is found beside the
wholly backordered ones; with `sku` the same line must match both; and it filters before it
pages, like every list."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, order


def _ids(api: Api, query: str, role: str = "support") -> list[str]:
    response = api.get(f"/v1/orders?{query}", role=role)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def _placed(api: Api, channel_order_id: str, **extra: Any) -> Any:
    created = api.post("/v1/orders", role="channel", json=order(channel_order_id, **extra))
    assert created.status_code == 201, created.text
    return created.json()


def test_line_status_finds_orders_on_their_way_with_a_backordered_line(api: Api) -> None:
    api.seed(sku="SHOE-42", units=2)
    api.seed(sku="SOCK-M", units=5)
    whole = _placed(api, "B-1", sku="SOCK-M")  # released, nothing waits
    partly = _placed(
        api, "B-2", lines=[{"sku": "SHOE-42", "quantity": 4}, {"sku": "SOCK-M", "quantity": 1}]
    )
    waiting = _placed(api, "B-3", sku="SHOE-42")  # none left: backordered whole
    assert (whole["status"], partly["status"], waiting["status"]) == (
        "released",
        "released",
        "backordered",
    )
    assert [line["status"] for line in partly["lines"]] == ["backordered", "allocated"]

    assert _ids(api, "line_status=backordered") == [waiting["id"], partly["id"]]
    assert _ids(api, "line_status=backordered&status=released") == [partly["id"]]
    assert _ids(api, "line_status=allocated") == [partly["id"], whole["id"]]


def test_line_status_and_sku_must_hold_for_the_same_line(api: Api) -> None:
    api.seed(sku="SHOE-42", units=2)
    api.seed(sku="SOCK-M", units=5)
    partly = _placed(
        api, "S-1", lines=[{"sku": "SHOE-42", "quantity": 4}, {"sku": "SOCK-M", "quantity": 1}]
    )

    assert _ids(api, "line_status=backordered&sku=SHOE-42") == [partly["id"]]
    assert _ids(api, "line_status=backordered&sku=SOCK-M") == []


def test_line_status_filters_before_the_page_is_cut(api: Api) -> None:
    api.seed(sku="SHOE-42", units=1)
    api.seed(sku="SOCK-M", units=5)
    waiting = _placed(api, "P-1", sku="SHOE-42", quantity=3)
    for number in range(3):  # newer orders with nothing waiting come first in the search
        _placed(api, f"P-{number + 2}", sku="SOCK-M")

    assert _ids(api, "line_status=backordered&limit=1") == [waiting["id"]]


def test_a_customer_finds_only_its_own_orders_by_line_status(api: Api) -> None:
    api.seed(sku="SHOE-42", units=0)
    api.seed(sku="SOCK-M", units=5)
    mine = _placed(api, "C-1")
    _placed(api, "C-2", sku="SOCK-M")  # the customer's too, nothing waiting
    _placed(api, "C-3", customer_id="C-2")  # another customer's, waiting

    assert _ids(api, "line_status=backordered", role="customer") == [mine["id"]]


def test_a_line_status_that_is_not_one_is_422_naming_the_parameter(api: Api) -> None:
    response = api.get("/v1/orders?line_status=waiting", role="support")

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "query parameter 'line_status'"
    assert "backordered" in error["message"]
