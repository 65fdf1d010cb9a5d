"""The signed webhook's settings: off unless a URL is set, and then signed, scoped and bounded,
every mistake one line naming the variable."""

from __future__ import annotations

import pytest

from ordo.settings import SettingsError, load_settings, shown_value

SECRET = "a-webhook-secret-of-some-length"


def error_for(**overrides: object) -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings(**overrides)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_the_webhook_is_off_by_default_and_would_post_every_raised_alert() -> None:
    settings = load_settings()
    assert settings.webhook_url is None and settings.webhook_secret is None
    assert settings.webhook_event_names == ("alert.raised",)
    assert settings.webhook_min_severity == "low"
    assert settings.webhook_timeout_seconds == 5.0


def test_a_complete_webhook_setting_is_read_and_normalised() -> None:
    settings = load_settings(
        webhook_url=" https://hooks.example.com/ordo ", webhook_secret=SECRET,
        webhook_events="alert.raised, shipment.late,alert.raised",
        webhook_min_severity="HIGH", webhook_timeout_seconds="2.5",
    )  # fmt: skip
    assert settings.webhook_url == "https://hooks.example.com/ordo"
    assert settings.webhook_event_names == ("alert.raised", "shipment.late")
    assert settings.webhook_min_severity == "high"
    assert settings.webhook_timeout_seconds == 2.5


def test_a_url_that_is_not_http_is_refused() -> None:
    assert error_for(webhook_url="ftp://hooks.example.com", webhook_secret=SECRET) == (
        "ORDO_WEBHOOK_URL: must be an http:// or https:// URL with a host, "
        "got 'ftp://hooks.example.com'"
    )
    assert error_for(webhook_url="hooks.example.com/ordo").startswith(
        "ORDO_WEBHOOK_URL: must be an http:// or https:// URL with a host"
    )


def test_a_url_without_a_secret_is_refused_because_every_post_is_signed() -> None:
    assert error_for(webhook_url="https://hooks.example.com") == (
        "ORDO_WEBHOOK_SECRET: required when ORDO_WEBHOOK_URL is set "
        "(it signs each post: webhook-signature and X-Ordo-Signature)"
    )
    assert error_for(webhook_url="https://hooks.example.com", webhook_secret="  ").startswith(
        "ORDO_WEBHOOK_SECRET: required"
    )


def test_a_short_secret_is_refused_outside_development_and_never_echoed() -> None:
    message = error_for(
        environment="production", secret_key="x" * 32,
        webhook_url="https://hooks.example.com", webhook_secret="short-one",
    )  # fmt: skip
    assert message == (
        "ORDO_WEBHOOK_SECRET: must be at least 16 characters when environment is production"
    )
    assert "short-one" not in message


def test_an_unknown_event_name_is_refused_with_a_suggestion() -> None:
    assert error_for(webhook_events="alert.raised,shipment.lat") == (
        "ORDO_WEBHOOK_EVENTS: got 'shipment.lat', which is not an event Ordo emits "
        "(did you mean shipment.late?)"
    )
    assert error_for(webhook_events=" , ").startswith("ORDO_WEBHOOK_EVENTS: names no event")


def test_an_unknown_severity_is_refused() -> None:
    assert error_for(webhook_min_severity="urgent") == (
        "ORDO_WEBHOOK_MIN_SEVERITY: must be one of low, medium, high, critical, got 'urgent'"
    )


@pytest.mark.parametrize("value", ["0", "-1", "61", "nan", "soon"])
def test_a_timeout_outside_0_to_60_seconds_is_refused(value: str) -> None:
    assert error_for(webhook_timeout_seconds=value).startswith(
        "ORDO_WEBHOOK_TIMEOUT_SECONDS: must be"
    )
    assert f"got '{value}'" in error_for(webhook_timeout_seconds=value)


def test_the_secret_is_shown_only_as_set() -> None:
    settings = load_settings(webhook_url="https://hooks.example.com", webhook_secret=SECRET)
    assert shown_value(settings, "webhook_secret") == "(set)"
    assert shown_value(load_settings(), "webhook_secret") == "(unset)"


def test_a_webhook_url_is_shown_without_the_path_and_query_that_hold_its_token() -> None:
    token = "T0001/B0002/XyZsecretTOKEN"
    hook = f"https://hooks.slack.example/services/{token}"
    settings = load_settings(webhook_url=hook, webhook_secret=SECRET)
    assert shown_value(settings, "webhook_url") == "https://hooks.slack.example/…"
    refused = error_for(webhook_url=f"ftp://hooks.slack.example/services/{token}")
    assert refused.startswith("ORDO_WEBHOOK_URL: must be an http:// or https:// URL with a host")
    assert token not in refused


def test_the_webhook_can_be_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_WEBHOOK_URL", "http://127.0.0.1:9000/hook")
    monkeypatch.setenv("ORDO_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("ORDO_WEBHOOK_EVENTS", "order.held_too_long")
    settings = load_settings()
    assert settings.webhook_url == "http://127.0.0.1:9000/hook"
    assert settings.webhook_event_names == ("order.held_too_long",)
