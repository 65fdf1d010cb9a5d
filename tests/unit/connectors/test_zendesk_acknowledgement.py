"""The Zendesk connector telling an alert's ticket that the alert was acknowledged in Ordo,
against a fake Zendesk (httpx.MockTransport): it reads the ticket, then updates it once with
an internal comment, the configured status and the `ordo_acknowledged` tag; a ticket with the
tag (a redelivery) or closed is left alone; refusals are told without the token; and the
status is a setting (ORDO_ZENDESK_ACKNOWLEDGED_STATUS) checked when Ordo starts."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from connectors.base import DeliveryError
from connectors.ticketing.zendesk import ACKNOWLEDGED_TAG, ZendeskTicketing
from ordo.bootstrap import build_app_container
from ordo.settings import SettingsError, load_settings
from tests.unit.connectors.test_zendesk_ticketing import NOWHERE_PG, TOKEN

COMMENT = "Acknowledged in Ordo by user:ada at 2026-03-06 10:15 UTC."


class FakeTickets:
    """Zendesk's show and update of one ticket, applying an update as Zendesk does."""

    def __init__(self, status: str = "open", tags: tuple[str, ...] = ("ordo", "alert")) -> None:
        self.ticket: dict[str, Any] = {"id": 35436, "status": status, "tags": list(tags)}
        self.comments: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.refusal: tuple[int, Any] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.refusal is not None:
            return httpx.Response(self.refusal[0], json=self.refusal[1])
        assert request.url.path == "/api/v2/tickets/35436.json"
        if request.method == "PUT":
            update = json.loads(request.content)["ticket"]
            self.ticket["status"] = update["status"]
            self.ticket["tags"] += update["additional_tags"]
            self.comments.append(update["comment"])
        return httpx.Response(200, json={"ticket": self.ticket})


def zendesk(fake: FakeTickets, **config: Any) -> ZendeskTicketing:
    options = {"url": "acme", "email": "ops@shop.example", "token": TOKEN, **config}
    return ZendeskTicketing(options, client=httpx.Client(transport=httpx.MockTransport(fake)))


def test_an_acknowledgement_solves_the_ticket_with_an_internal_comment_and_the_tag() -> None:
    fake = FakeTickets()

    assert zendesk(fake).acknowledge("35436", COMMENT) is True

    read, update = fake.requests
    assert (read.method, str(read.url)) == (
        "GET",
        "https://acme.zendesk.com/api/v2/tickets/35436.json",
    )
    assert (update.method, str(update.url)) == ("PUT", str(read.url))
    assert json.loads(update.content) == {
        "ticket": {
            "status": "solved",
            "comment": {"body": COMMENT, "public": False},
            "additional_tags": [ACKNOWLEDGED_TAG],
        }
    }
    login = base64.b64encode(f"ops@shop.example/token:{TOKEN}".encode()).decode()
    assert {r.headers["Authorization"] for r in fake.requests} == {f"Basic {login}"}


def test_a_redelivered_acknowledgement_adds_no_second_comment() -> None:
    fake = FakeTickets()
    connector = zendesk(fake)
    connector.acknowledge("35436", COMMENT)
    fake.ticket["status"] = "open"  # an agent reopened it meanwhile: the tag still tells

    assert connector.acknowledge("35436", COMMENT) is False
    assert len(fake.comments) == 1
    assert [r.method for r in fake.requests] == ["GET", "PUT", "GET"]


def test_a_closed_ticket_is_left_as_it_is() -> None:
    fake = FakeTickets(status="closed")

    assert zendesk(fake).acknowledge("35436", COMMENT) is False
    assert [r.method for r in fake.requests] == ["GET"]


def test_the_status_given_is_the_configured_one() -> None:
    fake = FakeTickets()
    zendesk(fake, acknowledged_status=" Pending ").acknowledge("35436", COMMENT)

    assert fake.ticket["status"] == "pending"


def test_a_refusal_is_a_delivery_error_in_zendesks_words_without_the_token() -> None:
    fake = FakeTickets()
    fake.refusal = (422, {"error": "RecordInvalid", "description": f"Record invalid {TOKEN}"})

    with pytest.raises(DeliveryError) as refused:
        zendesk(fake).acknowledge("35436", COMMENT)

    message = str(refused.value)
    assert message.startswith("Zendesk https://acme.zendesk.com answered 422: RecordInvalid")
    assert TOKEN not in message


def test_an_answer_without_the_ticket_is_a_delivery_error() -> None:
    fake = FakeTickets()
    fake.refusal = (200, {"tickets": []})

    with pytest.raises(DeliveryError, match="answered without ticket 35436"):
        zendesk(fake).acknowledge("35436", COMMENT)


def test_the_acknowledged_status_setting_reaches_the_connector_and_a_bad_one_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ORDO_ZENDESK_ACKNOWLEDGED_STATUS", raising=False)
    options = {"database_url": NOWHERE_PG, "ticketing": "zendesk", "zendesk_url": "acme",
               "zendesk_email": "ops@shop.example", "zendesk_token": TOKEN}  # fmt: skip
    with build_app_container(load_settings(**options)) as container:
        assert isinstance(container.ticketing, ZendeskTicketing)
        assert container.ticketing.config.acknowledged_status == "solved"
    settings = load_settings(**options, zendesk_acknowledged_status="hold")
    with build_app_container(settings) as container:
        assert isinstance(container.ticketing, ZendeskTicketing)
        assert container.ticketing.config.acknowledged_status == "hold"

    with pytest.raises(SettingsError) as refused:
        build_app_container(load_settings(**options, zendesk_acknowledged_status="closed"))
    assert str(refused.value).startswith(
        "ORDO_ZENDESK_ACKNOWLEDGED_STATUS: must be one of open, pending, hold, solved"
    )
