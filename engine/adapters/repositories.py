"""SQLAlchemy repositories: rows in, domain dataclasses out, and changes written back.

Each repository keeps an identity map for its transaction: what it hands out it also remembers
together with the row it was built from, and `flush()` writes only what changed (new entities
as one multi-row INSERT per table, changed ones as UPDATEs). Orders and stock rows carry a
version and are updated only if nobody else changed them since they were read; otherwise the
flush raises `Conflict` instead of silently overwriting. A repository flushes itself before
each query so that reads in a transaction see its own writes (not before a get by key, nor
the stock moves, which touch one row and flush only that one).

Stock, with its atomic moves, lives in `engine.adapters.stock_repository`.
"""

from __future__ import annotations

import abc
import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from engine.adapters import catalogue_cache, driver, orm, orm_api, sealed_rows
from engine.adapters import translation as tr
from engine.adapters.field_crypto import TOKEN_PREFIX, FieldCipher
from engine.domain.access import IdempotencyRecord, IdempotencyState
from engine.domain.catalog import Customer, Location, Product
from engine.domain.errors import AlreadyExists, Conflict
from engine.domain.events import AlertRaised, AlertTriggered
from engine.domain.fulfilment import (
    FulfillmentOrder,
    Label,
    Return,
    ReturnStatus,
    ShipmentStatus,
    TrackingEvent,
)
from engine.domain.inventory import InboundSupply, Reservation, ReservationStatus
from engine.domain.operations import (
    Alert,
    AlertStatus,
    AuditEntry,
    DecisionTrace,
    RulesetStatus,
    RulesetVersion,
    Ticket,
)
from engine.domain.orders import NEVER_SHIPS, LineStatus, Order, OrderStatus
from engine.domain.values import in_utc
from engine.service_layer import unit_of_work as uow_api

