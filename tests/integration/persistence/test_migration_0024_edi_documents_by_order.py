"""The migration that indexes the trading partners' documents by order, on both databases:
downgrading removes that index alone, and upgrading puts it back."""

from __future__ import annotations

from sqlalchemy import inspect

from engine.adapters import migrations
from tests.support.engines import an_engine, migration_named

INDEX = "ix_edi_outbound_order_id"
# Added by later migrations (0028, 0035), so gone too once downgraded past them.
LATER = {"ix_edi_outbound_channel_control_number", "ix_edi_outbound_replaces"}


def indexes(database_url: str) -> set[str]:
    with an_engine(database_url) as engine:
        return {str(index["name"]) for index in inspect(engine).get_indexes("edi_outbound")}


def test_downgrading_drops_the_order_index_alone_and_upgrading_restores_it(
    database_url: str,
) -> None:
    before = indexes(database_url)
    assert INDEX in before

    migrations.downgrade(database_url, str(migration_named("edi_documents_by_order").down_revision))
    assert indexes(database_url) == before - {INDEX} - LATER

    migrations.upgrade(database_url)
    assert indexes(database_url) == before
