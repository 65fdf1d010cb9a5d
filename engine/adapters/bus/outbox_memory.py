"""An outbox store over a list of committed events: the in-memory unit of work's outbox.

`InMemoryUnitOfWork.committed_events` plays the part of the `outbox` table (it only grows, and
only on commit), so unit tests and the simulation can run the relay without a database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from engine.domain.events import Event
from engine.domain.values import utcnow
from engine.service_layer.outbox import OutboxRow, partition_key_for


@dataclass
class _Batch:
    store: MemoryOutboxStore
    rows: list[OutboxRow] = field(default_factory=list)
    marked: bool = False

    def mark_published(self) -> None:
        self.marked = True


class MemoryOutboxStore:
    def __init__(self, committed: list[Event]) -> None:
        self.committed = committed
        self.published = 0  # rows [0, published) are sent; ids are positions + 1
        self._lock = threading.Lock()

    @contextmanager
    def claim(self, limit: int) -> Iterator[_Batch]:
        with self._lock:
            now = utcnow()
            start = self.published
            rows = [
                OutboxRow(start + i + 1, e.name, e.payload(), partition_key_for(e.payload()), now)
                for i, e in enumerate(self.committed[start : start + limit])
            ]
            batch = _Batch(self, rows)
            yield batch
            if batch.marked:
                self.published = start + len(rows)

    def unpublished_count(self) -> int:
        return len(self.committed) - self.published
