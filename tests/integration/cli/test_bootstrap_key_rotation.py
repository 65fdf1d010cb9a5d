"""ORDO_BOOTSTRAP_ADMIN_KEY across a rotation of ORDO_SECRET_KEY: registered under the old
secret, it is accepted at start-up once the old secret is in ORDO_PREVIOUS_SECRET_KEYS, and
re-hashed so it works with the new secret alone."""

from __future__ import annotations

from typing import Any

import pytest

from engine.adapters.orm_api import SqlApiKeyStore
from engine.domain.access import Role
from engine.service_layer.auth import Authenticator, hash_secret
from ordo.admin_key import register_configured_key
from ordo.bootstrap import build_app_container
from ordo.failures import CommandError
from ordo.settings import load_settings

CONFIGURED = "ordo_c0ffee42_" + "s3cret-value-for-tests-only-0123456789"
OLD = "the-old-secret-key-long-enough-0123"
NEW = "the-new-secret-key-long-enough-4567"


def register(database_url: str, **settings: Any) -> None:
    loaded = load_settings(database_url=database_url, bootstrap_admin_key=CONFIGURED, **settings)
    with build_app_container(loaded) as container:
        register_configured_key(container)


def role_under(database_url: str, secret: str) -> Role:
    with build_app_container(load_settings(database_url=database_url)) as container:
        keys = SqlApiKeyStore(container.session_factory)
        return Authenticator(keys, secret, cache_seconds=0).authenticate(CONFIGURED).role


def test_the_bootstrap_key_survives_a_rotation_and_is_moved_to_the_new_secret(
    database_url: str,
) -> None:
    register(database_url, secret_key=OLD)

    register(database_url, secret_key=NEW, previous_secret_keys=OLD)

    assert role_under(database_url, NEW) is Role.ADMIN
    with build_app_container(load_settings(database_url=database_url)) as container:
        stored = SqlApiKeyStore(container.session_factory).get("c0ffee42")
    assert stored is not None
    assert stored.secret_hash == hash_secret(CONFIGURED.split("_", 2)[2], NEW)
    # Started again after the rotation, and with the previous secret dropped: nothing to do.
    register(database_url, secret_key=NEW)
    assert role_under(database_url, NEW) is Role.ADMIN


def test_the_bootstrap_key_is_refused_after_a_rotation_that_does_not_list_the_old_secret(
    database_url: str,
) -> None:
    register(database_url, secret_key=OLD)

    with pytest.raises(CommandError, match="ORDO_PREVIOUS_SECRET_KEYS"):
        register(database_url, secret_key=NEW)
