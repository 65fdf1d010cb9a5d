"""The stock repository: stock rows with channel allocations, and the atomic stock moves.

Reserve, release, consume and adjust never go through an entity: each is one conditional
UPDATE whose WHERE clause is the domain's arithmetic (`Stock.available_for` and friends), so
no interleaving of processes can oversell or drive a counter out of range. A stock count
sets thousands of rows at a location in a few statements per batch (`SqlStock.set_counts`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import (
    Integer,
    String,
    Update,
    bindparam,
    case,
    column,
    func,
    insert,
    literal,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql import Executable, FromClause

from engine.adapters import driver, orm
from engine.adapters import translation as tr
from engine.adapters.repositories import Row, Snapshot, SqlRepository
from engine.domain.errors import Conflict, InvalidQuantity, NotFound
from engine.domain.inventory import Stock
from engine.service_layer import unit_of_work as uow_api


class SqlStock(SqlRepository[tuple[str, str], Stock], uow_api.StockRepository):
    """Stock rows with their channel allocations, and the atomic stock moves.

    Each move is one conditional UPDATE whose WHERE clause is the domain's arithmetic, so the
    check and the change cannot be separated by another transaction: PostgreSQL re-evaluates
    the condition on the latest row version after waiting for its lock, SQLite runs writers
    one at a time. Allocation sums read by the subquery can only be stale upwards (reserving
    consumes allocations), which errs towards refusing, never towards overselling.
    """

    table = orm.stock
    entity = "stock"
    key_columns = ("sku", "location_code")
    order_by = ("sku", "location_code")
    versioned = True
    child_table = orm.stock_allocations

    def key_of(self, item: Stock) -> tuple[str, str]:
        return item.sku, item.location_code

    def dump(self, item: Stock) -> Snapshot:
        return tr.stock_row(item), tr.allocation_rows(item)

    def build(self, row: Row, children: list[Row]) -> Stock:
        return tr.stock_from(row, children)

    def _stamp_insert(self, row: Row, now: datetime) -> Row:
        # PostgreSQL's held-back INSERT names its columns: the column's default is not used.
        # Updates are stamped by the database (`orm.changed_now`).
        return {**row, "updated_at": now}

    def _children(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[Row]]:
        grouped: dict[tuple[str, str], list[Row]] = {}
        for r in self._execute(_ALLOCATIONS_OF, {"b_keys": keys}).mappings():
            grouped.setdefault((r["sku"], r["location_code"]), []).append(dict(r))
        return grouped

    def for_sku(self, sku: str) -> Sequence[Stock]:
        return self._query(self.table.c.sku == sku)

    def for_skus(self, skus: Sequence[str]) -> Sequence[Stock]:
        """Every row of these SKUs with its allocations, in one JOINed query: this is the
        pipeline's read of an order's stock, and a second round trip for the (mostly absent)
        allocations cost as much as the rows themselves."""
        result = []
        for key, (row, allocations) in self._rows_of(skus).items():
            if key not in self._loaded:
                item = self.build(row, allocations)
                self._loaded[key] = (item, self.dump(item))
            result.append(self._track(self._loaded[key][0]))
        return result

    def read_for_skus(self, skus: Sequence[str]) -> Sequence[Stock]:
        """As `for_skus`, but the rows are built and not held for change tracking: a dozen or
        more per order that the pipeline only reads, each of which was dumped once when read
        and again, to compare, at commit. A row this transaction already holds is given as
        held."""
        return [
            self._loaded[key][0] if key in self._loaded else self.build(row, allocations)
            for key, (row, allocations) in self._rows_of(skus).items()
        ]

    def _rows_of(self, skus: Sequence[str]) -> dict[tuple[str, str], tuple[Row, list[Row]]]:
        """The rows of these SKUs with their allocation rows, by key, in key order."""
        if not skus:
            return {}
        self.flush()
        rows = driver.fetch_all(
            _STOCK_WITH_ALLOCATIONS, self.connection(), {"b_skus": list(dict.fromkeys(skus))}
        )
        found: dict[tuple[str, str], tuple[Row, list[Row]]] = {}
        for r in rows:
            key = (r["sku"], r["location_code"])
            if key not in found:
                found[key] = ({c.name: r[c.name] for c in _STOCK_COLUMNS}, [])
            if r["a_channel"] is not None:
                found[key][1].append({c.name: r[f"a_{c.name}"] for c in _ALLOCATION_COLUMNS})
        return found

    def for_location(self, location_code: str) -> Sequence[Stock]:
        return self._query(self.table.c.location_code == location_code)

    # -- atomic moves -------------------------------------------------------------------------
    def _move(self, statement: Update, key: tuple[str, str], **params: int | str | None) -> bool:
        """Run one prepared conditional UPDATE; False when its condition refused the row."""
        return self._moved_row(statement, key, **params) is not None

    def _moved_row(
        self, statement: Update, key: tuple[str, str], **params: int | str | None
    ) -> Mapping[str, Any] | None:
        """Run one prepared conditional UPDATE; the row it returned, None when refused."""
        # The UPDATE reads only this row and its allocations, so only they must be written first.
        self.flush_one(key)
        values = {"b_sku": key[0], "b_loc": key[1], **{f"b_{k}": v for k, v in params.items()}}
        row = self._locked(key, statement, values)
        if row is not None:
            self._sync(key, row)
        return row

    def _locked(self, key: tuple[str, str], statement: Executable, params: Row) -> Row | None:
        """Execute a move; PostgreSQL breaking a lock cycle becomes a Conflict to retry."""
        try:
            return driver.fetch_one(statement, self.connection(), params)
        except OperationalError as exc:
            if not _lock_cycle(exc):
                raise
            raise self._lock_cycle_conflict(key) from None

    @staticmethod
    def _lock_cycle_conflict(key: tuple[str, str]) -> Conflict:
        return Conflict(
            f"stock {tr.show_key(key)} is being moved by another transaction that waits "
            "for this one; nothing was saved, retry (taking rows in (sku, location) order "
            "avoids this)"
        )

    def try_reserve(self, sku: str, location_code: str, quantity: int, channel: str | None) -> bool:
        return self.reserve(sku, location_code, quantity, channel) is not None

    def reserve(
        self, sku: str, location_code: str, quantity: int, channel: str | None
    ) -> int | None:
        """`try_reserve`, answering how many of the units came out of `channel`'s allocation
        at the row (the reservation records them, to fence them again when it is released);
        None when refused."""
        _positive(quantity)
        key = (sku, location_code)
        if channel is None:
            return 0 if self._move(_RESERVE_FOR_ANYONE, key, q=quantity) else None
        row = self._moved_row(_RESERVE_FOR_CHANNEL, key, q=quantity, channel=channel)
        if row is None:
            return None
        return self._consume_allocation(key, row, quantity, channel)

    def try_reserve_all(self, moves: Sequence[tuple[str, str, int]], channel: str | None) -> bool:
        return self.reserve_all(moves, channel) is not None

    def reserve_all(
        self, moves: Sequence[tuple[str, str, int]], channel: str | None
    ) -> dict[tuple[str, str], int] | None:
        """`try_reserve_all`, answering the units taken from `channel`'s allocations by
        (sku, location) (None when any move is refused; the caller then rolls back).

        On PostgreSQL, an order's reservations as one statement: it locks the rows in
        (sku, location) order first, whatever order the moves come in (so two orders taking
        the same rows cannot deadlock), then applies each move's condition to the row as it
        stands once locked, as `reserve` does. Moves of the same row are summed: all of
        them hold exactly when their total does."""
        connection = self.connection()
        if len(moves) < 2 or connection.dialect.name != "postgresql":
            drawn: dict[tuple[str, str], int] = {}
            for sku, code, quantity in moves:
                taken = self.reserve(sku, code, quantity, channel)
                if taken is None:
                    return None
                drawn[(sku, code)] = drawn.get((sku, code), 0) + taken
            return drawn
        wanted: dict[tuple[str, str], int] = {}
        for sku, code, quantity in moves:
            _positive(quantity)
            wanted[(sku, code)] = wanted.get((sku, code), 0) + quantity
        for key in wanted:
            self.flush_one(key)
        statement = _RESERVE_ALL_FOR_ANYONE if channel is None else _RESERVE_ALL_FOR_CHANNEL
        params: dict[str, Any] = {
            "b_skus": [sku for sku, _code in wanted],
            "b_locs": [code for _sku, code in wanted],
            "b_qs": list(wanted.values()),
        }
        if channel is not None:
            params["b_channel"] = channel
        try:
            rows = driver.fetch_returned(statement, connection, params)
        except OperationalError as exc:
            if not _lock_cycle(exc):
                raise
            raise self._lock_cycle_conflict(min(wanted)) from None
        if len(rows) != len(wanted):
            return None  # a row refused its move (or is missing)
        drawn = dict.fromkeys(wanted, 0)
        for row in rows:
            key = (row["sku"], row["location_code"])
            self._sync(key, row)
            if channel is not None:
                drawn[key] = self._consume_allocation(key, row, wanted[key], channel)
        return drawn

    def _consume_allocation(
        self, key: tuple[str, str], row: Mapping[str, Any], quantity: int, channel: str
    ) -> int:
        """After reserving for `channel`, use up what the row held back for it; returns the
        units taken from the allocation."""
        sku, location_code = key
        if not row["own_allocation"]:
            # Most rows hold nothing back for the channel: skip the second UPDATE (half the
            # statements of a reservation). An allocation added meanwhile by another
            # transaction stays unconsumed, which fences more units, never fewer.
            return 0
        params = {"b_sku": sku, "b_loc": location_code, "b_channel": channel, "b_q": quantity}
        # The allocation as it now stands, not as the reserving UPDATE's snapshot saw it: the
        # units taken are recorded on the reservation and fenced again on its release, so
        # they must be exact. Whoever moves this allocation holds the stock row first (which
        # this transaction now does), so it cannot change between this read and the UPDATE.
        before = self._locked(key, _ALLOCATION_UNITS, params)
        taken = 0 if before is None else min(quantity, before["units"])
        if taken <= 0:
            return 0
        consumed = self._locked(key, _CONSUME_ALLOCATION, {**params, "b_q": taken})
        if consumed is None:
            return 0
        self._sync_allocation(key, channel, consumed["units"])
        return taken

    def _sync_allocation(self, key: tuple[str, str], channel: str, units: int) -> None:
        held = self._loaded.get(key)
        if held is not None:
            held[0].channel_allocations[channel] = units
            self._loaded[key] = (held[0], self.dump(held[0]))

    def release(
        self,
        sku: str,
        location_code: str,
        quantity: int,
        channel: str | None = None,
        to_allocation: int = 0,
    ) -> None:
        """Give reserved units back; `to_allocation` of them (what the reservation took from
        `channel`'s allocation) are fenced for that channel again, if it still has an
        allocation row here (one removed meanwhile is not brought back)."""
        _positive(quantity)
        key = (sku, location_code)
        if not self._move(_RELEASE, key, q=quantity):
            self._refuse(
                sku,
                location_code,
                lambda s: (
                    f"cannot release {quantity} of {sku} at "
                    f"{location_code}: only {s.reserved} reserved"
                ),
            )
        units = min(to_allocation, quantity)
        if channel is None or units <= 0:
            return
        params = {"b_sku": sku, "b_loc": location_code, "b_channel": channel, "b_q": units}
        restored = self._locked(key, _RESTORE_ALLOCATION, params)
        if restored is not None:
            self._sync_allocation(key, channel, restored["units"])

    def consume(self, sku: str, location_code: str, quantity: int) -> None:
        """A shipment leaves: reserved units leave the building."""
        _positive(quantity)
        if not self._move(_CONSUME, (sku, location_code), q=quantity):
            self._refuse(
                sku,
                location_code,
                lambda s: (
                    f"cannot consume {quantity} of {sku} at "
                    f"{location_code}: only {s.reserved} reserved"
                ),
            )

    def adjust(self, sku: str, location_code: str, delta: int) -> Stock:
        """Count corrections and receipts; a receipt at a new location creates the row."""
        key = (sku, location_code)
        moved = self._move(_ADJUST, key, delta=delta)
        if not moved:
            # No row moved: there is no row yet to create, or the row refuses the change, or
            # another transaction created the row since the UPDATE looked (then move again,
            # rather than refuse a change the row it just created would accept).
            if self._current(key) is None:
                moved = self._create(key, delta)
            else:
                moved = self._move(_ADJUST, key, delta=delta)
        if not moved:
            self._refuse(
                sku,
                location_code,
                lambda s: (
                    f"adjusting {sku} at {location_code} "
                    f"by {delta} would leave {s.on_hand + delta} on hand with "
                    f"{s.reserved} reserved"
                ),
            )
        found = self.get(key)
        assert found is not None  # the row was just updated or created
        return found

    def _create(self, key: tuple[str, str], on_hand: int) -> bool:
        sku, location_code = key
        if on_hand < 0:
            raise InvalidQuantity(
                f"adjusting {sku} at {location_code} by {on_hand} would leave {on_hand} on hand"
            )
        row = tr.stock_row(Stock(sku=sku, location_code=location_code, on_hand=on_hand))
        try:
            # A savepoint: losing the race to insert must not abort the whole transaction. Asked
            # of the session inside the block: the session emits SAVEPOINT only when its
            # connection is asked for there, not for the connection this repository keeps.
            with self.session.begin_nested():
                self.session.connection().execute(insert(self.table).values(row))
        except IntegrityError:
            return self._move(_ADJUST, key, delta=on_hand)
        return True

    def set_counts(
        self, location_code: str, counts: Mapping[str, int]
    ) -> dict[str, uow_api.CountApplied]:
        """A count's rows in a few statements per `COUNT_BATCH` SKUs, batch after batch in
        SKU order, instead of an UPDATE per SKU (thousands of round trips, every row held
        all the while): the batch's rows are taken and read as they stand (`FOR UPDATE`, in
        SKU order, on PostgreSQL; SQLite's writer holds the whole file from BEGIN
        IMMEDIATE), then one UPDATE sets those the count moves and one INSERT makes the rows
        the location lacks. A row another transaction made since the read is not inserted
        over: it is taken and set with the next statements instead."""
        self.flush()  # the statements read and write rows this transaction may have changed
        statements = _COUNTING[self.connection().dialect.name]
        applied: dict[str, uow_api.CountApplied] = {}
        pending = sorted(counts)
        while pending:
            batch, pending = pending[:COUNT_BATCH], pending[COUNT_BATCH:]
            # Rows made meanwhile sort before the rest of `pending`: SKU order holds.
            made_meanwhile = self._set_batch(statements, location_code, batch, counts, applied)
            pending = made_meanwhile + pending
        return applied

    def _set_batch(
        self,
        statements: _Counting,
        code: str,
        batch: list[str],
        counts: Mapping[str, int],
        applied: dict[str, uow_api.CountApplied],
    ) -> list[str]:
        """Set one batch's SKUs into `applied`; the SKUs whose row another transaction made
        after the batch's rows were taken (to be taken again)."""
        key = (batch[0], code)
        taken = {
            row["sku"]: row
            for row in self._counting(statements.take, statements.params(code, batch, counts), key)
        }
        moves = []
        for sku, row in taken.items():
            if max(counts[sku], row["reserved"]) != row["on_hand"]:
                moves.append(sku)
            else:  # the count agrees with the row as taken: nothing to write
                applied[sku] = _applied(sku, code, row["on_hand"], row)
        if moves:
            for row in self._counting(statements.set, statements.params(code, moves, counts), key):
                self._sync((row["sku"], code), row)
                applied[row["sku"]] = _applied(row["sku"], code, taken[row["sku"]]["on_hand"], row)
        missing = [sku for sku in batch if sku not in taken]
        if not missing:
            return []
        made = statements.params(code, missing, counts)
        inserted = {row["sku"] for row in self._counting(statements.make, made, key)}
        for sku in inserted:
            new = {"on_hand": counts[sku], "reserved": 0, "safety_stock": 0}
            applied[sku] = _applied(sku, code, 0, new)
        return [sku for sku in missing if sku not in inserted]

    def _counting(self, statement: Executable, params: Row, key: tuple[str, str]) -> list[Row]:
        """Run one of a count's statements; PostgreSQL breaking a lock cycle becomes a
        Conflict (the count's handler runs the whole count again)."""
        try:
            return driver.fetch_returned(statement, self.connection(), params)
        except OperationalError as exc:
            if not _lock_cycle(exc):
                raise
            raise self._lock_cycle_conflict(key) from None

    def _current(self, key: tuple[str, str]) -> Row | None:
        found = self._execute(select(self.table).where(self._where_key(key))).mappings()
        row = found.first()
        return None if row is None else dict(row)

    def _refuse(self, sku: str, location_code: str, message: Callable[[Stock], str]) -> NoReturn:
        row = self._current((sku, location_code))
        if row is None:
            raise NotFound("stock", f"{sku}@{location_code}")
        raise InvalidQuantity(message(tr.stock_from(row, [])))

    def _sync(self, key: tuple[str, str], row: Mapping[Any, Any]) -> None:
        """Bring an entity this transaction already holds in line with the row just moved."""
        held = self._loaded.get(key)
        if held is None:
            return
        item = held[0]
        item.on_hand, item.reserved, item.version = row["on_hand"], row["reserved"], row["version"]
        item.safety_stock, item.reorder_point = row["safety_stock"], row["reorder_point"]
        self._loaded[key] = (item, self.dump(item))


