"""Number every change to the catalogue and the network, for the process-wide cache.

Every order reads its products and the locations that stock them: two round trips and a
few dozen rows built, for tables that change a few times a day. Each API process now keeps
them (engine/adapters/catalogue_cache.py), and each transaction first reads one number from
`catalogue_version`: triggers raise it on every statement that writes `products` or
`locations`, whoever runs it (another Ordo process, an import, someone at psql), so the
cache answers only while nothing has changed since it was filled.

PostgreSQL: one trigger per table and statement (TRUNCATE included). SQLite has row
triggers only: one per table and kind of write.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TABLES = ("products", "locations")
_BUMP = "UPDATE catalogue_version SET version = version + 1"


def upgrade() -> None:
    version = op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_version")),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ordo_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        for table in _TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_catalogue_changed "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ordo_catalogue_changed()"
            )
        return
    for name, write, table in _sqlite_triggers():
        op.execute(f"CREATE TRIGGER {name} AFTER {write} ON {table} BEGIN {_BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER {table}_catalogue_changed ON {table}")
        op.execute("DROP FUNCTION ordo_catalogue_changed()")
    else:
        for name, _, _ in _sqlite_triggers():
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("catalogue_version")


def _sqlite_triggers() -> list[tuple[str, str, str]]:
    """SQLite's row triggers: (name, kind of write, table), one per table and kind."""
    return [
        (f"{table}_{write.lower()}_catalogue_changed", write, table)
        for table in _TABLES
        for write in ("INSERT", "UPDATE", "DELETE")
    ]
