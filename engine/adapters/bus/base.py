"""The event bus interface every transport implements, and the messages it carries.

Publishing takes an event's name, its JSON-safe payload and a partition key (the order id when
there is one), so that a transport that splits the load can keep one order's events in order.
Consuming is pull-based: a worker asks for a batch, runs its handlers, then acknowledges each
message or reports its failure. Delivery is at least once, so every message carries the stable
`event_id` given at publish time (the outbox row id) for handlers to deduplicate on.
"""

from __future__ import annotations

import abc
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    """One delivery of one event: `delivery_id` names this copy, `event_id` the event itself."""

    event_id: str
    name: str
    payload: dict[str, Any]
    partition_key: str
    delivery_id: str = ""
    partition: int = 0
    # 1 on first delivery; a message handed out again after a crash or failure counts up.
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that kept failing, parked with the last error for a person to look at."""

    id: str
    event_id: str
    name: str
    payload: dict[str, Any]
    partition_key: str
    error: str
    attempts: int
    failed_at: datetime
    consumer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class EventBus(abc.ABC):
    """Publish on one side, pull / ack / fail on the other. Implementations: in-process, Redis."""

    partitions: int = 1
    max_deliveries: int = 5

    def partition_of(self, partition_key: str) -> int:
        """A stable partition for a key (crc32, not `hash()`: that one differs per process)."""
        return zlib.crc32(partition_key.encode()) % self.partitions

    @abc.abstractmethod
    def publish(
        self, name: str, payload: dict[str, Any], partition_key: str, *, event_id: str = ""
    ) -> str:
        """Append one event; returns the transport's id for it."""

    @abc.abstractmethod
    def consume(self, consumer: str, *, count: int = 100, block_ms: int = 0) -> list[Message]:
        """Up to `count` messages for `consumer`: first any abandoned by a dead consumer, then
        new ones, each partition in publish order. Blocks up to `block_ms` when there are none."""

    @abc.abstractmethod
    def ack(self, messages: Sequence[Message]) -> None:
        """Mark messages done; they are never delivered again."""

    @abc.abstractmethod
    def fail(self, message: Message, error: str, consumer: str = "") -> bool:
        """Report a handler failure. The message is delivered again later, or, once it has been
        tried `max_deliveries` times, moved to the dead letters. Returns True if dead-lettered."""

    @abc.abstractmethod
    def release(self, consumer: str, messages: Sequence[Message]) -> None:
        """Hand unprocessed messages back (graceful shutdown) so another consumer takes them now."""

    @abc.abstractmethod
    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The most recent dead letters, newest first."""

    @abc.abstractmethod
    def redrive(self, letter_id: str) -> bool:
        """Publish a dead letter again (same event id, so handlers that had succeeded skip it)
        and remove it from the dead letters; False if there is no such letter."""

    @abc.abstractmethod
    def pending_count(self) -> int:
        """Messages published but not yet acknowledged (for tests, benchmarks and health)."""

    def keep_alive(self, consumer: str) -> None:  # noqa: B027 - optional hook
        """Called between messages of a long batch: renew whatever the consumer holds."""

    def holds(self, consumer: str, message: Message) -> bool:
        """Whether `consumer` may still handle `message` (it has not lost its partition)."""
        return True

    def leave(self, consumer: str) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """A consumer stops for good: give up whatever it holds so others take over at once."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Release connections."""
