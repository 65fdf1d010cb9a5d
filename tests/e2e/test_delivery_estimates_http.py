"""A carrier's estimated delivery day over HTTP: a scan's estimate shows on the shipment and
on the customer's view of the order, a milestone said outright shows on the timeline, a bad
day is refused naming the field, and an estimate that slips past the promised day emails the
customer once (the worker and a local SMTP server, as `ordo worker` sends it)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from api.app import create_app
from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, issue_role_keys
from tests.e2e.test_tracking_milestones_http import a_shipment, at, raised, track
from tests.integration.events.test_delivery_attempt_emails import Inbox


@pytest.fixture
def mailing(database_url: str, tmp_path: Path) -> Iterator[tuple[Api, Inbox]]:
    """Ordo sending customers' email to a local SMTP server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=port,
    )
    try:
        with build_app_container(settings) as container:
            app = create_app(container)
            with TestClient(app, raise_server_exceptions=False) as client:
                yield Api(client, issue_role_keys(container), container, app), inbox
    finally:
        controller.stop()


def day(text: str, days: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=days)).isoformat()


def test_a_scan_s_estimate_shows_on_the_shipment_and_the_customer_s_order(api: Api) -> None:
    shipment, order_path = a_shipment(api)
    answered = track(api, shipment, at(1), "IT", estimated_delivery="2099-01-05")
    assert answered.status_code == 200, answered.text
    assert answered.json()["estimated_delivery"] == "2099-01-05"
    track(api, shipment, at(2), "OD")  # no estimate: the one before stands
    track(api, shipment, at(0), "IT", description="late post", estimated_delivery="2099-01-09")
    seen = api.get(shipment, role="customer").json()
    assert seen["estimated_delivery"] == "2099-01-05"
    assert [t["estimated_delivery"] for t in seen["tracking"]] == ["2099-01-09", "2099-01-05", None]
    [in_order] = api.get(order_path, role="customer").json()["shipments"]
    assert in_order["estimated_delivery"] == "2099-01-05"


def test_a_milestone_said_outright_is_what_the_timeline_shows(api: Api) -> None:
    shipment, _ = a_shipment(api)
    track(api, shipment, at(1), "hold-77", description="Weather", milestone="exception")
    timeline = api.get(shipment, role="customer").json()["tracking"]
    assert [(t["code"], t["milestone"]) for t in timeline] == [("hold-77", "exception")]


@pytest.mark.parametrize("estimate", ["2099-01-05T10:00:00Z", "next tuesday", 20990105])
def test_an_estimate_that_is_not_a_day_is_422_naming_the_field(api: Api, estimate: Any) -> None:
    shipment, _ = a_shipment(api)
    refused = track(api, shipment, at(1), "IT", estimated_delivery=estimate)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert error["path"] == "$.estimated_delivery"
    assert "must be an ISO 8601 date such as 2026-11-21" in error["message"]
    assert api.get(shipment, role="customer").json()["tracking"] == []


def test_an_estimate_slipping_past_the_promise_emails_the_customer_once(
    mailing: tuple[Api, Inbox],
) -> None:
    api, inbox = mailing
    shipment, _ = a_shipment(api)
    promised = api.get(shipment).json()["promised_date"]
    assert promised is not None
    track(api, shipment, at(1), "IT", estimated_delivery=promised)
    track(api, shipment, at(2), "IT", description="Weather", estimated_delivery=day(promised, 2))
    track(api, shipment, at(3), "IT", description="Sorted", estimated_delivery=day(promised, 3))
    [slipped] = raised(api, "shipment.delivery_estimate_slipped")
    assert (slipped["promised_date"], slipped["estimated_delivery"]) == (promised, day(promised, 2))
    assert (slipped["previous_estimate"], slipped["days_late"]) == (promised, 2)

    [worker] = build_workers(api.container, name="w1")
    for _ in range(3):
        worker.run_once()

    late = [m for m in inbox.messages if "later than planned" in str(m["Subject"])]
    assert len(late) == 1
    assert late[0]["To"] == "ada@example.com"
    body = late[0].get_body(("plain",))
    assert body is not None
    assert f"on {day(promised, 2)}, after the day we promised ({promised})" in body.get_content()
