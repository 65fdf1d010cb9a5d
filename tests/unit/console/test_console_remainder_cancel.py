"""The Orders page offers support the backordered remainder of an order on its way to cancel:
one number per line that waits, a reason, a confirmation; the API's refusal is shown in place
and the order is shown again as it is after. Driven by AppTest against a fake API behind the
console's real client (an httpx mock transport), so the body the page sends is checked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui import session
from admin_ui.client import OrdoClient
from admin_ui.views.orders import REMAINDER, waiting_units

PAGE = Path(__file__).resolve().parents[3] / "admin_ui" / "screens" / "orders.py"
ORDER_ID = "ord_remainder_1"
AT = "2026-11-22T08:00:00Z"


def line(line_id: str, sku: str, quantity: int, status: str, cancelled: int = 0) -> dict[str, Any]:
    return {"id": line_id, "sku": sku, "quantity": quantity, "price": "10.00", "status": status,
            "quantity_shipped": 0, "quantity_cancelled": cancelled}  # fmt: skip


def shipment(ship_id: str, status: str, items: dict[str, int]) -> dict[str, Any]:
    return {"id": ship_id, "order_id": ORDER_ID, "location_code": "NJ-EWR", "status": status,
            "carrier": "RPS", "service": "ground", "rate": "5.30", "promised_date": None,
            "tracking_number": "", "shipped_at": None, "delivered_at": None,
            "lines": [{"order_line_id": k, "sku": "?", "quantity": v} for k, v in items.items()],
            "tracking": []}  # fmt: skip


def an_order(status: str = "picked", backordered: bool = True) -> dict[str, Any]:
    """One T-shirt allocated, and 5 jeans of which 2 are in the shipment and 3 wait. Picked
    (its shipment too), the order can no longer be cancelled whole; released, it still can."""
    worked = "picked" if status == "picked" else "released"
    return {
        "id": ORDER_ID, "channel": "web", "channel_order_id": "WEB-77", "customer_id": "c1",
        "email": "ada@example.com", "status": status, "currency": "USD", "total": "60.00",
        "service_level": "standard", "priority": 0, "created_at": AT, "requested_date": None,
        "promised_date": "2026-11-25",
        "ship_to": {"postal_code": "10001", "country": "US", "line1": "1 Main St",
                    "city": "New York", "state": "NY", "name": "Ada", "lat": None, "lon": None},
        "lines": [line("1", "TSHIRT", 1, "allocated"),
                  line("2", "JEANS", 5, "backordered" if backordered else "allocated")],
        "holds": [],
        "shipments": [shipment("ful_1", worked, {"1": 1, "2": 2 if backordered else 5})],
        "events": [], "trace": [],
    }  # fmt: skip


@dataclass
class FakeApi:
    """The order routes the page calls, over one order; `refuse` answers the cancellation
    with that problem instead of applying it."""

    order: dict[str, Any]
    refuse: tuple[int, dict[str, Any]] | None = None
    sent: list[Any] = field(default_factory=list)  # bodies of POST .../cancel-backordered

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == f"/v1/orders/{ORDER_ID}":
            return httpx.Response(200, json=self.order)
        if request.method == "GET" and path == "/v1/locations":
            return httpx.Response(200, json=[])  # no store to offer in the delivery tab
        if request.method == "POST" and path == f"/v1/orders/{ORDER_ID}/cancel-backordered":
            body = json.loads(request.content)
            self.sent.append(body)
            if self.refuse is not None:
                status, problem = self.refuse
                headers = {"content-type": "application/problem+json"}
                return httpx.Response(status, json=problem, headers=headers)
            self._cancel(body)
            return httpx.Response(200, json=self.order)
        return httpx.Response(404, json={"detail": f"no route {request.method} {path}"})

    def _cancel(self, body: dict[str, Any]) -> None:
        waiting = waiting_units(self.order)  # type: ignore[arg-type]
        asked = body.get("lines") or waiting
        for item in self.order["lines"]:
            units = asked.get(item["id"], 0)
            item["quantity_cancelled"] += units
            if units and units == waiting[item["id"]]:
                item["status"] = "allocated"
        still = [
            {
                "line": k,
                "sku": "JEANS",
                "quantity": v - asked.get(k, 0),
                "mode": "backorder",
                "promised_date": "2026-11-25",
            }
            for k, v in waiting.items()
            if v > asked.get(k, 0)
        ]
        self.order["trace"].append(
            {"id": "trc_9", "step": "sourcing", "ruleset": "", "ruleset_version": 0,
             "at": "2026-11-23T09:00:00Z", "outcome": "remainder_cancelled",
             "detail": {"outcome": "remainder_cancelled", "reason": body["reason"],
                        "remainder": waiting, "cancelled": asked, "allocations": [],
                        "backorders": still}}
        )  # fmt: skip


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, Any]], FakeApi]]:
    """`api(order)`: the fake API the console's client reaches for the rest of the test."""
    made: list[FakeApi] = []

    def serve(order: dict[str, Any]) -> FakeApi:
        made.append(FakeApi(order))
        return made[-1]

    def open_client() -> OrdoClient:
        return OrdoClient("http://api.test", "k", transport=httpx.MockTransport(made[-1].handle))

    monkeypatch.setattr(session, "open_client", open_client)
    yield serve


