"""The processed-event ledger: which handler has already handled which event.

Delivery is at least once, so the worker records each (event, handler) pair in the same
transaction as the handler's changes: a redelivered event finds the record and is skipped, and
a crash before the commit leaves neither the effect nor the record. The records are the
machinery's working memory, not history a person reads, so they have a table of their own
(`processed_events`, migration `0004_processed_events`) instead of the audit log, and they
are purged with the outbox (`SqlOutboxStore.purge`).

Kept out of `orm.py` like the API's tables (`orm_api.py`): only the worker reads or writes
these rows, always by key, with single Core statements on the unit of work's own session.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.domain.values import utcnow

metadata = MetaData()
_Pair = tuple[str, str]  # (event id, handler)

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("handler", String(200), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    # Diagnostics for operators and the kill tests: which event, which worker, which delivery.
    Column("event_name", String(100), nullable=False),
    Column("consumer", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
    Index("ix_processed_events_processed_at", "processed_at"),
)


@dataclass(frozen=True, slots=True)
class Processed:
    """One (event, handler) record, as read back by tests and operators."""

    event_id: str
    handler: str
    processed_at: datetime
    event_name: str
    consumer: str
    attempt: int


class ProcessedLedger:
    """Claims (event, handler) pairs inside the unit of work's open transaction.

    `claim` is the check and the record in one statement (INSERT ... ON CONFLICT DO NOTHING):
    one round trip instead of a SELECT and an INSERT, and on PostgreSQL a second worker
    claiming the same pair waits for the first to commit or roll back instead of both running
    the handler. A unit of work without a SQL session (the in-memory one) keeps its records
    beside it, staged until `committed` says its transaction went through.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Per in-memory unit of work: committed pairs, and pairs staged by its open transaction.
        self._memory: weakref.WeakKeyDictionary[Any, tuple[set[_Pair], set[_Pair]]]
        self._memory = weakref.WeakKeyDictionary()

    def claim(
        self, uow: Any, event_id: str, handler: str, *, event_name: str, consumer: str,
        attempt: int,
    ) -> bool:  # fmt: skip
        """Record the pair in `uow`'s transaction; False if it was already processed."""
        session = getattr(uow, "session", None)
        if isinstance(session, Session):
            return self._claim_sql(session, event_id, handler, event_name, consumer, attempt)
        with self._lock:
            done, staged = self._memory.setdefault(uow, (set(), set()))
            if (event_id, handler) in done:
                return False
            staged.add((event_id, handler))
            return True

    def committed(self, uow: Any) -> None:
        """The transaction that claimed pairs on `uow` committed (a no-op for SQL: the rows
        committed with it)."""
        with self._lock:
            if uow in self._memory:
                done, staged = self._memory[uow]
                done.update(staged)
                staged.clear()

    def discarded(self, uow: Any) -> None:
        """The transaction rolled back: its claims are void (SQL forgets them by itself)."""
        with self._lock:
            if uow in self._memory:
                self._memory[uow][1].clear()

    @staticmethod
    def _claim_sql(
        session: Session, event_id: str, handler: str, event_name: str, consumer: str,
        attempt: int,
    ) -> bool:  # fmt: skip
        values = {
            "event_id": event_id[:200], "handler": handler[:200], "processed_at": utcnow(),
            "event_name": event_name[:100], "consumer": consumer[:200], "attempt": attempt,
        }  # fmt: skip
        # On the session's connection (its transaction), as Core: the ORM execution path
        # and a statement rebuilt with fresh literals cost more CPU than the round trip.
        connection = session.connection()
        statement = _CLAIM[connection.dialect.name == "postgresql"]
        return connection.execute(statement, values).first() is not None


def _claim_statement(insert: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: a row back means the claim is ours
    (RETURNING rather than rowcount, which not every driver reports for it)."""
    return (
        insert(processed_events).on_conflict_do_nothing().returning(processed_events.c.event_id)
    )


# Built once, keyed by "is PostgreSQL" (the other supported database is SQLite).
_CLAIM = {True: _claim_statement(postgresql.insert), False: _claim_statement(sqlite.insert)}


def purge_processed(connection: Connection, before: datetime) -> int:
    """Delete records older than `before`: an event redelivered (or redriven from the dead
    letters) after that is handled again, so keep them at least as long as the outbox."""
    result = connection.execute(
        delete(processed_events).where(processed_events.c.processed_at < before)
    )
    return int(result.rowcount)


def processed(connection: Connection, *, handler: str | None = None) -> Sequence[Processed]:
    """Every record (optionally one handler's), oldest first: for tests and operators."""
    query = select(processed_events).order_by(processed_events.c.processed_at)
    if handler is not None:
        query = query.where(processed_events.c.handler == handler)
    return [Processed(**dict(row._mapping)) for row in connection.execute(query)]
