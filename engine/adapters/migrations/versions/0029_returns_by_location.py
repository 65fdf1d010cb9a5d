"""Returns are listed by location: an index on `returns.location_code`.

A warehouse's receiving desk pages through the returns going back to, or received at, its own
locations (`GET /v1/returns?location=`, and every warehouse key's list, which is narrowed to
its locations): without an index each page read every return ever made. The index is on
(location_code, created_at), the order the list is read in, so a page is a range of it.

Downgrading drops the index; the lists answer the same, by scanning.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

INDEX = "ix_returns_location_code_created_at"


def upgrade() -> None:
    op.create_index(op.f(INDEX), "returns", ["location_code", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f(INDEX), table_name="returns")