def opened(role: str = "support") -> AppTest:
    """The Orders page signed in with `role`, the order found by its id."""
    app = AppTest.from_file(str(PAGE), default_timeout=30)
    app.session_state["ordo_principal"] = {
        "key_id": "key_1", "name": role, "role": role, "channel": "", "locations": [],
        "customer_id": "",
    }  # fmt: skip
    app.run()
    next(t for t in app.text_input if t.label == "Order id").set_value(ORDER_ID)
    next(b for b in app.button if b.label == "Search").click().run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return app


def remainder_fields(app: AppTest) -> list[str]:
    return [n.label for n in app.number_input if " waiting" in n.label]


def submit(app: AppTest, reason: str = "customer would not wait", sure: bool = True) -> AppTest:
    reasons = [t for t in app.text_input if t.label == "Reason"]
    reasons[-1].set_value(reason)  # the remainder's form comes after the whole order's cancel
    if sure:
        next(c for c in app.checkbox if c.label == "Yes, cancel these units").check()
    next(b for b in app.button if b.label == "Cancel waiting units").click().run()
    assert not app.exception, app.exception
    return app


def test_units_waiting_are_what_no_live_shipment_carries_of_a_backordered_line() -> None:
    order = an_order()
    order["lines"].append(line("3", "CONSOLE", 4, "backordered", cancelled=1))
    order["shipments"].append(shipment("ful_2", "cancelled", {"2": 3, "3": 3}))
    order["shipments"].append(shipment("ful_3", "pending", {"3": 1}))
    assert waiting_units(order) == {"2": 3, "3": 2}  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["picked", "partially_shipped"])
def test_an_order_on_its_way_offers_support_its_waiting_units_all_of_them_by_default(
    api: Callable[[dict[str, Any]], FakeApi], status: str
) -> None:
    api(an_order(status))
    app = opened("support")
    assert any("what of it still waits for stock can be cancelled" in c.value for c in app.caption)
    assert remainder_fields(app) == ["Line 2: JEANS, 3 waiting"]
    [units] = app.number_input
    assert (units.value, units.min, units.max) == (3, 0, 3)
    assert not [b for b in app.button if b.label == "Cancel order"]


def test_an_order_not_yet_released_offers_its_waiting_units_in_a_tab_beside_the_cancel(
    api: Callable[[dict[str, Any]], FakeApi],
) -> None:
    api(an_order("carrier_assigned"))
    app = opened("admin")
    assert REMAINDER in [t.label for t in app.tabs]
    assert remainder_fields(app) == ["Line 2: JEANS, 3 waiting"]
    assert [b for b in app.button if b.label == "Cancel order"]


