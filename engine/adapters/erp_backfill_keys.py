"""The store's side of `ordo erp backfill`: which entities to send, a page of keys at a time.

`changed_keys` is the backfill's `ChangedKeys` (`engine.service_layer.erp_backfill`), answered
on a database with one statement per count and per page that reads keys only, never the
entities. A page is the next keys in primary-key order after the last key of the page before
(keyset pagination, along the primary key's index), so the walk of a million orders holds a
page of ids at a time and each page costs what it reads, wherever it is in the table; a run
resumed after a key (`--after`) counts and starts from it the same way. With `since`:

- orders by their last save (`updated_at`, stamped by every save of an order);
- returns by their last save, and stock rows by their last change (`updated_at`, migration
  0041); one with none (not changed since the migration) is sent: its time is unknown;
- customers whose record was written or erased then (the audit log's `customer.put` and
  `customer.erase`) or who have an order saved then, as the worker sends a customer with their
  new order; each looked up by the customer's id in the audit log's and the orders' indexes.

No time of change is indexed (a stock row's changes with every reservation): a page of a walk
`since` a day reads rows in key order until it has `limit` that changed then.

Any other store (the in-memory one) is read the slow way, by the service layer's own
`KeysTheSlowWay`. Kept out of `repositories.py` so the repository interface does not grow for
one caller, as `silent_shipments` is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Table, func, or_, select, tuple_

from engine.adapters import orm
from engine.adapters.repositories import SqlOrders
from engine.service_layer.erp_backfill import CUSTOMER_CHANGES, Key, KeysTheSlowWay
from engine.service_layer.unit_of_work import UnitOfWork

_TABLES: dict[str, Table] = {
    "orders": orm.orders,
    "customers": orm.customers,
    "returns": orm.returns,
    "stock": orm.stock,
}


class ChangedInDatabase:
    """`ChangedKeys` on a database (module doc); the slow way on any other store."""

    slow = KeysTheSlowWay()

    def count(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None = None
    ) -> int:
        connection = _connection(uow)
        if connection is None:
            return self.slow.count(uow, kind, since, after)
        table = _TABLES[kind]
        stmt = select(func.count()).select_from(table).where(*_changed(kind, since))
        return int(connection.execute(stmt.where(*_beyond(table, after))).scalar_one())

    def page(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None, limit: int
    ) -> Sequence[Key]:
        connection = _connection(uow)
        if connection is None:
            return self.slow.page(uow, kind, since, after, limit)
        table = _TABLES[kind]
        key = list(table.primary_key)
        stmt = select(*key).where(*_changed(kind, since), *_beyond(table, after))
        rows = connection.execute(stmt.order_by(*key).limit(limit))
        if kind == "stock":
            return [(row.sku, row.location_code) for row in rows]
        return [row.id for row in rows]


changed_keys = ChangedInDatabase()


def _connection(uow: UnitOfWork) -> Connection | None:
    return uow.orders.connection() if isinstance(uow.orders, SqlOrders) else None


def _beyond(table: Table, after: Key | None) -> list[ColumnElement[bool]]:
    """The rows whose primary key comes after `after` (none to skip without it)."""
    if after is None:
        return []
    last = after if isinstance(after, tuple) else (after,)
    return [tuple_(*table.primary_key) > tuple_(*last)]


def _changed(kind: str, since: datetime | None) -> list[ColumnElement[bool]]:
    """The conditions an entity of `kind` meets to be sent (none without `since`)."""
    if since is None:
        return []
    if kind == "orders":
        return [orm.orders.c.updated_at >= since]
    if kind in ("returns", "stock"):
        stamp = _TABLES[kind].c.updated_at
        return [or_(stamp.is_(None), stamp >= since)]
    c, a, o = orm.customers.c, orm.audit_log.c, orm.orders.c
    written = select(a.id).where(
        a.entity == "customer",
        a.entity_id == c.id,
        a.action.in_(CUSTOMER_CHANGES),
        a.at >= since,
    )
    ordered = select(o.id).where(o.customer_id == c.id, o.updated_at >= since)
    return [or_(written.exists(), ordered.exists())]
