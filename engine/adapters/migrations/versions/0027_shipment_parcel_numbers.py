"""A shipment is found by any of its parcels' tracking numbers.

A packed shipment keeps its parcels in the JSON column `parcels` (migration 0022), each with
its own tracking number once labelled, and only the shipment's own (master) number had an
index: a support agent with a customer's parcel number, or a warehouse with a scanned box,
could not find the shipment. `shipment_parcel_numbers` holds one row per (shipment, parcel
number), indexed by the number, kept in step by the shipments repository whenever the
parcels are written (labelled: numbers added; packed again after a short pick: the old ones
gone).

The upgrade fills it from the parcels every stored shipment has (a parcel not labelled yet
has no number and no row). A return is found by its label's tracking number too, which
`returns.tracking_number` now has an index for. The downgrade drops both: the numbers stay
in `parcels`.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# Each stored parcel's number, once per shipment (a number repeated within one shipment's
# parcels is one row, as the repository writes it). JSONB on PostgreSQL, JSON text on SQLite.
_BACKFILL = {
    "postgresql": (
        "INSERT INTO shipment_parcel_numbers (shipment_id, tracking_number) "
        "SELECT DISTINCT f.id, p.value ->> 'tracking_number' "
        "FROM fulfillment_orders AS f "
        "CROSS JOIN LATERAL jsonb_array_elements(f.parcels) AS p(value) "
        "WHERE coalesce(p.value ->> 'tracking_number', '') <> ''"
    ),
    "sqlite": (
        "INSERT INTO shipment_parcel_numbers (shipment_id, tracking_number) "
        "SELECT DISTINCT f.id, json_extract(p.value, '$.tracking_number') "
        "FROM fulfillment_orders AS f, json_each(f.parcels) AS p "
        "WHERE coalesce(json_extract(p.value, '$.tracking_number'), '') <> ''"
    ),
}


def upgrade() -> None:
    op.create_table(
        "shipment_parcel_numbers",
        sa.Column("shipment_id", sa.String(64), nullable=False),
        sa.Column("tracking_number", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_shipment_parcel_numbers_shipment_id_fulfillment_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "shipment_id", "tracking_number", name=op.f("pk_shipment_parcel_numbers")
        ),
    )
    op.create_index(
        op.f("ix_shipment_parcel_numbers_tracking_number"),
        "shipment_parcel_numbers",
        ["tracking_number"],
    )
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    op.create_index(op.f("ix_returns_tracking_number"), "returns", ["tracking_number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_returns_tracking_number"), table_name="returns")
    op.drop_index(
        op.f("ix_shipment_parcel_numbers_tracking_number"), table_name="shipment_parcel_numbers"
    )
    op.drop_table("shipment_parcel_numbers")