K = TypeVar("K", bound=Hashable)
_BY_KEY: dict[type, Select[Any]] = {}
# Demand of one SKU since a moment (SqlOrders.units_ordered): one row per line, no orders built.
_UNITS_ORDERED = (
    select(
        orm.orders.c.created_at,
        (orm.order_lines.c.quantity - orm.order_lines.c.quantity_cancelled).label("quantity"),
    )
    .select_from(orm.order_lines.join(orm.orders, orm.order_lines.c.order_id == orm.orders.c.id))
    .where(
        orm.order_lines.c.sku == bindparam("b_sku"),
        orm.order_lines.c.quantity > orm.order_lines.c.quantity_cancelled,
        orm.orders.c.created_at >= bindparam("b_since"),
        orm.orders.c.status.not_in(sorted(str(status) for status in NEVER_SHIPS)),
    )
)
_BY_KEY_LOCKED: dict[type, Select[Any]] = {}
_BY_KEYS: dict[type, Select[Any]] = {}
_LINES_OF_ORDERS = (
    select(orm.order_lines)
    .where(orm.order_lines.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(orm.order_lines.c.order_id, orm.order_lines.c.position)
)
# An order and its lines in one round trip (get by key), lines labelled `l_<column>`.
_ORDER_WITH_LINES = (
    select(orm.orders, *(c.label(f"l_{c.name}") for c in orm.order_lines.c))
    .outerjoin(orm.order_lines, orm.order_lines.c.order_id == orm.orders.c.id)
    .where(orm.orders.c.id == bindparam("k_id"))
    .order_by(orm.order_lines.c.position)
)
_ORDER_BY_CHANNEL_ID = (
    select(orm.orders, *(c.label(f"l_{c.name}") for c in orm.order_lines.c))
    .outerjoin(orm.order_lines, orm.order_lines.c.order_id == orm.orders.c.id)
    .where(
        orm.orders.c.channel == bindparam("k_channel"),
        orm.orders.c.channel_order_id == bindparam("k_channel_order_id"),
    )
    .order_by(orm.order_lines.c.position)
)
# Shipment statuses that do not count against a location's daily capacity.
_NOT_RELEASED = frozenset({ShipmentStatus.PENDING.value, ShipmentStatus.CANCELLED.value})
_RELEASED_ON: Select[Any] = (
    select(
        orm.location_day_releases.c.location_code,
        func.sum(orm.location_day_releases.c.released).label("released"),
    )
    .where(
        orm.location_day_releases.c.location_code.in_(bindparam("k_codes", expanding=True)),
        orm.location_day_releases.c.day == bindparam("k_day"),
    )
    .group_by(orm.location_day_releases.c.location_code)
)
T = TypeVar("T")
Row = dict[str, Any]
Rows = list[Row]
# What an entity looked like when read: its row and, for orders and stock, its child rows.
Snapshot = tuple[Row, list[Row]]


class SqlRepository(uow_api.Repository[K, T], Generic[K, T]):
    """Identity map, change detection and batched writes shared by every table."""

    table: ClassVar[Table]
    entity: ClassVar[str]
    key_columns: ClassVar[tuple[str, ...]]
    order_by: ClassVar[tuple[str, ...]]
    newest_first: ClassVar[bool] = False
    versioned: ClassVar[bool] = False
    child_table: ClassVar[Table | None] = None
    # Kept per process by the session factory's catalogue cache (`read_many`).
    catalogued: ClassVar[bool] = False
    # Columns encrypted at rest when the session factory holds a cipher (ORDO_DATA_KEYS).
    personal: ClassVar[sealed_rows.PersonalColumns | None] = None
    # ... and of `child_table` (shipments' tracking scans).
    personal_children: ClassVar[sealed_rows.PersonalColumns | None] = None

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._new: dict[K, T] = {}
        self._loaded: dict[K, tuple[T, Snapshot]] = {}
        self._read: dict[K, T] = {}  # `read_many`'s entities, not tracked for changes
        self._row_locked: set[K] = set()  # keys `get_for_update` holds the row of
        self._connection: Connection | None = None
        # None when encryption is off: rows are written and read exactly as translated.
        self._sealer = sealed_rows.sealer_for(session, self.personal)
        self._child_sealer = sealed_rows.sealer_for(session, self.personal_children)

    def connection(self) -> Connection:
        """The session's connection for this transaction, asked of the session once: asking
        per statement cost a tenth of each statement. `reset` (at every commit and rollback,
        when the session lets the connection go) forgets it."""
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    def _execute(self, statement: Executable, params: Any = None) -> CursorResult[Any]:
        # The session's connection directly: the ORM layer of Session.execute adds nothing for
        # Core statements and costs about as much as SQLite takes to run them.
        connection = self.connection()
        driver.write_deferred(connection)  # a statement sees the rows written before it
        return connection.execute(statement, params)

    # -- translation, per entity --------------------------------------------------------------
    @abc.abstractmethod
    def key_of(self, item: T) -> K: ...

    @abc.abstractmethod
    def dump(self, item: T) -> Snapshot: ...

    @abc.abstractmethod
    def build(self, row: Row, children: list[Row]) -> T: ...

    def _key_from_row(self, row: Row) -> K:
        values = tuple(row[c] for c in self.key_columns)
        return values[0] if len(values) == 1 else values  # type: ignore[return-value]

    def _where_key(self, key: K) -> ColumnElement[bool]:
        values = key if isinstance(key, tuple) else (key,)
        return and_(*(self.table.c[c] == v for c, v in zip(self.key_columns, values, strict=True)))

    def _children(self, keys: list[K]) -> dict[K, list[Row]]:
        return {}

    def _sealed_children(self, rows: Rows) -> Rows:
        """Child rows as they are written: their personal columns sealed, when any."""
        sealer = self._child_sealer
        if sealer is None:
            return rows
        return [sealer.seal(row, sealer.columns.row_id(row)) for row in rows]

    # -- the Repository interface -------------------------------------------------------------
    def _held(self, key: K) -> T | None:
        """The entity of `key` this transaction holds: pending insert, or loaded."""
        found = self._new.get(key)
        if found is None and key in self._loaded:
            found = self._loaded[key][0]
        return found

    def _add(self, item: T) -> None:
        key = self.key_of(item)
        known = self._held(key)
        if known is item:
            return  # adding what this transaction already holds changes nothing
        if known is not None:
            message = f"{self.entity} '{tr.show_key(key)}' already exists"
            raise AlreadyExists(message, self.entity, [key])
        self._new[key] = item

    def _get(self, key: K) -> T | None:
        held = self._held(key)
        if held is not None:
            return held
        values = key if isinstance(key, tuple) else (key,)
        params = {f"k_{c}": v for c, v in zip(self.key_columns, values, strict=True)}
        # No flush: the row with this key is neither pending insert (checked above) nor held,
        # so nothing this transaction has not yet written can change what the SELECT returns.
        found = self._materialise(driver.fetch_all(self._by_key(), self.connection(), params))
        return found[0] if found else None

    def get_for_update(self, key: K) -> T | None:
        """`get`, holding the row until the transaction ends: SELECT ... FOR UPDATE on
        PostgreSQL, which waits for a transaction holding the row to end and then reads what
        it committed; the entity's child rows are read after that, so they include its
        writes too. (SQLite needs no lock: each writer takes the whole database at BEGIN
        IMMEDIATE.) An entity this transaction has already read without the lock may be
        older than the row it would now lock, and is refused rather than handed out as if
        it were current: lock first, then read."""
        pending = self._new.get(key)
        if pending is not None:
            return self._track(pending)  # this transaction's own insert: no one else has it
        if key in self._loaded:
            if key not in self._row_locked:
                raise RuntimeError(
                    f"{self.entity} '{tr.show_key(key)}' was read in this transaction before "
                    "its row was locked; call get_for_update before any other read of it"
                )
            return self._track(self._loaded[key][0])
        values = key if isinstance(key, tuple) else (key,)
        params = {f"k_{c}": v for c, v in zip(self.key_columns, values, strict=True)}
        rows = driver.fetch_all(self._by_key_locked(), self.connection(), params)
        found = self._materialise(rows)
        if not found:
            return None
        self._row_locked.add(key)
        return found[0]

    def get_many(self, keys: Iterable[K]) -> dict[K, T]:
        """One `IN` query for every key this transaction does not hold yet (single-column keys;
        composite ones go one by one)."""
        wanted = list(dict.fromkeys(keys))
        if len(self.key_columns) != 1:
            return super().get_many(wanted)
        found: dict[K, T] = {}
        missing = []
        for key in wanted:
            held = self._held(key)
            if held is not None:
                found[key] = self._track(held)
            else:
                missing.append(key)
        if missing:
            # No flush, as in `_get`: none of these keys is pending or held.
            rows = driver.fetch_all(self._by_keys(), self.connection(), {"k_keys": missing})
            for item in self._materialise(rows):
                found[self.key_of(item)] = item
        return {key: found[key] for key in wanted if key in found}

    def read_many(self, keys: Iterable[K]) -> dict[K, T]:
        """As `get_many`, but what it reads is built and not held for change tracking: each
        entity held was dumped when read and again at commit, to find that nothing changed
        (eight per order of products and locations the pipeline only reads). A key this
        transaction holds is given as held; one read before in it, as read then."""
        wanted = list(dict.fromkeys(keys))
        if len(self.key_columns) != 1:
            return super().read_many(wanted)
        found: dict[K, T] = {}
        missing = []
        for key in wanted:
            held = self._held(key)
            if held is None:
                held = self._read.get(key)
            if held is not None:
                found[key] = held
            else:
                missing.append(key)
        if missing:
            cache = catalogue_cache.cache_of(self.session) if self.catalogued else None
            # A transaction that holds any of the table for change may have written it: it
            # reads what it wrote, not what the process kept.
            if cache is not None and not self._new and not self._loaded:
                version = catalogue_cache.version_seen(self.session, self.connection())
                kept = cache.get(version, self.table.name, missing)
                found.update(kept)
                self._read.update(kept)
                missing = [key for key in missing if key not in kept]
                fresh = self._read_rows(missing, found) if missing else {}
                cache.put(version, self.table.name, fresh)
            else:
                self._read_rows(missing, found)
        return {key: found[key] for key in wanted if key in found}

    def _read_rows(self, keys: list[K], found: dict[K, T]) -> dict[K, T]:
        """`read_many`'s entities of `keys` from the database, into `found` and `_read`."""
        # No flush, as in `_get`: none of these keys is pending or held.
        rows = driver.fetch_all(self._by_keys(), self.connection(), {"k_keys": keys})
        children = self._children(keys) if self.child_table is not None else {}
        built = {}
        for row in rows:
            key = self._key_from_row(row)
            built[key] = found[key] = self._read[key] = self.build(row, children.get(key, []))
        return built

    @classmethod
    def _by_keys(cls) -> Select[Any]:
        stmt = _BY_KEYS.get(cls)
        if stmt is None:
            column = cls.table.c[cls.key_columns[0]]
            stmt = select(cls.table).where(column.in_(bindparam("k_keys", expanding=True)))
            _BY_KEYS[cls] = stmt
        return stmt

    @classmethod
    def _by_key(cls) -> Select[Any]:
        """SELECT by primary key, built once per repository class (building costs more than
        running it)."""
        stmt = _BY_KEY.get(cls)
        if stmt is None:
            c = cls.table.c
            stmt = select(cls.table).where(
                *(c[name] == bindparam(f"k_{name}") for name in cls.key_columns)
            )
            _BY_KEY[cls] = stmt
        return stmt

    @classmethod
    def _by_key_locked(cls) -> Select[Any]:
        """`_by_key` with FOR UPDATE of the row (nothing on SQLite), built once per class."""
        stmt = _BY_KEY_LOCKED.get(cls)
        if stmt is None:
            stmt = _BY_KEY_LOCKED[cls] = cls._by_key().with_for_update()
        return stmt

    def list(self, limit: int = 100, offset: int = 0) -> Sequence[T]:
        return self._query(None, limit=limit, offset=offset)

    # -- reading ------------------------------------------------------------------------------
    def _statement(self, where: ColumnElement[bool] | None) -> Select[Any]:
        stmt = select(self.table)
        if where is not None:
            stmt = stmt.where(where)
        columns = [self.table.c[name] for name in self.order_by]
        return stmt.order_by(*(c.desc() if self.newest_first else c for c in columns))

    def _query(
        self, where: ColumnElement[bool] | None, limit: int | None = None, offset: int = 0
    ) -> Sequence[T]:
        stmt = self._statement(where)
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return self._run(stmt)

    def _run(self, stmt: Select[Any], params: Row | None = None, flush: bool = True) -> Sequence[T]:
        if flush:
            self.flush()
        return self._materialise([dict(r) for r in self._execute(stmt, params).mappings()])

    def _materialise(self, rows: Sequence[Row]) -> Sequence[T]:
        keys = [self._key_from_row(row) for row in rows]
        fresh = [k for k in keys if k not in self._loaded]
        children = self._children(fresh) if fresh and self.child_table is not None else {}
        result = []
        for key, row in zip(keys, rows, strict=True):
            if key not in self._loaded:
                item = self.build(row, children.get(key, []))
                self._loaded[key] = (item, self.dump(item))
            result.append(self._track(self._loaded[key][0]))
        return result

    # -- writing ------------------------------------------------------------------------------
    def flush(self) -> None:
        if self._new:
            self._insert_new()
        for key, (item, before) in list(self._loaded.items()):
            after = self.dump(item)
            if after != before:
                self._loaded[key] = (item, self._update(key, item, before, after))

    def flush_one(self, key: K) -> None:
        """Write pending inserts and this one entity's changes, without diffing the others:
        a statement that touches one row needs no more than that to see this transaction's
        writes, and diffing every tracked row before each such statement was most of the
        cost of reserving an order's lines."""
        if self._new:
            self._insert_new()
        held = self._loaded.get(key)
        if held is not None:
            item, before = held
            after = self.dump(item)
            if after != before:
                self._loaded[key] = (item, self._update(key, item, before, after))

    def _insert_new(self) -> None:
        if self.catalogued:
            catalogue_cache.lock_for_change(self.session, self.connection())
        dumped = {key: self.dump(item) for key, item in self._new.items()}
        now = datetime.now(UTC)
        rows = [self._stamp_insert(row, now) for row, _ in dumped.values()]
        if self._sealer is not None:  # the snapshots stay plaintext: changes are found in them
            rows = [self._sealer.seal(row, self._key_from_row(row)) for row in rows]
        children = [child for _, kids in dumped.values() for child in kids]
        new = dict(self._new)

        def conflict(exc: IntegrityError) -> Conflict:
            return self._insert_conflict(exc, new)

        try:
            driver.insert_rows(self.connection(), self.table, rows, conflict)
            if children and self.child_table is not None:
                sealed = self._sealed_children(children)
                driver.insert_rows(self.connection(), self.child_table, sealed, conflict)
        except IntegrityError as exc:
            raise conflict(exc) from None
        self._inserted(rows)
        for key, item in self._new.items():
            self._loaded[key] = (item, dumped[key])
        self._new.clear()

    def _inserted(self, rows: Rows) -> None:
        """Rows this transaction has just inserted (for tables that keep a summary)."""

    def _updated(self, before: Row, after: Row) -> None:
        """A row this transaction has just changed, as read and as written."""

    def before_commit(self) -> None:
        """Last writes of the transaction, after every repository has flushed."""

    def _insert_conflict(self, exc: IntegrityError, new: dict[K, T]) -> Conflict:
        """What to tell the caller when the database refused this transaction's `new` rows:
        `AlreadyExists` when one of their keys is stored (by a transaction that committed
        since this one read), `Conflict` for any other rule they break."""
        keys = ", ".join(tr.show_key(k) for k in new)
        message = (
            f"cannot save {self.entity} {keys}: it already exists or breaks a rule of the "
            f"stored data ({tr.db_reason(exc)})"
        )
        if self._is_key_clash(exc):
            return AlreadyExists(message, self.entity, new)
        return Conflict(message)

    def _is_key_clash(self, exc: IntegrityError) -> bool:
        """Whether the database refused a row of this table for its primary key, rather than
        for a foreign key, another unique column or a check: only that refusal means "the
        record is there now", and the drivers name it differently."""
        refusal = exc.orig
        diagnosis = getattr(refusal, "diag", None)
        if diagnosis is not None:  # psycopg: the constraint, by the name the schema gave it
            return bool(diagnosis.constraint_name == self.table.primary_key.name)
        # sqlite3 names the kind, and the message the table's columns (not its constraint).
        columns = ", ".join(f"{self.table.name}.{c.name}" for c in self.table.primary_key)
        return (
            getattr(refusal, "sqlite_errorname", "") == "SQLITE_CONSTRAINT_PRIMARYKEY"
            and str(refusal) == f"UNIQUE constraint failed: {columns}"
        )

    def _stamp_insert(self, row: Row, now: datetime) -> Row:
        return row

    def _stamp_update(self, changed: Row) -> Row:
        return changed

    def _update(self, key: K, item: T, before: Snapshot, after: Snapshot) -> Snapshot:
        row, kids = after
        changed = {c: v for c, v in row.items() if before[0].get(c) != v}
        where = self._where_key(key)
        if self.versioned:
            old_version = before[0]["version"]
            new_version = max(row["version"], old_version + 1)
            setattr(item, "version", new_version)  # noqa: B010 - typed as T, all have it
            changed["version"] = row["version"] = new_version
            where = and_(where, self.table.c.version == old_version)

        def refused(exc: IntegrityError) -> Conflict:
            return Conflict(f"cannot save {self.entity} '{tr.show_key(key)}': {tr.db_reason(exc)}")

        try:
            if changed:
                if self.catalogued:
                    catalogue_cache.lock_for_change(self.session, self.connection())
                if self._sealer is not None:
                    changed = self._sealer.seal(changed, key)
                stmt = update(self.table).where(where).values(self._stamp_update(changed))
                result = self._execute(stmt)
                if self.versioned and result.rowcount == 0:
                    raise Conflict(
                        f"{self.entity} '{tr.show_key(key)}' was changed by someone else since "
                        "it was read; reload it and try again"
                    )
                self._updated(before[0], row)
            if kids != before[1] and self.child_table is not None:
                self._write_children(before[1], kids, refused)
        except IntegrityError as exc:
            raise refused(exc) from None
        return row, kids

    def _write_children(
        self, before: Rows, after: Rows, refused: Callable[[IntegrityError], Conflict]
    ) -> None:
        """Write only the child rows that changed, matched by their primary key: an order
        whose lines all changed status costs one batched UPDATE, not a DELETE of every line
        and an INSERT of them all again."""
        table = self.child_table
        assert table is not None
        pk = [c.name for c in table.primary_key.columns]
        old = {tuple(r[c] for c in pk): r for r in before}
        new = {tuple(r[c] for c in pk): r for r in after}
        # As written: sealed copies when the rows hold personal columns (compared in clear).
        written = new
        if self._child_sealer is not None:
            written = dict(zip(new, self._sealed_children(list(new.values())), strict=True))
        where = and_(*(table.c[c] == bindparam(f"k_{c}") for c in pk))
        gone = [dict(zip((f"k_{c}" for c in pk), k, strict=True)) for k in old if k not in new]
        if gone:
            self._execute(delete(table).where(where), gone)
        changed = [
            {**{f"k_{c}": row[c] for c in pk}, **{c: v for c, v in row.items() if c not in pk}}
            for k, row in written.items()
            if k in old and old[k] != new[k]
        ]
        if changed:
            self._execute(update(table).where(where), changed)
        added = [row for k, row in written.items() if k not in old]
        if added:  # at commit on PostgreSQL, where `refused` names the parent if they fail
            driver.insert_rows(self.connection(), table, added, refused)

    def reset(self) -> None:
        """Forget the transaction's entities and connection (after commit or rollback)."""
        self._new.clear()
        self._loaded.clear()
        self._read.clear()
        self._row_locked.clear()
        self._connection = None
        self.clear_tracked()


class _StampsSaves:
    """For a table whose `updated_at` is the time of the entity's last save (orders,
    returns): set on the rows inserted and on every UPDATE, for `ordo erp backfill --since`."""

    def _stamp_insert(self, row: Row, now: datetime) -> Row:
        return {**row, "updated_at": now}

    def _stamp_update(self, changed: Row) -> Row:
        return {**changed, "updated_at": datetime.now(UTC)}


class SqlOrders(_StampsSaves, SqlRepository[str, Order], uow_api.OrderRepository):
    """Orders with their lines; newest first in lists and searches."""

    table = orm.orders
    entity = "order"
    personal = sealed_rows.ORDERS
    key_columns = ("id",)
    order_by = ("created_at", "id")
    newest_first = True
    versioned = True
    child_table = orm.order_lines

    def key_of(self, item: Order) -> str:
        return item.id

    def dump(self, item: Order) -> Snapshot:
        return tr.order_row(item), tr.order_line_rows(item)

    def build(self, row: Row, children: list[Row]) -> Order:
        return tr.order_from(row if self._sealer is None else self._sealer.open(row), children)

    def _get(self, key: str) -> Order | None:
        if key in self._new or key in self._loaded:
            return super()._get(key)
        # One JOINed query instead of the order and then its lines: every order the pipeline
        # and the API touch is fetched this way, and on PostgreSQL the round trip is the cost.
        rows = driver.fetch_all(_ORDER_WITH_LINES, self.connection(), {"k_id": key})
        return self._one_with_lines(rows)

    def _children(self, keys: list[str]) -> dict[str, list[Row]]:
        grouped: dict[str, list[Row]] = {}
        for r in driver.fetch_all(_LINES_OF_ORDERS, self.connection(), {"order_ids": keys}):
            grouped.setdefault(r["order_id"], []).append(dict(r))
        return grouped

    def _insert_conflict(self, exc: IntegrityError, new: dict[str, Order]) -> Conflict:
        # The channel's order id is unique per channel (uq_orders_channel_channel_order_id);
        # the database is what enforces it, for orders created concurrently too.
        if "channel_order_id" in tr.db_reason(exc) and len(new) == 1:
            [order] = new.values()
            return uow_api.duplicate_order(order.channel, order.channel_order_id)
        return super()._insert_conflict(exc, new)

    def count_with_line_status(
        self,
        line_status: LineStatus,
        *,
        statuses: Collection[OrderStatus],
        created_from: datetime,
        created_to: datetime,
    ) -> int:
        self.flush()
        c, lines = self.table.c, orm.order_lines
        stmt = (
            select(func.count())
            .select_from(self.table)
            .where(
                c.created_at >= created_from,
                c.created_at < created_to,
                c.status.in_(sorted(str(status) for status in statuses)),
                # An IN over the matching lines, as `search` does it, and for the same reason.
                c.id.in_(select(lines.c.order_id).where(lines.c.status == str(line_status))),
            )
        )
        return int(self._execute(stmt).scalar_one())

    def units_ordered(self, sku: str, since: datetime) -> list[tuple[datetime, int]]:
        self.flush()
        rows = self._execute(_UNITS_ORDERED, {"b_sku": sku, "b_since": since})
        return [(row.created_at, int(row.quantity)) for row in rows]

    def get_by_channel_id(self, channel: str, channel_order_id: str) -> Order | None:
        for item in self._new.values():
            if (item.channel, item.channel_order_id) == (channel, channel_order_id):
                return self._track(item)
        # Asked once per ingested order: a statement built once (building it cost more than
        # SQLite takes to run it), and the order's lines in the same round trip.
        self.flush()
        rows = self._execute(
            _ORDER_BY_CHANNEL_ID, {"k_channel": channel, "k_channel_order_id": channel_order_id}
        ).mappings()
        return self._one_with_lines(rows.all())

    def _one_with_lines(self, rows: Sequence[Any]) -> Order | None:
        """The order of JOINed order-and-lines rows (lines labelled `l_<column>`), held in
        this transaction's identity map."""
        if not rows:
            return None
        key = rows[0]["id"]
        if key in self._loaded:
            return self._track(self._loaded[key][0])
        order = {c.name: rows[0][c.name] for c in orm.orders.c}
        lines = [
            {c.name: r[f"l_{c.name}"] for c in orm.order_lines.c}
            for r in rows
            if r["l_id"] is not None
        ]
        item = self.build(order, lines)
        self._loaded[key] = (item, self.dump(item))
        return self._track(item)

    def search(
        self,
        *,
        customer_id: str | None = None,
        email: str | None = None,
        status: OrderStatus | None = None,
        sku: str | None = None,
        line_status: LineStatus | None = None,
        channel: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        statuses: Collection[OrderStatus] | None = None,
    ) -> Sequence[Order]:
        """Every filter given must match; `email` ignores case; `created_to` is exclusive."""
        c = self.table.c
        conditions: list[ColumnElement[bool]] = []
        if customer_id is not None:
            conditions.append(c.customer_id == customer_id)
        if email is not None:
            if self._sealer is None:
                conditions.append(c.email_lower == email.lower())
            else:  # rows of every key held, and those written before encryption
                conditions.append(c.email_lower.in_(self._sealer.lookups(email.lower())))
        if status is not None:
            conditions.append(c.status == str(status))
        if statuses is not None:
            conditions.append(c.status.in_(sorted(str(s) for s in statuses)))
        if channel is not None:
            conditions.append(c.channel == channel)
        if created_from is not None:
            conditions.append(c.created_at >= created_from)
        if created_to is not None:
            conditions.append(c.created_at < created_to)
        if sku is not None or line_status is not None:
            # One line must match both: "a backordered line of this SKU", not one of each. An
            # IN over the matching lines rather than a correlated EXISTS: SQLite answers the
            # EXISTS through the SKU index once per candidate order (N x N rows for N orders
            # holding the SKU; 110 ms at 1,000), the IN with one index range (0.4 ms).
            lines = orm.order_lines
            wanted: list[ColumnElement[bool]] = []
            if sku is not None:
                wanted.append(lines.c.sku == sku)
            if line_status is not None:
                wanted.append(lines.c.status == str(line_status))
            conditions.append(c.id.in_(select(lines.c.order_id).where(and_(*wanted))))
        return self._query(and_(*conditions) if conditions else None, limit, offset)


class _Simple(SqlRepository[K, T]):
    """An entity stored as one row, translated by a pair of functions."""

    # (entity -> row, row -> entity); a tuple, so the functions are not bound as methods.
    codec: ClassVar[tuple[Callable[[Any], Row], Callable[[Row], Any]]]

    def key_of(self, item: T) -> K:
        return self._key_from_row(self.codec[0](item))

    def dump(self, item: T) -> Snapshot:
        return self.codec[0](item), []

    def build(self, row: Row, children: list[Row]) -> T:
        # Sealed columns opened first (`personal`): the entity and its snapshot are plaintext.
        return self.codec[1](row if self._sealer is None else self._sealer.open(row))


class SqlProducts(_Simple[str, Product], uow_api.ProductRepository):
    table, entity, key_columns, order_by = orm.products, "product", ("sku",), ("sku",)
    codec = (tr.product_row, tr.product_from)
    catalogued = True

    def released_between(self, after: date, until: date) -> Sequence[Product]:
        c = self.table.c
        return self._query(and_(c.preorder_release > after, c.preorder_release <= until))


class SqlLocations(_Simple[str, Location]):
    table, entity, key_columns, order_by = orm.locations, "location", ("code",), ("code",)
    codec = (tr.location_row, tr.location_from)
    catalogued = True


class SqlCustomers(_Simple[str, Customer]):
    table, entity, key_columns, order_by = orm.customers, "customer", ("id",), ("id",)
    codec = (tr.customer_row, tr.customer_from)
    personal = sealed_rows.CUSTOMERS


class SqlReservations(_Simple[str, Reservation], uow_api.ReservationRepository):
    table, entity, key_columns = orm.reservations, "reservation", ("id",)
    order_by = ("created_at", "id")
    codec = (tr.reservation_row, tr.reservation_from)

    def for_order(self, order_id: str) -> Sequence[Reservation]:
        return self._query(self.table.c.order_id == order_id)

    def expired(self, now: datetime, limit: int = 500) -> Sequence[Reservation]:
        c = self.table.c
        return self._query(
            and_(
                c.status == ReservationStatus.ACTIVE.value,
                c.expires_at.is_not(None),
                c.expires_at <= now,
            ),
            limit=limit,
        )


class SqlShipments(_Simple[str, FulfillmentOrder], uow_api.ShipmentRepository):
    """Shipments, with their tracking events in a table of their own (`orm.shipment_tracking`)
    whose unique key keeps an event once even when two identical posts race, and their
    parcels' tracking numbers indexed in another (`orm.shipment_parcel_numbers`), written
    with the row whose `parcels` they mirror."""

    table, entity, key_columns = orm.fulfillment_orders, "shipment", ("id",)
    order_by = ("created_at", "id")
    codec = (tr.shipment_row, tr.shipment_from)
    child_table = orm.shipment_tracking
    personal_children = sealed_rows.TRACKING_TEXTS

    def dump(self, item: FulfillmentOrder) -> Snapshot:
        row = tr.shipment_row(item)
        del row["tracking"]  # kept as rows of `shipment_tracking`
        # With keys, each scan's fingerprint is keyed (`tracking_fingerprint`).
        cipher = None if self._child_sealer is None else self._child_sealer.cipher
        return row, [_tracking_row(item.id, event, cipher) for event in item.tracking]

    def build(self, row: Row, children: list[Row]) -> FulfillmentOrder:
        if self._child_sealer is not None:
            children = [self._child_sealer.open(child) for child in children]
        timeline = [
            {"at": c["at"].isoformat(), "code": c["code"], "description": c["description"],
             "location": c["location"], "milestone": c["milestone"],
             "estimated_delivery": c["estimated_delivery"],
             "tracking_number": c["tracking_number"]}
            for c in children
        ]  # fmt: skip
        return tr.shipment_from({**row, "tracking": timeline})

    def _children(self, keys: list[str]) -> dict[str, list[Row]]:
        grouped: dict[str, list[Row]] = {}
        for r in driver.fetch_all(_TRACKING_OF_SHIPMENTS, self.connection(), {"ids": keys}):
            grouped.setdefault(r["shipment_id"], []).append(dict(r))
        return grouped

    def _write_children(
        self, before: Rows, after: Rows, refused: Callable[[IntegrityError], Conflict]
    ) -> None:
        """Tracking events are only ever added (or, in principle, removed), never changed: an
        event is its fingerprint. An added event another transaction has just stored (the
        same carrier post, racing this one) is already recorded: the unique key turns the
        INSERT into nothing instead of a second copy or an error."""
        old = {row["fingerprint"] for row in before}
        new = {row["fingerprint"] for row in after}
        # The snapshots' fingerprints are under the current key; a scan stored under another
        # (or before keys were set) is stored under that one's: each is asked for.
        cipher = None if self._child_sealer is None else self._child_sealer.cipher
        gone = [
            {"k_shipment_id": row["shipment_id"], "k_fingerprint": fingerprint}
            for row in before
            if row["fingerprint"] not in new
            for fingerprint in tracking_fingerprints(row, cipher)
        ]
        if gone:
            self._execute(_FORGET_TRACKING, gone)
        added = [row for row in after if row["fingerprint"] not in old]
        if added:  # sealed, each under its fingerprint, computed from the scan in clear
            added = self._sealed_children(added)
            self._execute(_record_tracking(self.connection().dialect.name), added)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        # Released shipments per (location, day) written and not yet added to the counts.
        self._releases: Counter[tuple[str, date]] = Counter()

    def for_order(self, order_id: str) -> Sequence[FulfillmentOrder]:
        return self._query(self.table.c.order_id == order_id)

    def for_location(
        self, location_code: str, status: str | None = None
    ) -> Sequence[FulfillmentOrder]:
        c = self.table.c
        where = c.location_code == location_code
        if status is not None:
            where = and_(where, c.status == str(status))
        return self._query(where)

    def search(
        self,
        *,
        status: ShipmentStatus | None = None,
        locations: Collection[str] | None = None,
        customer_id: str | None = None,
        tracking_number: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[FulfillmentOrder]:
        c = self.table.c
        conditions: list[ColumnElement[bool]] = []
        if status is not None:
            conditions.append(c.status == str(status))
        if locations is not None:
            conditions.append(c.location_code.in_(list(locations)))
        if customer_id is not None:
            conditions.append(c.order_id.in_(_orders_of(customer_id)))
        if tracking_number is not None:
            # Each side by its own index: the master number's, and the parcels' table's. ""
            # is every unlabelled shipment's number: it names none.
            number = tracking_number.strip()
            parcels = select(_PARCEL_NUMBERS.c.shipment_id).where(
                _PARCEL_NUMBERS.c.tracking_number == number
            )
            found = or_(c.tracking_number == number, c.id.in_(parcels))
            conditions.append(found if number else false())
        return self._query(and_(*conditions) if conditions else None, limit, offset)

    def count_released_on(self, location_code: str, day: date) -> int:
        """Fulfilment orders created that day at the location, neither pending nor cancelled."""
        return self.count_released_on_many([location_code], day)[location_code]

    def count_released_on_many(self, location_codes: Iterable[str], day: date) -> dict[str, int]:
        """The counts of several locations, read from the kept daily counts (see
        `orm.location_day_releases`) plus what this transaction has written and not yet
        added to them."""
        codes = list(dict.fromkeys(location_codes))
        if not codes:
            return {}
        self.flush()
        params = {"k_codes": codes, "k_day": day}
        rows = driver.fetch_all(_RELEASED_ON, self.connection(), params)
        counted = {row["location_code"]: int(row["released"]) for row in rows}
        return {code: counted.get(code, 0) + self._releases[(code, day)] for code in codes}

    # -- the kept daily counts ------------------------------------------------------------------
    # Changes are gathered per (location, day) as shipments are written and added to the
    # counts at commit, in (location, day) order: two transactions then take the count rows
    # they share in the same order (no deadlock between them), and hold them only while
    # committing. Each transaction adds to one shard of a location's day, chosen at random,
    # so concurrent orders from one location seldom wait for each other at all.

    def _inserted(self, rows: Rows) -> None:
        numbered = [
            {"shipment_id": row["id"], "tracking_number": number}
            for row in rows
            for number in _parcel_numbers(row)
        ]
        if numbered:  # deferred with the rows on PostgreSQL, as their tracking events are
            driver.insert_rows(self.connection(), _PARCEL_NUMBERS, numbered)
        for row in rows:
            if _released(row):
                self._releases[_release_key(row)] += 1

    def _updated(self, before: Row, after: Row) -> None:
        self._renumber(before, after)
        if _released(before):
            self._releases[_release_key(before)] -= 1
        if _released(after):
            self._releases[_release_key(after)] += 1

    def _renumber(self, before: Row, after: Row) -> None:
        """Keep `shipment_parcel_numbers` in step with the parcels just written: a label
        numbers them, packing again after a short pick replaces them (their numbers gone
        with them). A number another transaction has just stored for the shipment (the
        same label, racing this one) is already there: the INSERT keeps it once."""
        old, new = _parcel_numbers(before), _parcel_numbers(after)
        if old == new:
            return
        shipment_id = after["id"]
        gone = [{"k_shipment_id": shipment_id, "k_tracking_number": n} for n in old - new]
        if gone:
            self._execute(_FORGET_PARCEL_NUMBER, gone)
        added = [{"shipment_id": shipment_id, "tracking_number": n} for n in new - old]
        if added:
            self._execute(_record_parcel_number(self.connection().dialect.name), added)

    def before_commit(self) -> None:
        changes = sorted((key, n) for key, n in self._releases.items() if n)
        if changes:
            connection = self.connection()
            dialect = connection.dialect.name
            # SQLite has one writer at a time: nothing to spread there.
            shard = 0 if dialect == "sqlite" else random.randrange(RELEASE_SHARDS)
            rows = [
                {"location_code": code, "day": day, "shard": shard, "released": n}
                for (code, day), n in changes
            ]
            table, keys = orm.location_day_releases, ("location_code", "day", "shard")
            if not driver.upsert_adding(connection, table, rows, keys, "released"):
                driver.execute(_add_releases(dialect), connection, rows)
        self._releases.clear()

    def reset(self) -> None:
        super().reset()
        self._releases.clear()


def _orders_of(customer_id: str) -> Select[Any]:
    """The ids of a customer's orders, for "rows of this customer's orders": an IN over them
    (the orders' customer index) rather than a JOIN, so no row can come back twice."""
    return select(orm.orders.c.id).where(orm.orders.c.customer_id == customer_id)


# Shards per location and day (see `orm.location_day_releases`).
RELEASE_SHARDS = 32


def _parcel_numbers(row: Row) -> set[str]:
    """The tracking numbers of a shipment row's parcels (those labelled: one not yet is "")."""
    return {number for parcel in row["parcels"] if (number := parcel["tracking_number"])}


_PARCEL_NUMBERS = orm.shipment_parcel_numbers
_FORGET_PARCEL_NUMBER = delete(_PARCEL_NUMBERS).where(
    _PARCEL_NUMBERS.c.shipment_id == bindparam("k_shipment_id"),
    _PARCEL_NUMBERS.c.tracking_number == bindparam("k_tracking_number"),
)
_RECORD_PARCEL_NUMBER: dict[str, Any] = {}


def _record_parcel_number(dialect: str) -> Any:
    """INSERT a parcel's number unless the shipment has it (ON CONFLICT DO NOTHING on the
    primary key); built once per dialect."""
    statement = _RECORD_PARCEL_NUMBER.get(dialect)
    if statement is None:
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        key = [_PARCEL_NUMBERS.c.shipment_id, _PARCEL_NUMBERS.c.tracking_number]
        statement = insert_(_PARCEL_NUMBERS).on_conflict_do_nothing(index_elements=key)
        _RECORD_PARCEL_NUMBER[dialect] = statement
    return statement


def _released(row: Row) -> bool:
    return str(row["status"]) not in _NOT_RELEASED


def _release_key(row: Row) -> tuple[str, date]:
    created: datetime = row["created_at"]
    day = in_utc(created).date()
    return str(row["location_code"]), day


_ADD_RELEASES: dict[str, Any] = {}


def _add_releases(dialect: str) -> Any:
    """INSERT a (location, day, shard) count, or add to it when the row exists; built once
    per dialect (PostgreSQL and SQLite both have ON CONFLICT ... DO UPDATE)."""
    statement = _ADD_RELEASES.get(dialect)
    if statement is None:
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = orm.location_day_releases
        base = insert_(table).values(
            location_code=bindparam("location_code"),
            day=bindparam("day"),
            shard=bindparam("shard"),
            released=bindparam("released"),
        )
        statement = _ADD_RELEASES[dialect] = base.on_conflict_do_update(
            index_elements=[table.c.location_code, table.c.day, table.c.shard],
            set_={"released": table.c.released + base.excluded.released},
        )
    return statement


def tracking_fingerprint(
    at: datetime,
    code: str,
    description: str,
    location: str,
    tracking_number: str = "",
    cipher: FieldCipher | None = None,
) -> str:
    """What makes two tracking events the same (`TrackingEvent` equality: the time in UTC,
    the code, the description, the location and the parcel's tracking number), as a digest
    the unique key can hold whatever the texts' length. A scan of the whole shipment (no
    number) has the digest every scan had before migration 0025, so a retry of one stored
    then is still known. Migration 0009 keeps a copy: change both or neither.

    Without a cipher, SHA-256 in hex. With one (ORDO_DATA_KEYS), a keyed fingerprint under
    its current key (`FieldCipher.fingerprint`): an unkeyed digest of texts sealed beside it
    would let whoever guesses a scan's texts confirm the guess. A retry is recognised by the
    shipment's timeline, read in clear, whatever key its scans' fingerprints are under."""
    key = _scan_key(at, code, description, location, tracking_number)
    if cipher is not None:
        return cipher.fingerprint(key)
    return hashlib.sha256(key.encode()).hexdigest()


def _scan_key(
    at: datetime, code: str, description: str, location: str, tracking_number: str
) -> str:
    parts = [in_utc(at).isoformat(), code, description, location]
    if tracking_number:
        parts.append(tracking_number)
    return json.dumps(parts, ensure_ascii=False)


def scan_fingerprint(row: Row, cipher: FieldCipher | None) -> str:
    """`tracking_fingerprint` of a `shipment_tracking` row in clear."""
    return tracking_fingerprint(
        row["at"], row["code"], row["description"], row["location"], row["tracking_number"], cipher
    )


def tracking_fingerprints(row: Row, cipher: FieldCipher | None) -> list[str]:
    """Every fingerprint a scan (a row in clear) may be stored under: its keyed one under
    each key held, current first, then its unkeyed one."""
    unkeyed = scan_fingerprint(row, None)
    if cipher is None:
        return [unkeyed]
    key = _scan_key(
        row["at"], row["code"], row["description"], row["location"], row["tracking_number"]
    )
    return [*cipher.fingerprints(key), unkeyed]


def _tracking_row(shipment_id: str, event: TrackingEvent, cipher: FieldCipher | None) -> Row:
    at = event.in_utc().at
    return {
        "shipment_id": shipment_id, "at": at, "code": event.code,
        "description": event.description, "location": event.location,
        "fingerprint": tracking_fingerprint(
            at, event.code, event.description, event.location, event.tracking_number, cipher
        ),
        "milestone": str(event.milestone) if event.milestone else None,
        "estimated_delivery": event.estimated_delivery,
        "tracking_number": event.tracking_number,
    }  # fmt: skip


_TRACKING = orm.shipment_tracking
# A shipment's events in their timeline's order: by time, then in the order they came.
_TRACKING_OF_SHIPMENTS = (
    select(_TRACKING)
    .where(_TRACKING.c.shipment_id.in_(bindparam("ids", expanding=True)))
    .order_by(_TRACKING.c.shipment_id, _TRACKING.c.at, _TRACKING.c.id)
)
_FORGET_TRACKING = delete(_TRACKING).where(
    _TRACKING.c.shipment_id == bindparam("k_shipment_id"),
    _TRACKING.c.fingerprint == bindparam("k_fingerprint"),
)
_RECORD_TRACKING: dict[str, Any] = {}


def _record_tracking(dialect: str) -> Any:
    """INSERT an event unless the shipment has it (ON CONFLICT DO NOTHING on its unique
    key: a racing transaction that stored it first wins, and this one carries on); built
    once per dialect."""
    statement = _RECORD_TRACKING.get(dialect)
    if statement is None:
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _RECORD_TRACKING[dialect] = insert_(_TRACKING).on_conflict_do_nothing(
            index_elements=[_TRACKING.c.shipment_id, _TRACKING.c.fingerprint]
        )
    return statement


class SqlReturns(_StampsSaves, _Simple[str, Return], uow_api.ReturnRepository):
    table, entity, key_columns = orm.returns, "return", ("id",)
    order_by = ("created_at", "id")
    codec = (tr.return_row, tr.return_from)
    personal = sealed_rows.RETURN_REASONS

    def for_order(self, order_id: str) -> Sequence[Return]:
        return self._query(self.table.c.order_id == order_id)

    def search(
        self,
        *,
        status: ReturnStatus | None = None,
        rma: str | None = None,
        customer_id: str | None = None,
        locations: Collection[str] | None = None,
        location_code: str | None = None,
        tracking_number: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Return]:
        c = self.table.c
        conditions: list[ColumnElement[bool]] = []
        if status is not None:
            conditions.append(c.status == str(status))
        if rma is not None:
            conditions.append(c.rma == rma)
        if customer_id is not None:
            conditions.append(c.order_id.in_(_orders_of(customer_id)))
        if locations is not None:
            # A return not yet received has no location (""): never one of `locations`.
            received_here = and_(c.location_code != "", c.location_code.in_(list(locations)))
            conditions.append(or_(c.status == ReturnStatus.AUTHORISED.value, received_here))
        if location_code is not None:
            # "" is no location (not yet named): it names no location's returns either.
            conditions.append(and_(c.location_code != "", c.location_code == location_code))
        if tracking_number is not None:
            # "" is every unlabelled return's number: it names none.
            number = tracking_number.strip()
            conditions.append(c.tracking_number == number if number else false())
        return self._query(and_(*conditions) if conditions else None, limit, offset)


# Each label table and the column naming what the label is for.
_LABELS: dict[str, tuple[Table, str]] = {
    "shipment": (orm.shipment_labels, "shipment_id"),
    "return": (orm.return_labels, "return_id"),
}
_PUT_LABEL: dict[tuple[str, str], Any] = {}


def _put_label(of: str, dialect: str) -> Any:
    """INSERT a label, or replace the one its shipment or return has (ON CONFLICT DO UPDATE,
    which both databases have); built once per kind and dialect."""
    statement = _PUT_LABEL.get((of, dialect))
    if statement is None:
        table, key = _LABELS[of]
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert_(table)
        statement = _PUT_LABEL[(of, dialect)] = base.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={"format": base.excluded.format, "content": base.excluded.content},
        )
    return statement


class SqlLabels(uow_api.LabelStore):
    """Labels in `shipment_labels` and `return_labels`. A label kept is written when the
    transaction commits, after its shipment or return (which the row refers to) is; a label
    deleted goes at once. What this transaction kept it reads back before it commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._pending: dict[tuple[str, str], Label] = {}
        # A label prints the recipient's (or a return's sender's) address: encrypted at rest
        # with the personal columns when ORDO_DATA_KEYS is set.
        self._cipher = sealed_rows.cipher_of(session)

    def get(self, of: uow_api.LabelOf, key: str) -> Label | None:
        pending = self._pending.get((of, key))
        if pending is not None:
            return pending
        table, column = _LABELS[of]
        stmt = select(table.c.format, table.c.content).where(table.c[column] == key)
        row = self.session.connection().execute(stmt).mappings().first()
        if row is None:
            return None
        label = tr.label_from(dict(row))
        if self._cipher is None:
            return label
        where = sealed_rows.label_place(table.name, key)
        return Label(label.format, self._cipher.decrypt_bytes(label.content, where))

    def put(self, of: uow_api.LabelOf, key: str, label: Label) -> None:
        self._pending[(of, key)] = label

    def delete(self, of: uow_api.LabelOf, key: str) -> bool:
        kept = self._pending.pop((of, key), None) is not None
        table, column = _LABELS[of]
        connection = self.session.connection()
        driver.write_deferred(connection)
        result = connection.execute(delete(table).where(table.c[column] == key))
        return kept or result.rowcount > 0

    def flush(self) -> None:
        if not self._pending:
            return
        connection = self.session.connection()
        # The shipments and returns this transaction added may still be held to be inserted
        # in one statement (PostgreSQL): written first, so the labels' foreign keys find them.
        driver.write_deferred(connection)
        dialect = connection.dialect.name
        for (of, key), label in self._pending.items():
            table, column = _LABELS[of]
            content = label.content
            if self._cipher is not None:
                content = self._cipher.encrypt_bytes(
                    content, sealed_rows.label_place(table.name, key)
                )
            row = {column: key, "format": label.format, "content": content}
            connection.execute(_put_label(of, dialect), row)
        self._pending.clear()

    def reset(self) -> None:
        """Forget labels not written (after a rollback)."""
        self._pending.clear()


class SqlInbound(_Simple[str, InboundSupply], uow_api.InboundRepository):
    table, entity, key_columns = orm.inbound_supply, "inbound supply", ("id",)
    order_by = ("expected_on", "id")
    codec = (tr.inbound_row, tr.inbound_from)

    def for_sku(self, sku: str) -> Sequence[InboundSupply]:
        return self._query(self.table.c.sku == sku)

    def for_order(self, order_id: str) -> Sequence[InboundSupply]:
        return self._query(self.table.c.order_id == order_id)

    def for_order_for_update(self, order_id: str) -> Sequence[InboundSupply]:
        """`for_order` with FOR UPDATE of the rows (nothing on SQLite), refusing, as
        `get_for_update` does, a transfer this transaction read before without its lock."""
        # Before the flush, which holds this transaction's own inserts as loaded: no one
        # else has those.
        unlocked = {key for key in self._loaded if key not in self._row_locked}
        self.flush()
        stmt = self._statement(self.table.c.order_id == order_id).with_for_update()
        rows = [dict(r) for r in self._execute(stmt).mappings()]
        keys = [self._key_from_row(row) for row in rows]
        for key in keys:
            if key in unlocked:
                raise RuntimeError(
                    f"{self.entity} '{key}' was read in this transaction before its row was "
                    "locked; call for_order_for_update before any other read of it"
                )
        found = self._materialise(rows)
        self._row_locked.update(keys)
        return found

    def with_tracking_number(self, number: str, limit: int = 10) -> Sequence[InboundSupply]:
        # Indexed (migration 0033): every carrier scan no shipment has is looked up here.
        return self._query(self.table.c.tracking_number == number, limit)


class SqlAlerts(_Simple[str, Alert], uow_api.AlertRepository):
    """Newest first. Versioned: a repeat counted and a close written at the same moment
    cannot both be kept (the second is refused, and its transaction tried again)."""

    table, entity, key_columns = orm.alerts, "alert", ("id",)
    order_by, newest_first = ("created_at", "id"), True
    codec = (tr.alert_row, tr.alert_from)
    versioned = True
    personal = sealed_rows.ALERT_MESSAGES

    def open_for(self, rule: str, key: str) -> Alert | None:
        """The alert for (rule, key) that is not closed yet: acknowledged ones still count."""
        c = self.table.c
        found = self._query(
            and_(c.rule == rule, c.key == key, c.status != AlertStatus.CLOSED.value), limit=1
        )
        return found[0] if found else None

    def search(
        self, *, status: AlertStatus | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[Alert]:
        where = None if status is None else self.table.c.status == str(status)
        return self._query(where, limit, offset)

    def quiet_acknowledged(self, since: datetime, limit: int = 100) -> Sequence[Alert]:
        c = self.table.c
        fired = func.coalesce(c.last_seen_at, c.created_at)
        return self._query(
            and_(
                c.status == AlertStatus.ACKNOWLEDGED.value,
                fired <= since,
                or_(c.acknowledged_at.is_(None), c.acknowledged_at <= since),
            ),
            limit,
        )


class SqlRulesets(_Simple[str, RulesetVersion], uow_api.RulesetRepository):
    table, entity, key_columns = orm.ruleset_versions, "ruleset version", ("id",)
    order_by = ("name", "version")
    codec = (tr.ruleset_row, tr.ruleset_from)

    def versions(self, name: str) -> Sequence[RulesetVersion]:
        return self._query(self.table.c.name == name)

    def published(self) -> Sequence[RulesetVersion]:
        return self._query(self.table.c.status == RulesetStatus.PUBLISHED.value)


class SqlTraces(_Simple[str, DecisionTrace], uow_api.TraceRepository):
    """Append-only: a trace records a decision that was taken, so it is inserted once and never
    diffed. Tracking it would mean deep-copying every `detail` (nested dicts of every rule
    and candidate) and comparing it again at each flush, which cost more than the decision.
    """

    table, entity, key_columns = orm.decision_traces, "decision trace", ("id",)
    order_by = ("at", "id")
    codec = (tr.trace_row, tr.trace_from)
    # Sealed only with keys: without, a trace is inserted as it was, with no work added.
    personal = sealed_rows.DECISION_TRACES

    def flush(self) -> None:
        if self._new:
            self._insert_new()

    def flush_one(self, key: str) -> None:
        self.flush()

    def for_order(self, order_id: str) -> Sequence[DecisionTrace]:
        return self._query(self.table.c.order_id == order_id)


class SqlTickets(_Simple[str, Ticket], uow_api.TicketRepository):
    """Inserted when opened and changed by what the helpdesk reports (its webhook). Versioned:
    two reports of one ticket read at once cannot both be written, so the older one can never
    overwrite the newer; the second is refused with a Conflict and read again."""

    table, entity, key_columns = orm.tickets, "ticket", ("id",)
    order_by = ("created_at", "id")
    codec = (tr.ticket_row, tr.ticket_from)
    versioned = True
    personal = sealed_rows.TICKET_TEXTS

    def about(self, entity: str, entity_id: str) -> Sequence[Ticket]:
        c = self.table.c
        return self._query(and_(c.entity == entity, c.entity_id == entity_id))


class SqlAuditLog(uow_api.AuditLog):
    """Entries are written with the transaction's other rows when it commits (or before this
    log is read): they vanish with a rollback. With ORDO_DATA_KEYS set, their summaries are
    sealed on the way in and opened on the way out (`sealed_rows.AUDIT_SUMMARIES`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._pending: list[Row] = []
        self._sealer = sealed_rows.sealer_for(session, sealed_rows.AUDIT_SUMMARIES)

    def _execute(self, statement: Executable, params: Any = None) -> CursorResult[Any]:
        self.flush()
        connection = self.session.connection()
        driver.write_deferred(connection)
        return connection.execute(statement, params)

    def append(self, entry: AuditEntry) -> None:
        self._pending.append(tr.audit_row(entry))

    def flush(self) -> None:
        if self._pending:
            rows, sealer = self._pending, self._sealer
            if sealer is not None:
                rows = [sealer.seal(row, row["id"]) for row in rows]
            driver.insert_rows(self.session.connection(), orm.audit_log, rows)
            self._pending = []

    def _entry(self, row: Row) -> AuditEntry:
        return tr.audit_from(row if self._sealer is None else self._sealer.open(row))

    def reset(self) -> None:
        """Forget entries not written (after a rollback)."""
        self._pending = []

    def list(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[AuditEntry]:
        """Newest first."""
        c = orm.audit_log.c
        stmt = select(orm.audit_log).order_by(c.at.desc(), c.id.desc())
        if entity is not None:
            stmt = stmt.where(c.entity == entity)
        if entity_id is not None:
            stmt = stmt.where(c.entity_id == entity_id)
        rows = self._execute(stmt.limit(limit).offset(offset)).mappings()
        return [self._entry(dict(r)) for r in rows]

    def about(self, entity: str, entity_ids: Collection[str]) -> Sequence[AuditEntry]:
        """Oldest first; an IN query per `_CHUNK` ids (the entries' entity index)."""
        c = orm.audit_log.c
        found: list[AuditEntry] = []
        for chunk in _chunks(entity_ids):
            stmt = select(orm.audit_log).where(c.entity == entity, c.entity_id.in_(chunk))
            found.extend(self._entry(dict(r)) for r in self._execute(stmt).mappings())
        return sorted(found, key=lambda e: (e.at, e.id))


# Keys per IN query when reading or redacting rows by a customer's ids: well under every
# database's limit on bound parameters, however many orders the customer has.
_CHUNK = 500


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class SqlPersonalCopies(uow_api.PersonalCopies):
    """A customer's details where the database copies them outside the entities' own
    columns: `audit_log` (entries about their customer record, orders, shipments and returns,
    and the entries about API keys, whose names may name them), `decision_traces`, `outbox`
    and `dead_letters` (by their orders' ids, and the alert events naming them), `alerts`,
    `tickets` (about their orders and alerts), and the API's `idempotency_keys` and `api_keys`
    (`engine.adapters.orm_api`). Each row is read, redacted (`CustomerCopies.scrub`) and
    written back only if that changed it, in the unit of work's transaction, so an erasure
    that fails leaves every copy as it was."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def redact(self, copies: uow_api.CustomerCopies) -> dict[str, int]:
        connection = self.session.connection()
        driver.write_deferred(connection)  # rows this transaction wrote are redacted too
        audit = orm.audit_log.c
        # Summaries sealed at rest are opened to be redacted, and sealed again.
        summaries = sealed_rows.sealer_for(self.session, sealed_rows.AUDIT_SUMMARIES)
        about = (
            ("customer", (copies.customer_id,)),
            ("order", copies.order_ids),
            ("shipment", copies.shipment_ids),
            ("return", copies.return_ids),
        )
        alerts = sealed_rows.sealer_for(self.session, sealed_rows.ALERT_MESSAGES)
        tickets = sealed_rows.sealer_for(self.session, sealed_rows.TICKET_TEXTS)
        traces = sealed_rows.sealer_for(self.session, sealed_rows.DECISION_TRACES)
        letters = sealed_rows.sealer_for(self.session, sealed_rows.DEAD_LETTERS)
        alert_ids = [row["id"] for row in _alert_rows(connection, copies, alerts)]
        return {
            "audit_entries": sum(
                _redact_rows(
                    connection,
                    orm.audit_log,
                    ("before", "after"),
                    audit.entity_id,
                    ids,
                    copies,
                    audit.entity == entity,
                    summaries,
                )
                for entity, ids in about
            )
            # A key's entries are few, and its name may name the customer whoever holds the
            # key: read them all, redacted by content only.
            + _redact_where(
                connection,
                orm.audit_log,
                ("before", "after"),
                audit.entity == "api_key",
                copies,
                sealer=summaries,
            ),
            "decision_traces": _redact_rows(
                connection,
                orm.decision_traces,
                ("detail",),
                orm.decision_traces.c.order_id,
                copies.order_ids,
                copies,
                None,
                traces,
            ),
            # Events are partitioned by their order's id (`sqlalchemy_uow.outbox_row`); alert
            # events have none, and carry an alert's message: read by content.
            "outbox_events": _redact_rows(
                connection,
                orm.outbox,
                ("payload",),
                orm.outbox.c.partition_key,
                copies.order_ids,
                copies,
            )
            + _redact_where(
                connection, orm.outbox, ("payload",), orm.outbox.c.name.in_(_ALERT_EVENTS), copies
            ),
            "dead_letters": _redact_rows(
                connection,
                orm.dead_letters,
                ("payload", "error"),
                orm.dead_letters.c.partition_key,
                copies.order_ids,
                copies,
                None,
                letters,
            )
            + _redact_where(
                connection,
                orm.dead_letters,
                ("payload", "error"),
                orm.dead_letters.c.name.in_(_ALERT_EVENTS),
                copies,
                sealer=letters,
            ),
            "idempotency_records": orm_api.redact_idempotency(
                connection, copies, sealed_rows.cipher_of(self.session)
            ),
            "api_keys": orm_api.redact_api_keys(
                connection, copies, sealed_rows.cipher_of(self.session)
            ),
            # Support writes a ticket's subject, and may name the customer in it; an alert's
            # ticket is titled with the alert's message; the helpdesk's latest reply may be
            # the customer's own, under their name.
            "tickets": sum(
                _redact_rows(
                    connection,
                    orm.tickets,
                    ("subject", "comment_author", "comment_excerpt"),
                    orm.tickets.c.entity_id,
                    ids,
                    copies,
                    orm.tickets.c.entity == entity,
                    tickets,
                )
                for entity, ids in (("order", copies.order_ids), ("alert", alert_ids))
            ),
            "alerts": _redact_rows(
                connection,
                orm.alerts,
                ("message",),
                orm.alerts.c.id,
                alert_ids,
                copies,
                None,
                alerts,
            ),
        }

    def alerts(self, copies: uow_api.CustomerCopies) -> Sequence[Alert]:
        connection = self.session.connection()
        driver.write_deferred(connection)
        sealer = sealed_rows.sealer_for(self.session, sealed_rows.ALERT_MESSAGES)
        found = [tr.alert_from(row) for row in _alert_rows(connection, copies, sealer)]
        return sorted(found, key=lambda alert: (alert.created_at, alert.id))

    def answers(self, copies: uow_api.CustomerCopies) -> Sequence[IdempotencyRecord]:
        """Found as `orm_api.redact_idempotency` finds them (`orm_api.answers_naming`): by
        content, or opened when sealed, then kept when redacting would change them."""
        cipher = sealed_rows.cipher_of(self.session)
        found = [
            IdempotencyRecord(
                key=row["key"],
                owner=row["owner"],
                request_hash=row["request_hash"],
                created_at=_utc(row["created_at"]),
                state=IdempotencyState(row["state"]),
                status_code=row["status_code"],
                response=stored,
                completed_at=_utc(row["completed_at"]),
            )
            for batch in orm_api.answers_naming(self.session.connection(), copies, cipher)
            for row, stored in batch
        ]
        return sorted(found, key=lambda record: (record.created_at, record.owner, record.key))


# Events that carry an alert's message (and no order's id to find them by).
_ALERT_EVENTS = (AlertTriggered.name, AlertRaised.name)


def _utc(value: Any) -> Any:
    """SQLite hands back naive datetimes from the API's tables; everything Ordo stores is UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _alert_rows(
    connection: Connection,
    copies: uow_api.CustomerCopies,
    sealer: sealed_rows.RowSealer | None = None,
) -> list[Row]:
    """The alerts about the customer, as rows with their messages opened: keyed by an id of
    theirs (an alert without `by` is keyed by the order, shipment or return it is about), or
    whose message names them. The message is matched in the case given and in upper, lower
    and title case too, since SQLite folds the case of ASCII letters only;
    `CustomerCopies.scrub_text` decides what is a match. SQL cannot see into a sealed message:
    with a `sealer`, every sealed one is read and opened as well."""
    a = orm.alerts.c
    found: dict[str, Row] = {}

    def opened(row: Any) -> Row:
        stored = dict(row._mapping)
        return stored if sealer is None else sealer.open(stored)

    ids = (*copies.order_ids, *copies.shipment_ids, *copies.return_ids)
    for chunk in _chunks(ids):
        for row in connection.execute(select(orm.alerts).where(a.key.in_(chunk))):
            found.setdefault(row.id, opened(row))
    variants = sorted({v for n in copies.needles for v in (n, n.lower(), n.upper(), n.title())})
    if variants:
        named = [a.message.icontains(v, autoescape=True) for v in variants]
        if sealer is not None:
            named.append(a.message.startswith(TOKEN_PREFIX, autoescape=True))
        for row in connection.execute(select(orm.alerts).where(or_(*named))):
            if row.id not in found:
                alert = opened(row)
                if copies.scrub_text(alert["message"]) != alert["message"]:
                    found[row.id] = alert
    return list(found.values())


def _redact_rows(
    connection: Connection,
    table: Table,
    columns: tuple[str, ...],
    key: ColumnElement[Any],
    keys: Iterable[str],
    copies: uow_api.CustomerCopies,
    where: ColumnElement[bool] | None = None,
    sealer: sealed_rows.RowSealer | None = None,
) -> int:
    """Redact `columns` of the rows of `table` whose `key` is one of `keys` (and that match
    `where`); the rows changed. Every column is the customer's through and through (a trace
    of their order, a payload about it): scrubbed as theirs."""
    changed = 0
    for chunk in _chunks(keys):
        found = key.in_(chunk) if where is None else and_(key.in_(chunk), where)
        changed += _redact_where(connection, table, columns, found, copies, True, sealer)
    return changed


def _redact_where(
    connection: Connection,
    table: Table,
    columns: tuple[str, ...],
    where: ColumnElement[bool],
    copies: uow_api.CustomerCopies,
    theirs: bool = False,
    sealer: sealed_rows.RowSealer | None = None,
) -> int:
    """Redact `columns` of the rows of `table` matching `where`; the rows changed. Not
    `theirs`: rows that may be about anyone, whose texts lose the customer's only. With a
    `sealer` (of these columns), each row is opened first and its redaction sealed again."""
    id_ = table.c.id
    write = (
        update(table)
        .where(id_ == bindparam("k_id"))
        .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
    )
    rows = connection.execute(
        select(id_, *(table.c[name] for name in columns)).where(where)
    ).mappings()
    writes = []
    for stored in rows:
        row = stored if sealer is None else sealer.open(dict(stored))
        redacted = {name: copies.scrub(row[name], theirs) for name in columns}
        if any(redacted[name] != row[name] for name in columns):
            if sealer is not None:
                redacted = sealer.seal(redacted, row["id"])
            writes.append({"k_id": row["id"], **{f"v_{n}": v for n, v in redacted.items()}})
    if writes:
        connection.execute(write, writes)
    return len(writes)


def flush_all(repositories: Iterable[SqlRepository[Any, Any]]) -> None:
    """Flush every repository, then let each make its last writes (`before_commit`)."""
    repositories = list(repositories)
    for repository in repositories:
        repository.flush()
    for repository in repositories:
        repository.before_commit()
