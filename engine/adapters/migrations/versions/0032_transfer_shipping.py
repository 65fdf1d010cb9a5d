"""Transfers keep what their sending location reported when it shipped them.

The location a transfer leaves (its WMS, or a person there) reports it shipped
(`POST /v1/inventory/transfers/{id}/shipped`): when, with which carrier, under which
tracking number. `inbound_supply` gains `shipped_at`, `carrier` and `tracking_number` to keep
them, so staff can tell a transfer on a truck from one still on the shelf, and a second
report with another tracking number is refused rather than silently replacing the first.
Rows stored before this migration (purchase orders, and transfers nobody reported) have
NULL and "".

Downgrading drops the three columns: transfers reported shipped are then no longer known to
have left, and their carrier and tracking number are lost.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

_COLUMNS = ("shipped_at", "carrier", "tracking_number")


def upgrade() -> None:
    # Not batch mode: both databases add a column (nullable, or with a default) in place,
    # as 0031 does.
    op.add_column(
        "inbound_supply", sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "inbound_supply",
        sa.Column("carrier", sa.String(64), nullable=False, server_default=""),
    )
    op.add_column(
        "inbound_supply",
        sa.Column("tracking_number", sa.String(100), nullable=False, server_default=""),
    )


def downgrade() -> None:
    # In place, as 0031 does, one column a statement (SQLite drops one at a time).
    for column in _COLUMNS:
        op.execute(f"ALTER TABLE inbound_supply DROP COLUMN {column}")
