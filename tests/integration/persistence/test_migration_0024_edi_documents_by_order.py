"""The migration that indexes the trading partners' documents by order, on both databases:
downgrading removes that index alone, and upgrading puts it back."""

from __future__ import annotations

from tests.support.migration_steps import MigrationSteps

MIGRATION = "edi_documents_by_order"
INDEX = "ix_edi_outbound_order_id"
# Added by later migrations (0028, 0035), so gone too once downgraded past them.
LATER = {"ix_edi_outbound_channel_control_number", "ix_edi_outbound_replaces"}


def test_downgrading_drops_the_order_index_alone_and_upgrading_restores_it(
    migration: MigrationSteps,
) -> None:
    before = migration.indexes("edi_outbound")
    assert INDEX in before

    migration.downgrade()
    assert migration.indexes("edi_outbound") == before - {INDEX} - LATER

    migration.upgrade()
    assert migration.indexes("edi_outbound") == before
