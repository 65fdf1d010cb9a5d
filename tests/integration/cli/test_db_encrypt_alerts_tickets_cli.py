"""`ordo db encrypt`, `--check` and `ordo db decrypt` over alerts and tickets stored before
encryption was on: their messages, subjects and comments sealed, counted under their key,
then back in clear as they were written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.operations import Ticket
from tests.support import builders as b
from tests.support.cli import ordo

ALERT = b.an_alert(key="O-1", message="Order O-1 of Ada Lovelace is held")
TICKET = Ticket(
    "tkt-1", "zendesk", "35436", "order", "O-1", "Ada Lovelace says the parcel came damaged",
    b.at(0), "support:desk", comment_author="Ada Lovelace", comment_excerpt="It is me again",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", database_url)


def store_in_clear(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            uow.alerts.add(ALERT)
            uow.tickets.add(TICKET)
            uow.commit()
    finally:
        engine.dispose()


def stored(database_url: str) -> list[Any]:
    """The message and the ticket's texts as the database holds them."""
    engine = make_engine(database_url)
    t = orm.tickets.c
    try:
        with engine.connect() as connection:
            message = connection.execute(select(orm.alerts.c.message)).scalar_one()
            ticket = connection.execute(
                select(t.subject, t.comment_author, t.comment_excerpt)
            ).one()
        return [message, *ticket]
    finally:
        engine.dispose()


def test_alerts_and_tickets_stored_before_are_encrypted_counted_and_decrypted(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_in_clear(database_url)
    before = stored(database_url)
    check = ordo("db", "encrypt", "--check")
    assert "alerts: 1 rows, 1 values in clear\n" in check
    assert "tickets: 1 rows, 3 values in clear\n" in check
    monkeypatch.setenv("ORDO_DATA_KEYS", ordo("keys", "new-data-key", "--kid", "k1").strip())

    output = ordo("db", "encrypt", "--batch-size", "1")

    assert "alerts: 1 rows read, 1 encrypted under key 'k1'" in output
    assert "tickets: 1 rows read, 1 encrypted under key 'k1'" in output
    sealed = stored(database_url)
    assert all(value.startswith("enc:v1:k1:") for value in sealed)
    assert "Lovelace" not in "".join(sealed)
    check = ordo("db", "encrypt", "--check")
    assert "alerts: 1 rows, 0 values in clear, 1 under key 'k1'\n" in check
    assert "tickets: 1 rows, 0 values in clear, 3 under key 'k1'\n" in check

    output = ordo("db", "decrypt", "--batch-size", "1")

    assert "alerts: 1 rows read, 1 decrypted" in output
    assert "tickets: 1 rows read, 1 decrypted" in output
    assert stored(database_url) == before
    assert before[0] == ALERT.message
