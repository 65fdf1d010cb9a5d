"""Shipments keep when the worker first set out to send them to their WMS.

A shipment cancelled after its release without a WMS reference may be at the WMS all the same
(its release reached it, the answer was lost), so the worker asks the WMS before concluding
there is nothing to cancel (`GET /fulfilment-orders?id=`). Nothing said whether a release had
ever been attempted, so a shipment cancelled between its release and its turn in the worker
was asked about too, and a WMS without the lookup raised an alert for a shipment it never
got. `fulfillment_orders` gains `wms_attempted_at`, set and committed by the worker before it
calls the WMS; a shipment without it was never sent, and is not asked about.

Shipments released or cancelled before, without a reference, may have been attempted: they
are given their creation moment, so they are asked about as before. The downgrade drops the
column: every cancelled shipment without a reference is asked about again, as before.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode, as 0037: both databases add a nullable column in place.
    op.add_column(
        "fulfillment_orders",
        sa.Column("wms_attempted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(
        "UPDATE fulfillment_orders SET wms_attempted_at = created_at "
        "WHERE wms_reference = '' AND status IN ('released', 'cancelled')"
    )


def downgrade() -> None:
    # In place, as 0037 does (SQLite drops a column no index names).
    op.execute("ALTER TABLE fulfillment_orders DROP COLUMN wms_attempted_at")
