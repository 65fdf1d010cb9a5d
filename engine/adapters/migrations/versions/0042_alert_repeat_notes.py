"""Alerts remember what their ticket was told of their repeats.

An open alert that keeps firing notes its ticket at most once per repeat window, at the
window's first repeat, with the count so far; the repeats after that note in a storm's last
window were never told, so the ticket understated the storm. The worker now writes one last
note once that window has ended with no repeat in the next, and must know what was told
already, once, whichever worker looks. `alerts` gains:

- `noted_occurrences`: the occurrences the last note counted (1, the raising, before any).
- `noted_window`: that note's repeat window; NULL before the first note.

Alerts stored before are taken as fully told (`noted_occurrences` is their `occurrences`,
`noted_window` NULL): a storm that ended before the upgrade gets no late note, and one still
going gets its last note after its next window's note.

The downgrade drops both columns: only the knowledge of what was told is lost, so a storm in
progress ends without its last note.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode, as 0037: both databases add these columns in place (the NOT NULL one
    # with a default, which fills the rows stored before).
    op.add_column(
        "alerts",
        sa.Column("noted_occurrences", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column("alerts", sa.Column("noted_window", sa.Integer(), nullable=True))
    op.execute("UPDATE alerts SET noted_occurrences = occurrences")


def downgrade() -> None:
    # In place, as 0037 does (SQLite drops a column no index names).
    op.execute("ALTER TABLE alerts DROP COLUMN noted_window")
    op.execute("ALTER TABLE alerts DROP COLUMN noted_occurrences")
