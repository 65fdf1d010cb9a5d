"""Shipments keep the day their location is planned to ship them.

The Decider plans each shipment with the day its location is to ship it (its cut-off and
handling time) and the day it is promised to be delivered; only the promised delivery was
kept, so an 855 could tell a trading partner no ship day for the units it accepts, and a
label guessed one. `fulfillment_orders` gains `planned_ship_date`, set from the decision
that plans the shipment (and from a re-decision or a re-sourcing that plans a new one).
Shipments planned before have none: NULL, and their 855s go on saying no day, as before.

The downgrade drops the column: the planned days are lost, and 855s and labels go back to
what they did without them.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode, as 0037: both databases add a nullable column in place.
    op.add_column("fulfillment_orders", sa.Column("planned_ship_date", sa.Date(), nullable=True))


def downgrade() -> None:
    # In place, as 0037 does (SQLite drops a column no index names).
    op.execute("ALTER TABLE fulfillment_orders DROP COLUMN planned_ship_date")
