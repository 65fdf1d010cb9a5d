"""A bearer token carries the role and scope of the API key it was minted from, and no other:
a token signed with the server secret but claiming more than its key is refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.domain.access import Role
from engine.service_layer.auth import (
    Authenticator,
    InMemoryApiKeyStore,
    Unauthenticated,
    create_api_key,
    mint_token,
)

SECRET = "unit-secret-that-is-long-enough-0123456789"


def channel_key() -> tuple[Authenticator, str]:
    store = InMemoryApiKeyStore()
    _, key = create_api_key(store, "web", "channel", server_secret=SECRET, channel="web")
    return Authenticator(store, SECRET), key


def test_a_token_minted_from_a_key_is_that_key_s_principal() -> None:
    authenticator, key = channel_key()
    principal = authenticator.authenticate(key)

    assert authenticator.authenticate(mint_token(principal, SECRET)) == principal


@pytest.mark.parametrize(
    "claim",
    [{"role": Role.ADMIN}, {"channel": "pos"}, {"customer_id": "C-1"}, {"locations": ("DAL-01",)}],
)
def test_a_signed_token_claiming_another_role_or_scope_than_its_key_s_is_refused(
    claim: dict[str, object],
) -> None:
    authenticator, key = channel_key()
    forged = replace(authenticator.authenticate(key), **claim)  # type: ignore[arg-type]

    with pytest.raises(Unauthenticated, match="role or scope is not that of the API key"):
        authenticator.authenticate(mint_token(forged, SECRET))
