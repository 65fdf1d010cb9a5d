"""Give the lateness clock's "already flagged" markers a table of their own, out of the audit log.

The clock reports a late shipment or a long hold once, and used to remember that it had by
appending a `<entity>.flagged` audit entry and scanning the entity's audit entries for it on
every tick. The audit log records what people changed; these markers are the worker's
bookkeeping, so they move to `lateness_flags`, keyed by (entity, entity id, flag) so two
workers ticking at once insert one row and report once.

The markers are moved, not copied, as 0004 moved `event.handled`: they were never anyone's
change, so leaving them would keep machine rows in the people's history for good. Downgrading
writes them back to the audit log, so an older worker does not report the same lateness again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_audit = sa.table(
    "audit_log",
    sa.column("id", sa.String),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)
_flags = sa.table(
    "lateness_flags",
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("flag", sa.String),
    sa.column("flagged_at", sa.DateTime(timezone=True)),
)
_MARKER = _audit.c.action.like("%.flagged") & (_audit.c.actor == "worker:clock")


def upgrade() -> None:
    op.create_table(
        "lateness_flags",
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("flag", sa.String(64), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", "flag", name="pk_lateness_flags"),
    )
    _move_audit_markers()


def _move_audit_markers() -> None:
    """Carry over the markers the clock kept in the audit log before this revision."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_audit.c.at, _audit.c.entity, _audit.c.entity_id, _audit.c.after)
        .where(_MARKER)
        .order_by(_audit.c.at)
    ).all()
    seen: set[tuple[str, str, str]] = set()
    records = []
    for at, entity, entity_id, after in rows:
        key = (str(entity), str(entity_id), str((after or {}).get("flag", "")))
        if key in seen or not key[2]:
            continue
        seen.add(key)
        records.append({"entity": key[0], "entity_id": key[1], "flag": key[2], "flagged_at": at})
    if records:
        connection.execute(sa.insert(_flags), records)
    connection.execute(sa.delete(_audit).where(_MARKER))


def downgrade() -> None:
    connection = op.get_bind()
    markers: dict[str, dict[str, object]] = {}
    for entity, entity_id, flag, at in connection.execute(sa.select(_flags)).all():
        # The old marker id, cut to the audit log's 64 characters as the old clock cut it.
        marker_id = f"flag:{entity}:{entity_id}:{flag}"[:64]
        markers.setdefault(marker_id, {
            "id": marker_id, "at": at, "actor": "worker:clock", "action": f"{entity}.flagged",
            "entity": entity, "entity_id": entity_id, "before": {}, "after": {"flag": flag},
        })  # fmt: skip
    if markers:
        connection.execute(sa.insert(_audit), list(markers.values()))
    op.drop_table("lateness_flags")
