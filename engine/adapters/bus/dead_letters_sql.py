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
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from engine.adapters.bus.base import DeadLetter
from engine.adapters.orm import dead_letters, outbox
from engine.domain.values import utcnow


class SqlDeadLetterStore:
    """Park, list and redrive dead letters; each call is one transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
            new_id = connection.execute(
                insert(dead_letters).values(values).returning(dead_letters.c.id)
            ).scalar_one()
        return _letter({**values, "id": new_id})

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        """The newest `limit` letters, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit)
            )
            return [_letter(row._mapping) for row in rows]

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
            _requeue(connection, _letter(row._mapping))
        return True


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
