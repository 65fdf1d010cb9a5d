"""A tracking scan keeps the milestone its post gave and the carrier's estimated delivery day.

`shipment_tracking` gains two columns, both NULL for every scan stored before:

- `milestone`: what the carrier's post said the scan means (`in_transit`, `delivered`...,
  `engine.domain.tracking_codes.Milestone`), when it said. NULL: the scan's meaning is read
  from its code, as it was for every scan before.
- `estimated_delivery`: the day the carrier expected to deliver as of the scan, when the
  post said. A shipment's estimate is that of its latest scan that brought one.

Neither joins the `fingerprint`: a carrier's retry of a scan is the same scan.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it would rebuild the table for two nullable columns, which
    # both databases add in place.
    op.add_column("shipment_tracking", sa.Column("milestone", sa.String(32), nullable=True))
    op.add_column("shipment_tracking", sa.Column("estimated_delivery", sa.Date(), nullable=True))


def downgrade() -> None:
    # In place, for the reason above (SQLite drops a plain column since 3.35).
    op.execute("ALTER TABLE shipment_tracking DROP COLUMN estimated_delivery")
    op.execute("ALTER TABLE shipment_tracking DROP COLUMN milestone")
