"""Room for encrypted ticket texts: `tickets.subject`, `comment_author` and `comment_excerpt`
become unbounded text.

With `ORDO_DATA_KEYS` set, Ordo stores what a ticket says as tokens (`enc:v1:<kid>:<base64>`,
engine/adapters/field_crypto.py): the text, a 12-byte nonce and a 16-byte tag in base64 and a
prefix, about 4/3 of the text's UTF-8 bytes plus up to 78 characters. A subject of 200
characters, or an excerpt of 500, no longer fits the VARCHAR(200) and VARCHAR(500) they had.
`alerts.message`, sealed too, is text already.

PostgreSQL alone changes, as in 0019: VARCHAR to TEXT changes the declared type only (no table
rewrite). SQLite keeps its declarations, whose lengths it never enforces; changing them would
rebuild the table for nothing.

The downgrade gives PostgreSQL its bounded columns back. It is refused ("value too long")
while a longer value is stored: a sealed text. Run `ordo db decrypt` first.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

# Each column and the length it had.
_COLUMNS = (("subject", 200), ("comment_author", 200), ("comment_excerpt", 500))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, length in _COLUMNS:
        op.alter_column(
            "tickets",
            column,
            type_=sa.Text(),
            existing_type=sa.String(length),
            existing_nullable=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, length in _COLUMNS:
        op.alter_column(
            "tickets",
            column,
            type_=sa.String(length),
            existing_type=sa.Text(),
            existing_nullable=False,
        )
