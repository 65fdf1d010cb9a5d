"""Shops' cancellations waiting for their orders, on SQLAlchemy: `uow.early_cancellations`
(engine.service_layer.unit_of_work), in `early_cancellations` (migration 0026).

Every statement runs at once on the unit of work's connection, in its transaction. `take` is
asked once for every order created, and almost always finds nothing: that probe is one
primary-key lookup, built once and sent straight to the driver (engine.adapters.driver), and
only a hit pays for the row read back through SQLAlchemy as it is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.adapters import driver, orm
from engine.service_layer.unit_of_work import EarlyCancellation, EarlyCancellations

_table = orm.early_cancellations
_KEY = (
    _table.c.channel == bindparam("channel"),
    _table.c.channel_order_id == bindparam("channel_order_id"),
)
_PROBE = select(literal(1)).select_from(_table).where(*_KEY)
_TAKE = delete(_table).where(*_KEY).returning(*_table.c)
_ARRIVED = (
    select(_table)
    .join(
        orm.orders,
        (orm.orders.c.channel == _table.c.channel)
        & (orm.orders.c.channel_order_id == _table.c.channel_order_id),
    )
    .order_by(_table.c.noted_at, _table.c.channel, _table.c.channel_order_id)
)


def _entry(row: Mapping[Any, Any]) -> EarlyCancellation:
    return EarlyCancellation(
        channel=row["channel"],
        channel_order_id=row["channel_order_id"],
        reason=row["reason"],
        actor=row["actor"],
        delivery_id=row["delivery_id"],
        noted_at=row["noted_at"],
    )


class SqlEarlyCancellations(EarlyCancellations):
    def __init__(self, session: Session) -> None:
        self.session = session

    def _connection(self) -> Connection:
        return driver.connection_after_deferred(self.session)

    def remember(self, cancellation: EarlyCancellation) -> None:
        connection = self._connection()
        module: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
        row = {
            "channel": cancellation.channel,
            "channel_order_id": cancellation.channel_order_id,
            "reason": cancellation.reason,
            "actor": cancellation.actor,
            "delivery_id": cancellation.delivery_id,
            "noted_at": cancellation.noted_at,
        }
        connection.execute(module.insert(_table).values(**row).on_conflict_do_nothing())

    def take(self, channel: str, channel_order_id: str) -> EarlyCancellation | None:
        key = {"channel": channel, "channel_order_id": channel_order_id}
        connection = self.session.connection()
        if driver.fetch_one(_PROBE, connection, key) is None:
            return None
        row = connection.execute(_TAKE, key).mappings().first()
        # Gone between the two statements: another transaction took it (SQLite has one writer).
        return None if row is None else _entry(row)

    def arrived(self, limit: int = 100) -> Sequence[EarlyCancellation]:
        rows = self._connection().execute(_ARRIVED.limit(limit)).mappings()
        return [_entry(row) for row in rows]

    def purge(self, before: datetime) -> int:
        gone = self._connection().execute(delete(_table).where(_table.c.noted_at < before))
        return int(gone.rowcount)
