"""The outbox store on SQLAlchemy: claim unpublished rows, stamp them published.

PostgreSQL locks the claimed rows with `FOR UPDATE SKIP LOCKED`, so relays in several
processes each take a different batch instead of queueing behind one another. SQLite has no
row locks; every transaction there begins IMMEDIATE (see `engine.adapters.database`), which
serialises relays on the database's single write lock, so they never claim the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from engine.adapters.bus.processed_events import purge_processed
from engine.adapters.orm import outbox
from engine.domain.values import utcnow
from engine.service_layer.outbox import OutboxRow, partition_key_for


@dataclass
class _Batch:
    connection: Connection
    rows: Sequence[OutboxRow] = field(default_factory=list)

    def mark_published(self) -> None:
        if self.rows:
            self.connection.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in self.rows]))
                .values(published_at=utcnow())
            )


class SqlOutboxStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def claim(self, limit: int) -> Iterator[_Batch]:
        query = (
            select(outbox)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as connection:
            rows = [_row(r._mapping) for r in connection.execute(query)]
            yield _Batch(connection, rows)

    def purge(self, published_before: datetime) -> int:
        """Delete rows published before the cut-off: the outbox is a queue, not an archive.
        Processed-event records older than the cut-off go too: they only need to outlive the
        redeliveries of their events, and a stream holds nothing that old. Returns rows
        deleted from both tables."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(outbox).where(
                    outbox.c.published_at.is_not(None), outbox.c.published_at < published_before
                )
            )
            records = purge_processed(connection, published_before)
        return int(result.rowcount) + records

    def unpublished_count(self) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            ).scalar_one()
        return int(count)


def _row(mapping: Any) -> OutboxRow:
    return OutboxRow(
        id=int(mapping["id"]),
        name=mapping["name"],
        payload=dict(mapping["payload"]),
        # The unit of work keys rows by order; others (stock, alerts) are keyed here.
        partition_key=mapping["partition_key"] or partition_key_for(dict(mapping["payload"])),
        created_at=mapping["created_at"],
    )
