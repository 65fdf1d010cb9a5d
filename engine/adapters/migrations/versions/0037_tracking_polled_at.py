"""Shipments remember when the tracking poll last asked their carrier about them.

The worker's tracking poll (engine/service_layer/carrier_polls.py) asks a carrier about its
shipments that went quiet, and must not ask about one again before the silence has passed
once more. That memory was each worker process's own: two processes each asked about the
same shipments, and a restart asked again early. `fulfillment_orders` gains
`tracking_polled_at`, NULL until the poll first asks, set by one conditional UPDATE (only
where it is NULL or older than the silence), so of two processes racing, one claims each
shipment. Shipments shipped before were never asked: NULL, as a new one.

The downgrade drops the column: the poll's memory is lost, which only means the shipments
are asked once more, early.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode, as 0035: both databases add a nullable column in place.
    op.add_column(
        "fulfillment_orders",
        sa.Column("tracking_polled_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # In place, as 0035 does (SQLite drops a column no index names).
    op.execute("ALTER TABLE fulfillment_orders DROP COLUMN tracking_polled_at")
