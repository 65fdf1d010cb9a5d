"""The in-process event bus: the default, no server, one process.

It keeps the same contract as the Redis transport (partitions in publish order, at-least-once
with acknowledgement, retries and dead letters) so handlers and the worker behave identically
whichever bus the settings pick. Thread-safe, because the API and a worker thread may share it.

Dead letters go to a `DeadLetterStore` when one is given (the database's, in every Ordo
process: the worker parks them, the API lists and redrives them from its own process), and
stay in a list in memory otherwise (unit tests, no I/O).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from engine.adapters.bus.base import DeadLetter, EventBus, Message
from engine.domain.values import utcnow

log = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 60.0


class DeadLetterStore(Protocol):
    """Where dead letters outlive the bus (engine/adapters/bus/dead_letters_sql.py)."""

    def add(self, letter: DeadLetter) -> DeadLetter:
        """Park `letter`; returns it under the store's own id for it."""

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        """The newest `limit` letters, newest first."""

    def redrive(self, letter_id: str) -> bool:
        """Remove the letter and queue its event again, with its event id, for whichever
        worker takes it; False if there is no such letter."""


class InProcessBus(EventBus):
    def __init__(
        self,
        partitions: int = 1,
        max_deliveries: int = 5,
        *,
        retry_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        dead_letters: DeadLetterStore | None = None,
    ) -> None:
        self.partitions = partitions
        self.max_deliveries = max_deliveries
        # A failed message waits retry_seconds, doubling with each attempt, before it is
        # handed out again (the Redis bus waits for its idle timeout): a mail server down
        # for a few seconds must not use up every delivery at once. 0: at once (tests).
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._later: list[tuple[float, Message]] = []  # (due, message), waiting to retry
        self._queues: list[deque[Message]] = [deque() for _ in range(partitions)]
        self._in_flight: dict[str, Message] = {}
        # partition -> (consumer, messages in flight): one consumer at a time per partition,
        # like the Redis leases, so a partition is handled in order even with many threads.
        self._holder: dict[int, tuple[str, int]] = {}
        self._dead: list[DeadLetter] = []  # when there is no store
        self._store = dead_letters
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
            batch = self._take(consumer, count)
            if not batch and block_ms > 0:
                wait = block_ms / 1000
                if self._later:
                    wait = min(wait, max(0.0, min(due for due, _ in self._later) - self._clock()))
                self._ready.wait(wait)
                batch = self._take(consumer, count)
            return batch

    def _take(self, consumer: str, count: int) -> list[Message]:
        self._requeue_due()
        batch: list[Message] = []
        for partition, queue in enumerate(self._queues):
            holder, _ = self._holder.get(partition, (consumer, 0))
            if holder != consumer:
                continue
            while queue and len(batch) < count:
                message = queue.popleft()
                self._in_flight[message.delivery_id] = message
                self._hold(partition, consumer, +1)
                batch.append(message)
        return batch

    def _requeue_due(self) -> None:
        """Failed messages whose wait is over go back to the head of their partition."""
        if not self._later:
            return
        now = self._clock()
        due = [message for when, message in self._later if when <= now]
        self._later = [(when, message) for when, message in self._later if when > now]
        for message in reversed(due):
            self._queues[message.partition].appendleft(message)

    def _hold(self, partition: int, consumer: str, change: int) -> None:
        holder, held = self._holder.get(partition, (consumer, 0))
        if held + change <= 0:
            self._holder.pop(partition, None)
        else:
            self._holder[partition] = (holder, held + change)

    def _done(self, message: Message) -> bool:
        if self._in_flight.pop(message.delivery_id, None) is None:
            return False
        holder, _ = self._holder.get(message.partition, ("", 0))
        self._hold(message.partition, holder, -1)
        return True

    def ack(self, messages: Sequence[Message]) -> None:
        with self._ready:
            for message in messages:
                self._done(message)
            self._ready.notify_all()

    def fail(self, message: Message, error: str, consumer: str = "") -> bool:
        dead = message.attempts >= self.max_deliveries
        if dead:
            letter = DeadLetter(
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
            if self._store is not None and not self._park(letter):
                # Parked nowhere (the database is out of reach): delivered again later, with
                # the same count, so it is parked then rather than lost now.
                with self._ready:
                    self._done(message)
                    self._retry(message, message.attempts)
                return False
        with self._ready:
            self._done(message)
            if dead:
                if self._store is None:
                    self._dead.append(letter)
                self._ready.notify_all()
                return True
            self._retry(message, message.attempts + 1)
            return False

    def _park(self, letter: DeadLetter) -> bool:
        """Hand `letter` to the store, outside the bus's lock (it is a database write)."""
        assert self._store is not None
        try:
            self._store.add(letter)
        except Exception as error:
            log.warning(
                "could not park %s %s as a dead letter (%s: %s); it will be delivered again",
                letter.name, letter.event_id, type(error).__name__, error,
            )  # fmt: skip
            return False
        return True

    def _retry(self, message: Message, attempts: int) -> None:
        """Deliver `message` again as delivery number `attempts` (under the lock)."""
        retry = Message(
            message.event_id,
            message.name,
            message.payload,
            message.partition_key,
            message.delivery_id,
            message.partition,
            attempts,
        )
        if self.retry_seconds > 0:
            # Like Redis: the partition moves on meanwhile; order holds for successes.
            delay = min(self.retry_seconds * 2 ** (message.attempts - 1), MAX_RETRY_SECONDS)
            self._later.append((self._clock() + delay, retry))
        else:
            # Back to the head of its partition, so the order of that partition holds.
            self._queues[message.partition].appendleft(retry)
        self._ready.notify_all()

    def release(self, consumer: str, messages: Sequence[Message]) -> None:
        with self._ready:
            for message in reversed(messages):
                if self._done(message):
                    self._queues[message.partition].appendleft(message)
            self._ready.notify_all()

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        if self._store is not None:
            return self._store.recent(limit)
        with self._ready:
            return list(reversed(self._dead))[:limit]

    def redrive(self, letter_id: str) -> bool:
        if self._store is not None:
            # Back through the outbox rather than onto this bus: the worker that will take
            # it is usually another process (the API redrives what `ordo worker` parked).
            return self._store.redrive(letter_id)
        with self._ready:
            found = next((d for d in self._dead if d.id == letter_id), None)
            if found is None:
                return False
            self._dead.remove(found)
        self.publish(found.name, found.payload, found.partition_key, event_id=found.event_id)
        return True

    def pending_count(self) -> int:
        with self._ready:
            waiting = sum(len(queue) for queue in self._queues) + len(self._later)
            return waiting + len(self._in_flight)
