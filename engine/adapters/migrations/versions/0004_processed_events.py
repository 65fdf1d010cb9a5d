"""Give the worker's processed-event records a table of their own, out of the audit log.

The audit log is for people's changes; "event X handled by handler Y" rows are the event
machinery's deduplication memory and are purged with the outbox. Existing `event.handled`
audit rows are copied over (so events already handled stay skipped) and then removed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("handler", sa.String(200), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_name", sa.String(100), nullable=False),
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])
    _move_audit_records()


def _move_audit_records() -> None:
    """Carry over the records the worker kept in the audit log before this revision."""
    audit = sa.table(
        "audit_log",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("entity", sa.String),
        sa.column("entity_id", sa.String),
        sa.column("after", sa.JSON),
    )
    target = sa.table(
        "processed_events",
        *(sa.column(name) for name in
          ("event_id", "handler", "processed_at", "event_name", "consumer", "attempt")),
    )  # fmt: skip
    connection = op.get_bind()
    handled = (audit.c.action == "event.handled") & (audit.c.entity == "event")
    rows = connection.execute(
        sa.select(audit.c.at, audit.c.actor, audit.c.entity_id, audit.c.after).where(handled)
    ).all()
    seen: set[tuple[str, str]] = set()
    records = []
    for at, actor, event_id, after in rows:
        after = after or {}
        key = (str(event_id), str(after.get("handler", "")))
        if key in seen:
            continue
        seen.add(key)
        records.append({
            "event_id": key[0], "handler": key[1], "processed_at": at,
            "event_name": str(after.get("event", "")),
            "consumer": str(actor).removeprefix("worker:"), "attempt": int(after.get("attempt", 1)),
        })  # fmt: skip
    if records:
        connection.execute(sa.insert(target), records)
    connection.execute(sa.delete(audit).where(handled))


def downgrade() -> None:
    op.drop_index("ix_processed_events_processed_at", table_name="processed_events")
    op.drop_table("processed_events")
