"""The outbox relay: publish committed events to the bus, then mark them sent.

The unit of work writes every event to the `outbox` table in the same transaction as the state
change that caused it, so a rolled-back change leaves nothing to publish and a committed one
is never lost. The relay runs in every worker: it claims a batch of unpublished rows in id
order (PostgreSQL `FOR UPDATE SKIP LOCKED`, so several relays split the work; SQLite takes its
single write lock), publishes each to the bus and stamps `published_at` in that same
transaction. If it dies between publishing and committing, the rows are published again:
delivery is at least once, and consumers deduplicate on the event id (the outbox row id).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.adapters.bus.base import EventBus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    name: str
    payload: dict[str, Any]
    partition_key: str
    created_at: datetime


class ClaimedBatch(Protocol):
    rows: Sequence[OutboxRow]

    def mark_published(self) -> None:
        """Stamp every row of the batch as published; takes effect when the claim commits."""


class OutboxStore(Protocol):
    def claim(self, limit: int) -> AbstractContextManager[ClaimedBatch]:
        """Lock up to `limit` unpublished rows in id order for the duration of the block;
        commit on a clean exit, roll back (rows stay unpublished) on an exception."""

    def unpublished_count(self) -> int: ...


class OutboxRelay:
    def __init__(self, store: OutboxStore, bus: EventBus, batch_size: int = 500) -> None:
        self.store = store
        self.bus = bus
        self.batch_size = batch_size

    def run_once(self) -> int:
        """Publish one batch; returns how many rows were published (0 when nothing waits)."""
        with self.store.claim(self.batch_size) as batch:
            if not batch.rows:
                return 0
            publish_many = getattr(self.bus, "publish_many", None)
            if publish_many is not None:
                publish_many(
                    [(r.name, r.payload, r.partition_key, str(r.id)) for r in batch.rows]
                )
            else:
                for row in batch.rows:
                    self.bus.publish(row.name, row.payload, row.partition_key, event_id=str(row.id))
            batch.mark_published()
            return len(batch.rows)

    def drain(self, max_batches: int = 1_000) -> int:
        """Publish until nothing waits (bounded, so a flood cannot pin the caller forever)."""
        total = 0
        for _ in range(max_batches):
            published = self.run_once()
            total += published
            if published < self.batch_size:
                break
        return total


def partition_key_for(payload: dict[str, Any]) -> str:
    """The key that keeps related events in order: the order when there is one, the alert's
    (rule, key) for alert events, so that one worker at a time updates one alert."""
    if "rule" in payload and "key" in payload:
        return f"alert:{payload['rule']}:{payload['key']}"
    for field in ("order_id", "shipment_id", "return_id", "sku", "alert_id"):
        value = payload.get(field)
        if value:
            return str(value)
    return ""
