"""Index fulfilment orders by (status, promised_date), and by created_at.

The worker's lateness clock asks every minute for the open shipments promised before today,
and the day's KPIs for the shipments promised on a day; reports over a period read the
shipments created in it. With no index on those columns each of them read every shipment
ever made, a cost that grows with the history while the answers stay a handful of rows. The
clock and the KPI name the statuses they want (an IN list), so (status, promised_date) gives
each a short range per status.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_fulfillment_orders_status_promised_date": ["status", "promised_date"],
    "ix_fulfillment_orders_created_at": ["created_at"],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(op.f(name), "fulfillment_orders", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(op.f(name), table_name="fulfillment_orders")
