"""Keep the scenarios an analyst saves with a ruleset version, run before it is published.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ruleset_scenarios",
        sa.Column("version_id", sa.String(64), primary_key=True),
        sa.Column("scenarios", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ruleset_scenarios")
