"""The documents written to trading partners are found by the order they are about.

`edi_outbound` gains an index on `order_id`: a customer's personal-data export and erasure
read the 855s and 856s about their orders (docs/edi.md), which otherwise meant reading the
whole mailbox of every partner. No column changes: a document's text is sealed in place
with ORDO_DATA_KEYS, as any personal column is.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_edi_outbound_order_id"), "edi_outbound", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_edi_outbound_order_id"), table_name="edi_outbound")
