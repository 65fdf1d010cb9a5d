"""An order's Total on the Orders page is its value as placed; what was cancelled of it since
is shown under it, and what is still to be charged in its help. Driven by AppTest against a
fake API behind the console's real client (an httpx mock transport)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui import session
from admin_ui.client import OrdoClient

PAGE = Path(__file__).resolve().parents[3] / "admin_ui" / "screens" / "orders.py"
ORDER_ID = "ord_total_1"


def an_order(total: str, cancelled: str | None) -> dict[str, Any]:
    """Five jeans at 12.00 on their way (picked: the page offers no changes, only the total
    is looked at); `cancelled` is None for an API from before the field."""
    order = {
        "id": ORDER_ID, "channel": "web", "channel_order_id": "WEB-88", "customer_id": "c1",
        "email": "ada@example.com", "status": "picked", "currency": "USD", "total": total,
        "service_level": "standard", "priority": 0, "created_at": "2026-11-22T08:00:00Z",
        "requested_date": None, "promised_date": "2026-11-25",
        "ship_to": {"postal_code": "10001", "country": "US", "line1": "1 Main St",
                    "city": "New York", "state": "NY", "name": "Ada", "lat": None, "lon": None},
        "lines": [{"id": "1", "sku": "JEANS", "quantity": 5, "price": "12.00",
                   "status": "allocated", "quantity_shipped": 0, "quantity_cancelled": 1}],
        "holds": [], "shipments": [], "events": [], "trace": [],
    }  # fmt: skip
    if cancelled is not None:
        order["total_cancelled"] = cancelled
    return order


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, Any]], None]]:
    """`serve(order)`: the fake API answers `GET /v1/orders/{id}` with it."""
    served: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/v1/orders/{ORDER_ID}":
            return httpx.Response(200, json=served[-1])
        return httpx.Response(404, json={"detail": f"no route {request.url.path}"})

    def open_client() -> OrdoClient:
        return OrdoClient("http://api.test", "k", transport=httpx.MockTransport(answer))

    monkeypatch.setattr(session, "open_client", open_client)
    yield served.append


def total_metric(serve: Callable[[dict[str, Any]], None], order: dict[str, Any]) -> Any:
    serve(order)
    app = AppTest.from_file(str(PAGE), default_timeout=30)
    app.session_state["ordo_principal"] = {
        "key_id": "key_1", "name": "sam", "role": "support", "channel": "", "locations": [],
        "customer_id": "",
    }  # fmt: skip
    app.run()
    next(t for t in app.text_input if t.label == "Order id").set_value(ORDER_ID)
    next(b for b in app.button if b.label == "Search").click().run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return next(m for m in app.metric if m.label == "Total")


def test_the_units_cancelled_show_under_the_total_with_what_is_still_to_be_charged(
    serve: Callable[[dict[str, Any]], None],
) -> None:
    total = total_metric(serve, an_order("60.00", "12.00"))
    assert total.value == "60.00 USD"
    assert total.delta == "\u221212.00 USD cancelled"
    assert total.help == "Still to be charged: 48.00 USD."


@pytest.mark.parametrize("cancelled", ["0.00", None])
def test_an_order_with_nothing_cancelled_shows_its_total_alone(
    serve: Callable[[dict[str, Any]], None], cancelled: str | None
) -> None:
    total = total_metric(serve, an_order("60.00", cancelled))
    assert (total.value, total.delta) == ("60.00 USD", "")
