"""The Shipments page's choices and words, without an API: which locations a key may pick,
the queue's table, the short pick's lines (0 to what each line carries, one at least), what a
short pick did in words, and who is offered the page and its steps, checked against the API's
own permissions. The page itself, driven by AppTest against a fake API, shows a refusal the
real API gives only in a race too short to stage: the API's sentence, a bad line's under it."""

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
from admin_ui.models import Principal, Shipment, ShortPick
from admin_ui.roles import may, pages_for
from admin_ui.views.shipments import (
    EVERY,
    location_choices,
    shipment_rows,
    short_lines,
    short_pick_outcome,
    state_of,
)
from engine.domain.access import Role
from engine.service_layer.auth import ROLE_PERMISSIONS, SHIPMENTS_UPDATE


def a_principal(role: str, locations: list[str] | None = None) -> Principal:
    return {
        "key_id": "k", "name": "someone", "role": role, "channel": "",
        "locations": locations or [], "customer_id": "",
    }  # fmt: skip


def a_shipment(lines: dict[str, int], **extra: Any) -> Shipment:
    found: dict[str, Any] = {
        "id": "ful_1", "order_id": "ord_1", "location_code": "DAL-01", "status": "released",
        "carrier": "RPS", "service": "economy", "rate": "7.49", "promised_date": "2026-12-03",
        "tracking_number": "", "created_at": "2026-12-01T09:30:00Z", "label_format": "",
        "wms_reference": "", "shipped_at": None,
        "delivered_at": None, "tracking": [],
        "lines": [
            {"order_line_id": line_id, "sku": f"SKU-{line_id}", "quantity": quantity}
            for line_id, quantity in lines.items()
        ],
    }  # fmt: skip
    found.update(extra)
    return found  # type: ignore[return-value]


def test_a_warehouse_key_picks_among_its_own_locations_only() -> None:
    every = ["ATL-01", "DAL-01", "RNO-02"]
    assert location_choices(a_principal("warehouse", ["DAL-01"]), every) == ["DAL-01"]
    assert location_choices(a_principal("warehouse", ["DAL-01", "HOU-02"]), every) == [
        EVERY,
        "DAL-01",
        "HOU-02",
    ], "the key's own, whatever the list of locations says"


def test_admins_and_support_pick_any_location_or_every_one() -> None:
    every = ["ATL-01", "DAL-01"]
    for role in ("admin", "support"):
        assert location_choices(a_principal(role), every) == [EVERY, "ATL-01", "DAL-01"]


def test_the_queue_shows_when_each_was_planned_its_items_carrier_and_label() -> None:
    rows = shipment_rows(
        [
            a_shipment({"1": 2, "2": 1}),
            a_shipment({"1": 1}, id="ful_2", label_format="zpl", tracking_number="1ZX"),
        ]
    )
    assert rows[0] == {
        "shipment": "ful_1", "order": "ord_1", "created": "2026-12-01 09:30 UTC", "from": "DAL-01",
        "items": "2 × SKU-1, 1 × SKU-2", "units": 3, "carrier": "RPS economy",
        "promised": "2026-12-03", "status": "released", "label": "none", "tracking": "",
    }  # fmt: skip
    assert (rows[1]["label"], rows[1]["tracking"]) == ("ZPL", "1ZX")


def test_a_shipment_is_known_by_its_status_and_what_it_carries() -> None:
    assert state_of(a_shipment({"1": 2, "2": 1})) == "released, 2 × SKU-1, 1 × SKU-2"
    assert state_of(a_shipment({}, status="cancelled")) == "cancelled"


def test_a_short_pick_sends_the_lines_with_missing_units_by_their_order_line() -> None:
    shipment = a_shipment({"1": 3, "2": 1, "3": 2})
    lines, problem = short_lines(shipment, {"1": 2, "2": 0, "3": 2})
    assert problem == ""
    assert lines == [
        {"order_line_id": "1", "missing": 2},
        {"order_line_id": "3", "missing": 2},
    ], "a line at 0 is not short, and the whole line may be"


@pytest.mark.parametrize(
    ("missing", "problem"),
    [
        ({"1": 0, "2": 0}, "Every line is at 0: give the units missing of at least one line."),
        ({}, "Every line is at 0: give the units missing of at least one line."),
        (
            {"1": 4},
            "4 units cannot be missing of line 1 (SKU-1): it carries 3, so report at most that.",
        ),
        ({"2": -1}, "The units missing of line 2 (SKU-2) cannot be fewer than 0."),
    ],
)
def test_a_short_pick_with_no_unit_or_more_than_a_line_carries_is_not_sent(
    missing: dict[str, int], problem: str
) -> None:
    assert short_lines(a_shipment({"1": 3, "2": 1}), missing) == ([], problem)


def a_short_pick(after: Shipment, new: list[Shipment], **found: dict[str, int]) -> ShortPick:
    return {
        "shipment": after,
        "new_shipments": new,
        "resourced": found.get("resourced", {}),
        "backordered": found.get("backordered", {}),
    }


