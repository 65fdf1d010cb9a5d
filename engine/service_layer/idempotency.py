"""Idempotency keys: a retried request gets the first response instead of a second order.

The protocol (the one payment APIs use):
1. `begin` inserts an in-flight record for (owner, key) with a hash of the request. The insert
   is the lock: a unique constraint lets exactly one of two concurrent requests through.
2. The request runs; `finish` stores its status code and body.
3. A later request with the same owner and key gets, by `claim`:
   - the stored response when the hash matches and the first one finished (a replay);
   - `KeyReused` (422) when the payload differs;
   - `KeyInFlight` (409) while the first is still running.
A request that fails with a server error `abandon`s its record so the client can retry; an
in-flight record older than `stale_after` (a crashed process) may be taken over.

Records are kept for a retention (`ORDO_IDEMPOTENCY_RETENTION_HOURS`), counted from the first
request, after which the worker's `Janitor` purges them: an answer holds an order's or a
customer's JSON, and a retry days later is no retry. Finished and in-flight records go alike:
an in-flight one that old is a crashed request's, and purging it frees its key just as a
take-over would. A key sent again after its record was purged runs as a new request.
"""

from __future__ import annotations

import abc
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.domain.access import IdempotencyRecord, IdempotencyState
from engine.domain.errors import Conflict, DomainError
from engine.domain.values import utcnow

MAX_KEY_LENGTH = 200
# Payment APIs keep keys a day; three cover a channel's retry queue stuck over a weekend.
DEFAULT_RETENTION = timedelta(hours=72)


class KeyReused(DomainError):
    """The same key came back with a different request (HTTP 422)."""

    code = "idempotency_key_reused"


class KeyInFlight(Conflict):
    """The first request with this key is still running (HTTP 409)."""

    code = "idempotency_key_in_flight"


def request_hash(method: str, path: str, body: Any) -> str:
    """A stable fingerprint of the request: key order and whitespace do not matter."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyStore(abc.ABC):
    @abc.abstractmethod
    def insert(self, record: IdempotencyRecord) -> bool:
        """Insert if no record exists for (owner, key); True when this call inserted it."""

    @abc.abstractmethod
    def get(self, owner: str, key: str) -> IdempotencyRecord | None: ...

    @abc.abstractmethod
    def complete(
        self, owner: str, key: str, status_code: int, response: dict[str, Any], at: datetime
    ) -> None: ...

    @abc.abstractmethod
    def delete_in_flight(self, owner: str, key: str) -> None: ...

    @abc.abstractmethod
    def take_over(self, owner: str, key: str, older_than: datetime, now: datetime) -> bool:
        """Restart a stale in-flight record; True when this call won it."""

    @abc.abstractmethod
    def purge(self, created_before: datetime) -> int:
        """Delete every record created before the cut-off, finished or in flight; how many."""


class InMemoryIdempotencyStore(IdempotencyStore):
    def __init__(self) -> None:
        self._records: dict[tuple[str, str], IdempotencyRecord] = {}
        self._lock = threading.Lock()

    def insert(self, record: IdempotencyRecord) -> bool:
        with self._lock:
            if (record.owner, record.key) in self._records:
                return False
            self._records[(record.owner, record.key)] = record
            return True

    def get(self, owner: str, key: str) -> IdempotencyRecord | None:
        return self._records.get((owner, key))

    def complete(
        self, owner: str, key: str, status_code: int, response: dict[str, Any], at: datetime
    ) -> None:
        record = self._records.get((owner, key))
        if record is None:  # purged while its request ran: nothing left to keep it in
            return
        record.state = IdempotencyState.DONE
        record.status_code = status_code
        record.response = response
        record.completed_at = at

    def delete_in_flight(self, owner: str, key: str) -> None:
        with self._lock:
            record = self._records.get((owner, key))
            if record is not None and record.state is IdempotencyState.IN_FLIGHT:
                del self._records[(owner, key)]

    def take_over(self, owner: str, key: str, older_than: datetime, now: datetime) -> bool:
        with self._lock:
            record = self._records.get((owner, key))
            if record is None or record.state is not IdempotencyState.IN_FLIGHT:
                return False
            if record.created_at >= older_than:
                return False
            record.created_at = now
            return True

    def purge(self, created_before: datetime) -> int:
        with self._lock:
            old = [at for at, record in self._records.items() if record.created_at < created_before]
            for at in old:
                del self._records[at]
            return len(old)


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    body: dict[str, Any]


class Idempotency:
    """The protocol above over a store; one instance per application."""

    def __init__(
        self, store: IdempotencyStore, stale_after: timedelta = timedelta(minutes=5)
    ) -> None:
        self.store = store
        self.stale_after = stale_after

    def claim(self, owner: str, key: str, fingerprint: str) -> Replay | None:
        """None: the caller runs the request and must `finish` or `abandon`. Else a replay."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise DomainError(
                f"the Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} characters long"
            )
        now = utcnow()
        record = IdempotencyRecord(key=key, owner=owner, request_hash=fingerprint, created_at=now)
        if self.store.insert(record):
            return None
        existing = self.store.get(owner, key)
        if existing is None:  # abandoned between our insert and our read: try once more
            if self.store.insert(record):
                return None
            existing = self.store.get(owner, key)
            if existing is None:
                raise KeyInFlight(
                    f"a request with Idempotency-Key '{key}' is still being processed"
                )
        if existing.request_hash != fingerprint:
            raise KeyReused(
                f"Idempotency-Key '{key}' was already used for a different request; "
                "use a new key for a new request"
            )
        if existing.state is IdempotencyState.DONE:
            return Replay(existing.status_code, dict(existing.response))
        if self.store.take_over(owner, key, now - self.stale_after, now):
            return None
        raise KeyInFlight(
            f"a request with Idempotency-Key '{key}' is still being processed; "
            "retry after it finishes to receive its response"
        )

    def finish(self, owner: str, key: str, status_code: int, body: dict[str, Any]) -> None:
        self.store.complete(owner, key, status_code, body, utcnow())

    def abandon(self, owner: str, key: str) -> None:
        self.store.delete_in_flight(owner, key)
