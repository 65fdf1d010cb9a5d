"""Ordo listens beyond this machine only with a secret key of its operator's: the development
default is published with the source, so a server reachable on it serves tokens anyone can
sign."""

from __future__ import annotations

import pytest

from ordo import serving
from ordo.failures import CommandError
from ordo.settings import load_settings

SECRET = "a-secret-of-this-deployment-0123456789"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "localhost", "LOCALHOST"]
)
def test_loopback_addresses_are_served_on_the_development_secret(host: str) -> None:
    serving.ensure_secret_for_host(load_settings(api_host=host))


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "fe80::1", "ordo.internal", "128.0.0.1"]
)
def test_any_other_address_is_refused_on_the_development_secret_naming_the_setting(
    host: str,
) -> None:
    with pytest.raises(CommandError) as refused:
        serving.ensure_secret_for_host(load_settings(api_host=host), "--host")
    message = str(refused.value)
    assert message.startswith(f"--host: will not listen on {host!r} while ORDO_SECRET_KEY is ")
    assert "set ORDO_SECRET_KEY to a long random value" in message
    assert "secrets.token_urlsafe(48)" in message


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_any_address_is_served_with_a_secret_key_of_the_operator(host: str) -> None:
    serving.ensure_secret_for_host(load_settings(api_host=host, secret_key=SECRET))


def test_an_ipv4_loopback_written_as_ipv6_is_loopback() -> None:
    assert serving.is_loopback("::ffff:127.0.0.1")
    assert not serving.is_loopback("::ffff:10.0.0.1")
