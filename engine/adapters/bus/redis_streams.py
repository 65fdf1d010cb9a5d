"""The Redis Streams event bus: many worker processes on many hosts share one stream set.

Layout (prefix `ordo` by default):
- `ordo:events:<p>` for p in 0..N-1: one stream per partition, p = crc32(partition key) % N, so
  every event of one order lands in one stream in publish order.
- consumer group `workers` on each stream: delivery is at least once; an entry stays pending
  until a worker XACKs it.
- `ordo:lease:<p>`: which worker consumes partition p right now (SET NX PX, renewed while it
  lives). One reader per partition is what keeps an order's events in order; the partitions
  are spread evenly over the live workers (`ordo:consumers`, a heartbeat sorted set), and a
  worker that dies simply stops renewing, so its partitions move to the others.
- entries a dead worker left pending are taken over with XAUTOCLAIM once idle long enough;
  an entry delivered `max_deliveries` times without success goes to `ordo:dead` with its error.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import redis

from engine.adapters.bus.base import DeadLetter, EventBus, Message

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStreamsBus(EventBus):
    def __init__(
        self,
        client: redis.Redis,
        *,
        partitions: int = 8,
        group: str = "workers",
        prefix: str = "ordo",
        max_deliveries: int = 5,
        claim_idle_ms: int = 10_000,
        lease_ms: int = 5_000,
        maxlen: int | None = None,
    ) -> None:
        self.client = client
        self.partitions = partitions
        self.group = group
        self.prefix = prefix
        self.max_deliveries = max_deliveries
        self.claim_idle_ms = claim_idle_ms
        self.lease_ms = lease_ms
        # Trimming is off by default: an entry trimmed before it is consumed would be lost.
        self.maxlen = maxlen
        self.dead_stream = f"{prefix}:dead"
        self._errors = f"{prefix}:errors"
        self._consumers = f"{prefix}:consumers"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._groups_ready = False
        self._owned: dict[str, set[int]] = {}
        self._last_local: dict[str, float] = {}
        self._last_claim: dict[str, tuple[float, frozenset[int]]] = {}

    # --- names ----------------------------------------------------------------------------

    def stream(self, partition: int) -> str:
        return f"{self.prefix}:events:{partition}"

    def _lease(self, partition: int) -> str:
        return f"{self.prefix}:lease:{partition}"

    # --- publishing -----------------------------------------------------------------------

    def publish(
        self, name: str, payload: dict[str, Any], partition_key: str, *, event_id: str = ""
    ) -> str:
        fields = {"e": event_id, "n": name, "k": partition_key, "p": json.dumps(payload)}
        stream = self.stream(self.partition_of(partition_key))
        if self.maxlen is None:
            entry = self.client.xadd(stream, fields)  # type: ignore[arg-type]
        else:
            entry = self.client.xadd(stream, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        return _text(entry)

    def publish_many(self, events: Sequence[tuple[str, dict[str, Any], str, str]]) -> list[str]:
        """(name, payload, partition_key, event_id) tuples in one round trip, order kept."""
        pipe = self.client.pipeline(transaction=False)
        for name, payload, key, event_id in events:
            fields = {"e": event_id, "n": name, "k": key, "p": json.dumps(payload)}
            pipe.xadd(self.stream(self.partition_of(key)), fields)  # type: ignore[arg-type]
        return [_text(entry) for entry in pipe.execute()]

    # --- consuming ------------------------------------------------------------------------

    def ensure_groups(self) -> None:
        """Create the consumer group on every partition (from the start: nothing is skipped)."""
        for partition in range(self.partitions):
            try:
                self.client.xgroup_create(self.stream(partition), self.group, id="0", mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
        self._groups_ready = True

    def owned(self, consumer: str) -> set[int]:
        return set(self._owned.get(consumer, set()))

    def consume(self, consumer: str, *, count: int = 100, block_ms: int = 0) -> list[Message]:
        if not self._groups_ready:
            self.ensure_groups()
        owned = self._rebalance(consumer)
        if not owned:
            # Every partition is taken by livelier workers; wait a little and look again.
            if block_ms:
                time.sleep(min(block_ms, self.lease_ms // 3) / 1000)
            return []
        if self._claim_due(consumer, owned):
            batch = self._claim_abandoned(consumer, owned, count)
            if batch:
                return batch
        streams = {self.stream(p): ">" for p in sorted(owned)}
        # redis-py's reply types are loose unions; the shapes are fixed by the Redis protocol.
        reply: Any = self.client.xreadgroup(
            self.group, consumer, streams, count=count, block=block_ms or None  # type: ignore[arg-type]
        )
        return [
            self._message(_text(stream), entry_id, fields, attempts=1)
            for stream, entries in (reply or [])
            for entry_id, fields in entries
            if fields
        ]

    def _claim_due(self, consumer: str, owned: set[int]) -> bool:
        """Look for abandoned entries at once when our partitions changed, otherwise a few
        times per idle timeout: nothing becomes claimable faster, and each look costs one
        round trip per partition."""
        now = time.monotonic()
        last, seen = self._last_claim.get(consumer, (0.0, frozenset()))
        if seen == owned and (now - last) * 1000 < self.claim_idle_ms / 4:
            return False
        self._last_claim[consumer] = (now, frozenset(owned))
        return True

    def _claim_abandoned(self, consumer: str, owned: set[int], count: int) -> list[Message]:
        """Take over entries idle longer than the claim timeout: a dead worker's, or failures
        of our own waiting for their retry. Too many deliveries means dead letter."""
        batch: list[Message] = []
        for partition in sorted(owned):
            stream = self.stream(partition)
            reply = self.client.xautoclaim(
                stream, self.group, consumer, self.claim_idle_ms, start_id="0-0", count=count
            )
            claimed = [(entry_id, fields) for entry_id, fields in reply[1] if fields]
            # Entries deleted from the stream while pending come back without fields: drop them.
            for deleted in reply[2] if len(reply) > 2 else []:
                self.client.xack(stream, self.group, deleted)
            if not claimed:
                continue
            attempts = self._delivery_counts(stream, consumer, [_text(e) for e, _ in claimed])
            for entry_id, fields in claimed:
                message = self._message(stream, entry_id, fields, attempts[_text(entry_id)])
                if message.attempts > self.max_deliveries:
                    self._dead_letter(message, consumer, self._last_error(message))
                else:
                    batch.append(message)
            if len(batch) >= count:
                break  # may overshoot by part of one partition's claim: they are ours now
        return batch

    def _delivery_counts(self, stream: str, consumer: str, ids: list[str]) -> dict[str, int]:
        rows = self.client.xpending_range(
            stream, self.group, min=ids[0], max=ids[-1], count=len(ids) * 4 + 100,
            consumername=consumer,
        )
        counts = {_text(row["message_id"]): int(row["times_delivered"]) for row in rows}
        return {entry_id: counts.get(entry_id, 1) for entry_id in ids}

    def _message(
        self, stream: str, entry_id: Any, fields: dict[Any, Any], attempts: int
    ) -> Message:
        data = {_text(k): _text(v) for k, v in fields.items()}
        delivery_id = _text(entry_id)
        partition = int(stream.rsplit(":", 1)[1])
        return Message(
            event_id=data.get("e") or f"{partition}:{delivery_id}",
            name=data["n"],
            payload=json.loads(data["p"]),
            partition_key=data.get("k", ""),
            delivery_id=delivery_id,
            partition=partition,
            attempts=attempts,
        )

    def ack(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        pipe = self.client.pipeline(transaction=False)
        for message in messages:
            pipe.xack(self.stream(message.partition), self.group, message.delivery_id)
            if message.attempts > 1:
                pipe.hdel(self._errors, self._error_field(message))
        pipe.execute()

    def fail(self, message: Message, error: str, consumer: str = "") -> bool:
        if message.attempts >= self.max_deliveries:
            self._dead_letter(message, consumer, error)
            return True
        # Left pending on purpose: XAUTOCLAIM hands it out again after the idle timeout.
        self.client.hset(self._errors, self._error_field(message), error[:4000])
        return False

    def release(self, consumer: str, messages: Sequence[Message]) -> None:
        """Give messages back without counting a delivery and mark them long idle, so the next
        XAUTOCLAIM by whichever worker owns the partition takes them at once."""
        for message in messages:
            self.client.xclaim(
                self.stream(message.partition),
                self.group,
                consumer,
                0,
                [message.delivery_id],
                idle=self.claim_idle_ms * 10,
                retrycount=max(0, message.attempts - 1),
                justid=True,
            )

    def keep_alive(self, consumer: str) -> None:
        """Renew (and rebalance) between messages: a batch that outlasts the lease must not
        let another worker take the partition and claim the entries still in our hands."""
        if self._groups_ready:
            self._rebalance(consumer)

    def holds(self, consumer: str, message: Message) -> bool:
        return message.partition in self._owned.get(consumer, set())

    def leave(self, consumer: str) -> None:
        for partition in self._owned.pop(consumer, set()):
            self._release(keys=[self._lease(partition)], args=[consumer])
        self.client.zrem(self._consumers, consumer)
        self._last_local.pop(consumer, None)

    # --- partitions -----------------------------------------------------------------------

    def _rebalance(self, consumer: str) -> set[int]:
        """Heartbeat, renew our leases, give back extras, take free partitions up to our share."""
        owned = self._owned.setdefault(consumer, set())
        # The local clock decides whether a renewal is due: asking the server's clock first
        # cost a round trip per message (keep_alive runs between messages).
        local = time.monotonic() * 1000
        if owned and local - self._last_local.get(consumer, -1e18) < self.lease_ms / 3:
            return owned
        now = self._now_ms()
        self._last_local[consumer] = local
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(self._consumers, {consumer: now})
        pipe.zremrangebyscore(self._consumers, "-inf", now - self.lease_ms)
        pipe.zrange(self._consumers, 0, -1)
        live = sorted(_text(member) for member in pipe.execute()[2]) or [consumer]
        share = fair_share(self.partitions, live, consumer)
        for partition in sorted(owned):
            if not self._renew(keys=[self._lease(partition)], args=[consumer, self.lease_ms]):
                owned.discard(partition)
        # Give back the extras (highest first) so newcomers find free partitions.
        for partition in sorted(owned, reverse=True)[: max(0, len(owned) - share)]:
            self._release(keys=[self._lease(partition)], args=[consumer])
            owned.discard(partition)
        start = hash_start(consumer, self.partitions)
        for offset in range(self.partitions):
            if len(owned) >= share:
                break
            partition = (start + offset) % self.partitions
            if partition not in owned and self.client.set(
                self._lease(partition), consumer, nx=True, px=self.lease_ms
            ):
                owned.add(partition)
        return owned

    def _now_ms(self) -> float:
        # The server's clock, not ours: workers on several hosts must agree on who is stale.
        seconds, micros = self.client.time()
        return seconds * 1000 + micros / 1000

    # --- dead letters ---------------------------------------------------------------------

    def _error_field(self, message: Message) -> str:
        return f"{message.partition}:{message.delivery_id}"

    def _last_error(self, message: Message) -> str:
        stored = self.client.hget(self._errors, self._error_field(message))
        if stored:
            return _text(stored)
        return f"delivered {message.attempts} times without acknowledgement (did its worker die?)"

    def _dead_letter(self, message: Message, consumer: str, error: str) -> None:
        stream = self.stream(message.partition)
        fields = {
            "e": message.event_id,
            "n": message.name,
            "k": message.partition_key,
            "p": json.dumps(message.payload),
            "error": error[:4000],
            "attempts": str(message.attempts),
            "consumer": consumer,
            "source": f"{stream}/{message.delivery_id}",
            "at": datetime.now(UTC).isoformat(),
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.dead_stream, fields)  # type: ignore[arg-type]
        pipe.xack(stream, self.group, message.delivery_id)
        pipe.hdel(self._errors, self._error_field(message))
        pipe.execute()

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        letters = []
        entries: Any = self.client.xrevrange(self.dead_stream, count=limit)
        for entry_id, raw in entries:
            data = {_text(k): _text(v) for k, v in raw.items()}
            letters.append(
                DeadLetter(
                    id=_text(entry_id),
                    event_id=data.get("e", ""),
                    name=data.get("n", ""),
                    payload=json.loads(data.get("p", "{}")),
                    partition_key=data.get("k", ""),
                    error=data.get("error", ""),
                    attempts=int(data.get("attempts", "0")),
                    failed_at=datetime.fromisoformat(data["at"]),
                    consumer=data.get("consumer", ""),
                    extra={"source": data.get("source", "")},
                )
            )
        return letters

    def redrive(self, letter_id: str) -> bool:
        entries: Any = self.client.xrange(self.dead_stream, min=letter_id, max=letter_id)
        if not entries:
            return False
        data = {_text(k): _text(v) for k, v in entries[0][1].items()}
        self.publish(data["n"], json.loads(data["p"]), data.get("k", ""), event_id=data["e"])
        self.client.xdel(self.dead_stream, letter_id)
        return True

    def trim(self) -> int:
        """Drop entries every consumer has acknowledged (XTRIM MINID to the oldest entry
        still pending, or to the last one handed out): streams stay as long as the backlog."""
        removed = 0
        for partition in range(self.partitions):
            stream = self.stream(partition)
            try:
                groups: Any = self.client.xinfo_groups(stream)
            except redis.ResponseError:
                continue
            group = next((g for g in groups if _text(g["name"]) == self.group), None)
            if group is None:
                continue
            summary: Any = self.client.xpending(stream, self.group)
            oldest = summary.get("min") if summary and summary.get("pending") else None
            keep_from = _text(oldest) if oldest else _text(group["last-delivered-id"])
            if keep_from in ("0-0", "0"):
                continue
            removed += int(self.client.xtrim(stream, minid=keep_from, approximate=False))
        return removed

    def pending_count(self) -> int:
        total = 0
        for partition in range(self.partitions):
            stream = self.stream(partition)
            try:
                groups = self.client.xinfo_groups(stream)
            except redis.ResponseError:
                continue  # no stream yet: nothing published there
            for info in groups:
                if _text(info["name"]) != self.group:
                    continue
                lag = info.get("lag")
                if lag is None:  # Redis cannot tell after deletions: count by hand
                    last = _text(info["last-delivered-id"])
                    rest: Any = self.client.xrange(stream, min=f"({last}", max="+")
                    lag = len(rest)
                total += int(lag) + int(info["pending"])
                break
            else:
                total += int(self.client.xlen(stream))
        return total

    def close(self) -> None:
        self.client.close()


def fair_share(partitions: int, live: list[str], consumer: str) -> int:
    """How many partitions `consumer` should hold: an even split, the remainder going to the
    first consumers by name, so the shares add up to exactly `partitions` (rounding every share
    up would let two workers hold everything and starve a third)."""
    base, extra = divmod(partitions, len(live))
    rank = live.index(consumer) if consumer in live else len(live)
    return base + (1 if rank < extra else 0)


def hash_start(consumer: str, partitions: int) -> int:
    """Where a consumer starts looking for free partitions, so newcomers do not all collide."""
    return zlib.crc32(consumer.encode()) % partitions
