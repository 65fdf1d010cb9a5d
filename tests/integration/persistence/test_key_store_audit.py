"""A key's change and its audit entry are one transaction in the SQL key store: both are
written, or neither. The failure is injected between the two by an audit entry whose id is
taken, so the key's row is written first and the entry's insert is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from engine.adapters.orm_api import SqlApiKeyStore
from engine.adapters.sqlalchemy_uow import make_session_factory
from engine.domain.access import Role
from engine.domain.operations import AuditEntry
from engine.service_layer import audit, auth
from engine.service_layer.auth import create_api_key, revoke_api_key
from engine.service_layer.unit_of_work import UnitOfWork

SECRET = "s" * 40
UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def keys(db_engine: Engine) -> SqlApiKeyStore:
    return SqlApiKeyStore(make_session_factory(db_engine))


def key_entries(sql_uow_factory: UowFactory) -> list[AuditEntry]:
    with sql_uow_factory() as uow:
        return list(uow.audit.list(entity="api_key"))


def an_entry_with_a_taken_id(sql_uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Store one audit entry, and make the key store's next entries reuse its id."""
    taken = audit.append(sql_uow_factory, "admin:ann", "stock.adjust", "stock", "SHOE-42")
    built = auth.audit_entry

    def clashing(*args: Any) -> AuditEntry:
        return replace(built(*args), id=taken.id)

    monkeypatch.setattr(auth, "audit_entry", clashing)


def test_an_issued_key_and_its_audit_entry_are_written_together(
    keys: SqlApiKeyStore, sql_uow_factory: UowFactory
) -> None:
    key_id, _ = create_api_key(
        keys, "pos", Role.CHANNEL, server_secret=SECRET, channel="pos", actor="cli:ann"
    )
    [entry] = key_entries(sql_uow_factory)
    assert (entry.actor, entry.action, entry.entity_id) == ("cli:ann", "key.issue", key_id)
    assert entry.after == {"name": "pos", "role": "channel"}
    stored = keys.get(key_id)
    assert stored is not None and stored.created_by == "cli:ann"


def test_an_audit_entry_that_cannot_be_written_leaves_no_key(
    keys: SqlApiKeyStore, sql_uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    an_entry_with_a_taken_id(sql_uow_factory, monkeypatch)
    with pytest.raises(IntegrityError):
        create_api_key(keys, "ops", Role.ADMIN, server_secret=SECRET, actor="cli:ann")
    assert keys.list() == []
    assert key_entries(sql_uow_factory) == []


def test_a_revocation_whose_audit_entry_cannot_be_written_leaves_the_key_active(
    keys: SqlApiKeyStore, sql_uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, _ = create_api_key(keys, "ops", Role.ADMIN, server_secret=SECRET, actor="cli:ann")
    an_entry_with_a_taken_id(sql_uow_factory, monkeypatch)
    with pytest.raises(IntegrityError):
        revoke_api_key(keys, key_id, actor="cli:bob")
    key = keys.get(key_id)
    assert key is not None and key.active
    assert [e.action for e in key_entries(sql_uow_factory)] == ["key.issue"]


def test_revoking_a_revoked_key_adds_no_second_entry(
    keys: SqlApiKeyStore, sql_uow_factory: UowFactory
) -> None:
    key_id, _ = create_api_key(keys, "ops", Role.ADMIN, server_secret=SECRET, actor="cli:ann")
    first = revoke_api_key(keys, key_id, actor="cli:bob")
    again = revoke_api_key(keys, key_id, actor="cli:bob")
    assert first is not None and again is not None and again.revoked_at == first.revoked_at
    revocations = [e for e in key_entries(sql_uow_factory) if e.action == "key.revoke"]
    assert [(e.actor, e.entity_id) for e in revocations] == [("cli:bob", key_id)]


def test_revoking_a_key_that_does_not_exist_audits_nothing(
    keys: SqlApiKeyStore, sql_uow_factory: UowFactory
) -> None:
    assert revoke_api_key(keys, "0123456789ab", actor="cli:bob") is None
    assert key_entries(sql_uow_factory) == []
