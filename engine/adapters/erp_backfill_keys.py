"""The store's side of `ordo erp backfill`: which entities to send, and in what order.

`changed_keys` is the backfill's `ChangedKeys` (`engine.service_layer.erp_backfill`), answered
on a database with one statement per kind that reads keys (and a time) only, never the
entities, so listing a million orders reads a million short rows:

- orders by their last save (`updated_at`, stamped by every save of an order), then id;
- returns by when they were made (a return's later changes keep no time), then id;
- customers by id; since a day, those whose record was written or erased then (the audit
  log's `customer.put` and `customer.erase`) or who have an order saved then, as the worker
  sends a customer with their new order;
- stock by location and SKU, all of it: a level keeps no time of its changes.

Any other store (the in-memory one) is read the slow way, by the service layer's own
function. Kept out of `repositories.py` so the repository interface does not grow for one
caller, as `silent_shipments` is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, or_, select

from engine.adapters import orm
from engine.adapters.repositories import SqlOrders
from engine.service_layer.erp_backfill import CUSTOMER_CHANGES, Due, keys_the_slow_way
from engine.service_layer.unit_of_work import UnitOfWork


def changed_keys(uow: UnitOfWork, kind: str, since: datetime | None) -> Sequence[Due]:
    """The entities of `kind` to send, in the order to send them (module doc)."""
    if not isinstance(uow.orders, SqlOrders):
        return keys_the_slow_way(uow, kind, since)
    connection = uow.orders.connection()
    if kind == "stock":
        s = orm.stock.c
        rows = connection.execute(select(s.sku, s.location_code).order_by(s.location_code, s.sku))
        return [Due((row.sku, row.location_code)) for row in rows]
    if kind in ("orders", "returns"):
        table = orm.orders if kind == "orders" else orm.returns
        stamp = table.c.updated_at if kind == "orders" else table.c.created_at
        stmt = select(table.c.id, stamp.label("at")).order_by(stamp, table.c.id)
        if since is not None:
            stmt = stmt.where(stamp >= since)
        return [Due(row.id, row.at.date()) for row in connection.execute(stmt)]
    return [Due(row.id) for row in connection.execute(_customers(since))]


def _customers(since: datetime | None) -> Select[tuple[str]]:
    c = orm.customers.c
    stmt = select(c.id).order_by(c.id)
    if since is None:
        return stmt
    a, o = orm.audit_log.c, orm.orders.c
    written = select(a.entity_id).where(
        a.entity == "customer", a.action.in_(CUSTOMER_CHANGES), a.at >= since
    )
    ordered = select(o.customer_id).where(o.updated_at >= since)
    return stmt.where(or_(c.id.in_(written), c.id.in_(ordered)))
