"""The Zendesk connector against a fake Zendesk (httpx.MockTransport): the request it sends,
its API-token login, the external-id lookup before a ticket is created, and refusals told in
Zendesk's words without the token."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorRegistry, DeliveryError, Ticketing
from connectors.ticketing import TicketingSettingsError, build_ticketing
from connectors.ticketing.zendesk import ZendeskTicketing
from ordo.bootstrap import build_app_container
from ordo.settings import SettingsError, load_settings, shown_value

TOKEN = "zd-token-6wJ0f3kQ9mXb"


class FakeZendesk:
    """Zendesk's Tickets API as far as Ordo uses it: list by external id, and create."""

    def __init__(self, *, refuse: tuple[int, Any] | None = None) -> None:
        self.tickets: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.refuse = refuse

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.refuse is not None:
            status, body = self.refuse
            if isinstance(body, str):
                return httpx.Response(status, text=body)
            return httpx.Response(status, json=body)
        assert request.url.path == "/api/v2/tickets.json"
        if request.method == "GET":
            wanted = request.url.params.get("external_id")
            found = [t for t in self.tickets if t.get("external_id") == wanted]
            return httpx.Response(200, json={"tickets": found, "count": len(found)})
        ticket = {**json.loads(request.content)["ticket"], "id": 35436 + len(self.tickets)}
        self.tickets.append(ticket)
        return httpx.Response(201, json={"ticket": ticket})


def zendesk(fake: FakeZendesk, **config: Any) -> ZendeskTicketing:
    options = {"url": "acme", "email": "ops@shop.example", "token": TOKEN, **config}
    return ZendeskTicketing(options, client=httpx.Client(transport=httpx.MockTransport(fake)))


def test_a_ticket_is_created_with_subject_body_tags_priority_and_external_id() -> None:
    fake = FakeZendesk()
    connector = zendesk(fake, group_id=360001, tags="ordo, Night Shift")

    ticket_id = connector.open(
        "Carrier UPS late on 6 shipments", "Rule: late carrier\nSeverity: critical",
        ("alert", "severity_critical"), external_id="ordo:alert:alr_1", priority="critical",
    )  # fmt: skip

    assert ticket_id == "35436"
    created = fake.requests[-1]
    assert (created.method, str(created.url)) == (
        "POST", "https://acme.zendesk.com/api/v2/tickets.json"
    )  # fmt: skip
    assert json.loads(created.content) == {
        "ticket": {
            "subject": "Carrier UPS late on 6 shipments",
            "comment": {"body": "Rule: late carrier\nSeverity: critical"},
            "tags": ["ordo", "night_shift", "alert", "severity_critical"],
            "external_id": "ordo:alert:alr_1",
            "priority": "urgent",
            "group_id": 360001,
        }
    }


def test_it_logs_in_with_the_agents_email_and_api_token() -> None:
    fake = FakeZendesk()
    zendesk(fake).open("Subject", "Body")

    scheme, _, credentials = fake.requests[-1].headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"ops@shop.example/token:{TOKEN}"
    assert fake.requests[-1].headers["Accept"] == "application/json"


def test_the_external_id_is_looked_up_before_a_ticket_is_created() -> None:
    fake = FakeZendesk()
    connector = zendesk(fake)

    connector.open("Subject", "Body", external_id="ordo:alert:alr_7")

    lookup, create = fake.requests
    assert (lookup.method, lookup.url.path) == ("GET", "/api/v2/tickets.json")
    assert lookup.url.params["external_id"] == "ordo:alert:alr_7"
    assert create.method == "POST"


def test_opening_again_with_the_same_external_id_returns_the_ticket_opened_before() -> None:
    fake = FakeZendesk()
    connector = zendesk(fake)

    first = connector.open("Subject", "Body", external_id="ordo:alert:alr_7")
    again = connector.open("Subject", "Body", external_id="ordo:alert:alr_7")
    other = connector.open("Subject", "Body", external_id="ordo:alert:alr_8")

    assert again == first != other
    assert len(fake.tickets) == 2
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET", "GET", "POST"]


def test_without_an_external_id_nothing_is_looked_up_and_no_priority_is_sent() -> None:
    fake = FakeZendesk()
    zendesk(fake).open("Subject", "Body")

    [create] = fake.requests
    sent = json.loads(create.content)["ticket"]
    assert create.method == "POST"
    assert "external_id" not in sent and "priority" not in sent and "group_id" not in sent


def test_a_refusal_names_the_status_and_zendesks_words_but_never_the_token() -> None:
    invalid = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"group": [{"description": "Group: is invalid"}]},
    }
    connector = zendesk(FakeZendesk(refuse=(422, invalid)))

    with pytest.raises(DeliveryError) as refused:
        connector.open("Subject", "Body")

    message = str(refused.value)
    assert "422" in message
    assert "RecordInvalid: Record validation errors (group: Group: is invalid)" in message
    assert TOKEN not in message


def test_a_token_zendesk_echoes_back_is_masked_in_the_message() -> None:
    connector = zendesk(FakeZendesk(refuse=(401, {"error": f"Couldn't authenticate {TOKEN}"})))

    with pytest.raises(DeliveryError) as refused:
        connector.open("Subject", "Body")

    assert "401" in str(refused.value) and TOKEN not in str(refused.value)


def test_a_zendesk_that_cannot_be_reached_is_a_delivery_error_naming_the_account() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down))
    connector = ZendeskTicketing(
        {"url": "https://help.shop.example/", "email": "ops@shop.example", "token": TOKEN},
        client=client,
    )

    with pytest.raises(DeliveryError, match=r"https://help\.shop\.example unreachable"):
        connector.open("Subject", "Body", external_id="x")


