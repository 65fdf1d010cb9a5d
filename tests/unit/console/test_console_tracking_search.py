"""The Shipments page finds a shipment by a tracking number and adds a carrier's scan naming
its parcel, without an API: the choices and bodies in words first, then the page driven by
AppTest against a fake API that finds one shipment by any of its parcels' numbers and
records the scans posted to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui import session
from admin_ui.client import OrdoClient
from admin_ui.models import Shipment
from admin_ui.views.shipments import (
    WHOLE,
    parcel_choices,
    scan_body,
    scan_rows,
    tracking_number_problem,
)
from tests.unit.console.test_console_shipment_forms import a_principal, a_shipment

NUMBERS = ["PCL0001", "PCL0002", "PCL0003"]


def parcel(number: str) -> dict[str, Any]:
    return {"box": "SHOEBOX", "units": {"SKU-1": 1}, "tracking_number": number}


def packed(*numbers: str, **extra: Any) -> Shipment:
    """A shipped shipment of one parcel per number ("": not labelled yet)."""
    return a_shipment(
        {"1": len(numbers)},
        status="shipped",
        tracking_number=numbers[0],
        parcels=[parcel(number) for number in numbers],
        **extra,
    )


def test_a_scan_may_name_the_whole_shipment_or_one_of_its_numbered_parcels() -> None:
    assert parcel_choices(packed(*NUMBERS)) == [WHOLE, *NUMBERS]
    assert parcel_choices(packed("", "")) == [], "not labelled: nothing to choose"
    assert parcel_choices(a_shipment({"1": 1})) == [], "never packed"


def test_a_scan_is_sent_in_utc_naming_its_parcel_or_none() -> None:
    naive = datetime(2026, 11, 22, 9, 30)
    assert scan_body(naive, " DL ", " Front door ", "Dallas, TX", "PCL0002") == {
        "at": "2026-11-22T09:30:00Z", "code": "DL", "description": "Front door",
        "location": "Dallas, TX", "tracking_number": "PCL0002",
    }  # fmt: skip
    central = datetime(2026, 11, 22, 3, 30, tzinfo=timezone(timedelta(hours=-6)))
    whole = scan_body(central, "in_transit", "", "", WHOLE)
    assert (whole["at"], whole["tracking_number"]) == ("2026-11-22T09:30:00Z", "")
    assert scan_body(naive, "DL", "", "", None)["tracking_number"] == ""


def test_a_number_that_cannot_be_a_tracking_number_is_said_so() -> None:
    assert tracking_number_problem("PCL0002") == ""
    assert tracking_number_problem("PCL\u20130002") == (
        "'PCL\u20130002' is not a tracking number: it has letters, digits and punctuation as "
        "printed on the label, nothing else (a dash typed as '–' is not '-')."
    )
    assert tracking_number_problem("P" * 129) == (
        "A tracking number has at most 128 characters; this has 129."
    )


def test_the_timeline_names_the_parcel_of_each_scan_once_one_names_a_parcel() -> None:
    at = "2026-11-22T09:30:00Z"
    whole = {"at": at, "code": "in_transit", "description": "", "location": "Dallas"}
    shipment = packed(*NUMBERS, tracking=[whole])
    assert "parcel" not in scan_rows(shipment)[0], "no parcel named: no column for it"
    shipment["tracking"].append({**whole, "code": "DL", "tracking_number": "PCL0002"})
    assert [row["parcel"] for row in scan_rows(shipment)] == ["whole", "PCL0002"]


PAGE = Path(__file__).resolve().parents[3] / "admin_ui" / "screens" / "shipments.py"


@dataclass
class FindingApi:
    """The routes the Shipments page calls: an empty queue, one shipment (of three labelled
    parcels, unless changed) found by its number or any of its parcels', and its tracking
    route, which records each scan."""

    shipment: Shipment = field(default_factory=lambda: packed(*NUMBERS))
    searched: list[str] = field(default_factory=list)  # tracking numbers asked for
    scans: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/v1/locations":
            return httpx.Response(200, json=[{"code": "DAL-01"}])
        if request.method == "GET" and path == "/v1/shipments":
            number = request.url.params.get("tracking_number")
            if number is None:
                return httpx.Response(200, json=[])  # nothing released: the queue is empty
            self.searched.append(number)
            numbers = [p["tracking_number"] for p in self.shipment.get("parcels", [])]
            numbers.append(self.shipment["tracking_number"])
            return httpx.Response(200, json=[self.shipment] if number in numbers else [])
        if request.method == "POST" and path == "/v1/shipments/ful_1/tracking":
            scan = json.loads(request.content)
            self.scans.append(scan)
            return httpx.Response(200, json={**self.shipment, "tracking": [scan]})
        return httpx.Response(404, json={"detail": f"no route {path}"})


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FindingApi]:
    fake = FindingApi()
    transport = httpx.MockTransport(fake.handle)
    monkeypatch.setattr(session, "OrdoClient", partial(OrdoClient, transport=transport))
    yield fake


def shipments_page(role: str = "admin") -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=30)
    app.session_state["ordo_principal"] = a_principal(role, ["DAL-01"])
    app.run()
    assert not app.exception, app.exception
    return app


def find(app: AppTest, number: str) -> AppTest:
    next(t for t in app.text_input if t.label == "Find by tracking number").set_value(number)
    next(b for b in app.button if b.label == "Find").click().run()
    assert not app.exception, app.exception
    return app


def test_a_parcel_s_number_finds_its_shipment_and_opens_it(api: FindingApi) -> None:
    app = find(shipments_page(), "  PCL0003 ")

    assert api.searched == ["PCL0003"], "sent without the spaces around it"
    table = next(d for d in app.dataframe if "shipment" in d.value.columns)
    assert list(table.value["shipment"]) == ["ful_1"]
    assert "Shipment ful_1" in [h.value for h in app.header]


def test_a_number_no_shipment_has_says_so(api: FindingApi) -> None:
    app = find(shipments_page(), "PCL9999")

    assert api.searched == ["PCL9999"]
    assert [str(i.value) for i in app.info] == [
        "No shipment you may see has tracking number PCL9999. Numbers are matched exactly, "
        "capitals and all: check it against the label."
    ]


def test_a_number_that_cannot_be_one_is_not_sent(api: FindingApi) -> None:
    app = find(shipments_page(), "PCL\u20130003")

    assert api.searched == []
    assert [str(w.value) for w in app.warning] == [tracking_number_problem("PCL\u20130003")]


def test_a_scan_of_one_parcel_is_posted_naming_its_number(api: FindingApi) -> None:
    app = find(shipments_page("warehouse"), "PCL0001")
    [parcel_box] = [s for s in app.selectbox if s.label == "Parcel"]
    assert parcel_box.options == [WHOLE, *NUMBERS]
    parcel_box.set_value("PCL0002")
    next(t for t in app.text_input if t.label == "Scan code").set_value("DL")
    next(t for t in app.text_input if t.label == "Where").set_value("Dallas, TX")
    next(b for b in app.button if b.label == "Add scan").click().run()
    assert not app.exception, app.exception

    [scan] = api.scans
    assert (scan["code"], scan["location"], scan["tracking_number"]) == (
        "DL",
        "Dallas, TX",
        "PCL0002",
    )
    sent = datetime.fromisoformat(scan["at"])
    assert abs(sent - datetime.now(UTC)) < timedelta(minutes=2), "now, in UTC, by default"


def test_a_scan_of_a_shipment_not_packed_names_no_parcel(api: FindingApi) -> None:
    api.shipment = a_shipment({"1": 1}, status="shipped", tracking_number="1Z999")
    app = find(shipments_page(), "1Z999")
    assert [s for s in app.selectbox if s.label == "Parcel"] == [], "nothing to choose"
    next(t for t in app.text_input if t.label == "Scan code").set_value("in_transit")
    next(b for b in app.button if b.label == "Add scan").click().run()
    assert not app.exception, app.exception

    [scan] = api.scans
    assert (scan["code"], scan["tracking_number"]) == ("in_transit", "")


def test_support_follows_shipments_but_is_offered_no_scan_to_add(api: FindingApi) -> None:
    app = find(shipments_page("support"), "PCL0002")
    assert "Shipment ful_1" in [h.value for h in app.header]
    assert "Add scan" not in [b.label for b in app.button]
