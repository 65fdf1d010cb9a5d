"""Transfers keep when their carrier delivered them, and are found by tracking number.

A carrier's tracking webhook (`POST /v1/carriers/{code}/tracking`) now puts the scans of a
transfer in transit on the transfer: an estimate revises its arrival day, and a delivered
scan is kept as `delivered_at` (it is at the store's door; the store still receives it to
count it in). `inbound_supply` gains:

- `delivered_at`: NULL for every row before this migration (no scan of a transfer was
  taken) and for a transfer no carrier has delivered yet.
- an index on `tracking_number`: every scan no shipment has is looked up among the
  transfers by its number, without reading every transfer ever made.

Downgrading drops both: the transfers' deliveries are forgotten (a transfer received since
keeps its receipt; one not yet received looks in transit again).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

INDEX = "ix_inbound_supply_tracking_number"


def upgrade() -> None:
    # Not batch mode: both databases add a nullable column in place, as 0032 does.
    op.add_column(
        "inbound_supply", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(op.f(INDEX), "inbound_supply", ["tracking_number"])


def downgrade() -> None:
    op.drop_index(op.f(INDEX), table_name="inbound_supply")
    # In place, as 0032 does (SQLite drops a column that no index names).
    op.execute("ALTER TABLE inbound_supply DROP COLUMN delivered_at")
