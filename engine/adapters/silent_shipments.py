"""The store's side of the worker's tracking poll: a carrier's shipments it has gone quiet on,
and the claim of those the poll is about to ask about.

`silent_with_carrier` is the poll's `SilentQuery` (`engine.service_layer.carrier_polls`): the
shipments with the carrier (`shipped`) under a tracking number, whose last news (their latest
scan, else their shipping) is older than a moment and that the poll has not asked about since
then either (`tracking_polled_at`), the longest silent first. SQL stores answer with one
statement: the shipped ones of the carrier (a range of the (status, promised_date) index),
each one's latest scan read by a correlated MAX over its own `shipment_tracking` rows, so
only the candidates' scans are read, never every shipment's.

`claim_for_poll` is its `PollClaim`: one conditional `UPDATE ... RETURNING` sets
`tracking_polled_at` on those of the shipments not asked since the moment, and answers which
it set. Two worker processes racing for the same shipments each claim a part of them, never
the same one twice: on PostgreSQL the second UPDATE waits for the first's row locks and reads
its `tracking_polled_at` again before setting it; SQLite runs one writer at a time.
`release_poll` hands back a claim the carrier could not be asked about.

Any other store (the in-memory one) is read and claimed the slow way, by the service layer's
own functions. Kept out of `repositories.py` so the repository interface does not grow for
one caller, as `shipment_queries` is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update

from engine.adapters.orm import fulfillment_orders, shipment_tracking
from engine.adapters.repositories import SqlShipments
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.service_layer.carrier_polls import (
    claim_the_slow_way,
    release_the_slow_way,
    silent_the_slow_way,
)
from engine.service_layer.unit_of_work import ShipmentRepository


def silent_with_carrier(
    shipments: ShipmentRepository, code: str, before: datetime, limit: int
) -> Sequence[FulfillmentOrder]:
    """Carrier `code`'s shipped shipments neither heard of nor asked about since `before`,
    longest silent first (ties by id), at most `limit`."""
    if not isinstance(shipments, SqlShipments):
        return silent_the_slow_way(shipments, code, before, limit)
    f, t = fulfillment_orders.c, shipment_tracking.c
    last_scan = select(func.max(t.at)).where(t.shipment_id == f.id).scalar_subquery()
    shipped = func.coalesce(f.shipped_at, f.created_at)
    news = case((last_scan > shipped, last_scan), else_=shipped)
    stmt = (
        select(fulfillment_orders)
        .where(
            and_(
                f.status == ShipmentStatus.SHIPPED.value,
                f.carrier == code,
                f.tracking_number != "",
                shipped < before,
                or_(last_scan.is_(None), last_scan < before),
                _not_asked_since(before),
            )
        )
        .order_by(news, f.id)
        .limit(limit)
    )
    return shipments._run(stmt)


def claim_for_poll(
    shipments: ShipmentRepository, ids: Collection[str], at: datetime, before: datetime
) -> set[str]:
    """Of the shipments `ids`, those the poll had not asked about since `before`, now marked
    asked `at`: the ones this caller is to ask about (module doc)."""
    if not isinstance(shipments, SqlShipments):
        return claim_the_slow_way(shipments, ids, at, before)
    f = fulfillment_orders.c
    stmt = (
        update(fulfillment_orders)
        .where(and_(f.id.in_(list(ids)), _not_asked_since(before)))
        .values(tracking_polled_at=at)
        .returning(f.id)
    )
    return set(shipments._execute(stmt).scalars())


def release_poll(shipments: ShipmentRepository, ids: Collection[str], at: datetime) -> None:
    """The claim made `at` on the shipments `ids` given back: never asked, as far as the poll
    knows (a claim another process has made since is left as it is)."""
    if not isinstance(shipments, SqlShipments):
        release_the_slow_way(shipments, ids, at)
        return
    f = fulfillment_orders.c
    shipments._execute(
        update(fulfillment_orders)
        .where(and_(f.id.in_(list(ids)), f.tracking_polled_at == at))
        .values(tracking_polled_at=None)
    )


def _not_asked_since(before: datetime) -> ColumnElement[bool]:
    f = fulfillment_orders.c
    return or_(f.tracking_polled_at.is_(None), f.tracking_polled_at < before)
