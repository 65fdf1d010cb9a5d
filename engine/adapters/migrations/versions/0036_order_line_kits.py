"""An order's line filed for a kit's component keeps the kit's shape.

Ordo files a line naming a kit as one line per component (`<line>.<n>`). To tell a shop's
cancelled kits as units of the parts, and units cancelled of the parts as whole kits to the
shop (docs/channels.md), each part keeps which kit it came from and how: `order_lines`
gains `kit_sku` (the kit's SKU), `kit_units` (units of the part in one kit) and `kit_kits`
(kits ordered on the kit's line), all NULL for a line that is no kit's part. Parts filed
before have no shape (NULL): the quantities alone cannot give it back safely (2 kits of A+B
read like 1 kit of 2A+2B), so their units stay left alone, as before.

The downgrade drops the columns: the parts stay as lines of their own, their kit forgotten.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

_COLUMNS = ("kit_sku", "kit_units", "kit_kits")


def upgrade() -> None:
    # Not batch mode, as 0028: both databases add a nullable column in place.
    op.add_column("order_lines", sa.Column("kit_sku", sa.String(64), nullable=True))
    op.add_column("order_lines", sa.Column("kit_units", sa.Integer(), nullable=True))
    op.add_column("order_lines", sa.Column("kit_kits", sa.Integer(), nullable=True))


def downgrade() -> None:
    # In place, as 0028 does (SQLite drops a column no index names).
    for column in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE order_lines DROP COLUMN {column}")