def _lock_cycle(exc: OperationalError) -> bool:
    """PostgreSQL broke a lock cycle (40P01: two transactions took the same stock rows in
    opposite orders) or a serialisation failure (40001)."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise InvalidQuantity(f"quantity must be positive, got {quantity}")


def _applied(sku: str, code: str, before: int, row: Mapping[str, Any]) -> uow_api.CountApplied:
    """A counted SKU's figures from its row (on_hand, reserved, safety_stock) as the count
    left it."""
    stock = Stock(sku, code, row["on_hand"], row["reserved"], row["safety_stock"])
    return uow_api.CountApplied(sku, before, stock.on_hand, stock.reserved, stock.available)


# -- the prepared statements ------------------------------------------------------------------
# Built once: constructing a statement costs more than running it on SQLite. Parameters:
# b_sku, b_loc (the row), b_q (a quantity), b_delta, b_channel; the b_ prefix because
# SQLAlchemy reserves column names for the SET clause.

_s = orm.stock.c
_a = orm.stock_allocations.c
_Q = bindparam("b_q", type_=Integer())
_DELTA = bindparam("b_delta", type_=Integer())
# What a move hands back: the row's counters as they now stand (`SqlStock._sync`).
_RETURNED = (_s.on_hand, _s.reserved, _s.safety_stock, _s.reorder_point, _s.version)


def _fenced_for_others(*, all_channels: bool) -> Any:
    """Units allocated to channels other than :channel (to every channel if `all_channels`)."""
    conditions = [_a.sku == _s.sku, _a.location_code == _s.location_code]
    if not all_channels:
        conditions.append(_a.channel != bindparam("b_channel", type_=String()))
    return (
        select(func.coalesce(func.sum(_a.units), 0))
        .where(*conditions)
        .correlate(orm.stock)
        .scalar_subquery()
    )


def _conditional(condition: Any, **values: Any) -> Update:
    return (
        update(orm.stock)
        .where(_s.sku == bindparam("b_sku"), _s.location_code == bindparam("b_loc"), condition)
        .values(version=_s.version + 1, **values)
        .returning(*_RETURNED)
    )


_FREE = _s.on_hand - _s.reserved - _s.safety_stock
# The WHERE clauses are Stock.available_for(channel) >= q and friends, in SQL.
_RESERVE_FOR_ANYONE = _conditional(
    _FREE - _fenced_for_others(all_channels=True) >= _Q, reserved=_s.reserved + _Q
)
# Also returns the units allocated to the reserving channel, so that `try_reserve` runs the
# allocation UPDATE only when there is an allocation to consume.
_OWN_ALLOCATION = (
    select(func.coalesce(func.sum(_a.units), 0))
    .where(
        _a.sku == _s.sku,
        _a.location_code == _s.location_code,
        _a.channel == bindparam("b_channel", type_=String()),
    )
    .correlate(orm.stock)
    .scalar_subquery()
    .label("own_allocation")
)
_RESERVE_FOR_CHANNEL = _conditional(
    _FREE - _fenced_for_others(all_channels=False) >= _Q, reserved=_s.reserved + _Q
).returning(_OWN_ALLOCATION)


def _reserve_all(*, for_channel: bool) -> Update:
    """Several reservations in one UPDATE (`SqlStock.try_reserve_all`): the rows are locked
    in (sku, location) order by a materialised CTE before the UPDATE touches any, the
    quantities come as arrays (one statement text, prepared once, whatever the count)."""
    wanted = (
        func.unnest(
            bindparam("b_skus", type_=ARRAY(String())),
            bindparam("b_locs", type_=ARRAY(String())),
            bindparam("b_qs", type_=ARRAY(Integer())),
        )
        .table_valued(
            column("sku", String()), column("location_code", String()), column("q", Integer())
        )
        .render_derived(name="wanted")
    )
    locked = (
        select(_s.sku, _s.location_code, wanted.c.q)
        .join(wanted, (_s.sku == wanted.c.sku) & (_s.location_code == wanted.c.location_code))
        .order_by(_s.sku, _s.location_code)
        .with_for_update(of=orm.stock)
        .cte("locked")
        .prefix_with("MATERIALIZED")
    )
    fenced = _fenced_for_others(all_channels=not for_channel)
    returned: list[Any] = [_s.sku, _s.location_code, *_RETURNED]
    if for_channel:
        returned.append(_OWN_ALLOCATION)
    return (
        update(orm.stock)
        .where(
            _s.sku == locked.c.sku,
            _s.location_code == locked.c.location_code,
            _FREE - fenced >= locked.c.q,
        )
        .values(version=_s.version + 1, reserved=_s.reserved + locked.c.q)
        .returning(*returned)
    )


_RESERVE_ALL_FOR_ANYONE = _reserve_all(for_channel=False)
_RESERVE_ALL_FOR_CHANNEL = _reserve_all(for_channel=True)
_RELEASE = _conditional(_s.reserved >= _Q, reserved=_s.reserved - _Q)
_CONSUME = _conditional(_s.reserved >= _Q, reserved=_s.reserved - _Q, on_hand=_s.on_hand - _Q)
_ADJUST = _conditional(_s.on_hand + _DELTA >= _s.reserved, on_hand=_s.on_hand + _DELTA)
_ALLOCATIONS_OF = (
    select(orm.stock_allocations)
    .where(tuple_(_a.sku, _a.location_code).in_(bindparam("b_keys", expanding=True)))
    .order_by(_a.sku, _a.location_code, _a.channel)
)
_ALLOCATION_COLUMNS = list(orm.stock_allocations.c)
# Without `updated_at`, which no entity holds: the pipeline's read of a dozen rows per order
# need not convert a time for each.
_STOCK_COLUMNS = [c for c in orm.stock.c if c is not _s.updated_at]
_STOCK_WITH_ALLOCATIONS = (
    select(*_STOCK_COLUMNS, *(c.label(f"a_{c.name}") for c in _ALLOCATION_COLUMNS))
    .outerjoin(
        orm.stock_allocations,
        (_a.sku == _s.sku) & (_a.location_code == _s.location_code),
    )
    .where(_s.sku.in_(bindparam("b_skus", expanding=True)))
    .order_by(_s.sku, _s.location_code, _a.channel)
)
_THE_ALLOCATION = (
    _a.sku == bindparam("b_sku"),
    _a.location_code == bindparam("b_loc"),
    _a.channel == bindparam("b_channel"),
)
_ALLOCATION_UNITS = select(_a.units).where(*_THE_ALLOCATION).with_for_update()
# A reservation first uses up the channel's own allocation, never below zero.
_CONSUME_ALLOCATION = (
    update(orm.stock_allocations)
    .where(*_THE_ALLOCATION, _a.units > 0)
    .values(units=case((_a.units > _Q, _a.units - _Q), else_=0))
    .returning(_a.units)
)
# A released reservation fences again what it took from the allocation.
_RESTORE_ALLOCATION = (
    update(orm.stock_allocations)
    .where(*_THE_ALLOCATION)
    .values(units=_a.units + _Q)
    .returning(_a.units)
)


# -- a stock count's statements (`SqlStock.set_counts`) ---------------------------------------
# Each takes the batch's counts as one or two parameters, unpacked by the database into a
# table `counted` (sku, counted): one statement text whatever the batch's size, prepared once,
# where a VALUES list would be a new text (and a new compilation) per size.

# SKUs per batch: a few statements move a thousand rows, and the parameters stay far below
# what either database takes.
COUNT_BATCH = 1_000


@dataclass(frozen=True)
class _Counting:
    """A count's statements for one dialect: `take` the rows (sku, on_hand, reserved,
    safety_stock) in SKU order, `set` on-hand of those the count moves (returning the rows
    as `_RETURNED`), `make` the missing rows (returning the SKUs inserted); `params` packs
    (location, SKUs, counts) for them."""

    take: Executable
    set: Executable
    make: Executable
    params: Callable[[str, list[str], Mapping[str, int]], Row]


def _counting(
    counted: FromClause, params: Callable[..., Row], insert_into: Callable[..., Any]
) -> _Counting:
    location = bindparam("b_loc", type_=String())
    take = (
        select(_s.sku, _s.on_hand, _s.reserved, _s.safety_stock)
        .join(counted, _s.sku == counted.c.sku)
        .where(_s.location_code == location)
        .order_by(_s.sku)
        .with_for_update(of=orm.stock)
    )
    # Never below what is reserved: the count is raised to it (the service reports the short).
    target = case((counted.c.counted > _s.reserved, counted.c.counted), else_=_s.reserved)
    set_ = (
        update(orm.stock)
        .where(_s.location_code == location, _s.sku == counted.c.sku)
        .values(on_hand=target, version=_s.version + 1)
        .returning(_s.sku, *_RETURNED)
    )
    # sku, location, on_hand, then the zeros and the time of change
    columns = [c.name for c in orm.stock.c]
    # `WHERE true`: SQLite reads the ON of `INSERT ... SELECT ... ON CONFLICT` as a join's
    # without it.
    zeros = [literal(0) for _ in ("reserved", "safety_stock", "reorder_point", "version")]
    rows = select(counted.c.sku, location, counted.c.counted, *zeros, orm.changed_now()).where(
        true()
    )
    make = (
        insert_into(orm.stock).from_select(columns, rows).on_conflict_do_nothing().returning(_s.sku)
    )
    return _Counting(take, set_, make, params)


def _postgres_counted() -> FromClause:
    return (
        func.unnest(
            bindparam("b_skus", type_=ARRAY(String())),
            bindparam("b_counts", type_=ARRAY(Integer())),
        )
        .table_valued(column("sku", String()), column("counted", Integer()))
        .render_derived(name="counted")
    )


def _postgres_params(code: str, skus: list[str], counts: Mapping[str, int]) -> Row:
    return {"b_loc": code, "b_skus": skus, "b_counts": [counts[sku] for sku in skus]}


def _sqlite_counted() -> FromClause:
    pairs = func.json_each(bindparam("b_counted", type_=String())).table_valued(
        column("key", String()), column("value", Integer())
    )
    # Materialised: as a subquery, SQLite flattens it into the UPDATE and drives the join from
    # the location's rows, scanning the whole JSON for each of them (0.7 s per thousand SKUs
    # at a location of 5,000); materialised, it looks each counted SKU up by primary key.
    return (
        select(pairs.c.key.label("sku"), pairs.c.value.label("counted"))
        .cte("counted")
        .prefix_with("MATERIALIZED")
    )


def _sqlite_params(code: str, skus: list[str], counts: Mapping[str, int]) -> Row:
    return {"b_loc": code, "b_counted": json.dumps({sku: counts[sku] for sku in skus})}


_COUNTING = {
    "postgresql": _counting(_postgres_counted(), _postgres_params, postgresql.insert),
    "sqlite": _counting(_sqlite_counted(), _sqlite_params, sqlite.insert),
}
