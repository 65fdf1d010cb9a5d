"""Stock rows and returns keep when they last changed.

`ordo erp backfill --since DAY` sends what changed on or after a day, and knew it only of
orders (their last save) and customers: a return counted by when it was made, so one
received, refunded or given reasons since was missed, and stock kept no time at all, so
every row was sent. `stock` and `returns` gain `updated_at`: a stock row's is set by the
database on every INSERT and UPDATE (the reservations' conditional UPDATEs included, at no
cost of their own), a return's by its repository at every save, as an order's is.

Rows stored before have NULL, "unknown": no time of their last change was ever kept, and
any guess (a return's making, the migration's moment) could be earlier than a change it
hides, so `--since` always sends them, until their next change stamps them.

The downgrade drops both columns: the times of change are lost (an Ordo from before this
migration sends every stock row `--since` a day, and the returns made since it).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

TABLES = ("stock", "returns")


def upgrade() -> None:
    # Not batch mode, as 0040: both databases add a nullable column in place. No default in
    # the schema: SQLite adds no column with one that is not constant, and the application
    # sets it (orm.stock's column default, SqlReturns).
    for table in TABLES:
        op.add_column(table, sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # In place, as 0040 does (SQLite drops a column no index or check names).
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN updated_at")
