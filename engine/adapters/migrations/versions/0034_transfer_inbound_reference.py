"""Transfers keep the name the receiving location's warehouse system expects them by.

When a transfer to a location a WMS runs is reported shipped, the worker sends that WMS an
expected receipt (`engine.service_layer.wms_transfers.InboundTransferNotifier`), so its dock
expects the parcel. `inbound_supply` gains `inbound_reference` to keep the name the WMS knows
the receipt by: a redelivered `transfer.shipped` finds it and does not tell the dock twice.
Rows stored before this migration (purchase orders, transfers not shipped, and transfers
shipped before Ordo told receiving WMSs anything) have "": none of them is sent one now,
as only a new `transfer.shipped` sends it.

Downgrading drops the column: a transfer whose receiving WMS was told is then no longer
known to have been, which matters only if its `transfer.shipped` were redriven.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: both databases add a column with a default in place, as 0031 does.
    op.add_column(
        "inbound_supply",
        sa.Column("inbound_reference", sa.String(128), nullable=False, server_default=""),
    )


def downgrade() -> None:
    # In place, as 0031 does (SQLite drops a column that no index names).
    op.execute("ALTER TABLE inbound_supply DROP COLUMN inbound_reference")
