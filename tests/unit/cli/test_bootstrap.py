"""The composition root builds everything without touching a server (no I/O until first use)."""

from __future__ import annotations

from ordo.bootstrap import build_app_container, build_ticketing
from ordo.settings import load_settings

# Nothing listens on port 9 (discard): were the container to connect, building it would fail.
NOWHERE_PG = "postgresql://postgres@127.0.0.1:9/ordo"
NOWHERE_REDIS = "redis://127.0.0.1:9/0"


def test_the_container_is_built_without_reaching_the_database_or_redis() -> None:
    settings = load_settings(database_url=NOWHERE_PG, redis_url=NOWHERE_REDIS)
    with build_app_container(settings) as container:
        assert container.settings is settings
        assert container.bus is not None and container.event_bus is not None
        assert container.rulesets is not None and container.decider is not None


def test_the_helpdesk_connector_gets_the_secret_its_webhook_is_signed_with() -> None:
    settings = load_settings(
        ticketing="zendesk",
        zendesk_url="https://acme.zendesk.com",
        zendesk_email="ops@shop.example",
        zendesk_token="a-token-long-enough-for-any-environment",
        zendesk_webhook_secret="a-signing-secret-long-enough-0123",
    )
    connector = build_ticketing(settings)
    assert connector is not None
    secret = connector.config.webhook_secret  # type: ignore[attr-defined]
    assert secret is not None
    assert secret.get_secret_value() == "a-signing-secret-long-enough-0123"
