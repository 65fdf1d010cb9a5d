"""Zendesk's statuses whatever the account's language: `{{ticket.status}}` renders a status as
the account's agents read it ("Solved", "On-hold", "Gelöst"), so the six system statuses are
taken in any case and spelling, and ORDO_ZENDESK_STATUS_LABELS says which status any other
label (a translation, a custom status) stands for. A status neither names is refused naming
it and what is accepted; a bad mapping, or an acknowledged status that is none of them,
stops Ordo at start-up naming the setting."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.base import WebhookPayloadError
from connectors.ticketing.zendesk import ZendeskTicketing, read_trigger_body
from ordo.bootstrap import build_ticketing
from ordo.settings import SettingsError, load_settings
from tests.unit.connectors.test_zendesk_ticketing import NOWHERE_PG, TOKEN
from tests.unit.connectors.test_zendesk_webhook_signature import BODY, signed, zendesk

GERMAN_AND_FRENCH = (
    "Gelöst=solved, Geschlossen=closed, Offen=open, Résolu=solved, En attente=pending"
)
SETTINGS = {"database_url": NOWHERE_PG, "ticketing": "zendesk", "zendesk_url": "acme",
            "zendesk_email": "ops@shop.example", "zendesk_token": TOKEN}  # fmt: skip


def body(status: str) -> bytes:
    return json.dumps({**BODY, "status": status}).encode()


@pytest.mark.parametrize("shown", ["On-hold", "on hold", "ON_HOLD"])
def test_hold_is_taken_as_an_english_zendesk_renders_it(shown: str) -> None:
    assert read_trigger_body(body(shown)).status == "hold"


@pytest.mark.parametrize(
    ("shown", "status"),
    [("Gelöst", "solved"), ("GELÖST", "solved"), ("Gelo\u0308st", "solved"),
     ("Résolu", "solved"), ("en  attente", "pending"), ("Geschlossen", "closed")],
)  # fmt: skip
def test_a_label_of_the_setting_is_taken_for_the_status_it_stands_for_in_any_case_or_form(
    shown: str, status: str
) -> None:
    connector = zendesk(status_labels=GERMAN_AND_FRENCH)

    update = connector.ticket_update(signed(body(shown)), body(shown))

    assert update.status == status


def test_a_custom_statuss_label_is_taken_for_its_category() -> None:
    connector = zendesk(status_labels={"Waiting on the carrier": "pending"})
    shown = body("waiting on the CARRIER")

    assert connector.ticket_update(signed(shown), shown).status == "pending"


def test_a_status_no_label_names_is_refused_naming_it_and_what_is_accepted() -> None:
    connector = zendesk(status_labels="Gelöst=solved")

    with pytest.raises(WebhookPayloadError) as refused:
        connector.ticket_update(signed(body("Erledigt")), body("Erledigt"))

    assert refused.value.loc == ("status",)
    message = str(refused.value)
    assert "must be one of new, open, pending, hold, solved, closed" in message
    assert "or a label of ORDO_ZENDESK_STATUS_LABELS (gelöst)" in message
    assert "got 'Erledigt'" in message


def test_without_labels_a_localised_status_is_refused_saying_where_to_name_it() -> None:
    with pytest.raises(WebhookPayloadError) as refused:
        read_trigger_body(body("Gelöst"))

    assert "got 'Gelöst'" in str(refused.value)
    assert "names its labels in ORDO_ZENDESK_STATUS_LABELS" in str(refused.value)


def test_the_labels_setting_reaches_the_connector_when_ordo_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ORDO_ZENDESK_STATUS_LABELS", raising=False)
    settings = load_settings(**SETTINGS, zendesk_status_labels="Gelöst=solved,Résolu=solved")

    connector = build_ticketing(settings)

    assert isinstance(connector, ZendeskTicketing)
    assert connector.config.status_labels == {"gelöst": "solved", "résolu": "solved"}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("Gelöst", "'Gelöst' must be label=status, such as Gelöst=solved"),
        ("Gelöst=erledigt", "'Gelöst' stands for 'erledigt', which is not one of Zendesk's"),
        ("=solved", "'=solved' names no label before the ="),
        ("Open=solved", "'Open' is Zendesk's own name of open: it cannot stand for another"),
        ("Offen=open,offen=pending", "'offen' stands for both open and pending"),
    ],
)
def test_a_bad_label_stops_start_up_naming_the_setting_and_the_entry(value: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        build_ticketing(load_settings(**SETTINGS, zendesk_status_labels=value))

    assert str(refused.value).startswith(f"ORDO_ZENDESK_STATUS_LABELS: {says}")


@pytest.mark.parametrize(
    ("value", "status"),
    [("On-hold", "hold"), ("Gelöst", "solved"), ("GELÖST", "solved"), ("En attente", "pending")],
)
def test_the_acknowledged_status_may_be_written_as_zendesk_shows_it(
    value: str, status: str
) -> None:
    connector = zendesk(status_labels=GERMAN_AND_FRENCH, acknowledged_status=value)

    assert connector.config.acknowledged_status == status


@pytest.mark.parametrize("value", ["Geschlossen", "Erledigt", "new"])
def test_an_acknowledged_status_that_is_no_settable_status_stops_start_up_naming_it(
    value: str,
) -> None:
    options: dict[str, Any] = {**SETTINGS, "zendesk_status_labels": GERMAN_AND_FRENCH}

    with pytest.raises(SettingsError) as refused:
        build_ticketing(load_settings(**options, zendesk_acknowledged_status=value))

    assert str(refused.value).startswith(
        "ORDO_ZENDESK_ACKNOWLEDGED_STATUS: must be one of open, pending, hold, solved, or a "
        "label of ORDO_ZENDESK_STATUS_LABELS standing for one"
    )
    assert f"got {value!r}" in str(refused.value)


def test_the_acknowledgement_sets_the_status_a_label_stands_for() -> None:
    sent: list[dict[str, Any]] = []

    def tickets(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            sent.append(json.loads(request.content)["ticket"])
        return httpx.Response(200, json={"ticket": {"id": 35436, "status": "open", "tags": []}})

    connector = ZendeskTicketing(
        {"url": "acme", "email": "ops@shop.example", "token": TOKEN,
         "status_labels": "Gelöst=solved", "acknowledged_status": "Gelöst"},
        client=httpx.Client(transport=httpx.MockTransport(tickets)),
    )  # fmt: skip

    assert connector.acknowledge("35436", "Acknowledged in Ordo by user:ada.")
    assert [update["status"] for update in sent] == ["solved"]
