"""Transfers keep when Ordo first set out to send their transfer order to their WMS.

A ship-to-store transfer cancelled without a WMS reference may be at the WMS all the same
(its transfer order reached it, the answer was lost), so the worker asks the WMS before
concluding there is nothing to cancel (`GET /transfer-orders?id=`). Nothing said whether a
send had ever been attempted, so a transfer cancelled before its send's turn was asked about
too, and a WMS without the lookup raised an alert for a transfer it never got (0043 did the
same for shipments). `inbound_supply` gains `wms_attempted_at`, set and committed by the
worker (or `ordo wms send-transfers`) before it calls the WMS; a transfer without it was
never sent, and is not asked about.

Transfers stored before that are neither received nor sent (no reference) may have been
attempted: they are given the upgrade's moment (a transfer keeps no time of its making), so
they are asked about as before. Purchase orders are never sent, and keep none. The downgrade
drops the column: every cancelled transfer without a reference is asked about again, as
before.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-11
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode, as 0043: both databases add a nullable column in place.
    op.add_column(
        "inbound_supply",
        sa.Column("wms_attempted_at", sa.DateTime(timezone=True), nullable=True),
    )
    inbound = sa.table(
        "inbound_supply",
        sa.column("kind", sa.String()),
        sa.column("wms_reference", sa.String()),
        sa.column("received", sa.Boolean()),
        sa.column("wms_attempted_at", sa.DateTime(timezone=True)),
    )
    # A bound moment rather than the database's clock: SQLite's CURRENT_TIMESTAMP is text of
    # another shape than the one timestamps are stored in.
    op.execute(
        inbound.update()
        .where(inbound.c.kind == "transfer")
        .where(inbound.c.wms_reference == "")
        .where(inbound.c.received == sa.false())
        .values(wms_attempted_at=datetime.now(UTC))
    )


def downgrade() -> None:
    # In place, as 0043 does (SQLite drops a column no index names).
    op.execute("ALTER TABLE inbound_supply DROP COLUMN wms_attempted_at")
