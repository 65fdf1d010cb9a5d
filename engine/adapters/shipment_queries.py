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
`LatenessFlags.purge` keeps that table from growing for ever: one DELETE, after each tick,
drops the markers whose shipment or order is finished (or gone), and those older than the
retention whose entity could not be reported now anyway. A marker that still stops a report
(an open shipment past its promise, an order still held) is kept however old it is.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, bindparam, delete, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.adapters.memory import MemoryShipments
from engine.adapters.orm import UTCDateTime, fulfillment_orders, lateness_flags, orders
from engine.adapters.repositories import SqlShipments
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.domain.orders import TERMINAL, OrderStatus
from engine.service_layer.unit_of_work import ShipmentRepository

CLOSED = (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)
OPEN = [status.value for status in ShipmentStatus if status not in CLOSED]
# How long a marker outlives the reason it was written when nothing else removes it first.
DEFAULT_RETENTION = timedelta(days=30)


def open_past_promise(
    shipments: ShipmentRepository, today: date, limit: int = 500, offset: int = 0
) -> Sequence[FulfillmentOrder]:
    """Open shipments promised before `today`, oldest created first (like `list`)."""
    if isinstance(shipments, SqlShipments):
        c = shipments.table.c
        # The open statuses named (not "not closed"): with the (status, promised_date) index
        # that is a few short index ranges, where NOT IN scans every shipment ever made.
        where = and_(
            c.status.in_(OPEN),
            c.promised_date.is_not(None),
            c.promised_date < today,
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

    `retention`: how old a marker may grow before `purge` drops it, unless it still stops a
    report (see `purge`); markers of finished shipments and orders go at once.
    """

    def __init__(self, remember: int = 100_000, retention: timedelta = DEFAULT_RETENTION) -> None:
        if retention <= timedelta(0):
            raise ValueError(f"lateness flag retention must be positive, got {retention}")
        self.remember = remember
        self.retention = retention
        self._lock = threading.Lock()
        # Per store (a SQL engine, or an in-memory unit of work): flags known to be stored,
        # with when they were flagged (the in-memory store's purge reads it).
        self._known: weakref.WeakKeyDictionary[Any, dict[_Flag, datetime]]
        self._known = weakref.WeakKeyDictionary()
        # Per unit of work: its store and the flags its open transaction claimed.
        self._staged: weakref.WeakKeyDictionary[Any, tuple[Any, dict[_Flag, datetime]]]
        self._staged = weakref.WeakKeyDictionary()

    def claim(self, uow: Any, entity: str, entity_id: str, flag: str, at: datetime) -> bool:
        """Record the flag in `uow`'s transaction; False if it was already recorded."""
        session = getattr(uow, "session", None)
        store = session.get_bind() if isinstance(session, Session) else uow
        key = (entity, entity_id, flag)
        with self._lock:
            known = self._known.setdefault(store, {})
            staged = self._staged.setdefault(uow, (store, {}))[1]
            if key in known or key in staged:
                return False
        if isinstance(session, Session) and not _insert(session, key, at):
            self._remember(store, {key: at}, cache=True)
            return False
        with self._lock:
            staged[key] = at
        return True

    def committed(self, uow: Any) -> None:
        """The transaction that claimed flags on `uow` committed: they are stored now."""
        with self._lock:
            store, staged = self._staged.pop(uow, (None, {}))
        if store is not None:
            self._remember(store, staged, cache=store is not uow)

    def discarded(self, uow: Any) -> None:
        """The transaction rolled back: its claims are void (SQL forgets its rows by itself)."""
        with self._lock:
            self._staged.pop(uow, None)

    def purge(self, uow: Any, now: datetime) -> int:
        """Forget the markers nothing needs any more, in `uow`'s transaction; how many went.

        A shipment's marker goes once the shipment is delivered, cancelled or gone, and an
        order's once the order is finished (delivered, cancelled, rejected) or gone: neither
        can be reported again. Past `retention` a marker also goes unless it still stops a
        report: an open shipment past its promise, or an order still held (its current hold
        may be the one the marker names). So a still-late shipment is never reported twice.
        """
        session = getattr(uow, "session", None)
        cutoff, today = now - self.retention, now.date()
        if isinstance(session, Session):
            connection = session.connection()
            gone = connection.execute(_PURGE, {"cutoff": cutoff, "today": today}).all()
            purged: set[_Flag] = {(str(e), str(i), str(f)) for e, i, f in gone}
            store = session.get_bind()
        else:
            store = uow
            with self._lock:
                known = dict(self._known.get(store, {}))
            purged = {
                key for key, at in known.items() if not _still_needed(uow, key, at, cutoff, today)
            }
        with self._lock:
            known_now = self._known.get(store, {})
            for key in purged:
                known_now.pop(key, None)
        return len(purged)

    def _remember(self, store: Any, flags: dict[_Flag, datetime], *, cache: bool) -> None:
        with self._lock:
            known = self._known.setdefault(store, {})
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


def _still_needed(uow: Any, key: _Flag, at: datetime, cutoff: datetime, today: date) -> bool:
    """`purge`'s rule for a store without SQL (the same rule `_PURGE` states in SQL)."""
    entity, entity_id, _ = key
    young = at >= cutoff
    if entity == "shipment":
        shipment = uow.shipments.get(entity_id)
        return (
            shipment is not None
            and shipment.status not in CLOSED
            and (young or shipment.is_late(today))
        )
    if entity == "order":
        order = uow.orders.get(entity_id)
        return (
            order is not None
            and order.status not in TERMINAL
            and (young or order.status == OrderStatus.HELD)
        )
    return young


def _purge_statement() -> Any:
    """DELETE the markers `purge` forgets, RETURNING their keys (to drop them from the cache).

    A marker is kept while its entity exists unfinished and either the marker is younger than
    the cutoff or the entity could be reported now (shipment past its promise, order held)."""
    flags, shipments = lateness_flags, fulfillment_orders
    cutoff = bindparam("cutoff", type_=UTCDateTime())
    today = bindparam("today", type_=Date())
    young = flags.c.flagged_at >= cutoff
    shipment_kept = (
        select(shipments.c.id)
        .where(
            shipments.c.id == flags.c.entity_id,
            shipments.c.status.not_in([status.value for status in CLOSED]),
            or_(
                young,
                and_(shipments.c.promised_date.is_not(None), shipments.c.promised_date < today),
            ),
        )
        .correlate(flags)
        .exists()
    )
    order_kept = (
        select(orders.c.id)
        .where(
            orders.c.id == flags.c.entity_id,
            orders.c.status.not_in(sorted(status.value for status in TERMINAL)),
            or_(young, orders.c.status == OrderStatus.HELD.value),
        )
        .correlate(flags)
        .exists()
    )
    forgotten = or_(
        and_(flags.c.entity == "shipment", not_(shipment_kept)),
        and_(flags.c.entity == "order", not_(order_kept)),
        and_(flags.c.entity.not_in(["shipment", "order"]), not_(young)),
    )
    return delete(flags).where(forgotten).returning(flags.c.entity, flags.c.entity_id, flags.c.flag)


_PURGE = _purge_statement()
