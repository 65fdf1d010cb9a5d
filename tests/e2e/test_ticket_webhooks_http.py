"""The helpdesk's webhook over HTTP: support opens a ticket about an order in Zendesk (a fake
Zendesk behind the real connector), Zendesk's trigger posts what became of it, signed, and the
order's detail shows the status and the latest reply; an older update changes nothing, a
ticket Ordo did not open is ignored, an alert whose ticket is solved is acknowledged, also when
a German Zendesk says "Gelöst" (ORDO_ZENDESK_STATUS_LABELS). Every way in but Zendesk's
signature is refused: 401 logged on `ordo.auth`, 403 for an API key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.ticketing.zendesk import SIGNATURE_HEADER, TIMESTAMP_HEADER, ZendeskTicketing
from engine.domain.operations import Ticket
from engine.service_layer.alerts import raise_alert
from engine.service_layer.tickets import alert_reference
from tests.e2e.conftest import Api, order

SECRET = "zendesk-webhook-signing-secret"
EVENTS = "/v1/ticketing/zendesk/events"
AUTH_LOG = "ordo.auth"
TICKET = {"subject": "Parcel reported damaged", "body": "The box arrived crushed."}


def opened_tickets(request: httpx.Request) -> httpx.Response:
    """Zendesk's Tickets API as the connector calls it: no ticket of the external id yet,
    then ticket 35436 created."""
    if request.method == "GET":
        return httpx.Response(200, json={"tickets": [], "count": 0})
    return httpx.Response(201, json={"ticket": {"id": 35436}})


@pytest.fixture
def zendesk(api: Api) -> ZendeskTicketing:
    """ORDO_TICKETING=zendesk with ORDO_ZENDESK_WEBHOOK_SECRET, as the composition root
    builds it: the container's connector."""
    return configured(api)


@pytest.fixture
def german_zendesk(api: Api) -> ZendeskTicketing:
    """The same, for an account whose agents read Zendesk in German."""
    return configured(api, status_labels="Offen=open,Gelöst=solved,Geschlossen=closed")


def configured(api: Api, **options: str) -> ZendeskTicketing:
    connector = ZendeskTicketing(
        {"url": "acme", "email": "ops@shop.example", "token": "zd-token",
         "webhook_secret": SECRET, **options},
        client=httpx.Client(transport=httpx.MockTransport(opened_tickets)),
    )  # fmt: skip
    api.container.ticketing = connector
    return connector


def now(offset: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed(body: bytes, at: str = "", secret: str = SECRET) -> dict[str, str]:
    stamp = at or now()
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {SIGNATURE_HEADER: base64.b64encode(digest).decode(), TIMESTAMP_HEADER: stamp}


def trigger(ticket: dict[str, Any], status: str, updated_at: str, **more: str) -> bytes:
    """What Zendesk's trigger posts about `ticket` (an Ordo ticket, as the API shows it)."""
    external_id = f"ordo:{ticket['entity']}:{ticket['entity_id']}:{ticket['id']}"
    body = {"ticket_id": ticket["external_ticket_id"], "external_id": external_id,
            "status": status, "updated_at": updated_at, "comment_author": "", "comment": "",
            **more}  # fmt: skip
    return json.dumps(body).encode()


def post(api: Api, body: bytes, headers: dict[str, str], path: str = EVENTS) -> httpx.Response:
    return api.client.post(path, content=body, headers=headers)


def an_order_ticket(api: Api) -> dict[str, Any]:
    api.seed()
    created = api.post("/v1/orders", role="channel", json=order("W-1"))
    assert created.status_code == 201, created.text
    opened = api.post(f"/v1/orders/{created.json()['id']}/tickets", role="support", json=TICKET)
    assert opened.status_code == 201, opened.text
    ticket: dict[str, Any] = opened.json()
    assert (ticket["status"], ticket["updated_at"]) == ("unknown", None)
    return ticket


def order_tickets(api: Api, ticket: dict[str, Any]) -> list[dict[str, Any]]:
    detail = api.get(f"/v1/orders/{ticket['entity_id']}", role="support").json()
    return list(detail["tickets"])


def test_zendesks_signed_update_shows_on_the_orders_tickets_and_is_audited(
    api: Api, zendesk: ZendeskTicketing
) -> None:
    ticket = an_order_ticket(api)
    body = trigger(ticket, "Pending", "2026-11-27T10:15Z", comment_author="Dana (Support)",
                   comment="We have sent a replacement pair.")  # fmt: skip

    answer = post(api, body, signed(body))

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "kept"
    [shown] = order_tickets(api, ticket)
    assert shown == answer.json()["ticket"]
    assert (shown["status"], shown["updated_at"]) == ("pending", "2026-11-27T10:15:00Z")
    assert (shown["comment_author"], shown["comment_excerpt"]) == (
        "Dana (Support)", "We have sent a replacement pair.",
    )  # fmt: skip
    [entry] = api.get(f"/v1/audit?entity=ticket&entity_id={ticket['id']}").json()
    assert (entry["actor"], entry["action"]) == ("connector:zendesk", "ticket.status")
    assert (entry["before"]["status"], entry["after"]["status"]) == ("unknown", "pending")


def test_an_update_older_than_the_one_kept_is_200_and_changes_nothing(
    api: Api, zendesk: ZendeskTicketing
) -> None:
    ticket = an_order_ticket(api)
    solved = trigger(ticket, "Solved", "2026-11-27T11:00Z")
    post(api, solved, signed(solved))
    late = trigger(ticket, "Open", "2026-11-27T10:00Z")

    answer = post(api, late, signed(late))

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "stale"
    assert order_tickets(api, ticket)[0]["status"] == "solved"


def test_a_ticket_ordo_did_not_open_is_200_ignored_and_logged(
    api: Api, zendesk: ZendeskTicketing, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"ticket_id": "77", "status": "open", "updated_at": now()}).encode()
    caplog.set_level(logging.INFO, logger="engine.service_layer.tickets")

    answer = post(api, body, signed(body))

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "unknown", "ticket": None}
    assert "zendesk ticket 77 is not one Ordo opened" in caplog.text


