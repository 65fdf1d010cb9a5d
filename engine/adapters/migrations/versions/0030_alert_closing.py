"""Alerts can be closed: who closed one and when, and a version against racing writes.

An alert is deduplicated by (rule, key) until it is closed; closing it (`POST
/v1/alerts/{id}/close`, or the worker once an acknowledged alert has been quiet for
ORDO_ALERT_CLOSE_AFTER_HOURS) lets the same rule and key open a new alert. `alerts` gains:

- `closed_by`, `closed_at`: the actor and the moment; empty and NULL for an alert not closed,
  as every alert before this migration (none could be closed).
- `version`: bumped by every write, so a repeat counted on an alert and the worker closing
  it at the same moment cannot both be written; the one that loses reads it again.
- an index on (status, last_seen_at): the worker's tick looks for acknowledged alerts quiet
  since a moment, without reading every alert ever raised.

Downgrading drops them; an alert closed meanwhile keeps its status, `closed`, which every
revision before this one reads as "no longer open".

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

INDEX = "ix_alerts_status_last_seen_at"
_COLUMNS = ("closed_by", "closed_at", "version")


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("closed_by", sa.String(128), nullable=False, server_default=""))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(op.f(INDEX), "alerts", ["status", "last_seen_at"])


def downgrade() -> None:
    op.drop_index(op.f(INDEX), table_name="alerts")
    # Nothing references `alerts`, so rebuilding it on SQLite (batch mode) loses no row.
    with op.batch_alter_table("alerts") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
