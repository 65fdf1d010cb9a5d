"""Fulfilment orders keep the reference their warehouse system (WMS) gave them.

A released shipment is sent to the WMS configured for its location, which answers with its
own id for it (`engine.service_layer.warehouse.WarehouseReleaser`). The shipment keeps that
id in `wms_reference`, so a redelivered release event finds it and does not send the shipment
a second time, and support sees under which number the warehouse knows the parcel. Shipments
made before this migration were never sent to a WMS: theirs is empty.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fulfillment_orders") as batch:
        batch.add_column(
            sa.Column("wms_reference", sa.String(128), nullable=False, server_default="")
        )


def downgrade() -> None:
    # Not batch mode: on SQLite it would rebuild the table, and dropping the old one deletes
    # its rows first (foreign keys are on), which cascades to every shipment's tracking
    # events. Both databases drop a plain column in place (SQLite since 3.35).
    op.execute("ALTER TABLE fulfillment_orders DROP COLUMN wms_reference")
