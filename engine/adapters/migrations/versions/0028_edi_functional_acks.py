"""The documents written to trading partners keep what the partner's 997 said of them.

A partner's gateway answers each 855 and 856 it gets with a 997 functional acknowledgement,
naming the document by the control number Ordo sent it under (AK1 and AK2), accepted or
rejected with the partner's error codes (`POST /v1/edi/outbound/997`, docs/edi.md).
`edi_outbound` gains `functional_ack` (empty until a 997 names the document), its codes (a
JSON list) and when it came, and an index on (channel, control_number) to find the documents
a 997 names. Documents written before have had no 997 read: theirs are empty.

The downgrade drops the columns and the index: what the 997s said is lost, the documents
stay. No change to the unique (kind, reference): an order's change 855s are about
`<order id>#<n>`, so it still holds one document per reference.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_INDEX = "ix_edi_outbound_channel_control_number"


def upgrade() -> None:
    # Not batch mode, as 0022: both databases add a column with a constant default in place.
    op.add_column(
        "edi_outbound",
        sa.Column("functional_ack", sa.String(24), nullable=False, server_default=""),
    )
    op.add_column("edi_outbound", sa.Column("functional_ack_codes", _JSON, nullable=True))
    op.add_column(
        "edi_outbound",
        sa.Column("functional_ack_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(_INDEX, "edi_outbound", ["channel", "control_number"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="edi_outbound")
    # In place (SQLite drops a plain column since 3.35) rather than rebuilding the table.
    for column in ("functional_ack_at", "functional_ack_codes", "functional_ack"):
        op.execute(f"ALTER TABLE edi_outbound DROP COLUMN {column}")
