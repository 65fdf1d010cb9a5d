"""The store's side of the note that ends a storm of repeats: the open alerts whose ticket
has not been told of all their repeats.

`untold_repeats` is the `StormQuery` of `engine.service_layer.tickets.StormEndNoter`: open
alerts with a ticket, a repeat note written (`noted_window`), more occurrences than that note
counted, and last seen before a moment, the longest quiet first. SQL stores answer with one
statement over the (status, last_seen_at) index: open alerts are few, and the rest of the
test (has their storm's window ended?) is the service layer's, on each one read.

Any other store (the in-memory one) is read the slow way, by the service layer's own
function. Kept out of `repositories.py` so the repository interface does not grow for one
caller, as `silent_shipments` is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, select

from engine.adapters.orm import alerts
from engine.adapters.repositories import SqlAlerts
from engine.domain.operations import Alert, AlertStatus
from engine.service_layer.tickets import untold_repeats_the_slow_way
from engine.service_layer.unit_of_work import AlertRepository


def untold_repeats(repository: AlertRepository, now: datetime, limit: int) -> Sequence[Alert]:
    """Open alerts with a ticket and repeats after their last note, last seen by `now`, the
    longest quiet first (ties by id), at most `limit`."""
    if not isinstance(repository, SqlAlerts):
        return untold_repeats_the_slow_way(repository, now, limit)
    a = alerts.c
    seen = func.coalesce(a.last_seen_at, a.created_at)
    stmt = (
        select(alerts)
        .where(
            and_(
                a.status == AlertStatus.OPEN.value,
                a.ticket_id.is_not(None),
                a.noted_window.is_not(None),
                a.occurrences > a.noted_occurrences,
                seen <= now,
            )
        )
        .order_by(seen, a.id)
        .limit(limit)
    )
    return repository._run(stmt)
