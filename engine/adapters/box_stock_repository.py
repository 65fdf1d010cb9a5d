"""Box stock on SQLAlchemy: `uow.box_stock` (engine.service_layer.unit_of_work.BoxStockStore),
in `box_stock` and `box_stock_uses` (migration 0039).

Every statement runs at once on the unit of work's connection, in its transaction. A change
is one upsert that returns the row: on PostgreSQL it holds the row until the transaction
ends, so two changes of the same (location, box) are applied one after the other, and what
follows in the transaction (the low-boxes alert) sees the level the change left. SQLite has
one writer at a time anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.adapters import driver, orm
from engine.domain.packaging import BoxStock
from engine.service_layer.unit_of_work import BoxStockStore

_table = orm.box_stock
_uses = orm.box_stock_uses


def _level(row: Mapping[Any, Any]) -> BoxStock:
    return BoxStock(
        location_code=row["location_code"],
        box_code=row["box_code"],
        on_hand=row["on_hand"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


class SqlBoxStock(BoxStockStore):
    def __init__(self, session: Session) -> None:
        self.session = session

    def _connection(self) -> Connection:
        return driver.connection_after_deferred(self.session)

    @staticmethod
    def _dialect(connection: Connection) -> Any:
        return postgresql if connection.dialect.name == "postgresql" else sqlite

    def levels(self, location_code: str | None = None) -> Sequence[BoxStock]:
        query = select(_table).order_by(_table.c.location_code, _table.c.box_code)
        if location_code is not None:
            query = query.where(_table.c.location_code == location_code)
        return [_level(row) for row in self._connection().execute(query).mappings()]

    def add(
        self, location_code: str, box_code: str, delta: int, at: datetime
    ) -> tuple[int | None, BoxStock]:
        level = self._upsert(location_code, box_code, delta, _table.c.on_hand + delta, at)
        return (None if level.version == 1 else level.on_hand - delta), level

    def set(
        self, location_code: str, box_code: str, on_hand: int, at: datetime
    ) -> tuple[int | None, BoxStock]:
        # Read under the row's lock (PostgreSQL) so `before` is what the count replaced.
        query = (
            select(_table.c.on_hand)
            .where(_table.c.location_code == location_code, _table.c.box_code == box_code)
            .with_for_update()
        )
        before = self._connection().execute(query).scalar()
        level = self._upsert(location_code, box_code, on_hand, on_hand, at)
        return (None if level.version == 1 else before), level

    def _upsert(
        self,
        location_code: str,
        box_code: str,
        new: int,
        existing: int | ColumnElement[int],
        at: datetime,
    ) -> BoxStock:
        """Insert the row with `new` on hand, or set an existing one's to `existing` (an
        expression of its current value), in one statement; the row as it is then."""
        connection = self._connection()
        statement = (
            self._dialect(connection)
            .insert(_table)
            .values(
                location_code=location_code,
                box_code=box_code,
                on_hand=new,
                updated_at=at,
                version=1,
            )
            .on_conflict_do_update(
                index_elements=[_table.c.location_code, _table.c.box_code],
                set_={"on_hand": existing, "updated_at": at, "version": _table.c.version + 1},
            )
            .returning(*_table.c)
        )
        return _level(connection.execute(statement).mappings().one())

    def mark_used(
        self, shipment_id: str, location_code: str, boxes: Mapping[str, int], at: datetime
    ) -> bool:
        connection = self._connection()
        statement = (
            self._dialect(connection)
            .insert(_uses)
            .values(
                shipment_id=shipment_id,
                location_code=location_code,
                boxes=dict(boxes),
                used_at=at,
            )
            .on_conflict_do_nothing()
            # A row back means it was inserted (a rowcount is not told by every driver).
            .returning(_uses.c.shipment_id)
        )
        return connection.execute(statement).first() is not None
