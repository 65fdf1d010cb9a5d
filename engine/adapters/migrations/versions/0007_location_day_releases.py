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

from datetime import date

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
    # Counted by the database, a row per location and day whatever the number of shipments.
    # The UTC day of a stored time is written differently on each: PostgreSQL converts the
    # timestamptz; SQLite stores UTC as text that starts with the date.
    created = shipments.c.created_at
    if op.get_bind().dialect.name == "postgresql":
        day: sa.ColumnElement[object] = sa.cast(sa.func.timezone("UTC", created), sa.Date)
    else:
        day = sa.func.substr(created, 1, 10)
    counted = op.get_bind().execute(
        sa.select(shipments.c.location_code, day, sa.func.count())
        .where(shipments.c.status.not_in(_NOT_RELEASED))
        .group_by(shipments.c.location_code, day)
    )
    rows = [
        {"location_code": code, "day": _date(value), "shard": 0, "released": int(n)}
        for code, value, n in counted
    ]
    if rows:
        op.bulk_insert(releases, rows)


def _date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def downgrade() -> None:
    op.drop_table("location_day_releases")
