"""Dead letters in the database, tracking events one row each, returns indexed by RMA and date.

- `dead_letters`: the in-process bus kept the events it gave up on in a list, lost when the
  worker restarted and out of reach of the API, which runs in another process.
- `shipment_tracking`: tracking events leave the shipment's JSON list for a table of their
  own, whose unique (shipment, fingerprint) key refuses an event the shipment already has
  even when two identical posts race. The events stored so far are moved over, each
  shipment's duplicates dropped first (the earliest stored is kept), so the key cannot fail
  on old data. The downgrade puts them back as JSON lists.
- `returns`: indexes on `rma` and `created_at`, how returns are looked up and listed.

The fingerprint is computed here as `engine.adapters.repositories` computes it; a migration
keeps its own copy so that later changes to the code do not change what it did.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("partition_key", sa.String(200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_returns_rma"), "returns", ["rma"])
    op.create_index(op.f("ix_returns_created_at"), "returns", ["created_at"])
    _move_tracking_to_rows()


def downgrade() -> None:
    _move_tracking_to_json()
    op.drop_index(op.f("ix_returns_created_at"), table_name="returns")
    op.drop_index(op.f("ix_returns_rma"), table_name="returns")
    op.drop_table("dead_letters")


# -- tracking -------------------------------------------------------------------------------


def _move_tracking_to_rows() -> None:
    bind = op.get_bind()
    stored = sa.table("fulfillment_orders", sa.column("id", sa.String()), sa.column("tracking"))
    timelines = [
        (shipment_id, _loaded(tracking))
        for shipment_id, tracking in bind.execute(
            sa.select(stored.c.id, stored.c.tracking).order_by(stored.c.id)
        )
    ]
    # The column goes before the new table refers to the shipments: SQLite drops a column by
    # copying the table, and dropping the old copy would cascade to the new table's rows.
    with op.batch_alter_table("fulfillment_orders") as batch:
        batch.drop_column("tracking")
    tracking = _create_tracking_table()
    rows = [row for shipment_id, events in timelines for row in _rows(shipment_id, events)]
    for start in range(0, len(rows), 1_000):
        op.bulk_insert(tracking, rows[start : start + 1_000])


def _create_tracking_table() -> sa.Table:
    return op.create_table(
        "shipment_tracking",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_shipment_tracking_shipment_id_fulfillment_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_tracking")),
        sa.UniqueConstraint(
            "shipment_id",
            "fingerprint",
            name=op.f("uq_shipment_tracking_shipment_id_fingerprint"),
        ),
    )


def _loaded(value: Any) -> list[dict[str, Any]]:
    """The stored JSON list (SQLite's driver may hand back its text)."""
    events = json.loads(value) if isinstance(value, str | bytes) else value
    return list(events or [])


def _rows(shipment_id: str, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A shipment's events as rows: duplicates dropped (the first stored kept), then in time
    order, stably, as the timeline reads them; ids are given in this order on insert."""
    seen: set[str] = set()
    kept = []
    for event in events:
        at = _utc(datetime.fromisoformat(event["at"]))
        code, description = str(event["code"]), str(event.get("description", ""))
        location = str(event.get("location", ""))
        fingerprint = _fingerprint(at, code, description, location)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        kept.append({
            "shipment_id": shipment_id, "at": _stored(at), "code": code,
            "description": description, "location": location, "fingerprint": fingerprint,
        })  # fmt: skip
    return sorted(kept, key=lambda row: _utc(row["at"]))


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _stored(at: datetime) -> datetime:
    # As orm.UTCDateTime writes it: SQLite keeps UTC without a zone.
    return at.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else at


def _fingerprint(at: datetime, code: str, description: str, location: str) -> str:
    key = json.dumps([at.isoformat(), code, description, location], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()


def _move_tracking_to_json() -> None:
    bind = op.get_bind()
    tracking = sa.table(
        "shipment_tracking",
        sa.column("id", sa.Integer()),
        sa.column("shipment_id", sa.String()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("code", sa.Text()),
        sa.column("description", sa.Text()),
        sa.column("location", sa.Text()),
    )
    timelines: dict[str, list[dict[str, Any]]] = {}
    for row in bind.execute(
        sa.select(tracking).order_by(tracking.c.shipment_id, tracking.c.at, tracking.c.id)
    ):
        timelines.setdefault(row.shipment_id, []).append({
            "at": _utc(_as_datetime(row.at)).isoformat(), "code": row.code,
            "description": row.description, "location": row.location,
        })  # fmt: skip
    op.drop_table("shipment_tracking")
    op.add_column(
        "fulfillment_orders",
        sa.Column("tracking", _JSON, nullable=False, server_default="[]"),
    )
    stored = sa.table("fulfillment_orders", sa.column("id", sa.String()), sa.column("tracking"))
    statement = (
        sa.update(stored)
        .where(stored.c.id == sa.bindparam("shipment_id"))
        .values(tracking=sa.bindparam("events", type_=_JSON))
    )
    payload = [{"shipment_id": key, "events": events} for key, events in timelines.items()]
    if payload:
        bind.execute(statement, payload)
    # 0001 made the column without a default; put it back as it was.
    with op.batch_alter_table("fulfillment_orders") as batch:
        batch.alter_column("tracking", server_default=None, existing_type=_JSON)


def _as_datetime(value: datetime | str) -> datetime:
    """SQLite's driver hands a column typed only here back as its text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
