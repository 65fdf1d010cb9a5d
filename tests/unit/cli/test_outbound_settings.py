"""Outbound integrations are configured safely outside development: every signing secret is
16 characters or more, nothing signed leaves over http:// in production except to a loopback
sidecar, and SMTP with a password uses STARTTLS. Each refusal is one line naming the variable
(and the entry), never the value."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from ordo.settings import SettingsError, load_settings

KEY = "k" * 32  # ORDO_SECRET_KEY, long enough for test and production
LONG = "a-signing-secret-of-good-length"


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


def error_for(**overrides: Any) -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings(secret_key=KEY, **overrides)
    message = str(raised.value)
    assert "\n" not in message
    return message


def channels(secret: str) -> str:
    return json.dumps({"shop-us": {"connector": "shopify", "channel": "web", "secret": secret}})


def wms(base_url: str = "https://wms.example.com", **credentials: str) -> str:
    entry = {"base_url": base_url, "locations": ["DAL-01"], **credentials}
    return json.dumps({"dallas": entry})


# --- every signing secret has the same minimum --------------------------------------------


def test_a_short_channel_secret_is_refused_outside_development_naming_the_entry() -> None:
    message = error_for(environment="test", channel_connectors=channels("tiny-secret"))
    assert message == (
        "ORDO_CHANNEL_CONNECTORS: shop-us.secret: must be at least 16 characters when "
        "environment is test"
    )
    assert "tiny-secret" not in message
    # Development keeps short secrets for a no-setup start, as it does ORDO_SECRET_KEY's.
    assert load_settings(channel_connectors=channels("tiny-secret")).channel_connectors
    assert load_settings(secret_key=KEY, environment="test", channel_connectors=channels(LONG))


def test_a_short_erp_sync_secret_is_refused_in_production_and_never_echoed() -> None:
    erp = {"erp_sync_url": "https://erp.example.com"}
    message = error_for(environment="production", erp_sync_secret="s3cr3t", **erp)
    assert message == (
        "ORDO_ERP_SYNC_SECRET: must be at least 16 characters when environment is production"
    )
    assert "s3cr3t" not in message
    assert load_settings(erp_sync_secret="s3cr3t", **erp).erp_sync_secret is not None


def test_a_short_wms_secret_is_refused_naming_the_wms() -> None:
    message = error_for(environment="production", wms=wms(secret="wms-secret"))
    assert message == (
        "ORDO_WMS: dallas.secret: must be at least 16 characters when environment is production"
    )
    assert "wms-secret" not in message
    assert load_settings(secret_key=KEY, environment="production", wms=wms(secret=LONG))


def test_a_wms_token_is_the_wms_s_to_issue_so_only_a_placeholder_length_one_is_refused() -> None:
    message = error_for(environment="production", wms=wms(token="test"))
    assert message == (
        "ORDO_WMS: dallas.token: must be at least 8 characters when environment is production"
    )
    assert load_settings(secret_key=KEY, environment="production", wms=wms(token="wms-tk-1"))


# --- https in production --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "overrides"),
    [
        ("ORDO_WEBHOOK_URL", {"webhook_secret": LONG}),
        ("ORDO_ERP_SYNC_URL", {"erp_sync_secret": LONG}),
        ("ORDO_ZENDESK_URL", {}),
    ],
)
def test_an_http_url_to_another_host_is_refused_in_production_showing_its_host_only(
    variable: str, overrides: dict[str, str]
) -> None:
    field = variable.removeprefix("ORDO_").lower()
    url = "http://hooks.example.com:8080/services/T0KEN?sig=abc"
    message = error_for(environment="production", **{field: url}, **overrides)
    assert message == (
        f"{variable}: must be an https:// URL when environment is production, got "
        "http://hooks.example.com:8080 (http:// sends bodies, signatures and tokens in clear; "
        "it is accepted for a loopback host only, such as a sidecar on 127.0.0.1)"
    )
    assert "T0KEN" not in message and "sig=" not in message
    # Development and test keep http://: their fake receivers are plain HTTP.
    assert load_settings(secret_key=KEY, environment="test", **{field: url}, **overrides)
    https = url.replace("http://", "https://")
    assert load_settings(secret_key=KEY, environment="production", **{field: https}, **overrides)


def test_an_http_wms_base_url_is_refused_in_production_naming_the_wms() -> None:
    message = error_for(
        environment="production", wms=wms("http://wms.example.com/a-token/ordo", token=LONG)
    )
    assert message.startswith(
        "ORDO_WMS: dallas.base_url: must be an https:// URL when environment is production, "
        "got http://wms.example.com ("
    )
    assert "a-token" not in message


@pytest.mark.parametrize(
    "sidecar", ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://[::1]:9000/hook"]
)
def test_only_a_loopback_sidecar_may_be_reached_over_http_in_production(sidecar: str) -> None:
    settings = load_settings(
        secret_key=KEY, environment="production", webhook_url=sidecar, webhook_secret=LONG,
        erp_sync_url=sidecar, erp_sync_secret=LONG, wms=wms(sidecar, token=LONG),
    )  # fmt: skip
    assert settings.webhook_url == sidecar
    remote = sidecar.replace("127.0.0.1", "10.0.0.1").replace("localhost", "mail.internal")
    remote = remote.replace("[::1]", "[fd00::1]")
    assert error_for(environment="production", erp_sync_url=remote, erp_sync_secret=LONG)


# --- SMTP ------------------------------------------------------------------------------------


def test_smtp_with_a_password_and_no_starttls_is_refused_in_production() -> None:
    message = error_for(
        environment="production", smtp_host="smtp.example.com", smtp_username="ordo",
        smtp_password="mail-password",
    )  # fmt: skip
    assert message == (
        "ORDO_SMTP_STARTTLS: must be true when environment is production and ORDO_SMTP_PASSWORD "
        "is set, or the password and every email travel in clear to smtp.example.com (false is "
        "accepted for a loopback ORDO_SMTP_HOST only)"
    )
    assert "mail-password" not in message
    assert not load_settings(smtp_host="smtp.example.com", smtp_password="pw").smtp_starttls


@pytest.mark.parametrize(
    "accepted",
    [
        {"smtp_host": "smtp.example.com", "smtp_password": "pw", "smtp_starttls": "true"},
        {"smtp_host": "127.0.0.1", "smtp_password": "pw"},
        {"smtp_host": "smtp.example.com"},  # no password to protect: a relay by address
    ],
)
def test_smtp_in_production_needs_starttls_unless_loopback_or_without_a_password(
    accepted: dict[str, str],
) -> None:
    assert load_settings(secret_key=KEY, environment="production", **accepted)
    refused = {**accepted, "smtp_host": "smtp.example.com", "smtp_password": "pw"}
    refused.pop("smtp_starttls", None)
    assert error_for(environment="production", **refused).startswith("ORDO_SMTP_STARTTLS:")