def test_a_body_that_is_not_zendesks_json_is_quoted_from_its_start() -> None:
    connector = zendesk(FakeZendesk(refuse=(503, "<html>  Service   Unavailable </html>")))

    with pytest.raises(DeliveryError, match=r"503: <html> Service Unavailable </html>"):
        connector.open("Subject", "Body")


def test_an_answer_without_a_ticket_id_is_a_delivery_error() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(201, json={})))
    connector = ZendeskTicketing(
        {"url": "acme", "email": "ops@shop.example", "token": TOKEN}, client=client
    )

    with pytest.raises(DeliveryError, match="without a ticket id"):
        connector.open("Subject", "Body")


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("acme", "https://acme.zendesk.com"),
        ("https://acme.zendesk.com/", "https://acme.zendesk.com"),
        ("https://help.shop.example", "https://help.shop.example"),
    ],
)
def test_the_account_is_a_subdomain_or_an_address(url: str, base: str) -> None:
    connector = ZendeskTicketing({"url": url, "email": "ops@shop.example", "token": TOKEN})
    assert connector.config.url == base


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"url": "ftp://acme.example"}, "url", "subdomain"),
        ({"url": "https://acme.zendesk.com/api/v2"}, "url", "address alone"),
        ({"email": "ops"}, "email", "email address"),
        ({"token": "   "}, "token", "API token"),
        ({"timeout_seconds": 0}, "timeout_seconds", "more than 0"),
        ({"group_id": 0}, "group_id", "positive"),
        ({"colour": "red"}, "colour", "not a setting of zendesk"),
    ],
)
def test_a_bad_setting_is_named_without_its_value(
    options: dict[str, Any], field: str, words: str
) -> None:
    settings = {"url": "acme", "email": "ops@shop.example", "token": TOKEN, **options}
    with pytest.raises(TicketingSettingsError) as refused:
        build_ticketing("zendesk", settings)
    assert refused.value.field == field
    assert words in refused.value.reason
    assert TOKEN not in str(refused.value)


def test_a_missing_setting_is_reported_as_missing() -> None:
    with pytest.raises(TicketingSettingsError) as refused:
        build_ticketing("zendesk", {"url": "acme", "email": "ops@shop.example"})
    assert (refused.value.field, refused.value.missing) == ("token", True)


def test_zendesk_registers_as_a_ticketing_connector() -> None:
    registry = ConnectorRegistry()
    registry.register(ZendeskTicketing)
    built = registry.build(
        "ticketing", "zendesk", {"url": "acme", "email": "ops@shop.example", "token": TOKEN}
    )
    assert isinstance(built, ZendeskTicketing) and isinstance(built, Ticketing)
    with pytest.raises(TicketingSettingsError, match="no ticketing connector 'jira'"):
        build_ticketing("jira", {})


# --- from the settings: ORDO_TICKETING and ORDO_ZENDESK_* -------------------------------------

NOWHERE_PG = "postgresql://postgres@127.0.0.1:9/ordo"  # never reached: no I/O until first use


@pytest.fixture
def no_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("no_ordo_environment")
def test_the_settings_build_the_zendesk_connector_into_the_container() -> None:
    settings = load_settings(
        database_url=NOWHERE_PG, ticketing="Zendesk", zendesk_url="acme",
        zendesk_email="ops@shop.example", zendesk_token=TOKEN, zendesk_group_id="360001",
        zendesk_tags="ordo,ops", zendesk_timeout_seconds="3",
    )  # fmt: skip
    with build_app_container(settings) as container:
        connector = container.ticketing
    assert isinstance(connector, ZendeskTicketing)
    assert connector.config.url == "https://acme.zendesk.com"
    assert (connector.config.group_id, connector.config.tags) == (360001, ("ordo", "ops"))
    assert connector.config.timeout_seconds == 3
    assert settings.ticket_min_severity == "high"
    assert shown_value(settings, "zendesk_token") == "(set)"


@pytest.mark.usefixtures("no_ordo_environment")
def test_without_ordo_ticketing_no_connector_is_built() -> None:
    settings = load_settings(database_url=NOWHERE_PG, ticketing="", zendesk_url="acme")
    with build_app_container(settings) as container:
        assert container.ticketing is None


@pytest.mark.usefixtures("no_ordo_environment")
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"zendesk_url": "acme", "zendesk_email": "ops@shop.example"},
         "ORDO_ZENDESK_TOKEN: is required when ORDO_TICKETING is zendesk"),
        ({"zendesk_url": "ftp://acme", "zendesk_email": "ops@shop.example",
          "zendesk_token": TOKEN}, "ORDO_ZENDESK_URL: must be the account's subdomain"),
    ],
)  # fmt: skip
def test_a_bad_zendesk_setting_stops_start_up_naming_the_variable(
    options: dict[str, str], message: str
) -> None:
    settings = load_settings(database_url=NOWHERE_PG, ticketing="zendesk", **options)
    with pytest.raises(SettingsError) as refused:
        build_app_container(settings)
    assert str(refused.value).startswith(message)
    assert TOKEN not in str(refused.value)


@pytest.mark.usefixtures("no_ordo_environment")
def test_an_unknown_ticketing_system_or_severity_is_refused_when_the_settings_load() -> None:
    with pytest.raises(SettingsError, match="ORDO_TICKETING: must be one of zendesk, got 'jira'"):
        load_settings(ticketing="jira")
    with pytest.raises(SettingsError, match="ORDO_TICKET_MIN_SEVERITY: must be one of low"):
        load_settings(ticket_min_severity="urgent")
