"""Racing two transactions through the widest window: each waits, just before committing,
for the other to be about to commit too. Both get there only when neither holds a lock the
other needs; with the lock, the second waits for the first's commit instead, and the first
commits once the wait runs out."""

from __future__ import annotations

import threading
from contextlib import suppress

from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from engine.domain.events import Event

# How long the first transaction to reach its commit waits for the other one.
MEETING_SECONDS = 1.5


class MeetingAtCommit(SqlAlchemyUnitOfWork):
    """A unit of work that, before committing, waits for the other racer to be about to
    commit too: the widest window two writes can race through."""

    def __init__(self, sessions: sessionmaker[Session], meeting: threading.Barrier) -> None:
        super().__init__(sessions)
        self.meeting = meeting

    def _commit(self, events: list[Event]) -> None:
        with suppress(threading.BrokenBarrierError):  # the other racer is waiting for our lock
            self.meeting.wait(timeout=MEETING_SECONDS)
        super()._commit(events)
