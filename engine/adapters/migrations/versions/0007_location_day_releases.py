"""Keep each location's released shipments per day in `location_day_releases`.

Deciding an order compares each candidate location's shipments released today with its
daily capacity. Counting them (even by the (location_code, created_at) index of 0006) read
every shipment the location had released that day, on every order: a DC shipping 10,000 a
day read 10,000 rows per order by evening. The count is now kept as shipments are written,
in a few rows per location and day, and this revision fills it from the shipments already
stored.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NOT_RELEASED = ("pending", "cancelled")  # ShipmentStatus values, as stored


def upgrade() -> None:
    releases = op.create_table(
        "location_day_releases",
        sa.Column("location_code", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "location_code", "day", "shard", name=op.f("pk_location_day_releases")
        ),
    )
    shipments = sa.table(
        "fulfillment_orders",
        sa.column("location_code", sa.String()),
        sa.column("status", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    # Counted here rather than in SQL: the UTC day of a stored time is written differently on
    # each database, and this runs once.
    counts: Counter[tuple[str, date]] = Counter()
    rows = op.get_bind().execute(
        sa.select(shipments.c.location_code, shipments.c.created_at).where(
            shipments.c.status.not_in(_NOT_RELEASED)
        )
    )
    for location_code, created_at in rows:
        counts[(location_code, _utc_day(created_at))] += 1
    if counts:
        op.bulk_insert(
            releases,
            [
                {"location_code": code, "day": day, "shard": 0, "released": n}
                for (code, day), n in sorted(counts.items())
            ],
        )


def _utc_day(value: datetime | str) -> date:
    if isinstance(value, str):  # SQLite hands back the stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # stored as UTC without an offset
        return value.date()
    return value.astimezone(UTC).date()


def downgrade() -> None:
    op.drop_table("location_day_releases")