def an_alert_ticket(api: Api) -> Any:
    with api.container.uow_factory() as uow:
        alert = raise_alert(uow, rule="ops/late shipments", key="swift", severity="critical",
                            message="6 late shipments for swift")  # fmt: skip
        uow.tickets.add(
            Ticket(id="tkt_alert", system="zendesk", external_ticket_id="35501",
                   entity="alert", entity_id=alert.id, subject="[Ordo critical] 6 late",
                   created_at=alert.created_at, created_by="system")
        )  # fmt: skip
        uow.commit()
    return alert


def test_an_alert_whose_ticket_is_solved_is_acknowledged_by_the_connector(
    api: Api, zendesk: ZendeskTicketing
) -> None:
    alert = an_alert_ticket(api)
    body = json.dumps({"ticket_id": "35501", "external_id": alert_reference(alert),
                       "status": "solved", "updated_at": now()}).encode()  # fmt: skip

    answer = post(api, body, signed(body))

    assert answer.json()["outcome"] == "kept", answer.text
    [shown] = api.get("/v1/alerts", role="support").json()
    assert (shown["status"], shown["acknowledged_by"]) == ("acknowledged", "connector:zendesk")
    entries = api.get(f"/v1/audit?entity=alert&entity_id={alert.id}").json()
    assert [(e["actor"], e["action"]) for e in entries] == [
        ("connector:zendesk", "alert.acknowledge")
    ]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "the delivery is not signed"),
        ("wrong secret", "signature does not match the body"),
        ("ten minutes ago", "minutes from Ordo's clock"),
    ],
)
def test_a_delivery_not_signed_by_zendesk_now_is_401_logged_and_changes_nothing(
    api: Api, zendesk: ZendeskTicketing, caplog: pytest.LogCaptureFixture,
    headers: Any, reason: str,
) -> None:  # fmt: skip
    ticket = an_order_ticket(api)
    body = trigger(ticket, "solved", now())
    if headers == "wrong secret":
        headers = signed(body, secret="not-the-webhooks-signing-secret")
    elif headers == "ten minutes ago":
        headers = signed(body, at=now(timedelta(minutes=-10)))
    caplog.set_level(logging.INFO, logger=AUTH_LOG)

    answer = post(api, body, headers)

    assert answer.status_code == 401, answer.text
    assert reason in answer.json()["detail"]
    [line] = [r for r in caplog.records if r.name == AUTH_LOG]
    assert line.levelno == logging.WARNING
    assert (
        "sign-in refused" in line.getMessage() and "key id connector:zendesk" in line.getMessage()
    )
    assert SECRET not in caplog.text
    assert order_tickets(api, ticket)[0]["status"] == "unknown"


def test_a_delivery_to_a_connector_that_is_not_configured_is_401(api: Api) -> None:
    body = json.dumps({"ticket_id": "77", "status": "open", "updated_at": now()}).encode()

    answer = post(api, body, signed(body))

    assert answer.status_code == 401
    assert answer.json()["detail"] == (
        "no ticketing connector 'zendesk' is configured (ORDO_TICKETING is unset), so the "
        "delivery's signature cannot be checked"
    )


def test_an_api_key_may_not_post_ticket_updates(api: Api, zendesk: ZendeskTicketing) -> None:
    body = json.dumps({"ticket_id": "77", "status": "open", "updated_at": now()}).encode()

    answer = post(api, body, {**signed(body), **api.headers("admin")})

    assert answer.status_code == 403
    assert "from the helpdesk's webhook only" in answer.json()["detail"]


def test_a_status_zendesk_does_not_have_is_422_at_its_path(
    api: Api, zendesk: ZendeskTicketing
) -> None:
    body = json.dumps({"ticket_id": "77", "status": "Gelöst", "updated_at": now()}).encode()

    answer = post(api, body, signed(body))

    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["path"] == "$.status"
    assert "must be one of new, open, pending, hold, solved, closed" in error["message"]


def test_a_german_zendesks_geloest_solves_the_ticket_and_acknowledges_its_alert(
    api: Api, german_zendesk: ZendeskTicketing
) -> None:
    alert = an_alert_ticket(api)
    body = json.dumps({"ticket_id": "35501", "external_id": alert_reference(alert),
                       "status": "Gelöst", "updated_at": now()}).encode()  # fmt: skip

    answer = post(api, body, signed(body))

    assert answer.status_code == 200, answer.text
    assert (answer.json()["outcome"], answer.json()["ticket"]["status"]) == ("kept", "solved")
    [shown] = api.get("/v1/alerts", role="support").json()
    assert (shown["status"], shown["acknowledged_by"]) == ("acknowledged", "connector:zendesk")


def test_a_label_the_setting_does_not_name_is_422_naming_it_and_the_labels_it_takes(
    api: Api, german_zendesk: ZendeskTicketing
) -> None:
    body = json.dumps({"ticket_id": "77", "status": "Erledigt", "updated_at": now()}).encode()

    answer = post(api, body, signed(body))

    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["path"] == "$.status"
    assert (
        "or a label of ORDO_ZENDESK_STATUS_LABELS (gelöst, geschlossen, offen)"
        in (error["message"])
    )
    assert "got 'Erledigt'" in error["message"]
