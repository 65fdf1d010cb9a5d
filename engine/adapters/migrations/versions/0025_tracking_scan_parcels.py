"""A tracking scan keeps the parcel it is of.

A carrier posts its scans parcel by parcel: a shipment packed into three boxes (its
`parcels`, migration 0022, each with its own tracking number) gets three `delivered` scans,
alike but for the number. `shipment_tracking` gains `tracking_number`, the parcel's number
the scan named; '' for a scan of the whole shipment, which every scan stored before is.

The number joins the scan's `fingerprint` only when it is not empty: a scan of the whole
shipment keeps the digest it always had, so a carrier's retry of a scan stored before this
migration is still known as one, and nothing stored is rewritten.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it would rebuild the table for one column with a constant
    # default, which both databases add in place.
    op.add_column(
        "shipment_tracking",
        sa.Column("tracking_number", sa.String(64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    # In place, for the reason above (SQLite drops a plain column since 3.35). The scans
    # stay, each once: scans of different parcels keep their different fingerprints, so the
    # unique key holds, and the timeline shows them as scans of the whole shipment.
    op.execute("ALTER TABLE shipment_tracking DROP COLUMN tracking_number")
