"""Helpdesk tickets over HTTP: support opens one about an order through the ticketing
connector (a fake helpdesk put in the container the app was built with), the order's detail
lists it, the audit log records it; and the refusals: no helpdesk configured, no such order,
a helpdesk that refuses. The worker opens a ticket for a severe alert, which the alert list
shows, updates it once the alert is acknowledged in Ordo, and notes on it that the alert keeps
firing, once per repeat window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from connectors.base import DeliveryError, Ticketing
from engine.service_layer.alerts import raise_alert
from ordo.bootstrap import build_workers
from tests.e2e.conftest import Api, order

TICKET = {
    "subject": "Parcel reported damaged on arrival",
    "body": "The customer called: the box arrived crushed.",
}


class FakeHelpdesk(Ticketing):
    slug = "fakedesk"
    title = "Fake helpdesk"

    def __init__(self, refusal: str = "") -> None:
        super().__init__()
        self.refusal = refusal
        self.calls: list[dict[str, Any]] = []
        self.acknowledged: list[tuple[str, str]] = []
        self.notes: list[tuple[str, str, int]] = []

    def open(
        self, title: str, body: str, labels: tuple[str, ...] = (), *, external_id: str = "",
        priority: str = "",
    ) -> str:  # fmt: skip
        self.calls.append({"title": title, "body": body, "labels": labels,
                           "external_id": external_id})  # fmt: skip
        if self.refusal:
            raise DeliveryError(self.refusal)
        return str(35436 + len(self.calls) - 1)

    def acknowledge(self, ticket_id: str, comment: str) -> bool:
        self.acknowledged.append((ticket_id, comment))
        return True

    def note_repeat(self, ticket_id: str, comment: str, window: int) -> bool:
        self.notes.append((ticket_id, comment, window))
        return True


@pytest.fixture
def helpdesk(api: Api) -> FakeHelpdesk:
    """ORDO_TICKETING as the composition root sets it: the container's connector."""
    found = FakeHelpdesk()
    api.container.ticketing = found
    return found


def an_order(api: Api, channel_order_id: str = "W-1") -> str:
    api.seed()
    created = api.post("/v1/orders", role="channel", json=order(channel_order_id))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_support_opens_a_ticket_about_an_order_and_the_orders_detail_lists_it(
    api: Api, helpdesk: FakeHelpdesk
) -> None:
    order_id = an_order(api)

    opened = api.post(f"/v1/orders/{order_id}/tickets", role="support", json=TICKET)

    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert (ticket["system"], ticket["external_ticket_id"]) == ("fakedesk", "35436")
    assert (ticket["entity"], ticket["entity_id"]) == ("order", order_id)
    assert ticket["subject"] == TICKET["subject"]
    assert ticket["created_by"] == "support:e2e-support"
    [call] = helpdesk.calls
    assert call["title"] == TICKET["subject"]
    assert call["body"].startswith(TICKET["body"])
    assert f"Order {order_id} (web order W-1), customer C-1" in call["body"]
    assert call["external_id"] == f"ordo:order:{order_id}:{ticket['id']}"
    detail = api.get(f"/v1/orders/{order_id}", role="support").json()
    assert detail["tickets"] == [ticket]


@pytest.mark.parametrize("role", ["customer", "channel"])
def test_the_customer_and_the_channel_do_not_read_support_s_tickets_on_the_order(
    api: Api, helpdesk: FakeHelpdesk, role: str
) -> None:
    order_id = an_order(api)
    api.post(f"/v1/orders/{order_id}/tickets", role="support", json=TICKET)

    detail = api.get(f"/v1/orders/{order_id}", role=role)

    assert detail.status_code == 200, detail.text
    assert detail.json()["tickets"] == []


def test_an_analyst_asking_to_open_a_ticket_is_told_it_may_not_open_tickets(
    api: Api, helpdesk: FakeHelpdesk
) -> None:
    order_id = an_order(api)

    refused = api.post(f"/v1/orders/{order_id}/tickets", role="analyst", json=TICKET)

    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "role 'analyst' may not open tickets"
    assert helpdesk.calls == []


def test_opening_a_ticket_is_audited_as_order_ticket(api: Api, helpdesk: FakeHelpdesk) -> None:
    order_id = an_order(api)

    ticket = api.post(f"/v1/orders/{order_id}/tickets", role="support", json=TICKET).json()

    entries = api.get(f"/v1/audit?entity=order&entity_id={order_id}").json()
    [entry] = [e for e in entries if e["action"] == "order.ticket"]
    assert entry["actor"] == "support:e2e-support"
    assert entry["after"] == {
        "ticket": ticket["id"], "system": "fakedesk", "external_ticket_id": "35436",
        "subject": TICKET["subject"],
    }  # fmt: skip


def test_without_a_ticketing_system_the_route_answers_409_saying_how_to_configure_one(
    api: Api,
) -> None:
    order_id = an_order(api)

    refused = api.post(f"/v1/orders/{order_id}/tickets", role="support", json=TICKET)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "ticketing_not_configured"
    assert "ORDO_TICKETING" in refused.json()["detail"]


