"""A warehouse's receiving desk on the Returns page, without the real API: the RMA read off a
parcel, the queue of returns going back to the key's locations, where one is expected, its
lines as the dock checks them, what a receipt did in words, and who gets the page. The page
itself, driven by AppTest against a fake API, reads every page of authorised returns, never
an order, and shows a refusal the real API gives only in a race too short to stage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui import session
from admin_ui.client import OrdoClient
from admin_ui.idempotency import HEADER
from admin_ui.models import Principal, Return
from admin_ui.roles import may, pages_for
from admin_ui.views.returns import (
    PAGE,
    expected_at,
    expected_where,
    receipt_rows,
    receipt_words,
    scanned_rma,
)

SCREEN = Path(__file__).resolve().parents[3] / "admin_ui" / "screens" / "returns.py"
RMA = "RMA-20261122-1A2B3C4D"
HERE, THERE = "DAL-01", "RNO-02"


def a_principal(role: str, locations: list[str]) -> Principal:
    return {
        "key_id": "k", "name": "someone", "role": role, "channel": "",
        "locations": locations, "customer_id": "",
    }  # fmt: skip


def a_return(
    return_id: str, status: str = "authorised", location_code: str = HERE, **extra: Any
) -> Return:
    found: dict[str, Any] = {
        "id": return_id, "order_id": "ord_1", "status": status, "rma": f"RMA-{return_id}",
        "location_code": location_code, "refund_amount": "0.00",
        "created_at": "2026-11-22T08:00:00Z", "carrier": "", "service": "",
        "tracking_number": "", "label_format": "",
        "lines": [
            {"order_line_id": "L1", "sku": "SHOE-42", "quantity": 2, "reason": "too small",
             "restock": True},
            {"order_line_id": "L2", "sku": "SOCK-1", "quantity": 1, "reason": "",
             "restock": False},
        ],
    }  # fmt: skip
    found.update(extra)
    return found  # type: ignore[return-value]


def test_a_scanned_or_typed_rma_is_read_as_the_api_issued_it() -> None:
    assert scanned_rma(" rma-20261122-1a2b3c4d\n") == RMA
    assert scanned_rma("   ") == ""


def test_the_queue_holds_the_authorised_returns_going_back_to_the_key_s_locations_in_order() -> (
    None
):
    returns = [
        a_return("ret_3"),
        a_return("ret_elsewhere", location_code=THERE),
        a_return("ret_unnamed", location_code=""),
        a_return("ret_received", status="received"),
        a_return("ret_1"),
    ]
    assert [r["id"] for r in expected_at(returns, [HERE])] == ["ret_3", "ret_1"]


@pytest.mark.parametrize(
    ("found", "said"),
    [
        (a_return("r"), f"Expected at {HERE}."),
        (
            a_return("r", location_code=THERE),
            f"Expected at {THERE}, not at yours: receive it only if the parcel did arrive here.",
        ),
        (
            a_return("r", location_code=""),
            "Support has not named where it goes back to: receive it wherever it arrived.",
        ),
        (a_return("r", status="received"), f"Received at {HERE}."),
        (a_return("r", status="refunded"), f"Received at {HERE}, and refunded."),
        (a_return("r", status="rejected"), "It is rejected: there is nothing to receive."),
    ],
)
def test_where_a_return_is_expected_is_said_for_the_staff_at_the_dock(
    found: Return, said: str
) -> None:
    assert expected_where(found, [HERE, "DAL-02"]) == said


def test_the_dock_checks_the_parcel_against_each_line_s_sku_units_and_reason() -> None:
    assert receipt_rows(a_return("r")) == [
        {"line": "L1", "SKU": "SHOE-42", "units": 2, "reason": "too small",
         "on receipt": "back on sale"},
        {"line": "L2", "SKU": "SOCK-1", "units": 1, "reason": "", "on receipt": "kept off sale"},
    ]  # fmt: skip


def test_a_receipt_says_how_many_units_went_back_on_sale_and_how_many_were_kept_off() -> None:
    assert receipt_words(a_return("r", status="received")) == (
        f"2 units back on sale at {HERE}, 1 unit kept off sale"
    )
    lines = [{**line, "restock": True} for line in a_return("r")["lines"]]
    assert receipt_words(a_return("r", lines=lines)) == f"3 units back on sale at {HERE}"


def test_a_warehouse_gets_the_returns_page_after_its_shipments_and_stock_to_receive_only() -> None:
    assert [page.key for page in pages_for("warehouse")] == ["shipments", "inventory", "returns"]
    assert may("warehouse", "receive_returns")
    assert not may("warehouse", "read_orders"), "so its Returns page never opens an order"
    assert not may("warehouse", "manage_returns")


@dataclass
class DockApi:
    """The routes a warehouse's Returns page may call: two pages of authorised returns, one of
    them going back to the key's location; every order route answers 403, as the API does for
    a warehouse key, and the receipt is refused, as when support rejected the return a moment
    before."""

    reads: list[dict[str, str]] = field(default_factory=list)  # the query of each listing
    orders: list[str] = field(default_factory=list)
    writes: list[tuple[str, str, Any]] = field(default_factory=list)  # path, key, body

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/v1/orders"):
            self.orders.append(path)
            return httpx.Response(403, json={"detail": "a warehouse key may not read orders"})
        if request.method == "GET" and path == "/v1/returns":
            query = dict(request.url.params)
            self.reads.append(query)
            if query.get("offset", "0") == "0":
                full = [a_return(f"ret_far{n}", location_code=THERE) for n in range(PAGE)]
                return httpx.Response(200, json=full)
            last = [a_return("ret_here"), a_return("ret_far", location_code=THERE)]
            return httpx.Response(200, json=last)
        if request.method == "POST" and path == "/v1/returns/ret_here/receive":
            self.writes.append((path, request.headers.get(HEADER, ""), json.loads(request.content)))
            detail = "return ret_here cannot go from 'rejected' to 'received'"
            return httpx.Response(409, json={"detail": detail, "code": "illegal_transition"})
        return httpx.Response(404, json={"detail": f"no route {path}"})


@pytest.fixture
def dock(monkeypatch: pytest.MonkeyPatch) -> Iterator[DockApi]:
    api = DockApi()
    transport = httpx.MockTransport(api.handle)
    monkeypatch.setattr(session, "OrdoClient", partial(OrdoClient, transport=transport))
    yield api


def returns_page() -> AppTest:
    app = AppTest.from_file(str(SCREEN), default_timeout=30)
    app.session_state["ordo_principal"] = a_principal("warehouse", [HERE])
    app.run()
    assert not app.exception, app.exception
    return app


def test_the_warehouse_queue_reads_every_page_of_authorised_returns_and_never_an_order(
    dock: DockApi,
) -> None:
    app = returns_page()
    assert not app.error, [e.value for e in app.error]
    assert [(q["status"], q.get("offset", "0")) for q in dock.reads] == [
        ("authorised", "0"),
        ("authorised", str(PAGE)),
    ]
    queue, lines = app.dataframe  # the queue, then the opened return's lines
    assert [row["return"] for row in queue.value.to_dict("records")] == ["ret_here"]
    assert "Return RMA-ret_here" in [h.value for h in app.header]
    assert list(lines.value["SKU"]) == ["SHOE-42", "SOCK-1"]
    assert dock.orders == []


def test_a_receipt_the_api_refuses_shows_its_reason_and_was_sent_under_a_key(
    dock: DockApi,
) -> None:
    app = returns_page()
    next(b for b in app.button if b.label == "Receive").click().run()
    assert [str(w.value) for w in app.warning] == ["Tick the box to confirm first."]
    assert dock.writes == [], "nothing is sent unconfirmed"

    next(m for m in app.multiselect if m.label == "Not fit to sell again").select("L1")
    next(c for c in app.checkbox if c.label.startswith("Yes, the parcel holds")).check()
    next(b for b in app.button if b.label == "Receive").click().run()

    assert not app.exception, app.exception
    assert [str(e.value) for e in app.error] == [
        "The return was not received: return ret_here cannot go from 'rejected' to 'received'"
    ]
    [(path, key, body)] = dock.writes
    assert path == "/v1/returns/ret_here/receive" and key.startswith("console-")
    assert body == {"location_code": HERE, "not_restocked": ["L1"]}
    assert dock.orders == []
