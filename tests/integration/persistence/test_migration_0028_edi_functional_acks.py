"""The migration that lets the trading partners' documents keep what the partner's 997 said,
on both databases: a document written before has had no 997 and takes one after upgrading;
the downgrade drops the columns and the control-number index and keeps the documents."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, indexes_of

MIGRATION = "edi_functional_acks"
ADDED = {"functional_ack", "functional_ack_codes", "functional_ack_at"}
INDEX = "ix_edi_outbound_channel_control_number"
AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


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


def test_a_document_written_before_has_no_997_and_keeps_one_read_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        assert INDEX not in indexes_of(engine, "edi_outbound")
        a_document_written_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        assert INDEX in indexes_of(engine, "edi_outbound")
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
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine:
        assert columns_of(engine, "edi_outbound") >= ADDED
        a_document_written_before(engine)

    migration.downgrade()

    with migration.engine() as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        assert INDEX not in indexes_of(engine, "edi_outbound")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT reference FROM edi_outbound"))
            assert kept.scalars().all() == ["ful_1"]
    migration.to_head()
