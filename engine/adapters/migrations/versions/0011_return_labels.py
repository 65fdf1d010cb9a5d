"""Returns keep their label: carrier, service, tracking number, format and the label itself.

An authorised return's label (`POST /v1/returns/{id}/label`) is printed once and kept, as a
shipment keeps its own, so the customer downloads the same label (and the same tracking
number) however often they ask. Returns made before this migration have no label: every
column is empty for them (an empty label is an empty byte string, written as each database
writes one: `X''` in SQLite, where a text '' would be read back as text).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TEXTS = (("carrier", 64), ("service", 64), ("tracking_number", 128), ("label_format", 16))


def upgrade() -> None:
    no_bytes = "X''" if op.get_bind().dialect.name == "sqlite" else "''::bytea"
    with op.batch_alter_table("returns") as batch:
        for name, length in _TEXTS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("label", sa.LargeBinary(), nullable=False, server_default=sa.text(no_bytes))
        )


def downgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        for name in ("label", *(name for name, _ in reversed(_TEXTS))):
            batch.drop_column(name)
