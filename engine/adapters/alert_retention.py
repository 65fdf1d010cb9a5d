"""Alerts kept for ORDO_ALERT_RETENTION_DAYS: the worker's `Janitor` deletes the old ones.

An alert's message is sealed with ORDO_DATA_KEYS, and erasing a customer reads every sealed
alert message to find theirs, so alerts are not kept for ever. `SqlAlertPurge.purge` deletes
the alerts that are closed or acknowledged (an open one waits for a person, however old) and
that nothing has changed since the cut-off: raised, last fired, acknowledged and closed
before it. With each go the rows about it in `tickets` (its helpdesk ticket's link, whose
subject is the alert's text; the ticket itself stays in the helpdesk, and an update it
reports later is answered as about a ticket Ordo did not open). Nothing else references an
alert; its audit entries are never deleted (the audit log is append-only), and they keep its
id from being given to a later alert (`engine.service_layer.alerts._next_alert_id`): a
closed or acknowledged alert always has one.

It works in batches, each a transaction of its own: a batch's alerts are deleted by one
statement that tests them again (a repeat written since the batch was read keeps its alert;
the alert rows are versioned, so a repeat that read one before it was deleted is refused at
its commit, tried again, and opens a new alert), and their tickets go with them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select

from engine.adapters.orm import alerts, tickets
from engine.domain.operations import AlertStatus

# Alerts deleted per transaction, and transactions per run: a backlog (the first run after an
# upgrade) drains over the Janitor's runs instead of holding one long transaction.
BATCH = 500
MAX_BATCHES = 20


class SqlAlertPurge:
    """The `Purge` of the Janitor's alerts (module doc)."""

    def __init__(self, engine: Engine, batch: int = BATCH, max_batches: int = MAX_BATCHES) -> None:
        self.engine = engine
        self.batch = batch
        self.max_batches = max_batches

    def purge(self, before: datetime) -> int:
        """Delete up to `batch` x `max_batches` alerts closed or acknowledged, unchanged
        since `before`, with their tickets; how many alerts were deleted."""
        deleted = 0
        for _ in range(self.max_batches):
            with self.engine.begin() as connection:
                ids = list(
                    connection.execute(
                        select(alerts.c.id)
                        .where(_expired(before))
                        .order_by(alerts.c.created_at, alerts.c.id)
                        .limit(self.batch)
                    ).scalars()
                )
                if not ids:
                    break
                gone = list(
                    connection.execute(
                        delete(alerts)
                        .where(and_(alerts.c.id.in_(ids), _expired(before)))
                        .returning(alerts.c.id)
                    ).scalars()
                )
                if gone:
                    connection.execute(
                        delete(tickets).where(
                            and_(tickets.c.entity == "alert", tickets.c.entity_id.in_(gone))
                        )
                    )
            deleted += len(gone)
            if len(ids) < self.batch:
                break
        return deleted


def _expired(before: datetime) -> ColumnElement[bool]:
    """Closed or acknowledged, and nothing about it changed since `before`."""
    a = alerts.c
    return and_(
        a.status.in_([AlertStatus.CLOSED.value, AlertStatus.ACKNOWLEDGED.value]),
        func.coalesce(a.last_seen_at, a.created_at) < before,
        a.created_at < before,
        or_(a.acknowledged_at.is_(None), a.acknowledged_at < before),
        or_(a.closed_at.is_(None), a.closed_at < before),
    )
