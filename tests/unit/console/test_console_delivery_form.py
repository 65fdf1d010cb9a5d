"""The Orders page lets support switch an order not yet released between home delivery and
collection at a store, offering the enabled locations that offer pickup; the API's refusal is
shown in place. Driven by AppTest against a fake API behind the console's real client (an
httpx mock transport), so the body the page sends is checked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui import session
from admin_ui.client import OrdoClient
from admin_ui.views.orders import DELIVERY, WAYS
from tests.unit.console.test_console_remainder_cancel import ORDER_ID, an_order, opened

LOCATIONS = [
    {"code": "NJ-EWR", "name": "Newark DC", "services": ["ship"], "enabled": True},
    {"code": "NYC-5", "name": "Fifth Avenue", "services": ["pickup", "ship_from_store"],
     "enabled": True},
    {"code": "BKN-2", "name": "Brooklyn", "services": ["pickup"], "enabled": False},
    {"code": "SOHO-1", "name": "SoHo", "services": ["pickup"], "enabled": True},
]  # fmt: skip


@dataclass
class FakeApi:
    """One order and the locations; `refuse` answers the modification with that problem."""

    order: dict[str, Any]
    refuse: tuple[int, str] | None = None
    sent: list[Any] = field(default_factory=list)  # bodies of POST .../modify

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == f"/v1/orders/{ORDER_ID}":
            return httpx.Response(200, json=self.order)
        if request.method == "GET" and path == "/v1/locations":
            return httpx.Response(200, json=LOCATIONS)
        if request.method == "POST" and path == f"/v1/orders/{ORDER_ID}/modify":
            body = json.loads(request.content)
            self.sent.append(body)
            if self.refuse is not None:
                status, detail = self.refuse
                problem = {"title": "Refused", "status": status, "detail": detail}
                headers = {"content-type": "application/problem+json"}
                return httpx.Response(status, json=problem, headers=headers)
            self.order["fulfilment"] = body["fulfilment"]
            self.order["pickup_location"] = body.get("pickup_location")
            return httpx.Response(200, json=self.order)
        return httpx.Response(404, json={"detail": f"no route {request.method} {path}"})


def serve(monkeypatch: pytest.MonkeyPatch, order: dict[str, Any]) -> FakeApi:
    """The fake API over `order`, reached by the console's client for the rest of the test."""
    fake = FakeApi(order)
    transport = httpx.MockTransport(fake.handle)
    monkeypatch.setattr(
        session, "open_client", lambda: OrdoClient("http://api.test", "k", transport=transport)
    )
    return fake


def a_pickup(store: str = "NYC-5") -> dict[str, Any]:
    order = an_order("carrier_assigned", backordered=False)
    order.update(fulfilment="pickup", pickup_location=store)
    return order


def the_store_field(app: AppTest) -> Any:
    return next(s for s in app.selectbox if s.label == "Store to collect at")


def change(app: AppTest, way: str, store: str | None = None, sure: bool = True) -> AppTest:
    next(r for r in app.radio if r.label == "How the customer gets the order").set_value(way)
    if store is not None:
        the_store_field(app).set_value(store)
    if sure:
        label = "Yes, change how the customer gets this order"
        next(c for c in app.checkbox if c.label == label).check()
    next(b for b in app.button if b.label == "Change delivery").click().run()
    assert not app.exception, app.exception
    return app


def test_the_stores_offered_are_the_enabled_locations_that_offer_pickup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(monkeypatch, an_order("carrier_assigned", backordered=False))
    app = opened("support")

    assert DELIVERY in [t.label for t in app.tabs]
    store = the_store_field(app)
    assert store.options == ["NYC-5: Fifth Avenue", "SOHO-1: SoHo"]
    assert store.value is None
    way = next(r for r in app.radio if r.label == "How the customer gets the order")
    assert (way.value, way.options) == ("ship", list(WAYS.values()))


def test_a_shipped_order_is_switched_to_collection_at_the_store_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = serve(monkeypatch, an_order("carrier_assigned", backordered=False))

    app = change(opened("support"), "pickup", "SOHO-1")

    assert fake.sent == [{"fulfilment": "pickup", "pickup_location": "SOHO-1"}]
    assert any("collected at store SOHO-1" in m.value for m in app.markdown)


def test_a_pickup_is_switched_back_to_home_delivery_without_a_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = serve(monkeypatch, a_pickup())
    app = opened("admin")
    assert the_store_field(app).value == "NYC-5"

    change(app, "ship")

    assert fake.sent == [{"fulfilment": "ship"}]


def test_collection_with_no_store_chosen_or_no_change_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = serve(monkeypatch, an_order("carrier_assigned", backordered=False))
    app = change(opened("support"), "pickup")
    assert [w.value for w in app.warning] == [
        "Choose the store the customer collects the order at."
    ]
    app = change(app, "ship")
    assert "Nothing was changed: the order is already shipped to its address." in [
        w.value for w in app.warning
    ]
    assert fake.sent == []


def test_a_switch_the_api_refuses_is_shown_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = serve(monkeypatch, an_order("carrier_assigned", backordered=False))
    fake.refuse = (409, "order ord_remainder_1 cannot go from 'released' to 'modified'")

    app = change(opened("support"), "pickup", "NYC-5")

    assert [e.value for e in app.error] == [
        "The order was not changed: order ord_remainder_1 cannot go from 'released' to 'modified'"
    ]
    assert fake.order.get("fulfilment") is None
