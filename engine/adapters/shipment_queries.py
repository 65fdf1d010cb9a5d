"""The store's side of the worker's lateness clock: which shipments are late, which were flagged.

`open_past_promise` finds the shipments still open (neither delivered nor cancelled) whose
promised date has passed: the clock used to page through every shipment ever made each
minute, which grows without end while the late ones stay a handful. SQL stores answer with
one WHERE on status and promised date; the in-memory store filters its rows the same way.
Kept out of `repositories.py` so the repository interface does not grow for one caller.

`LatenessFlags` remembers what the clock has already reported, one row per (entity, id, flag)
in `lateness_flags` (migration 0005), claimed with INSERT ... ON CONFLICT DO NOTHING in the
clock's own transaction: two workers ticking at once insert one row between them (on
PostgreSQL the second waits for the first to commit), so each lateness is reported once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.adapters.memory import MemoryShipments
from engine.adapters.orm import lateness_flags
from engine.adapters.repositories import SqlShipments
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.service_layer.unit_of_work import ShipmentRepository

CLOSED = (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)


def open_past_promise(
    shipments: ShipmentRepository, today: date, limit: int = 500, offset: int = 0
) -> Sequence[FulfillmentOrder]:
    """Open shipments promised before `today`, oldest created first (like `list`)."""
    if isinstance(shipments, SqlShipments):
        c = shipments.table.c
        where = and_(
            c.promised_date.is_not(None),
            c.promised_date < today,
            c.status.not_in([status.value for status in CLOSED]),
        )
        return shipments._query(where, limit=limit, offset=offset)
    if isinstance(shipments, MemoryShipments):
        return shipments._select(where=lambda s: s.is_late(today), limit=limit, offset=offset)
    # Any other store: the same answer the slow way.
    late: list[FulfillmentOrder] = []
    page_offset = 0
    while True:
        page = shipments.list(limit=500, offset=page_offset)
        late += [s for s in page if s.is_late(today)]
        if len(page) < 500:
            return late[offset : offset + limit]
        page_offset += 500


_Flag = tuple[str, str, str]  # (entity, entity id, flag)


class LatenessFlags:
    """The clock's "reported once" memory (`engine.service_layer.alerts.FlagLedger`).

    On a SQL unit of work a claim is one INSERT ... ON CONFLICT DO NOTHING on the unit of
    work's session, so it commits or rolls back with the events it allows. Flags this process
    has seen stored are remembered per database, so a shipment that stays late costs no query
    on later ticks. A unit of work without a SQL session (the in-memory one) has no table: its
    flags are kept here, beside it, staged until `committed` says its transaction went through.
    """

    def __init__(self, remember: int = 100_000) -> None:
        self.remember = remember
        self._lock = threading.Lock()
        # Per store (a SQL engine, or an in-memory unit of work): flags known to be stored.
        self._known: weakref.WeakKeyDictionary[Any, set[_Flag]] = weakref.WeakKeyDictionary()
        # Per unit of work: its store and the flags its open transaction claimed.
        self._staged: weakref.WeakKeyDictionary[Any, tuple[Any, set[_Flag]]]
        self._staged = weakref.WeakKeyDictionary()

    def claim(self, uow: Any, entity: str, entity_id: str, flag: str, at: datetime) -> bool:
        """Record the flag in `uow`'s transaction; False if it was already recorded."""
        session = getattr(uow, "session", None)
        store = session.get_bind() if isinstance(session, Session) else uow
        key = (entity, entity_id, flag)
        with self._lock:
            known = self._known.setdefault(store, set())
            staged = self._staged.setdefault(uow, (store, set()))[1]
            if key in known or key in staged:
                return False
        if isinstance(session, Session) and not _insert(session, key, at):
            self._remember(store, {key}, cache=True)
            return False
        with self._lock:
            staged.add(key)
        return True

    def committed(self, uow: Any) -> None:
        """The transaction that claimed flags on `uow` committed: they are stored now."""
        with self._lock:
            store, staged = self._staged.pop(uow, (None, set()))
        if store is not None:
            self._remember(store, staged, cache=store is not uow)

    def discarded(self, uow: Any) -> None:
        """The transaction rolled back: its claims are void (SQL forgets its rows by itself)."""
        with self._lock:
            self._staged.pop(uow, None)

    def _remember(self, store: Any, flags: set[_Flag], *, cache: bool) -> None:
        with self._lock:
            known = self._known.setdefault(store, set())
            # For SQL this is a cache of the table: start again rather than grow for ever.
            # For an in-memory store it is the only copy, so it is never dropped.
            if cache and len(known) + len(flags) > self.remember:
                known.clear()
            known.update(flags)


def _insert(session: Session, key: _Flag, at: datetime) -> bool:
    entity, entity_id, flag = key
    values = {"entity": entity, "entity_id": entity_id, "flag": flag, "flagged_at": at}
    connection = session.connection()
    statement = _CLAIM[connection.dialect.name == "postgresql"]
    return connection.execute(statement, values).first() is not None


def _claim_statement(insert: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: a row back means the flag is ours."""
    return insert(lateness_flags).on_conflict_do_nothing().returning(lateness_flags.c.flag)


# Built once, keyed by "is PostgreSQL" (the other supported database is SQLite).
_CLAIM = {True: _claim_statement(postgresql.insert), False: _claim_statement(sqlite.insert)}