@pytest.mark.parametrize(
    ("status", "backordered", "role"),
    [
        ("backordered", True, "support"),  # not on its way: the whole order is cancelled
        ("picked", False, "support"),  # on its way, nothing waits
        ("picked", True, "channel"),  # a role that may not cancel
        ("picked", True, "customer"),
    ],
)
def test_the_waiting_units_are_not_offered_without_an_order_on_its_way_waiting_or_the_role(
    api: Callable[[dict[str, Any]], FakeApi], status: str, backordered: bool, role: str
) -> None:
    api(an_order(status, backordered))
    app = opened(role)
    assert remainder_fields(app) == []
    assert not [b for b in app.button if b.label == "Cancel waiting units"]
    assert REMAINDER not in [t.label for t in app.tabs]


def test_cancelling_some_waiting_units_sends_them_and_shows_the_order_as_it_is_after(
    api: Callable[[dict[str, Any]], FakeApi],
) -> None:
    fake = api(an_order())
    app = opened()
    next(n for n in app.number_input if n.label == "Line 2: JEANS, 3 waiting").set_value(2)
    submit(app)
    assert fake.sent == [{"reason": "customer would not wait", "lines": {"2": 2}}]
    assert [s.value for s in app.success] == [
        "Order WEB-77 had 2 waiting units cancelled; it is now picked."
    ]
    assert remainder_fields(app) == ["Line 2: JEANS, 1 waiting"]
    [rows] = [d.value.to_dict("records") for d in app.dataframe if "cancelled" in d.value]
    assert [(r["line"], r["cancelled"]) for r in rows] == [("1", 0), ("2", 2)]
    shown = [m.value for m in app.markdown]
    assert (
        "**Cancellation.** Remainder cancelled by a person: 2 units of line 2 "
        "(reason: customer would not wait)."
    ) in shown
    timeline = app.dataframe[-1].value.to_dict("records")
    assert {"what": "decided: sourcing", "by": "a person", "detail": "remainder_cancelled"} in [
        {k: r[k] for k in ("what", "by", "detail")} for r in timeline
    ]


def test_cancelling_needs_the_confirmation_and_at_least_one_unit(
    api: Callable[[dict[str, Any]], FakeApi],
) -> None:
    fake = api(an_order())
    app = submit(opened(), sure=False)
    assert any("Tick the box" in w.value for w in app.warning)
    next(n for n in app.number_input if n.label.startswith("Line 2:")).set_value(0)
    app = submit(app)
    assert any("Every line is at 0" in w.value for w in app.warning)
    assert fake.sent == []


def test_counts_that_changed_since_the_form_was_shown_are_shown_again_not_sent(
    api: Callable[[dict[str, Any]], FakeApi],
) -> None:
    fake = api(an_order())
    app = opened()
    next(n for n in app.number_input if n.label == "Line 2: JEANS, 3 waiting").set_value(1)
    fake.order["shipments"].append(shipment("ful_2", "pending", {"2": 2}))  # stock came
    app = submit(app)
    assert fake.sent == []
    assert [w.value for w in app.warning] == [
        "Nothing was cancelled: what waits for stock changed since the form was shown "
        "(now line 2: 1). Check the units and submit again."
    ]
    assert remainder_fields(app) == ["Line 2: JEANS, 1 waiting"]


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (422, {"title": "Unprocessable Content", "status": 422, "code": "validation_error",
               "detail": "the request is not valid: $.lines.2: only 3 unit(s) of line '2' "
               "wait for stock; 4 cannot be cancelled",
               "errors": [{"path": "$.lines.2", "type": "invalid_line", "message": "only 3 "
                           "unit(s) of line '2' wait for stock; 4 cannot be cancelled"}]}),
        (409, {"title": "Conflict", "status": 409, "code": "conflict",
               "detail": f"order {ORDER_ID} is 'shipped': only an order on its way has a "
               "backordered remainder to cancel"}),
    ],
)  # fmt: skip
def test_the_apis_refusal_is_shown_in_place_and_the_form_stays(
    api: Callable[[dict[str, Any]], FakeApi], status: int, problem: dict[str, Any]
) -> None:
    fake = api(an_order())
    fake.refuse = (status, problem)
    app = submit(opened())
    assert [e.value for e in app.error] == [
        f"The waiting units were not cancelled: {problem['detail']}"
    ]
    assert not app.success
    assert remainder_fields(app) == ["Line 2: JEANS, 3 waiting"]
    assert fake.order["lines"][1]["quantity_cancelled"] == 0
