"""A warehouse's receiving desk on the Returns page, without the real API: the RMA read off a
parcel, the queue of returns going back to the key's locations, where one is expected, its
lines as the dock checks them, what a receipt did in words, and who gets the page. The page
itself, driven by AppTest against a fake API, asks for each of its locations' awaiting
returns page by page (so one behind thousands of other locations' is found), says when it
stops short, never reads an order, and shows a refusal the real API gives only in a race too
short to stage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
from admin_ui.views import return_desk
from admin_ui.views.return_desk import (
    MAX_PAGES,
    PAGE,
    expected_where,
    oldest_first,
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


def requested(second: int) -> str:
    """A time a return was requested, as the API writes it (no fraction on a whole second)."""
    moment = datetime(2026, 11, 22, 8, tzinfo=UTC) + timedelta(seconds=second)
    return moment.isoformat().replace("+00:00", "Z")


def test_several_locations_queues_are_one_queue_oldest_first_as_the_api_orders_each() -> None:
    half_past = requested(1).replace("Z", ".500000Z")  # later than second 1, earlier than 2
    returns = [
        a_return("ret_b", location_code=THERE, created_at=requested(2)),
        a_return("ret_a2", created_at=half_past),
        a_return("ret_c", created_at=requested(2)),
        a_return("ret_a1", location_code=THERE, created_at=requested(1)),
    ]
    assert [r["id"] for r in oldest_first(returns)] == ["ret_a1", "ret_a2", "ret_b", "ret_c"]


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


def everyones(count: int, location: str = THERE, first: int = 0) -> list[Return]:
    """`count` authorised returns going back to `location`, a second apart from `first`."""
    return [
        a_return(f"ret_{location}_{n}", location_code=location, created_at=requested(n))
        for n in range(first, first + count)
    ]


@dataclass
class DockApi:
    """The routes a warehouse's Returns page may call, over `returns` (oldest first): listed
    as the API lists them, filtered by status and location before the page is cut, and a
    location the key does not work refused; every order route answers 403, as the API does
    for a warehouse key, and the receipt is refused, as when support rejected the return a
    moment before. By default, ten pages of authorised returns going back to another
    location come before the one going back to the key's."""

    returns: list[Return] = field(
        default_factory=lambda: [
            *everyones(MAX_PAGES * PAGE),
            a_return("ret_here", created_at=requested(MAX_PAGES * PAGE)),
            a_return("ret_far", location_code=THERE, created_at=requested(MAX_PAGES * PAGE + 1)),
        ]
    )
    works: list[str] = field(default_factory=lambda: [HERE])
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
            return self.listed(query)
        if request.method == "POST" and path == "/v1/returns/ret_here/receive":
            self.writes.append((path, request.headers.get(HEADER, ""), json.loads(request.content)))
            detail = "return ret_here cannot go from 'rejected' to 'received'"
            return httpx.Response(409, json={"detail": detail, "code": "illegal_transition"})
        return httpx.Response(404, json={"detail": f"no route {path}"})

    def listed(self, query: dict[str, str]) -> httpx.Response:
        location, status = query.get("location"), query.get("status")
        if location is not None and location not in self.works:
            detail = f"this key works only locations {', '.join(self.works)}, not {location}"
            return httpx.Response(403, json={"detail": detail, "code": "forbidden"})
        rows = [
            r
            for r in self.returns
            if status in (None, r["status"]) and location in (None, r["location_code"])
        ]
        start = int(query.get("offset", "0"))
        return httpx.Response(200, json=rows[start : start + int(query.get("limit", "100"))])


@pytest.fixture
def dock(monkeypatch: pytest.MonkeyPatch) -> Iterator[DockApi]:
    api = DockApi()
    transport = httpx.MockTransport(api.handle)
    monkeypatch.setattr(session, "OrdoClient", partial(OrdoClient, transport=transport))
    yield api


def returns_page(locations: list[str] | None = None) -> AppTest:
    app = AppTest.from_file(str(SCREEN), default_timeout=30)
    app.session_state["ordo_principal"] = a_principal("warehouse", locations or [HERE])
    app.run()
    assert not app.exception, app.exception
    return app


def queue_of(app: AppTest) -> list[str]:
    return [row["return"] for row in app.dataframe[0].value.to_dict("records")]


def test_the_warehouse_queue_finds_its_return_behind_ten_pages_of_others_and_no_order(
    dock: DockApi,
) -> None:
    app = returns_page()
    assert not app.error, [e.value for e in app.error]
    assert dock.reads == [{"status": "authorised", "location": HERE, "limit": str(PAGE)}]
    queue, lines = app.dataframe  # the queue, then the opened return's lines
    assert [row["return"] for row in queue.value.to_dict("records")] == ["ret_here"]
    assert "Return RMA-ret_here" in [h.value for h in app.header]
    assert list(lines.value["SKU"]) == ["SHOE-42", "SOCK-1"]
    assert not [c.value for c in app.caption if "Only the oldest" in c.value]
    assert dock.orders == []


def test_a_key_of_two_locations_gets_both_queues_as_one_oldest_first(dock: DockApi) -> None:
    dock.works = [HERE, THERE]
    dock.returns = [
        a_return("ret_1", location_code=THERE, created_at=requested(1)),
        a_return("ret_2", created_at=requested(2)),
        a_return("ret_unnamed", location_code="", created_at=requested(3)),
        a_return("ret_4", location_code=THERE, created_at=requested(4)),
        a_return("ret_received", status="received", created_at=requested(5)),
    ]
    app = returns_page([HERE, THERE])
    assert not app.error, [e.value for e in app.error]
    assert [q["location"] for q in dock.reads] == [HERE, THERE]
    assert queue_of(app) == ["ret_1", "ret_2", "ret_4"]


def test_a_queue_read_to_its_bound_says_where_later_returns_were_left_unread(
    dock: DockApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(return_desk, "MAX_PAGES", 2)
    dock.returns = everyones(2 * PAGE + 1, location=HERE)
    app = returns_page()
    assert not app.error, [e.value for e in app.error]
    assert [(q.get("offset", "0"), q["limit"]) for q in dock.reads] == [
        ("0", str(PAGE)),
        (str(PAGE), str(PAGE)),
        (str(2 * PAGE), "1"),
    ]
    assert len(queue_of(app)) == 2 * PAGE
    assert (
        f"Only the oldest {2 * PAGE:,} returns expected at {HERE} are listed: find a later "
        "one by its RMA." in [c.value for c in app.caption]
    )


def test_a_queue_that_fills_its_bound_exactly_is_whole_and_says_nothing_of_a_bound(
    dock: DockApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(return_desk, "MAX_PAGES", 2)
    dock.returns = everyones(2 * PAGE, location=HERE)
    app = returns_page()
    assert len(queue_of(app)) == 2 * PAGE
    assert not [c.value for c in app.caption if "Only the oldest" in c.value]


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
