"""Ship to store: a transfer knows the pickup order it was sent for, and can be cancelled.

`inbound_supply` gains two columns:

- `order_id`: the pickup order a ship-to-store transfer brings units to its store for
  (docs/pipeline.md, click and collect). Its units are that order's when they arrive, and
  no other order counts on them meanwhile. "" for every row stored before, and for any
  other purchase order or transfer.
- `cancelled`: a ship-to-store transfer its order no longer needs (cancelled, modified,
  served from elsewhere first); its units went back to their source. False for every row
  stored before.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: both databases add a column with a default in place (SQLite would
    # rebuild the table in batch mode).
    op.add_column(
        "inbound_supply",
        sa.Column("order_id", sa.String(64), nullable=False, server_default=""),
    )
    op.add_column(
        "inbound_supply",
        sa.Column("cancelled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(op.f("ix_inbound_supply_order_id"), "inbound_supply", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_supply_order_id"), table_name="inbound_supply")
    # In place, as 0021 does (SQLite drops a plain column since 3.35).
    op.execute("ALTER TABLE inbound_supply DROP COLUMN cancelled")
    op.execute("ALTER TABLE inbound_supply DROP COLUMN order_id")
