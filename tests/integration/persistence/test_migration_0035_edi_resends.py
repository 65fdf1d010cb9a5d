"""The migration that links a document written again to the rejected one it replaces, on both
databases: a document written before replaces nothing and can be replaced after upgrading,
once; the downgrade drops the columns and the index and keeps the documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text

from engine.adapters import migrations
from engine.domain.edi import OutboundDocument
from engine.domain.errors import Conflict
from tests.support.engines import an_engine, columns_of, migration_named, uow_factory_on

BEFORE = str(migration_named("edi_resends").down_revision)
ADDED = {"replaces", "replaced_by"}
INDEX = "ix_edi_outbound_replaces"
AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
AGAIN = OutboundDocument("edi_2", "b2b-acme", "856", "ful_1#2", "ord_1", 3, "ISA*00~", AT,
                         replaces="edi_1")  # fmt: skip


def indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("edi_outbound")}


def a_document_written_before(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO edi_outbound (id, channel, kind, reference, order_id, "
                "control_number, content, created_at, acknowledged_by, functional_ack) VALUES "
                "('edi_1', 'b2b-acme', '856', 'ful_1', 'ord_1', 2, 'ISA*00~', :created, '', "
                "'rejected')"
            ),
            {"created": AT},
        )


@pytest.fixture
def before(database_url: str) -> str:
    migrations.downgrade(database_url, BEFORE)
    return database_url


def test_a_document_written_before_replaces_nothing_and_is_replaced_once_after_upgrading(
    before: str,
) -> None:
    with an_engine(before) as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        a_document_written_before(engine)

    migrations.upgrade(before)

    with an_engine(before) as engine:
        assert INDEX in indexes(engine)
        uows = uow_factory_on(engine)
        with uows() as uow:
            old = uow.edi.document("edi_1")
            assert old is not None and (old.replaces, old.replaced_by) == ("", "")
            uow.edi.add_document(AGAIN)
            uow.edi.mark_replaced("edi_1", "edi_2")
            uow.commit()
        with uows() as uow:
            old = uow.edi.document("edi_1")
            assert old is not None and old.replaced_by == "edi_2"
            with pytest.raises(Conflict, match="written again already, as edi_2"):
                uow.edi.add_document(replace(AGAIN, id="edi_3", reference="ful_1#3"))


def test_downgrading_drops_the_columns_and_the_index_and_keeps_the_documents(
    database_url: str,
) -> None:
    with an_engine(database_url) as engine:
        assert columns_of(engine, "edi_outbound") >= ADDED
        a_document_written_before(engine)
        with uow_factory_on(engine)() as uow:
            uow.edi.add_document(AGAIN)
            uow.commit()

    migrations.downgrade(database_url, BEFORE)

    with an_engine(database_url) as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        assert INDEX not in indexes(engine)
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT reference FROM edi_outbound ORDER BY id"))
            assert kept.scalars().all() == ["ful_1", "ful_1#2"]
    migrations.upgrade(database_url)
    assert migrations.current(database_url) == migrations.head()
