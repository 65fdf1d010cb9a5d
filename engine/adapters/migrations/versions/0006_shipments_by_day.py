"""Index fulfilment orders by (location, created_at) for the daily-capacity count.

Deciding an order counts the shipments each candidate location released today. The only
index on the location was (location_code, status), so that count read every shipment the
location had released since it opened and dropped all but today's: a cost per order that
grew with the location's history, without bound. With (location_code, created_at) it reads
today's rows only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NAME = "ix_fulfillment_orders_location_code_created_at"


def upgrade() -> None:
    op.create_index(op.f(_NAME), "fulfillment_orders", ["location_code", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f(_NAME), table_name="fulfillment_orders")
