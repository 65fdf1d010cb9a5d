"""Closing an alert over HTTP: support closes it (200, with who and when), a second close is
409 naming its state, the close is audited with its note, and `?status=closed` lists it; the
same rule and key firing after the close open a second alert; a close whose audit entry
cannot be written is not made; and the worker notes the close on the alert's helpdesk
ticket."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from engine.domain.operations import Alert
from engine.service_layer import audit
from engine.service_layer.alerts import raise_alert
from ordo.bootstrap import build_workers
from tests.e2e.conftest import Api
from tests.e2e.test_tickets_http import FakeHelpdesk


class ClosingHelpdesk(FakeHelpdesk):
    def __init__(self) -> None:
        super().__init__()
        self.resolved: list[tuple[str, str]] = []

    def resolve(self, ticket_id: str, comment: str) -> bool:
        self.resolved.append((ticket_id, comment))
        return True


def fired(api: Api, severity: str = "medium") -> Alert:
    with api.container.uow_factory() as uow:
        alert = raise_alert(uow, rule="ops/low stock", key="SHOE-42@DAL-01", severity=severity,
                            message="SHOE-42 low at DAL-01")  # fmt: skip
        uow.commit()
    return alert


def test_support_closes_an_alert_and_a_second_close_is_409_naming_its_state(api: Api) -> None:
    alert = fired(api)

    closed = api.post(f"/v1/alerts/{alert.id}/close", role="support")

    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["closed_by"]) == ("closed", "support:e2e-support")
    assert body["acknowledged_by"] == "support:e2e-support"  # it was open: acknowledged too
    assert body["closed_at"] is not None
    again = api.post(f"/v1/alerts/{alert.id}/close", role="support")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["detail"] == (
        f"alert {alert.id} cannot go from 'closed' to 'closed'; it was closed already by "
        "support:e2e-support; the same rule and key firing again opens a new alert"
    )


def test_the_close_is_audited_with_its_note_and_listed_under_status_closed(api: Api) -> None:
    alert = fired(api)
    api.post(f"/v1/alerts/{alert.id}/acknowledge", role="support")

    closed = api.post(f"/v1/alerts/{alert.id}/close", json={"note": " reordered "})

    assert closed.status_code == 200, closed.text
    entries = api.get(f"/v1/audit?entity=alert&entity_id={alert.id}").json()
    [entry] = [e for e in entries if e["action"] == "alert.close"]
    assert (entry["before"], entry["after"]) == (
        {"status": "acknowledged"}, {"status": "closed", "note": "reordered"},
    )  # fmt: skip
    assert [a["id"] for a in api.get("/v1/alerts?status=closed").json()] == [alert.id]
    assert api.get("/v1/alerts?status=acknowledged").json() == []


def test_a_close_whose_audit_entry_cannot_be_written_is_not_made_either(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert = fired(api)
    record = audit.record

    def refuse(uow: Any, actor: str, what: str, *args: Any, **kwargs: Any) -> Any:
        if what == "alert.close":
            raise OperationalError("INSERT INTO audit_log", {}, Exception("disk full"))
        return record(uow, actor, what, *args, **kwargs)

    monkeypatch.setattr(audit, "record", refuse)
    failed = api.post(f"/v1/alerts/{alert.id}/close", role="support")

    assert failed.status_code == 503, failed.text
    [shown] = api.get("/v1/alerts").json()
    assert (shown["status"], shown["closed_at"]) == ("open", None)


@pytest.mark.parametrize(
    ("body", "path"), [({"note": "x" * 1001}, "$.note"), ({"reason": "done"}, "$.reason")]
)
def test_a_bad_body_is_422_at_its_path_and_closes_nothing(
    api: Api, body: dict[str, Any], path: str
) -> None:
    alert = fired(api)

    refused = api.post(f"/v1/alerts/{alert.id}/close", json=body)

    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == [path]
    [shown] = api.get("/v1/alerts").json()
    assert shown["status"] == "open"


def test_an_alert_that_does_not_exist_is_404(api: Api) -> None:
    refused = api.post("/v1/alerts/alr_nope/close")

    assert refused.status_code == 404
    assert refused.json()["detail"] == "alert 'alr_nope' does not exist"


def test_the_same_condition_after_a_close_raises_a_second_alert(api: Api) -> None:
    first = fired(api)
    fired(api)  # a repeat: still the one alert
    api.post(f"/v1/alerts/{first.id}/close", role="support")

    second = fired(api)

    listed = api.get("/v1/alerts", role="support").json()
    assert [(a["id"], a["status"], a["occurrences"]) for a in listed] == [
        (second.id, "open", 1), (first.id, "closed", 2),
    ]  # fmt: skip


def test_a_closed_alerts_ticket_is_noted_through_the_worker(api: Api) -> None:
    helpdesk = ClosingHelpdesk()
    api.container.ticketing = helpdesk
    [worker] = build_workers(api.container, name="w1")
    alert = fired(api, severity="critical")
    for _ in range(3):
        worker.run_once()

    closed = api.post(f"/v1/alerts/{alert.id}/close", role="support", json={"note": "restocked"})
    assert closed.status_code == 200, closed.text
    for _ in range(3):
        worker.run_once()

    [(ticket_id, comment)] = helpdesk.resolved
    assert ticket_id == "35436"
    assert comment.startswith("Closed in Ordo by support:e2e-support at ")
    assert "Note: restocked" in comment
    assert helpdesk.acknowledged == []  # closing an open alert raises no acknowledgement
