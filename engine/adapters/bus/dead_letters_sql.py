"""The in-process bus's dead letters, kept in the database (`orm.dead_letters`).

The in-process bus lives in one process, but its dead letters must outlive it and be seen
from another: a worker (`ordo worker`) parks them, and the API, in its own process, lists and
redrives them. Both share the database, so the letters live there, as Redis keeps its own in
a stream.

A redrive cannot publish to the worker's bus, which is in another process; it puts the event
back where the workers take events from, the outbox, under its own event id, so that the
handlers that had already succeeded skip it (their processed-event records name that id).
Events come from the outbox, whose row id is their event id: the row is marked unpublished
again if it is still there, or written again with that id if it has been purged.

With ORDO_DATA_KEYS set, a letter's payload and error are sealed at rest
(`sealed_rows.DEAD_LETTERS`), bound to the letter's id, and opened where letters are listed
and redriven: the outbox gets the event as it was published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from engine.adapters.bus.base import DeadLetter
from engine.adapters.field_crypto import FieldCipher
from engine.adapters.orm import dead_letters, outbox
from engine.adapters.sealed_rows import DEAD_LETTERS, RowSealer
from engine.domain.values import utcnow


class SqlDeadLetterStore:
    """Park, list and redrive dead letters; each call is one transaction of its own."""

    def __init__(self, engine: Engine, cipher: FieldCipher | None = None) -> None:
        self.engine = engine
        self._sealer = None if cipher is None else RowSealer(cipher, DEAD_LETTERS)

    def add(self, letter: DeadLetter) -> DeadLetter:
        """Park `letter`; returns it under the id the database gave it (the bus's delivery
        ids start again at 1 in every process, so they cannot name a letter here)."""
        values = {
            "event_id": letter.event_id[:200], "name": letter.name[:100],
            "payload": letter.payload, "partition_key": letter.partition_key[:200],
            "error": letter.error, "attempts": letter.attempts,
            "consumer": letter.consumer[:200], "failed_at": letter.failed_at,
        }  # fmt: skip
        with self.engine.begin() as connection:
            if self._sealer is None:
                new_id = connection.execute(
                    insert(dead_letters).values(values).returning(dead_letters.c.id)
                ).scalar_one()
            else:
                new_id = self._add_sealed(connection, values)
        return _letter({**values, "id": new_id})

    def _add_sealed(self, connection: Connection, values: dict[str, Any]) -> int:
        """Insert the letter with its payload and error empty, then seal them bound to the id
        the database gave it: the clear texts never reach a row (nor its write-ahead log)."""
        assert self._sealer is not None
        new_id: int = connection.execute(
            insert(dead_letters)
            .values({**values, "payload": {}, "error": ""})
            .returning(dead_letters.c.id)
        ).scalar_one()
        sealed = self._sealer.seal({k: values[k] for k in ("payload", "error")}, new_id)
        connection.execute(update(dead_letters).where(dead_letters.c.id == new_id).values(sealed))
        return new_id

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        """The newest `limit` letters, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit)
            )
            return [self._opened(row._mapping) for row in rows]

    def redrive(self, letter_id: str) -> bool:
        """Remove the letter and queue its event in the outbox again, in one transaction;
        False if there is no such letter."""
        if not letter_id.isdigit():
            return False  # the database numbers its letters: no other id names one
        with self.engine.begin() as connection:
            row = connection.execute(
                delete(dead_letters)
                .where(dead_letters.c.id == int(letter_id))
                .returning(*dead_letters.c)
            ).first()
            if row is None:
                return False
            _requeue(connection, self._opened(row._mapping))
        return True

    def _opened(self, mapping: Any) -> DeadLetter:
        return _letter(mapping if self._sealer is None else self._sealer.open(dict(mapping)))


def _requeue(connection: Connection, letter: DeadLetter) -> None:
    """Put the letter's event in the outbox for the next relay, keeping its event id."""
    if letter.event_id.isdigit():
        event_id = int(letter.event_id)
        again = connection.execute(
            update(outbox).where(outbox.c.id == event_id).values(published_at=None)
        )
        if again.rowcount:
            return
        # Purged since (published rows are deleted after a while): written again with the
        # same id, which the sequence handed out once and will not hand out again.
        row = {"id": event_id}
    else:
        # Not an outbox row's id (published to the bus directly): a new row, a new event id.
        row = {}
    connection.execute(
        insert(outbox).values(
            **row,
            name=letter.name,
            payload=letter.payload,
            partition_key=letter.partition_key[:64] or None,
            created_at=utcnow(),
            published_at=None,
        )
    )


def _letter(mapping: Any) -> DeadLetter:
    payload = mapping["payload"]
    return DeadLetter(
        id=str(mapping["id"]),
        event_id=mapping["event_id"],
        name=mapping["name"],
        payload=dict(payload) if payload else {},
        partition_key=mapping["partition_key"],
        error=mapping["error"],
        attempts=int(mapping["attempts"]),
        failed_at=mapping["failed_at"],
        consumer=mapping["consumer"],
    )
