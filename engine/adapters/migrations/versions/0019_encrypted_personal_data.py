"""Room for encrypted emails: `orders.email` and `customers.email` become unbounded text.

With `ORDO_DATA_KEYS` set, Ordo stores an email as a token (`enc:v1:<kid>:<base64>`, see
engine/adapters/field_crypto.py): the text, a 12-byte nonce and a 16-byte tag in base64 and a
prefix, about 4/3 of the email's UTF-8 bytes plus 55 characters. The API takes emails of 254
characters, whose token can pass the 320 characters the columns held. `email_lower` holds a
blind index of 70-odd characters when encrypted, and stays as it is; so do `name` and the
address columns (text and JSON).

PostgreSQL alone changes: VARCHAR to TEXT is a change of the column's declared type only (no
table rewrite, and the email indexes stay). SQLite keeps its declared VARCHAR(320), whose
length it never enforces; changing the declaration would rebuild `orders`, and dropping the
old table deletes its rows first (foreign keys are on), which cascades to every order's lines.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_COLUMNS = (("orders", "email"), ("customers", "email"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(
            table, column, type_=sa.Text(), existing_type=sa.String(320), existing_nullable=False
        )


def downgrade() -> None:
    # Refused by PostgreSQL ("value too long") while a longer value is stored: an encrypted
    # email of more than 320 characters.
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(
            table, column, type_=sa.String(320), existing_type=sa.Text(), existing_nullable=False
        )
