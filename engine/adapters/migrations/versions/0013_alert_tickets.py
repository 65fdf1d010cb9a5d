"""Helpdesk tickets: the ticket opened for an alert, and a table of the tickets Ordo opened.

- `alerts.ticket_id`: the id, in the ticketing system (ORDO_TICKETING), of the ticket the
  worker opened for a severe alert; NULL for an alert that has none, as every alert raised
  before this migration.
- `tickets`: one row per ticket Ordo opened, about an order (support's
  `POST /v1/orders/{id}/tickets`) or an alert: the system, its id there, what it is about,
  the subject, when and by whom. Read by (entity, entity_id).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("ticket_id", sa.String(128), nullable=True))
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("external_ticket_id", sa.String(128), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index(op.f("ix_tickets_entity_entity_id"), "tickets", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_entity_entity_id"), table_name="tickets")
    op.drop_table("tickets")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("ticket_id")
