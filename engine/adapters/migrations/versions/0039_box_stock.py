"""Boxes are stock: each location's count of each box of the catalogue, and what shipped used.

`box_stock` keeps how many of a box (`box_code`, the catalogue's code) a location has: set
by what its people count (`POST /v1/inventory/boxes/counts`), raised by what is delivered
(`POST /v1/inventory/boxes/receipts`), and one less for each parcel shipped in it
(docs/packaging.md#boxes-in-stock). `box_stock_uses` keeps, per shipment, the boxes it took,
so a shipment's boxes are counted out once however often its `shipment.status_changed` is
delivered. Shipments that shipped before have no row and took nothing: box levels start
from the first count.

The downgrade drops both tables: the levels and the record of what was used are lost, and
boxes are no longer counted.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "box_stock",
        sa.Column("location_code", sa.String(64), nullable=False),
        sa.Column("box_code", sa.String(64), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("location_code", "box_code", name="pk_box_stock"),
    )
    op.create_table(
        "box_stock_uses",
        sa.Column("shipment_id", sa.String(64), nullable=False),
        sa.Column("location_code", sa.String(64), nullable=False),
        sa.Column(
            "boxes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shipment_id", name="pk_box_stock_uses"),
    )


def downgrade() -> None:
    op.drop_table("box_stock_uses")
    op.drop_table("box_stock")
