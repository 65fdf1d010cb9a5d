"""The migration that lets the trading partners' documents keep what the partner's 997 said,
on both databases: a document written before has had no 997 and takes one after upgrading;
the downgrade drops the columns and the control-number index and keeps the documents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text

from engine.adapters import migrations
from tests.support.engines import an_engine, columns_of, migration_named, uow_factory_on

BEFORE = str(migration_named("edi_functional_acks").down_revision)
ADDED = {"functional_ack", "functional_ack_codes", "functional_ack_at"}
INDEX = "ix_edi_outbound_channel_control_number"
AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("edi_outbound")}


def a_document_written_before(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO edi_outbound (id, channel, kind, reference, order_id, "
                "control_number, content, created_at, acknowledged_by) VALUES ('edi_1', "
                "'b2b-acme', '856', 'ful_1', 'ord_1', 2, 'ISA*00~', :created, '')"
            ),
            {"created": AT},
        )


@pytest.fixture
def before(database_url: str) -> str:
    migrations.downgrade(database_url, BEFORE)
    return database_url


def test_a_document_written_before_has_no_997_and_keeps_one_read_after_upgrading(
    before: str,
) -> None:
    with an_engine(before) as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        assert INDEX not in indexes(engine)
        a_document_written_before(engine)

    migrations.upgrade(before)

    with an_engine(before) as engine:
        assert INDEX in indexes(engine)
        uows = uow_factory_on(engine)
        with uows() as uow:
            [found] = uow.edi.documents_numbered("b2b-acme", [2])
            assert (found.id, found.functional_ack, found.functional_ack_codes) == ("edi_1", "", ())
            uow.edi.record_functional_ack("edi_1", "rejected", ["AK502=5"], AT)
            uow.commit()
        with uows() as uow:
            said = uow.edi.document("edi_1")
            assert said is not None and said.functional_ack_codes == ("AK502=5",)


def test_downgrading_drops_the_columns_and_the_index_and_keeps_the_documents(
    database_url: str,
) -> None:
    with an_engine(database_url) as engine:
        assert columns_of(engine, "edi_outbound") >= ADDED
        a_document_written_before(engine)

    migrations.downgrade(database_url, BEFORE)

    with an_engine(database_url) as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        assert INDEX not in indexes(engine)
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT reference FROM edi_outbound"))
            assert kept.scalars().all() == ["ful_1"]
    migrations.upgrade(database_url)
    assert migrations.current(database_url) == migrations.head()