def test_an_order_that_does_not_exist_is_404_and_no_ticket_is_opened(
    api: Api, helpdesk: FakeHelpdesk
) -> None:
    refused = api.post("/v1/orders/ord_nope/tickets", role="support", json=TICKET)

    assert refused.status_code == 404
    assert refused.json()["detail"] == "order 'ord_nope' does not exist"
    assert helpdesk.calls == []


def test_a_helpdesk_that_refuses_is_502_with_its_words_and_nothing_is_kept(
    api: Api, helpdesk: FakeHelpdesk
) -> None:
    helpdesk.refusal = "Zendesk https://acme.zendesk.com answered 422: RecordInvalid"
    order_id = an_order(api)

    refused = api.post(f"/v1/orders/{order_id}/tickets", role="support", json=TICKET)

    assert refused.status_code == 502
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "ticketing_refused"
    assert problem["detail"] == (
        "Fake helpdesk did not open the ticket: Zendesk https://acme.zendesk.com answered "
        "422: RecordInvalid"
    )
    assert api.get(f"/v1/orders/{order_id}").json()["tickets"] == []
    entries = api.get(f"/v1/audit?entity=order&entity_id={order_id}").json()
    assert "order.ticket" not in [e["action"] for e in entries]


def test_a_blank_subject_is_422_at_its_path(api: Api, helpdesk: FakeHelpdesk) -> None:
    order_id = an_order(api)

    refused = api.post(
        f"/v1/orders/{order_id}/tickets", role="support", json={**TICKET, "subject": "   "}
    )

    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["path"] == "$.subject"
    assert helpdesk.calls == []


def test_the_worker_opens_a_ticket_for_a_severe_alert_and_the_alert_list_shows_it(
    api: Api, helpdesk: FakeHelpdesk
) -> None:
    [worker] = build_workers(api.container, name="w1")  # ORDO_TICKET_MIN_SEVERITY: high
    with api.container.uow_factory() as uow:
        severe = raise_alert(uow, rule="ops/late shipments", key="swift", severity="critical",
                             message="6 late shipments for swift")  # fmt: skip
        mild = raise_alert(uow, rule="ops/slow picks", key="DAL-01", severity="medium",
                           message="picks slower than usual at DAL-01")  # fmt: skip
        uow.commit()

    for _ in range(3):
        worker.run_once()

    [call] = helpdesk.calls
    assert call["title"] == "[Ordo critical] 6 late shipments for swift"
    shown = {a["id"]: a["ticket_id"] for a in api.get("/v1/alerts", role="support").json()}
    assert shown == {severe.id: "35436", mild.id: None}


def test_an_alert_acknowledged_over_http_updates_its_ticket_through_the_worker(
    api: Api, helpdesk: FakeHelpdesk
) -> None:
    [worker] = build_workers(api.container, name="w1")
    with api.container.uow_factory() as uow:
        severe = raise_alert(uow, rule="ops/late shipments", key="swift", severity="critical",
                             message="6 late shipments for swift")  # fmt: skip
        uow.commit()
    for _ in range(3):
        worker.run_once()

    acked = api.post(f"/v1/alerts/{severe.id}/acknowledge", role="support")
    assert acked.status_code == 200, acked.text
    for _ in range(3):
        worker.run_once()

    [(ticket_id, comment)] = helpdesk.acknowledged
    assert ticket_id == "35436"
    assert comment.startswith(f"Acknowledged in Ordo by {acked.json()['acknowledged_by']} at ")


def test_an_alert_that_keeps_firing_adds_one_note_per_window_to_its_ticket_through_the_worker(
    api: Api, helpdesk: FakeHelpdesk
) -> None:
    [worker] = build_workers(api.container, name="w1")  # ORDO_ALERT_REPEAT_WINDOW_MINUTES: 60
    with api.container.uow_factory() as uow:
        severe = raise_alert(uow, rule="ops/late shipments", key="swift", severity="critical",
                             message="6 late shipments for swift")  # fmt: skip
        uow.commit()
    for _ in range(3):
        worker.run_once()
    for minutes in (1, 2, 3, 4):  # a storm within the first window
        with api.container.uow_factory() as uow:
            raise_alert(uow, rule="ops/late shipments", key="swift", severity="critical",
                        message=f"{6 + minutes} late shipments for swift",
                        now=severe.created_at + timedelta(minutes=minutes))  # fmt: skip
            uow.commit()
    for _ in range(3):
        worker.run_once()

    [(ticket_id, note, window)] = helpdesk.notes
    assert (ticket_id, window) == ("35436", 0)
    assert note.startswith("Repeated in Ordo 4 times since it was raised (5 occurrences)")
    assert "Latest: 10 late shipments for swift" in note
    [shown] = api.get("/v1/alerts", role="support").json()
    assert (shown["id"], shown["occurrences"], shown["ticket_id"]) == (severe.id, 5, "35436")
    assert len(helpdesk.calls) == 1  # the repeats opened no second ticket
