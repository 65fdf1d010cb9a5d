"""Transfers keep the reference the warehouse system (WMS) they leave from gave them.

A transfer out of a location a WMS runs is sent to that WMS to pick and ship
(`engine.service_layer.wms_transfers.TransferReleaser`), which answers with its own id for
it. `inbound_supply` gains `wms_reference` to keep it: a redelivered event finds it and does
not send the transfer again, a cancellation is sent to it, and staff see under which number
the warehouse knows the transfer (`GET /v1/inventory/transfers`). Rows stored before this
migration (purchase orders, and transfers never sent to a WMS) have "".

Downgrading drops the column: a transfer the WMS holds is then no longer known to be there,
and a later cancellation of it would not reach the WMS.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: both databases add a column with a default in place, as 0023 does.
    op.add_column(
        "inbound_supply",
        sa.Column("wms_reference", sa.String(128), nullable=False, server_default=""),
    )


def downgrade() -> None:
    # In place, as 0023 does (SQLite drops a plain column since 3.35).
    op.execute("ALTER TABLE inbound_supply DROP COLUMN wms_reference")
