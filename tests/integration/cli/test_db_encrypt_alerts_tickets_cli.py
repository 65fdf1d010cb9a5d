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
from tests.support.cli import sealed_and_opened

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

    before, sealed = sealed_and_opened(
        monkeypatch, lambda: stored(database_url), {"alerts": (1, 1, 1), "tickets": (1, 1, 3)}
    )

    assert all(value.startswith("enc:v1:k1:") for value in sealed)
    assert "Lovelace" not in "".join(sealed)
    assert before[0] == ALERT.message
