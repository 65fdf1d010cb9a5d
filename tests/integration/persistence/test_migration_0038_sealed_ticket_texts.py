"""The migration that makes room for encrypted ticket texts: on PostgreSQL, a ticket's subject
and the helpdesk's latest comment (author and excerpt) become text, which holds a token of
the longest subject and excerpt, and tickets stored before keep what they said; SQLite, which
never enforced the lengths, is left as it was. The downgrade gives PostgreSQL its bounded
columns back."""

from __future__ import annotations

import base64

from sqlalchemy import Engine, insert, inspect, select

from engine.adapters import orm
from engine.adapters import translation as tr
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.operations import Ticket
from tests.support import builders as b
from tests.support.migration_steps import MigrationSteps

MIGRATION = "sealed_ticket_texts"
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


def test_a_sealed_ticket_of_the_longest_kind_is_stored_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        with engine.begin() as connection:
            # The table has the same columns before: only their declared types change.
            connection.execute(insert(orm.tickets).values(tr.ticket_row(OLD)))
        kept_types = text_types(engine)

    migration.upgrade()

    with migration.engine() as engine:
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
    migration = MigrationSteps.named(postgres_url, MIGRATION)
    migration.downgrade()

    with migration.engine() as engine:
        assert text_types(engine) == ["VARCHAR(200)", "VARCHAR(200)", "VARCHAR(500)"]
