"""Printed labels leave the shipment and return rows for tables of their own.

A label is a PDF or ZPL document of several KB. As a column of `fulfillment_orders` (and of
`returns`, migration 0011) it was read by every listing, the pipeline and the lateness
clock, none of which use it, and compared on every change of a shipment. It now lives in
`shipment_labels` and `return_labels`, one row per label (its format and its bytes), which
only a label's download reads; the rows keep `label_format`, which says whether there is a
label and in which format.

The upgrade copies every stored label across (an empty one is no label), and empties the
`label_format` of a row that has no label bytes: such a format described nothing, and left
as it is it would read as a label that cannot be downloaded. The downgrade puts the labels
back in their columns.

On SQLite the `label` columns are dropped and added in place (SQLite 3.35), never by
rebuilding the tables: dropping the old copy of a table deletes its rows first (foreign keys
are on), which cascades to the shipments' tracking events and to the new label rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# (table of the rows, table of their labels, its key column), shipments and returns alike.
_KINDS = (
    ("fulfillment_orders", "shipment_labels", "shipment_id"),
    ("returns", "return_labels", "return_id"),
)


def upgrade() -> None:
    for rows, labels, key in _KINDS:
        op.create_table(
            labels,
            sa.Column(key, sa.String(64), nullable=False),
            sa.Column("format", sa.String(16), nullable=False),
            sa.Column("content", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(
                [key], [f"{rows}.id"], name=op.f(f"fk_{labels}_{key}_{rows}"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{labels}")),
        )
        op.execute(
            f"INSERT INTO {labels} ({key}, format, content) "
            f"SELECT id, label_format, label FROM {rows} WHERE length(label) > 0"
        )
        op.execute(f"UPDATE {rows} SET label_format = '' WHERE length(label) = 0")
        op.execute(f"ALTER TABLE {rows} DROP COLUMN label")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    no_bytes = "''::bytea" if postgresql else "X''"
    for rows, labels, key in _KINDS:
        op.add_column(
            rows,
            sa.Column("label", sa.LargeBinary(), nullable=False, server_default=sa.text(no_bytes)),
        )
        mine = f"{labels}.{key} = {rows}.id"
        op.execute(
            f"UPDATE {rows} SET "
            f"label = (SELECT content FROM {labels} WHERE {mine}), "
            f"label_format = (SELECT format FROM {labels} WHERE {mine}) "
            f"WHERE id IN (SELECT {key} FROM {labels})"
        )
        op.drop_table(labels)
    # 0001 made the shipments' column without a default (0011 gave the returns' one). On
    # SQLite only a rebuild of the table takes a default away, and a rebuild would cascade to
    # the tracking events (see above): there it stays, an empty label, which is what a
    # shipment without one holds anyway.
    if postgresql:
        op.execute("ALTER TABLE fulfillment_orders ALTER COLUMN label DROP DEFAULT")
