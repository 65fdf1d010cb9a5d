"""Reservations record the units they took from their channel's allocation.

A reservation for a channel uses up that channel's allocation at the location first (the
units ring-fenced for it) and the shared pool after. Released (cancel, modify, expiry), its
units went back to the shared pool only, so every cancelled or re-decided order of the
channel wore its ring-fence away. `from_allocation` is how many of the reservation's units
came from the allocation: its release fences those again, and a shipment, which consumes
them, does not.

Reservations made before this migration took an unknown share from an allocation: they
are given 0, which gives their units back to the shared pool as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "reservations",
        sa.Column("from_allocation", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("from_allocation")
