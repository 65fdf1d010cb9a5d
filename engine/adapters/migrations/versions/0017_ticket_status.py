"""What the helpdesk reports back about the tickets Ordo opened.

Its webhook (`POST /v1/ticketing/{connector}/events`) reports a ticket's status, the
helpdesk's time of it, and the latest public comment; `tickets` gains a column for each:

- `status`: `unknown` for every ticket opened before, and for each new one until the
  helpdesk reports. Not `new`: Ordo never heard that from the helpdesk, and a ticket opened
  weeks ago may long be solved; `unknown` says so instead of guessing.
- `updated_at`: the helpdesk's time of that status, NULL while none was reported. A report
  older than it is ignored (webhooks arrive out of order).
- `comment_author`, `comment_excerpt`: the latest public comment's author and its first 500
  characters, empty until one is reported.
- `version`: two reports of one ticket handled at once cannot both be written.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_COLUMNS = ("status", "updated_at", "comment_author", "comment_excerpt", "version")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="unknown")
        )
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("comment_author", sa.String(200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("comment_excerpt", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    # Nothing references `tickets`, so rebuilding it on SQLite (batch mode) loses no row.
    with op.batch_alter_table("tickets") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
