"""The order page's timeline shows each carrier scan with what it means and the day the
carrier expected, as the API answers them (and reads an API from before, which has neither)."""

from __future__ import annotations

from typing import Any

from admin_ui.views.orders import _timeline


def an_order(*tracking: dict[str, Any]) -> Any:
    shipment = {"carrier": "ups", "tracking": list(tracking)}
    return {"created_at": "2026-03-02T09:00:00+00:00", "channel": "web", "events": [],
            "trace": [], "shipments": [shipment]}  # fmt: skip


def test_a_scan_shows_its_milestone_and_the_day_the_carrier_expected() -> None:
    order = an_order(
        {"at": "2026-03-04T09:30:00+00:00", "code": "hold-77", "description": "Weather",
         "location": "Dallas", "milestone": "exception", "estimated_delivery": "2026-03-08"},
        {"at": "2026-03-05T09:30:00+00:00", "code": "IT", "description": "", "location": ""},
    )  # fmt: skip
    scans = [row for row in _timeline(order) if row["what"].startswith("tracking")]
    assert [(row["what"], row["detail"]) for row in scans] == [
        ("tracking: hold-77 (exception)", "Weather Dallas (expected 2026-03-08)"),
        ("tracking: IT", ""),
    ]
