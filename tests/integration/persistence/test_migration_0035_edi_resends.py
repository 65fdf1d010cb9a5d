"""The migration that links a document written again to the rejected one it replaces, on both
databases: a document written before replaces nothing and can be replaced after upgrading,
once; the downgrade drops the columns and the index and keeps the documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from engine.domain.edi import OutboundDocument
from engine.domain.errors import Conflict
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, indexes_of

MIGRATION = "edi_resends"
ADDED = {"replaces", "replaced_by"}
INDEX = "ix_edi_outbound_replaces"
AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
AGAIN = OutboundDocument("edi_2", "b2b-acme", "856", "ful_1#2", "ord_1", 3, "ISA*00~", AT,
                         replaces="edi_1")  # fmt: skip


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


def test_a_document_written_before_replaces_nothing_and_is_replaced_once_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        a_document_written_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        assert INDEX in indexes_of(engine, "edi_outbound")
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
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine:
        assert columns_of(engine, "edi_outbound") >= ADDED
        a_document_written_before(engine)
        with uow_factory_on(engine)() as uow:
            uow.edi.add_document(AGAIN)
            uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert not ADDED & columns_of(engine, "edi_outbound")
        assert INDEX not in indexes_of(engine, "edi_outbound")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT reference FROM edi_outbound ORDER BY id"))
            assert kept.scalars().all() == ["ful_1", "ful_1#2"]
    migration.to_head()
