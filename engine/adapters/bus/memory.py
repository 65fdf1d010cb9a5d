"""The in-process event bus: the default, no server, one process.

It keeps the same contract as the Redis transport (partitions in publish order, at-least-once
with acknowledgement, retries and dead letters) so handlers and the worker behave identically
whichever bus the settings pick. Thread-safe, because the API and a worker thread may share it.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from engine.adapters.bus.base import DeadLetter, EventBus, Message
from engine.domain.values import utcnow


class InProcessBus(EventBus):
    def __init__(self, partitions: int = 1, max_deliveries: int = 5) -> None:
        self.partitions = partitions
        self.max_deliveries = max_deliveries
        self._queues: list[deque[Message]] = [deque() for _ in range(partitions)]
        self._in_flight: dict[str, Message] = {}
        self._dead: list[DeadLetter] = []
        self._ids = itertools.count(1)
        self._ready = threading.Condition()

    def publish(
        self, name: str, payload: dict[str, Any], partition_key: str, *, event_id: str = ""
    ) -> str:
        delivery_id = str(next(self._ids))
        partition = self.partition_of(partition_key)
        message = Message(
            event_id=event_id or delivery_id,
            name=name,
            payload=payload,
            partition_key=partition_key,
            delivery_id=delivery_id,
            partition=partition,
        )
        with self._ready:
            self._queues[partition].append(message)
            self._ready.notify_all()
        return delivery_id

    def consume(self, consumer: str, *, count: int = 100, block_ms: int = 0) -> list[Message]:
        with self._ready:
            if not any(self._queues) and block_ms > 0:
                self._ready.wait(block_ms / 1000)
            batch: list[Message] = []
            for queue in self._queues:
                while queue and len(batch) < count:
                    message = queue.popleft()
                    self._in_flight[message.delivery_id] = message
                    batch.append(message)
            return batch

    def ack(self, messages: Sequence[Message]) -> None:
        with self._ready:
            for message in messages:
                self._in_flight.pop(message.delivery_id, None)

    def fail(self, message: Message, error: str, consumer: str = "") -> bool:
        with self._ready:
            self._in_flight.pop(message.delivery_id, None)
            if message.attempts >= self.max_deliveries:
                self._dead.append(
                    DeadLetter(
                        id=message.delivery_id,
                        event_id=message.event_id,
                        name=message.name,
                        payload=message.payload,
                        partition_key=message.partition_key,
                        error=error,
                        attempts=message.attempts,
                        failed_at=utcnow(),
                        consumer=consumer,
                    )
                )
                return True
            # Back to the head of its partition, so the order of that partition still holds.
            retry = Message(
                message.event_id,
                message.name,
                message.payload,
                message.partition_key,
                message.delivery_id,
                message.partition,
                message.attempts + 1,
            )
            self._queues[message.partition].appendleft(retry)
            self._ready.notify_all()
            return False

    def release(self, consumer: str, messages: Sequence[Message]) -> None:
        with self._ready:
            for message in reversed(messages):
                if self._in_flight.pop(message.delivery_id, None) is not None:
                    self._queues[message.partition].appendleft(message)
            self._ready.notify_all()

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        with self._ready:
            return list(reversed(self._dead))[:limit]

    def pending_count(self) -> int:
        with self._ready:
            return sum(len(queue) for queue in self._queues) + len(self._in_flight)