def test_a_short_pick_says_which_new_shipment_carries_the_units_sourced_again() -> None:
    before = a_shipment({"1": 3, "2": 1})
    after = a_shipment({"1": 1, "2": 1})
    elsewhere = a_shipment({"1": 2}, id="ful_9", location_code="RNO-02")
    lead, said = short_pick_outcome(
        before, a_short_pick(after, [elsewhere], resourced={"1": 2}), "not in its bin"
    )
    assert lead == (
        "Shipment ful_1: 2 units reported short (not in its bin). "
        "It now carries 1 × SKU-1, 1 × SKU-2."
    )
    assert said == ["2 units of line 1 (SKU-1) sourced again: ful_9 from RNO-02."]


def test_a_short_pick_that_empties_the_shipment_says_it_is_cancelled_and_what_waits() -> None:
    before = a_shipment({"1": 1, "2": 2})
    after = a_shipment({}, status="cancelled")
    done = a_short_pick(after, [], resourced={"2": 2}, backordered={"1": 1})
    lead, said = short_pick_outcome(before, done, "damaged")
    assert lead == (
        "Shipment ful_1: 3 units reported short (damaged). "
        "Nothing was left in it, so it is cancelled."
    )
    assert said == [
        "2 units of line 2 (SKU-2) sourced again: a shipment from another location.",
        "1 unit of line 1 (SKU-1) waits for stock (backordered).",
    ], "a warehouse key is not shown other locations' new shipments"


ROLES = [str(role) for role in Role]


@pytest.mark.parametrize("role", ROLES)
def test_the_shipments_page_is_offered_to_staff_who_work_or_follow_shipments(role: str) -> None:
    offered = "shipments" in [page.key for page in pages_for(role)]
    assert offered is (role in ("admin", "support", "warehouse"))


@pytest.mark.parametrize("role", ROLES)
def test_the_shipment_steps_offered_are_those_the_api_lets_the_role_take(role: str) -> None:
    updates = SHIPMENTS_UPDATE in ROLE_PERMISSIONS[Role(role)]
    assert may(role, "update_shipments") is updates
    # The short pick route lets support in as well, for a store that phones it in.
    assert may(role, "report_short_picks") is (updates or role == "support")


def test_a_warehouse_lands_on_its_shipments() -> None:
    assert pages_for("warehouse")[0].key == "shipments"


PAGE = Path(__file__).resolve().parents[3] / "admin_ui" / "screens" / "shipments.py"
TOO_MANY = (
    "line '1' (SKU-1) of shipment ful_1 carries 1 unit(s), so 2 cannot be missing from it: "
    "report at most 1, the whole line"
)


@dataclass
class RefusingApi:
    """The routes the Shipments page calls: one released shipment, whose every step the API
    refuses, as it does when the shipment was moved on or cut down a moment before."""

    writes: list[tuple[str, str]] = field(default_factory=list)  # (path, Idempotency-Key)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/v1/locations":
            return httpx.Response(200, json=[{"code": "DAL-01"}])
        if request.method == "GET" and path == "/v1/shipments":
            return httpx.Response(200, json=[a_shipment({"1": 2})])
        self.writes.append((path, request.headers.get(HEADER, "")))
        if path == "/v1/shipments/ful_1/status":
            detail = "shipment ful_1 cannot go from 'shipped' to 'picked'"
            return httpx.Response(409, json={"detail": detail, "code": "illegal_transition"})
        if path == "/v1/shipments/ful_1/short":
            assert json.loads(request.content)["lines"] == [{"order_line_id": "1", "missing": 2}]
            return httpx.Response(
                422,
                json={
                    "detail": f"the request is not valid: $.lines[0]: {TOO_MANY}",
                    "code": "validation_error",
                    "errors": [{"path": "$.lines[0]", "message": TOO_MANY}],
                },
            )
        return httpx.Response(404, json={"detail": f"no route {path}"})


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> Iterator[RefusingApi]:
    api = RefusingApi()
    transport = httpx.MockTransport(api.handle)
    monkeypatch.setattr(session, "OrdoClient", partial(OrdoClient, transport=transport))
    yield api


def shipments_page() -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=30)
    app.session_state["ordo_principal"] = a_principal("admin")
    app.run()
    assert not app.exception, app.exception
    return app


def test_a_step_the_api_refuses_shows_its_reason_and_was_sent_under_a_key(
    refusing: RefusingApi,
) -> None:
    app = shipments_page()
    next(b for b in app.button if b.label == "Mark picked").click().run()
    assert not app.exception, app.exception
    assert [str(e.value) for e in app.error] == [
        "Shipment ful_1 was not marked picked: shipment ful_1 cannot go from 'shipped' to 'picked'"
    ]
    [(path, key)] = refusing.writes
    assert path == "/v1/shipments/ful_1/status" and key.startswith("console-")


def test_a_short_pick_the_api_refuses_shows_its_reason_under_the_line(
    refusing: RefusingApi,
) -> None:
    app = shipments_page()
    next(n for n in app.number_input if n.label == "Line 1: SKU-1, 2 to pick: missing").set_value(2)
    next(t for t in app.text_input if t.label == "Reason").set_value("damaged")
    next(c for c in app.checkbox if c.label == "Yes, report these units missing").check()
    next(b for b in app.button if b.label == "Report short").click().run()
    assert not app.exception, app.exception
    assert [str(e.value) for e in app.error] == [TOO_MANY[:1].upper() + TOO_MANY[1:]]
    assert [path for path, _ in refusing.writes] == ["/v1/shipments/ful_1/short"]
