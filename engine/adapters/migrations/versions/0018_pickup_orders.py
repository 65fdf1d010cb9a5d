"""Orders say how the customer gets them: shipped, or collected in a store (click and collect).

`orders` gains two columns:

- `fulfilment`: `ship` or `pickup`. Every order placed before was shipped to its `ship_to`,
  so theirs is `ship`.
- `pickup_location`: the code of the store a pickup order is collected at; NULL for a
  shipped order (every order placed before).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it would rebuild `orders`, and dropping the old table deletes
    # its rows first (foreign keys are on), which cascades to every order's lines. Both
    # databases add a plain column in place.
    op.add_column(
        "orders", sa.Column("fulfilment", sa.String(16), nullable=False, server_default="ship")
    )
    op.add_column("orders", sa.Column("pickup_location", sa.String(64), nullable=True))


def downgrade() -> None:
    # In place, for the reason above (SQLite drops a plain column since 3.35).
    op.execute("ALTER TABLE orders DROP COLUMN pickup_location")
    op.execute("ALTER TABLE orders DROP COLUMN fulfilment")
