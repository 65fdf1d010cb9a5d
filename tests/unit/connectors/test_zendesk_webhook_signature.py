"""The Zendesk webhook's way back: a delivery is taken only when signed as Zendesk signs
(base64 HMAC-SHA256 of the timestamp and the raw body under the webhook's secret) within five
minutes of Ordo's clock; the trigger's body is read into a ticket update, and a body that is
not the trigger's is refused naming the field. The webhook secret is a setting like the
others: never shown, and 16 characters or more outside development."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import TicketUpdate, WebhookPayloadError, WebhookRefused
from connectors.ticketing import TicketingSettingsError, build_ticketing
from connectors.ticketing.zendesk import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TRIGGER_BODY,
    ZendeskTicketing,
)
from ordo.settings import SettingsError, load_settings

SECRET = "whsec-dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ"
SIGNED_AT = "2026-11-27T10:15:00Z"
NOW = datetime(2026, 11, 27, 10, 16, tzinfo=UTC).timestamp()
BODY = {
    "ticket_id": "35436",
    "external_id": "ordo:order:ord_1:tkt_1",
    "status": "Solved",
    "updated_at": "2026-11-27T10:15Z",
    "comment_author": "Dana (Support)",
    "comment": "We have sent a replacement pair.",
}


def zendesk(clock: float = NOW, **config: Any) -> ZendeskTicketing:
    options = {"url": "acme", "email": "ops@shop.example", "token": "zd-token", **config}
    options.setdefault("webhook_secret", SECRET)
    return ZendeskTicketing(options, clock=lambda: clock)


def signed(body: bytes, at: str = SIGNED_AT, secret: str = SECRET) -> httpx.Headers:
    digest = hmac.new(secret.encode(), at.encode() + body, hashlib.sha256).digest()
    return httpx.Headers(
        {SIGNATURE_HEADER: base64.b64encode(digest).decode(), TIMESTAMP_HEADER: at}
    )


def raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def refusal(connector: ZendeskTicketing, headers: Mapping[str, str], body: bytes) -> str:
    with pytest.raises(WebhookRefused) as refused:
        connector.ticket_update(headers, body)
    return str(refused.value)


def test_a_delivery_signed_with_the_webhooks_secret_is_read_into_an_update() -> None:
    body = raw(BODY)

    update = zendesk().ticket_update(signed(body), body)

    assert update == TicketUpdate(
        external_ticket_id="35436",
        reference="ordo:order:ord_1:tkt_1",
        status="solved",
        at=datetime(2026, 11, 27, 10, 15, tzinfo=UTC),
        comment_author="Dana (Support)",
        comment="We have sent a replacement pair.",
    )


def test_the_header_names_are_looked_up_whatever_their_case() -> None:
    body = raw(BODY)
    lower = httpx.Headers({k.lower(): v for k, v in signed(body).items()})

    assert zendesk().ticket_update(lower, body).status == "solved"


def test_the_signature_covers_the_timestamp_and_the_body_as_sent() -> None:
    body = raw(BODY)
    headers = signed(body)
    reformatted = json.dumps(BODY, indent=2).encode()  # the same JSON, other bytes

    assert "does not match the body" in refusal(zendesk(), headers, reformatted)
    headers[TIMESTAMP_HEADER] = "2026-11-27T10:15:01Z"  # a second later than signed
    assert "does not match" in refusal(zendesk(), headers, body)


def test_a_delivery_signed_with_another_secret_is_refused_without_showing_either() -> None:
    body = raw(BODY)

    message = refusal(zendesk(), signed(body, secret="another-secret-of-length"), body)

    assert message == (
        f"the {SIGNATURE_HEADER} signature does not match the body: the connector's "
        "webhook_secret must be the Zendesk webhook's signing secret, and the body must be "
        "sent exactly as signed"
    )
    assert SECRET not in message and "another-secret" not in message


@pytest.mark.parametrize("signature", ["not base64 !", "é", "", "   "])
def test_a_signature_that_is_not_base64_is_refused_as_not_matching(signature: str) -> None:
    body = raw(BODY)
    # A plain mapping: Starlette hands on any byte as Latin-1, which httpx would not build.
    headers = {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: SIGNED_AT}

    assert "Zendesk" in refusal(zendesk(), headers, body)


@pytest.mark.parametrize("minutes", [-6, 6, 60 * 24])
def test_a_delivery_signed_more_than_five_minutes_off_is_refused_as_a_replay(
    minutes: int,
) -> None:
    body = raw(BODY)
    signed_at = datetime(2026, 11, 27, 10, 15, tzinfo=UTC).timestamp()

    message = refusal(zendesk(clock=signed_at + minutes * 60), signed(body), body)

    assert message.startswith(f"{TIMESTAMP_HEADER} is {abs(minutes)} minutes from Ordo's clock")
    assert "a replayed delivery, or a clock that is off" in message


@pytest.mark.parametrize("seconds", [-300, 299, 300])
def test_a_delivery_signed_within_five_minutes_either_way_is_taken(seconds: int) -> None:
    body = raw(BODY)
    signed_at = datetime(2026, 11, 27, 10, 15, tzinfo=UTC).timestamp()

    assert zendesk(clock=signed_at + seconds).ticket_update(signed(body), body).status == "solved"


@pytest.mark.parametrize("stamp", ["yesterday", "2026-11-27T10:15:00", "1795774500"])
def test_a_timestamp_without_its_zone_or_not_iso_is_refused(stamp: str) -> None:
    body = raw(BODY)

    message = refusal(zendesk(), signed(body, at=stamp), body)

    assert message.startswith(f"{TIMESTAMP_HEADER} must be an ISO 8601 time with its zone")


@pytest.mark.parametrize("missing", [SIGNATURE_HEADER, TIMESTAMP_HEADER])
def test_a_delivery_without_both_headers_is_refused_naming_them(missing: str) -> None:
    body = raw(BODY)
    headers = signed(body)
    del headers[missing]

    assert refusal(zendesk(), headers, body) == (
        f"the delivery is not signed: it needs the {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} "
        "headers Zendesk sends"
    )


def test_without_a_webhook_secret_every_delivery_is_refused() -> None:
    body = raw(BODY)
    connector = ZendeskTicketing(
        {"url": "acme", "email": "ops@shop.example", "token": "zd-token"}, clock=lambda: NOW
    )

    assert "no webhook secret is set for connector zendesk" in refusal(
        connector, signed(body), body
    )


def test_the_signature_is_checked_before_the_body_is_read() -> None:
    assert "does not match" in refusal(zendesk(), signed(b"{}"), b"not json at all")


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        ({"status": "escalated"}, ("status",), "must be one of new, open, pending, hold, solved"),
        ({"status": ""}, ("status",), "is required: {{ticket.status}} in the trigger's body"),
        ({"ticket_id": None}, ("ticket_id",), "is required: {{ticket.id}}"),
        ({"updated_at": "Nov 27, 2026"}, ("updated_at",), "must be an ISO 8601 time with its zone"),
        ({"updated_at": "2026-11-27T10:15"}, ("updated_at",), "must be an ISO 8601 time"),
        ({"comment": ["a", "b"]}, ("comment",), "must be text, got list"),
    ],
)  # fmt: skip
def test_a_body_that_is_not_the_triggers_is_refused_naming_the_field(
    change: dict[str, Any], loc: tuple[str, ...], message: str
) -> None:
    body = raw({**BODY, **change})

    with pytest.raises(WebhookPayloadError) as refused:
        zendesk().ticket_update(signed(body), body)

    assert refused.value.loc == loc
    assert message in refused.value.message


@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json", b""])
def test_a_body_that_is_no_json_object_is_refused_as_a_whole(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError) as refused:
        zendesk().ticket_update(signed(body), body)

    assert refused.value.loc == ()


def test_the_optional_fields_may_be_missing_and_fields_zendesk_adds_are_ignored() -> None:
    body = raw({"ticket_id": 35436, "status": "open", "updated_at": SIGNED_AT, "via": "web"})

    update = zendesk().ticket_update(signed(body), body)

    assert (update.external_ticket_id, update.reference, update.comment) == ("35436", "", "")


def test_a_long_comment_is_cut_to_500_characters() -> None:
    body = raw({**BODY, "comment": "é" * 5_000})

    assert zendesk().ticket_update(signed(body), body).comment == "é" * 500


def test_the_documented_trigger_body_names_every_field_the_connector_reads() -> None:
    assert set(TRIGGER_BODY) == {
        "ticket_id", "external_id", "status", "updated_at", "comment_author", "comment",
    }  # fmt: skip
    docs = Path("docs/events.md").read_text(encoding="utf-8")
    assert json.dumps(TRIGGER_BODY, indent=2) in docs


def test_a_blank_webhook_secret_is_refused_naming_the_setting_not_the_value() -> None:
    with pytest.raises(TicketingSettingsError) as refused:
        build_ticketing(
            "zendesk",
            {"url": "acme", "email": "ops@shop.example", "token": "t", "webhook_secret": "  "},
        )

    assert refused.value.field == "webhook_secret"
    assert "signing secret of the Zendesk webhook" in refused.value.reason


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_environment")
def test_a_short_webhook_secret_is_refused_outside_development_and_never_echoed() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(secret_key="k" * 32, environment="test", zendesk_webhook_secret="tiny")

    assert str(refused.value) == (
        "ORDO_ZENDESK_WEBHOOK_SECRET: must be at least 16 characters when environment is test"
    )
    assert "tiny" not in str(refused.value)
    assert load_settings(zendesk_webhook_secret="tiny").zendesk_webhook_secret is not None
    assert load_settings(zendesk_webhook_secret=" ").zendesk_webhook_secret is None
