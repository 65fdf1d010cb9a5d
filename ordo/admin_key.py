"""API keys from the command line: the first admin key, and `ordo keys create|list|revoke`.

`ordo demo` and `ordo up` make sure an admin key exists: the one configured in
`ORDO_BOOTSTRAP_ADMIN_KEY` (registered, never printed), or else a new one issued when the
database has no active admin key yet, whose plaintext is printed once and never stored.
`ordo serve` only registers a configured key: a production server does not print secrets.
`ordo keys` issues, lists and revokes keys directly in the database, for the operator who has
no admin key at hand (the API's `/v1/keys` needs one). Every key this module issues,
registers or revokes is audited in the key's own transaction, for `cli:<OS user>`.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence

from engine.adapters.orm_api import SqlApiKeyStore
from engine.domain.access import ApiKey, Role
from engine.domain.values import utcnow
from engine.service_layer.auth import (
    KEY_PREFIX,
    InvalidKeyField,
    create_api_key,
    hash_secret,
    hashed_with,
    issued_entry,
    rehash_api_key,
    revoke_api_key,
)
from ordo.bootstrap import Container
from ordo.failures import CommandError

BOOTSTRAP_KEY_NAME = "bootstrap admin (ORDO_BOOTSTRAP_ADMIN_KEY)"
ISSUED_KEY_NAME = "first admin (issued by ordo)"


def register_configured_key(container: Container) -> bool:
    """Store ORDO_BOOTSTRAP_ADMIN_KEY as an admin key if it is not there; False when unset.

    One registered under a secret key now in ORDO_PREVIOUS_SECRET_KEYS is re-hashed with
    the current one, so a rotation does not lock the operator out."""
    configured = container.settings.bootstrap_admin_key
    if configured is None:
        return False
    key_id, _, secret = configured.get_secret_value().removeprefix(KEY_PREFIX).partition("_")
    store = SqlApiKeyStore(container.session_factory)
    server_secret = _server_secret(container)
    existing = store.get(key_id)
    if existing is None:
        actor = operator()
        key = ApiKey(
            id=key_id,
            name=BOOTSTRAP_KEY_NAME,
            role=Role.ADMIN,
            secret_hash=hash_secret(secret, server_secret),
            created_at=utcnow(),
            created_by=actor,
        )
        store.add(key, issued_entry(key, actor))
        return True
    previous = [key.get_secret_value() for key in container.settings.previous_secret_keys]
    used = hashed_with(existing.secret_hash, secret, [server_secret, *previous])
    if used is None:
        raise CommandError(
            f"ORDO_BOOTSTRAP_ADMIN_KEY: key id {key_id} is already registered with another "
            "secret (or with an ORDO_SECRET_KEY that is neither the current one nor in "
            "ORDO_PREVIOUS_SECRET_KEYS); choose a new key"
        )
    if used != server_secret:
        rehash_api_key(store, existing, secret, server_secret=server_secret, actor=operator())
    return True


def ensure_admin_key(container: Container) -> str | None:
    """Make sure an admin can log in; the plaintext of a key issued now, else None."""
    if register_configured_key(container):
        return None
    store = SqlApiKeyStore(container.session_factory)
    if any(key.role is Role.ADMIN and key.active for key in store.list()):
        return None
    _, plaintext = create_api_key(
        store,
        ISSUED_KEY_NAME,
        Role.ADMIN,
        server_secret=_server_secret(container),
        actor=operator(),
    )
    return plaintext


def issue_key(
    container: Container,
    name: str,
    role: str,
    *,
    channel: str = "",
    locations: Sequence[str] = (),
    customer_id: str = "",
) -> tuple[str, str]:
    """A new key's `(id, plaintext)`; the plaintext is shown once and never stored."""
    if role not in {str(known) for known in Role}:
        choices = ", ".join(str(known) for known in Role)
        raise CommandError(f"--role: must be one of {choices}, got {role!r}")
    if not name.strip():
        raise CommandError("the key's name must not be blank: say who or what it is for")
    try:
        return create_api_key(
            SqlApiKeyStore(container.session_factory),
            name,
            role,
            server_secret=_server_secret(container),
            channel=channel,
            locations=locations,
            customer_id=customer_id,
            actor=operator(),
            uow_factory=container.uow_factory,
        )
    except InvalidKeyField as refused:
        # The service layer names the API's fields; this command's are its flags.
        field = str(refused.loc[0])
        raise CommandError(f"{_FLAGS.get(field, field)}: {refused.reason}") from None


_FLAGS = {"channel": "--channel", "locations": "--location", "customer_id": "--customer"}


def list_keys(container: Container) -> Sequence[ApiKey]:
    return SqlApiKeyStore(container.session_factory).list()


def revoke_key(container: Container, key_id: str) -> tuple[ApiKey, str]:
    """The revoked key, and when it had been revoked already ('' if this revoked it)."""
    now = utcnow()
    key = revoke_api_key(
        SqlApiKeyStore(container.session_factory), key_id, actor=operator(), at=now
    )
    if key is None:
        raise CommandError(f"no API key with id {key_id!r} (see `ordo keys list`)")
    revoked = key.revoked_at
    if revoked is None or revoked >= now:
        return key, ""
    return key, revoked.strftime("%Y-%m-%d %H:%M UTC")


def operator() -> str:
    """Who runs this command, as the audit log names actors (`role:name`): `cli:<OS user>`.
    The login name is the operating system's word, not a credential: whoever can run `ordo`
    with the settings can write the database anyway."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        # No login variable and no passwd entry: a container's bare uid, or Windows without
        # USERNAME.
        getuid = getattr(os, "getuid", None)
        user = f"uid {getuid()}" if getuid is not None else "unknown user"
    return f"cli:{user}"


def _server_secret(container: Container) -> str:
    return container.settings.secret_key.get_secret_value()
