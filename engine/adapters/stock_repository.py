"""The stock repository: stock rows with channel allocations, and the atomic stock moves.

Reserve, release, consume and adjust never go through an entity: each is one conditional
UPDATE whose WHERE clause is the domain's arithmetic (`Stock.available_for` and friends), so
no interleaving of processes can oversell or drive a counter out of range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from sqlalchemy import case, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from engine.adapters import orm
from engine.adapters import translation as tr
from engine.adapters.repositories import Row, Snapshot, SqlRepository
from engine.domain.errors import InvalidQuantity, NotFound
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
    child_link = ("sku", "location_code")

    def key_of(self, item: Stock) -> tuple[str, str]:
        return item.sku, item.location_code

    def dump(self, item: Stock) -> Snapshot:
        return tr.stock_row(item), tr.allocation_rows(item)

    def build(self, row: Row, children: list[Row]) -> Stock:
        return tr.stock_from(row, children)

    def _children(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[Row]]:
        a = orm.stock_allocations.c
        stmt = select(orm.stock_allocations).where(tuple_(a.sku, a.location_code).in_(keys))
        grouped: dict[tuple[str, str], list[Row]] = {}
        for r in self.session.execute(stmt.order_by(a.channel)).mappings():
            grouped.setdefault((r["sku"], r["location_code"]), []).append(dict(r))
        return grouped

    def for_sku(self, sku: str) -> Sequence[Stock]:
        return self._query(self.table.c.sku == sku)

    def for_skus(self, skus: Sequence[str]) -> Sequence[Stock]:
        return self._query(self.table.c.sku.in_(list(dict.fromkeys(skus)))) if skus else []

    def for_location(self, location_code: str) -> Sequence[Stock]:
        return self._query(self.table.c.location_code == location_code)

    # -- atomic moves -------------------------------------------------------------------------
    def _move(self, sku: str, location_code: str, condition: Any, **values: Any) -> bool:
        self.flush()
        c = self.table.c
        stmt = (
            update(self.table)
            .where(c.sku == sku, c.location_code == location_code, condition)
            .values(version=c.version + 1, **values)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def try_reserve(self, sku: str, location_code: str, quantity: int, channel: str | None) -> bool:
        _positive(quantity)
        c = self.table.c
        available_for = c.on_hand - c.reserved - c.safety_stock - _fenced_for_others(channel)
        if not self._move(
            sku, location_code, available_for >= quantity, reserved=c.reserved + quantity
        ):
            return False
        if channel is not None:
            a = orm.stock_allocations.c
            self.session.execute(
                update(orm.stock_allocations)
                .where(a.sku == sku, a.location_code == location_code, a.channel == channel)
                .where(a.units > 0)
                .values(units=case((a.units > quantity, a.units - quantity), else_=0))
            )
        self._refresh((sku, location_code))
        return True

    def release(self, sku: str, location_code: str, quantity: int) -> None:
        _positive(quantity)
        c = self.table.c
        if not self._move(
            sku, location_code, c.reserved >= quantity, reserved=c.reserved - quantity
        ):
            self._refuse(
                sku,
                location_code,
                lambda s: (
                    f"cannot release {quantity} of {sku} at "
                    f"{location_code}: only {s.reserved} reserved"
                ),
            )
        self._refresh((sku, location_code))

    def consume(self, sku: str, location_code: str, quantity: int) -> None:
        """A shipment leaves: reserved units leave the building."""
        _positive(quantity)
        c = self.table.c
        if not self._move(
            sku,
            location_code,
            c.reserved >= quantity,
            reserved=c.reserved - quantity,
            on_hand=c.on_hand - quantity,
        ):
            self._refuse(
                sku,
                location_code,
                lambda s: (
                    f"cannot consume {quantity} of {sku} at "
                    f"{location_code}: only {s.reserved} reserved"
                ),
            )
        self._refresh((sku, location_code))

    def adjust(self, sku: str, location_code: str, delta: int) -> Stock:
        """Count corrections and receipts; a receipt at a new location creates the row."""
        c = self.table.c
        key = (sku, location_code)
        moved = self._move(
            sku, location_code, c.on_hand + delta >= c.reserved, on_hand=c.on_hand + delta
        )
        # No row moved: either the row refuses the change or there is no row yet to create.
        if not moved and (
            self._current(key) is not None or not self._create(sku, location_code, delta)
        ):
            self._refuse(
                sku,
                location_code,
                lambda s: (
                    f"adjusting {sku} at {location_code} "
                    f"by {delta} would leave {s.on_hand + delta} on hand with "
                    f"{s.reserved} reserved"
                ),
            )
        self._refresh(key)
        found = self.get(key)
        assert found is not None  # the row was just updated or created
        return found

    def _create(self, sku: str, location_code: str, on_hand: int) -> bool:
        if on_hand < 0:
            raise InvalidQuantity(
                f"adjusting {sku} at {location_code} by {on_hand} would leave {on_hand} on hand"
            )
        row = tr.stock_row(Stock(sku=sku, location_code=location_code, on_hand=on_hand))
        try:
            # A savepoint: losing the race to insert must not abort the whole transaction.
            with self.session.begin_nested():
                self.session.execute(insert(self.table).values(row))
        except IntegrityError:
            c = self.table.c
            return self._move(
                sku, location_code, c.on_hand + on_hand >= c.reserved, on_hand=c.on_hand + on_hand
            )
        return True

    def _current(self, key: tuple[str, str]) -> Row | None:
        found = self.session.execute(select(self.table).where(self._where_key(key))).mappings()
        row = found.first()
        return None if row is None else dict(row)

    def _refuse(self, sku: str, location_code: str, message: Callable[[Stock], str]) -> NoReturn:
        row = self._current((sku, location_code))
        if row is None:
            raise NotFound("stock", f"{sku}@{location_code}")
        raise InvalidQuantity(message(tr.stock_from(row, [])))

    def _refresh(self, key: tuple[str, str]) -> None:
        """Bring an entity this transaction already holds in line with the row just moved."""
        if key not in self._loaded:
            return
        item = self._loaded[key][0]
        row = self._current(key)
        if row is None:
            return
        fresh = tr.stock_from(row, self._children([key]).get(key, []))
        item.on_hand, item.reserved, item.version = fresh.on_hand, fresh.reserved, fresh.version
        item.safety_stock, item.reorder_point = fresh.safety_stock, fresh.reorder_point
        item.channel_allocations = fresh.channel_allocations
        self._loaded[key] = (item, self.dump(item))


def _fenced_for_others(channel: str | None) -> Any:
    """Units allocated to channels other than `channel` (all of them when it is None)."""
    a = orm.stock_allocations.c
    s = orm.stock.c
    conditions = [a.sku == s.sku, a.location_code == s.location_code]
    if channel is not None:
        conditions.append(a.channel != channel)
    return (
        select(func.coalesce(func.sum(a.units), 0))
        .where(*conditions)
        .correlate(orm.stock)
        .scalar_subquery()
    )


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise InvalidQuantity(f"quantity must be positive, got {quantity}")
