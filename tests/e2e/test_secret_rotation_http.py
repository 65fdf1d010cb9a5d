"""A rotation of ORDO_SECRET_KEY over HTTP: with the old secret in ORDO_PREVIOUS_SECRET_KEYS,
the keys and tokens clients hold keep working, and what the API hands out is made with the
new secret alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.adapters.orm_api import SqlApiKeyStore
from engine.service_layer.auth import (
    Authenticator,
    create_api_key,
    hash_secret,
    mint_token,
    principal_of,
    verify_token,
)
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings

OLD = "e2e-old-secret-key-that-is-long-enough-0123"
NEW = "e2e-new-secret-key-that-is-long-enough-4567"


@pytest.fixture
def rotated(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, SqlApiKeyStore]]:
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=NEW,
        previous_secret_keys=OLD,
        data_dir=tmp_path / "data",
    )
    with (
        build_app_container(settings) as container,
        TestClient(create_app(container), raise_server_exceptions=False) as client,
    ):
        yield client, SqlApiKeyStore(container.session_factory)


def test_a_key_issued_before_the_rotation_still_works_and_is_moved_to_the_new_secret(
    rotated: tuple[TestClient, SqlApiKeyStore],
) -> None:
    client, keys = rotated
    key_id, key = create_api_key(keys, "web", "channel", server_secret=OLD, channel="web")

    me = client.get("/v1/auth/me", headers={"X-API-Key": key})

    assert me.status_code == 200, me.text
    stored = keys.get(key_id)
    assert stored is not None
    assert stored.secret_hash == hash_secret(key.split("_", 2)[2], NEW)
    assert Authenticator(keys, NEW, cache_seconds=0).authenticate(key).key_id == key_id


def test_a_token_minted_before_the_rotation_still_works(
    rotated: tuple[TestClient, SqlApiKeyStore],
) -> None:
    client, keys = rotated
    key_id, _ = create_api_key(keys, "web", "channel", server_secret=OLD, channel="web")
    issued = keys.get(key_id)
    assert issued is not None
    token = mint_token(principal_of(issued), OLD)

    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert me.status_code == 200, me.text


def test_tokens_and_keys_handed_out_after_the_rotation_are_made_with_the_new_secret_only(
    rotated: tuple[TestClient, SqlApiKeyStore],
) -> None:
    client, keys = rotated
    _, admin = create_api_key(keys, "ops", "admin", server_secret=OLD)
    headers = {"X-API-Key": admin}

    token = client.post("/v1/auth/tokens", json={}, headers=headers).json()["access_token"]
    issued = client.post("/v1/keys", json={"name": "ann", "role": "support"}, headers=headers)

    assert verify_token(token, NEW).name == "ops"
    new_key = issued.json()["api_key"]
    assert Authenticator(keys, NEW, cache_seconds=0).authenticate(new_key).name == "ann"
