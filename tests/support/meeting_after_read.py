"""Racing two create-or-replace writes of one new key: each, having read the key and found
nothing, waits for the other to have read it too. Both then insert the same key, and the
database lets only the first commit have it; what the second does next is under test.

PostgreSQL only: a read there takes no lock, so both racers get past it. On SQLite the first
read already holds the file's one writer, the other racer's read waits for its commit, and
the two never meet.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork

# Long enough for a slow machine's second racer to reach its read; a racer still waiting
# after it is a test that failed to race, and says so (BrokenBarrierError).
MEETING_SECONDS = 10.0


class _MeetsAfterRead:
    """A repository whose `get` meets the other racer once it has read."""

    def __init__(self, repository: Any, meet: Any) -> None:
        self._repository = repository
        self._meet = meet

    def get(self, key: Any) -> Any:
        found = self._repository.get(key)
        self._meet()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)


class MeetingAfterRead(SqlAlchemyUnitOfWork):
    """A unit of work whose first `get` on `repository` ("customers", "products",
    "locations") waits for the other racer's first one: later reads (a retry's) go straight
    through, as the other racer is done with the barrier by then."""

    def __init__(
        self, sessions: sessionmaker[Session], meeting: threading.Barrier, repository: str
    ) -> None:
        super().__init__(sessions)
        self.meeting = meeting
        self.repository = repository
        self.met = False

    def __getattr__(self, name: str) -> Any:
        found = super().__getattr__(name)
        if name != self.repository or self.met:
            return found
        # Held as the unit of work's attribute for this transaction only: `with uow:` drops
        # it with the repositories, and the next transaction builds a plain one.
        meeting = _MeetsAfterRead(found, self._meet)
        setattr(self, name, meeting)
        return meeting

    def _meet(self) -> None:
        if not self.met:
            self.met = True
            self.meeting.wait(timeout=MEETING_SECONDS)
