"""The store's side of the worker's tracking poll: a carrier's shipments it has gone quiet on.

`silent_with_carrier` is the poll's `SilentQuery` (`engine.service_layer.carrier_polls`): the
shipments with the carrier (`shipped`) under a tracking number, whose last news (their latest
scan, else their shipping) is older than a moment, the longest silent first. SQL stores
answer with one statement: the shipped ones of the carrier (a range of the
(status, promised_date) index), each one's latest scan read by a correlated MAX over its own
`shipment_tracking` rows, so only the candidates' scans are read, never every shipment's.
Any other store (the in-memory one) is read the slow way, by the service layer's own
`silent_the_slow_way`. Kept out of `repositories.py` so the repository interface does not
grow for one caller, as `shipment_queries` is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from engine.adapters.orm import fulfillment_orders, shipment_tracking
from engine.adapters.repositories import SqlShipments
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.service_layer.carrier_polls import silent_the_slow_way
from engine.service_layer.unit_of_work import ShipmentRepository


def silent_with_carrier(
    shipments: ShipmentRepository, code: str, before: datetime, limit: int
) -> Sequence[FulfillmentOrder]:
    """Carrier `code`'s shipped shipments not heard of since `before`, longest silent first
    (ties by id), at most `limit`."""
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
            )
        )
        .order_by(news, f.id)
        .limit(limit)
    )
    return shipments._run(stmt)
