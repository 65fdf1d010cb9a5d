"""The migration that makes room for encrypted ticket texts: on PostgreSQL, a ticket's subject
and the helpdesk's latest comment (author and excerpt) become text, which holds a token of
the longest subject and excerpt, and tickets stored before keep what they said; SQLite, which
never enforced the lengths, is left as it was. The downgrade gives PostgreSQL its bounded
columns back."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import Engine, insert, inspect, select

from engine.adapters import migrations, orm
from engine.adapters import translation as tr
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.operations import Ticket
from tests.support import builders as b
from tests.support.engines import an_engine, migration_named

BEFORE = str(migration_named("sealed_ticket_texts").down_revision)
CIPHER = FieldCipher(parse_data_keys(f"k1:{base64.b64encode(b'k' * 32).decode()}"))
COLUMNS = ("subject", "comment_author", "comment_excerpt")
OLD = Ticket("tkt-0", "zendesk", "1", "order", "O-0", "Old subject", b.at(0), "support:desk")
# As long as the columns held before, in letters of two UTF-8 bytes each.
LONGEST = Ticket(
    "tkt-1", "zendesk", "2", "order", "O-1", "é" * 200, b.at(1), "support:desk",
    comment_author="ü" * 200, comment_excerpt="ö" * 500,
)  # fmt: skip


def text_types(engine: Engine) -> list[str]:
    found = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("tickets")}
    return [found[name] for name in COLUMNS]


@pytest.fixture
def before(database_url: str) -> str:
    migrations.downgrade(database_url, BEFORE)
    return database_url


def test_a_sealed_ticket_of_the_longest_kind_is_stored_after_upgrading(before: str) -> None:
    with an_engine(before) as engine:
        with engine.begin() as connection:
            # The table has the same columns before: only their declared types change.
            connection.execute(insert(orm.tickets).values(tr.ticket_row(OLD)))
        kept_types = text_types(engine)

    migrations.upgrade(before)

    with an_engine(before) as engine:
        sqlite = engine.dialect.name == "sqlite"
        assert text_types(engine) == (kept_types if sqlite else ["TEXT"] * 3)
        sessions = make_session_factory(engine, CIPHER)
        with SqlAlchemyUnitOfWork(sessions) as uow:
            uow.tickets.add(LONGEST)
            uow.commit()
        with engine.connect() as connection:
            stored = connection.execute(
                select(orm.tickets.c.subject).where(orm.tickets.c.id == LONGEST.id)
            ).scalar_one()
        assert stored.startswith("enc:v1:k1:") and len(stored) > 200
        with SqlAlchemyUnitOfWork(sessions) as uow:
            assert uow.tickets.about("order", "O-1") == [LONGEST]
            assert uow.tickets.about("order", "O-0") == [OLD]


def test_the_downgrade_gives_postgresql_its_bounded_texts_back(postgres_url: str) -> None:
    migrations.downgrade(postgres_url, BEFORE)

    with an_engine(postgres_url) as engine:
        assert text_types(engine) == ["VARCHAR(200)", "VARCHAR(200)", "VARCHAR(500)"]
