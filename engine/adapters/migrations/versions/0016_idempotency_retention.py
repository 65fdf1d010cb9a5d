"""Index idempotency records by age, for their retention purge.

Every write sent with an `Idempotency-Key` keeps its answer (an order's or a customer's JSON)
in `idempotency_keys`. The worker now deletes the records older than
`ORDO_IDEMPOTENCY_RETENTION_HOURS` every ten minutes, by `created_at`; the only index was
the (owner, key) primary key, so each purge would read the whole table to find a few rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_NAME = "ix_idempotency_keys_created_at"


def upgrade() -> None:
    op.create_index(_NAME, "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="idempotency_keys")
