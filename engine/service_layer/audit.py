"""The audit trail: one append-only entry per mutation, saying who, when, what, before/after.

`record` appends inside the caller's transaction when it has one (so the entry commits or
rolls back with the change); `append` opens its own for changes another handler committed.
Summaries are small plain dicts, never whole aggregates: the audit log says what changed,
the entities themselves hold the rest.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from engine.domain.operations import AuditEntry
from engine.domain.values import utcnow
from engine.service_layer.unit_of_work import UnitOfWork

# Who the command being handled is for, when a handler should audit inside its own
# transaction (an API request sets it around `dispatch`). Per request, not per process: a
# context variable follows the request's call stack and no other thread's.
_actor: ContextVar[str | None] = ContextVar("ordo_audit_actor", default=None)


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Handlers run inside this block that audit their own change (`create_order`) record
    it for `actor`, in the same transaction as the change: no second transaction to write
    the entry after the fact."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> str | None:
    """The actor set by `acting_as` around this call, if any."""
    return _actor.get()


def _plain(value: Any) -> Any:
    """JSON-safe copy: enums and decimals become strings, tuples lists."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value if not isinstance(value, str) else str(value)
    return str(value)


def entry(
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        id=f"aud_{secrets.token_hex(8)}",
        at=utcnow(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=_plain(before or {}),
        after=_plain(after or {}),
    )


def record(
    uow: UnitOfWork,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append inside `uow`'s open transaction; the caller commits."""
    item = entry(actor, action, entity, entity_id, before, after)
    uow.audit.append(item)
    return item


def append(
    uow_factory: Callable[[], UnitOfWork],
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append in a transaction of its own."""
    with uow_factory() as uow:
        item = record(uow, actor, action, entity, entity_id, before, after)
        uow.commit()
    return item


def entries(
    uow: UnitOfWork,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    with uow:
        return uow.audit.list(entity=entity, entity_id=entity_id, limit=limit, offset=offset)
