"""Fulfilment orders keep the parcels they were packed into.

With a box catalogue (`ORDO_PACKAGING_FILE`, docs/packaging.md) the Decider packs each
shipment into its location's boxes; the parcels were kept in the decision's trace only. Now
the shipment keeps them in `parcels`, a JSON list read with it (as its lines are): each
parcel's box code, outer sides, gross and billable weight, units by SKU and, once a label is
made, its own tracking number. Shipments made before this migration were not packed as far
as they know: theirs is `[]`, and they print, release and ship as one parcel, as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # Not batch mode: on SQLite it would rebuild the table, and dropping the old one deletes
    # its rows first (foreign keys are on), cascading to every shipment's tracking events
    # and label. Both databases add a column with a constant default in place.
    op.add_column(
        "fulfillment_orders",
        sa.Column("parcels", _JSON, nullable=False, server_default="[]"),
    )


def downgrade() -> None:
    # In place, for the reason above (SQLite drops a plain column since 3.35).
    op.execute("ALTER TABLE fulfillment_orders DROP COLUMN parcels")
