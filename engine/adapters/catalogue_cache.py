"""The catalogue and the network, kept per process: products and locations by key.

Every order reads its products and the locations that stock them, from tables that change a
few times a day: on PostgreSQL that was two of an order's nine round trips, and a few dozen
rows decoded and built. A `CatalogueCache` is shared by every session of a session factory
(`make_session_factory` puts it in the sessions' `info`), so by every request of an API
process.

It answers exactly what a read would. Triggers raise the one number in `catalogue_version`
on every statement that writes `products` or `locations`, whoever runs it (another process,
an import, someone at psql; migration 0008). A transaction reads that number once, before
its first catalogue read, and the cache answers it only while it holds entities read at
that same number; a transaction that saw a newer number empties it. A transaction that holds
products or locations for change reads them from the database (`SqlRepository.read_many`),
and one about to write them locks the number first (`lock_for_change`).

The entities are shared between requests, as `read_many` hands them out for reading only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine.adapters import driver, orm

CACHE = "ordo.catalogue_cache"  # the sessions' `info` key of their factory's cache
_SEEN = "ordo.catalogue_seen"  # the session's `info` key of (transaction, number it read)
_LOCKED = "ordo.catalogue_locked"  # the session's `info` key of (transaction, rows)
_VERSION = select(orm.catalogue_version.c.version).where(orm.catalogue_version.c.id == 1)
_FOR_CHANGE = _VERSION.with_for_update()

# Entities kept per table, at most: a catalogue of a million SKUs is not held whole in every
# process. A table that would grow past it starts over; what orders ask for comes back first.
MAX_KEPT = 50_000


class CatalogueCache:
    """Entities by table and key, valid for one number of `catalogue_version`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._entities: dict[str, dict[Any, Any]] = {}

    def get(self, version: int | None, table: str, keys: Iterable[Any]) -> dict[Any, Any]:
        """Those of `keys` kept for `version`; a newer version empties the cache first."""
        if version is None:
            return {}
        with self._lock:
            if self._version is None or version > self._version:
                self._version, self._entities = version, {}
                return {}
            if version != self._version:
                return {}  # a transaction that began before the last change: not ours to serve
            kept = self._entities.get(table)
            if not kept:
                return {}
            return {key: kept[key] for key in keys if key in kept}

    def put(self, version: int | None, table: str, entities: dict[Any, Any]) -> None:
        """Keep `entities`, read by a transaction that saw `version`, if that is the cache's."""
        if version is None or not entities:
            return
        with self._lock:
            if version == self._version:
                kept = self._entities.setdefault(table, {})
                if len(kept) + len(entities) > MAX_KEPT:
                    kept.clear()
                kept.update(entities)


def cache_of(session: Session) -> CatalogueCache | None:
    found = session.info.get(CACHE)
    return found if isinstance(found, CatalogueCache) else None


def version_seen(session: Session, connection: Connection) -> int | None:
    """The catalogue's number as this transaction sees it, read once per transaction (None
    where the row is missing: the cache then serves nothing)."""

    def read() -> int | None:
        rows = driver.fetch_all(_VERSION, connection)
        return int(rows[0]["version"]) if rows else None

    version: int | None = _once_per_transaction(session, _SEEN, read)
    return version


def lock_for_change(session: Session, connection: Connection) -> None:
    """Before this transaction's first write of products or locations: lock the catalogue's
    number, once. The triggers lock it too, but after the rows their statement wrote, so two
    transactions writing products and locations in turn could each hold a row the other
    waits for; taken first, the number orders every catalogue writer."""
    _once_per_transaction(session, _LOCKED, lambda: driver.fetch_all(_FOR_CHANGE, connection))


def _once_per_transaction(session: Session, key: str, run: Callable[[], Any]) -> Any:
    """`run()`'s answer, run once in the session's current transaction and kept in its
    `info` under `key` with that transaction, so the next transaction runs it again."""
    transaction = session.get_transaction()
    done = session.info.get(key)
    if done is not None and done[0] is transaction:
        return done[1]
    answer = run()
    session.info[key] = (transaction, answer)
    return answer
