"""EDI with trading partners: interchange control numbers, the 850s' envelopes, and a mailbox.

Three new tables (docs/edi.md):

- `edi_control_numbers`: per sender/receiver pair of the interchanges Ordo sends (ISA05-08),
  the last control number (ISA13, GS06) given, so each 997 and 856 takes the next one and
  none is used twice. The 997s sent before carried random numbers; a pair starts at 1.
- `edi_purchase_orders`: per channel and purchase order number (BEG03), what the 850 said
  that the order does not keep: the partner's envelope (ISA ids, GS ids, version,
  delimiters), its PO date, each PO1's line number (PO101) and product ids as sent, and the
  ship-to's id code (N103/N104). The 856 for the order's shipments repeats them. Orders
  that came in by EDI before have none: they get no 856.
- `edi_outbound`: documents for the partner's gateway to collect (`GET /v1/edi/outbound`),
  kept until it acknowledges each one; one per kind and reference (one 856 per shipment).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
# A counter's key: the sender and the receiver of the interchanges Ordo sends.
_PAIR = ("sender_qualifier", "sender_id", "receiver_qualifier", "receiver_id")


def upgrade() -> None:
    op.create_table(
        "edi_control_numbers",
        sa.Column("sender_qualifier", sa.String(2), nullable=False),
        sa.Column("sender_id", sa.String(15), nullable=False),
        sa.Column("receiver_qualifier", sa.String(2), nullable=False),
        sa.Column("receiver_id", sa.String(15), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*_PAIR, name=op.f("pk_edi_control_numbers")),
    )
    op.create_table(
        "edi_purchase_orders",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("po_number", sa.String(128), nullable=False),
        sa.Column("po_date", sa.String(8), nullable=False),
        sa.Column("envelope", _JSON, nullable=False),
        sa.Column("lines", _JSON, nullable=False),
        sa.Column("ship_to_qualifier", sa.String(2), nullable=False),
        sa.Column("ship_to_code", sa.String(80), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "po_number", name=op.f("pk_edi_purchase_orders")),
    )
    op.create_table(
        "edi_outbound",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("control_number", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edi_outbound")),
        sa.UniqueConstraint("kind", "reference", name=op.f("uq_edi_outbound_kind_reference")),
    )
    op.create_index(
        op.f("ix_edi_outbound_channel_created_at"), "edi_outbound", ["channel", "created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_edi_outbound_channel_created_at"), table_name="edi_outbound")
    op.drop_table("edi_outbound")
    op.drop_table("edi_purchase_orders")
    op.drop_table("edi_control_numbers")
