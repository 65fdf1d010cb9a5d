"""The API checks a credential on its event loop when it can, and asks the key store (a
database read) off the loop only when its short cache cannot answer."""

from __future__ import annotations

import pytest

from engine.domain.access import ApiKey
from engine.service_layer.auth import (
    Authenticator,
    InMemoryApiKeyStore,
    Unauthenticated,
    create_api_key,
    mint_token,
)

SECRET = "unit-secret-that-is-long-enough-0123456789"


class CountingStore(InMemoryApiKeyStore):
    reads = 0

    def get(self, key_id: str) -> ApiKey | None:
        self.reads += 1
        return super().get(key_id)


def _issued() -> tuple[CountingStore, Authenticator, str]:
    store = CountingStore()
    _, key = create_api_key(store, "web", "channel", server_secret=SECRET, channel="web")
    return store, Authenticator(store, SECRET), key


def test_a_key_not_looked_up_yet_needs_the_store_and_then_is_answered_from_the_cache() -> None:
    store, authenticator, key = _issued()
    assert authenticator.authenticate_cached(key) is None
    assert store.reads == 0
    principal = authenticator.authenticate(key)
    assert authenticator.authenticate_cached(key) == principal
    assert store.reads == 1


def test_a_wrong_secret_for_a_cached_key_is_refused_without_the_store() -> None:
    store, authenticator, key = _issued()
    authenticator.authenticate(key)
    with pytest.raises(Unauthenticated, match="not valid"):
        authenticator.authenticate_cached(key[:-4] + "XXXX")
    assert store.reads == 1


def test_a_token_of_a_cached_key_is_answered_from_the_cache() -> None:
    store, authenticator, key = _issued()
    principal = authenticator.authenticate(key)
    token = mint_token(principal, SECRET)
    assert authenticator.authenticate_cached(token) is not None
    assert store.reads == 1


def test_malformed_credentials_are_refused_whatever_the_cache_holds() -> None:
    _, authenticator, _ = _issued()
    with pytest.raises(Unauthenticated, match="neither an Ordo API key"):
        authenticator.authenticate_cached("letmein")
