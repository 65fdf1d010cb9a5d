"""A document a trading partner rejected can be written again, linked to the one it replaces.

`POST /v1/edi/outbound/{id}/resend` (docs/edi.md) writes a new 855 or 856 for the order or
shipment of one the partner's 997 rejected. `edi_outbound` gains `replaces` (on the new
document: the id of the one it replaces) and `replaced_by` (on the old one: its
replacement's id), NULL for neither, and a unique index on `replaces`: a document is
replaced once, so two resends at the same moment cannot both write one (the second is
refused and answered with the first's). Documents written before replace nothing and are
replaced by nothing.

The downgrade drops the index and the columns: the replacements stay in the mailbox as
documents of their own, no longer linked to what they replaced.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

_INDEX = "ix_edi_outbound_replaces"


def upgrade() -> None:
    # Not batch mode, as 0028: both databases add a nullable column in place, and a unique
    # index (unlike a unique constraint) needs no table rebuild on SQLite.
    op.add_column("edi_outbound", sa.Column("replaces", sa.String(64), nullable=True))
    op.add_column("edi_outbound", sa.Column("replaced_by", sa.String(64), nullable=True))
    op.create_index(_INDEX, "edi_outbound", ["replaces"], unique=True)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="edi_outbound")
    # In place, as 0028 does (SQLite drops a column no index names any more).
    for column in ("replaced_by", "replaces"):
        op.execute(f"ALTER TABLE edi_outbound DROP COLUMN {column}")
