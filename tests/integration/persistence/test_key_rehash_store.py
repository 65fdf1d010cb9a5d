"""The SQL key store moves a key to a new hash only from the hash it was checked against, and
writes the `key.rehash` audit entry in the same transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from engine.adapters.orm_api import SqlApiKeyStore
from engine.adapters.sqlalchemy_uow import make_session_factory
from engine.domain.access import ApiKey
from engine.service_layer.auth import Authenticator, create_api_key, hash_secret, rehash_api_key
from engine.service_layer.unit_of_work import UnitOfWork

OLD = "o" * 40
NEW = "n" * 40
UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def keys(db_engine: Engine) -> SqlApiKeyStore:
    return SqlApiKeyStore(make_session_factory(db_engine))


def stored(keys: SqlApiKeyStore, key_id: str) -> ApiKey:
    key = keys.get(key_id)
    assert key is not None
    return key


def rehash_entries(sql_uow_factory: UowFactory) -> list[str]:
    with sql_uow_factory() as uow:
        entries = uow.audit.list(entity="api_key")
    return [entry.entity_id for entry in entries if entry.action == "key.rehash"]


def test_a_key_used_after_a_rotation_is_stored_with_its_new_hash_and_audited(
    keys: SqlApiKeyStore, sql_uow_factory: UowFactory
) -> None:
    key_id, key = create_api_key(keys, "web", "channel", server_secret=OLD, channel="web")

    Authenticator(keys, NEW, cache_seconds=0, previous_secrets=[OLD]).authenticate(key)

    assert stored(keys, key_id).secret_hash == hash_secret(key.split("_", 2)[2], NEW)
    assert rehash_entries(sql_uow_factory) == [key_id]


def test_a_key_rehashed_by_another_process_first_is_left_alone_and_not_audited_again(
    keys: SqlApiKeyStore, sql_uow_factory: UowFactory
) -> None:
    key_id, key = create_api_key(keys, "web", "channel", server_secret=OLD, channel="web")
    secret = key.split("_", 2)[2]
    # Both processes read the key while it still had its old hash.
    seen_by_first, seen_by_second = stored(keys, key_id), stored(keys, key_id)

    rehash_api_key(keys, seen_by_first, secret, server_secret=NEW, actor="channel:web")
    rehash_api_key(keys, seen_by_second, secret, server_secret=NEW, actor="channel:web")

    assert stored(keys, key_id).secret_hash == hash_secret(secret, NEW)
    assert rehash_entries(sql_uow_factory) == [key_id]


def test_a_hash_that_is_no_longer_the_stored_one_is_not_replaced(keys: SqlApiKeyStore) -> None:
    key_id, _ = create_api_key(keys, "web", "channel", server_secret=NEW, channel="web")
    current = stored(keys, key_id).secret_hash

    assert keys.rehash(key_id, "a-hash-it-no-longer-has", "replacement") is False
    assert keys.rehash("no-such-key", current, "replacement") is False
    assert stored(keys, key_id).secret_hash == current
