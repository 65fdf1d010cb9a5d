"""Rotating ORDO_SECRET_KEY: tokens signed and keys hashed with a previous secret are still
accepted, and a key is moved to the current secret on its first use. That whatever Ordo issues
is made with the current secret only is checked over HTTP (test_secret_rotation_http.py)."""

from __future__ import annotations

import pytest

from engine.domain.access import ApiKey
from engine.service_layer.auth import (
    Authenticator,
    InMemoryApiKeyStore,
    Unauthenticated,
    create_api_key,
    hash_secret,
    mint_token,
    principal_of,
)

OLD = "old-secret-that-is-long-enough-0123456789"
NEW = "new-secret-that-is-long-enough-9876543210"
UNKNOWN = "unknown-secret-that-is-long-enough-000000"


def issued_under(server_secret: str) -> tuple[InMemoryApiKeyStore, str, str]:
    store = InMemoryApiKeyStore()
    key_id, key = create_api_key(
        store, "web", "channel", server_secret=server_secret, channel="web"
    )
    return store, key_id, key


def stored(store: InMemoryApiKeyStore, key_id: str) -> ApiKey:
    key = store.get(key_id)
    assert key is not None
    return key


def rotated(store: InMemoryApiKeyStore) -> Authenticator:
    return Authenticator(store, NEW, cache_seconds=0, previous_secrets=[OLD])


def test_a_token_signed_with_a_previous_secret_is_still_accepted() -> None:
    store, key_id, _ = issued_under(OLD)
    token = mint_token(principal_of(stored(store, key_id)), OLD)

    assert rotated(store).authenticate(token).key_id == key_id


def test_a_token_signed_with_a_secret_neither_current_nor_previous_is_refused() -> None:
    store, key_id, _ = issued_under(OLD)
    token = mint_token(principal_of(stored(store, key_id)), UNKNOWN)

    with pytest.raises(Unauthenticated, match="signature does not match"):
        rotated(store).authenticate(token)


def test_a_key_hashed_with_a_previous_secret_is_accepted_and_rehashed_with_the_current_one() -> (
    None
):
    store, key_id, key = issued_under(OLD)
    secret = key.split("_", 2)[2]

    assert rotated(store).authenticate(key).key_id == key_id

    assert stored(store, key_id).secret_hash == hash_secret(secret, NEW)
    # Once re-hashed, the previous secret is no longer needed for this key.
    assert Authenticator(store, NEW, cache_seconds=0).authenticate(key).key_id == key_id


def test_the_rehash_is_audited_once_for_the_key_that_called() -> None:
    store, key_id, key = issued_under(OLD)
    authenticator = rotated(store)

    authenticator.authenticate(key)
    authenticator.authenticate(key)

    entries = [(e.action, e.entity_id, e.actor) for e in store.audited]
    assert entries == [("key.rehash", key_id, "channel:web")]


def test_a_key_hashed_with_an_unknown_secret_is_refused_and_left_as_it_was() -> None:
    store, key_id, key = issued_under(UNKNOWN)
    before = stored(store, key_id).secret_hash

    with pytest.raises(Unauthenticated, match="the API key is not valid"):
        rotated(store).authenticate(key)

    assert stored(store, key_id).secret_hash == before
    assert store.audited == []


def test_a_revoked_key_hashed_with_a_previous_secret_is_refused_and_not_rehashed() -> None:
    store, key_id, key = issued_under(OLD)
    before = stored(store, key_id).secret_hash
    store.revoke(key_id, stored(store, key_id).created_at)

    with pytest.raises(Unauthenticated, match="was revoked"):
        rotated(store).authenticate(key)

    assert stored(store, key_id).secret_hash == before


def test_a_cached_key_needing_a_rehash_is_left_to_the_path_off_the_event_loop() -> None:
    store, key_id, key = issued_under(OLD)
    authenticator = Authenticator(store, NEW, cache_seconds=60, previous_secrets=[OLD])
    # A token looks its key up without re-hashing it: the key is now cached, hashed with OLD.
    authenticator.authenticate(mint_token(principal_of(stored(store, key_id)), OLD))

    assert authenticator.authenticate_cached(key) is None
    assert store.audited == []
    principal = authenticator.authenticate(key)
    assert authenticator.authenticate_cached(key) == principal
