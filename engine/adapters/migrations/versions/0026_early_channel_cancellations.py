"""A shop's cancellation of an order Ordo has not seen yet is remembered until the order comes.

A shop's webhooks arrive in any order (Shopify documents that `orders/create` may come after
`orders/cancelled`, and retries come later still). `early_cancellations` keeps such a
cancellation, one per (channel, channel order id): the shop's reason, who delivered it, the
delivery's id and when, so the order is cancelled the moment it arrives instead of being
sourced and shipped (docs/channels.md). Kept for a retention, purged by `noted_at`.

Downgrading drops the table: the cancellations still waiting are lost, and their orders, if
they come, are taken as any other.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_cancellations",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("channel_order_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "channel_order_id", name="pk_early_cancellations"),
    )
    op.create_index(op.f("ix_early_cancellations_noted_at"), "early_cancellations", ["noted_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_early_cancellations_noted_at"), table_name="early_cancellations")
    op.drop_table("early_cancellations")
