"""Shipment queries for the worker's lateness clock, answered by the store instead of a scan.

`open_past_promise` finds the shipments still open (neither delivered nor cancelled) whose
promised date has passed: the clock used to page through every shipment ever made each
minute, which grows without end while the late ones stay a handful. SQL stores answer with
one WHERE on status and promised date; the in-memory store filters its rows the same way.
Kept out of `repositories.py` so the repository interface does not grow for one caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_

from engine.adapters.memory import MemoryShipments
from engine.adapters.repositories import SqlShipments
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.service_layer.unit_of_work import ShipmentRepository

CLOSED = (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)


def open_past_promise(
    shipments: ShipmentRepository, today: date, limit: int = 500, offset: int = 0
) -> Sequence[FulfillmentOrder]:
    """Open shipments promised before `today`, oldest created first (like `list`)."""
    if isinstance(shipments, SqlShipments):
        c = shipments.table.c
        where = and_(
            c.promised_date.is_not(None),
            c.promised_date < today,
            c.status.not_in([status.value for status in CLOSED]),
        )
        return shipments._query(where, limit=limit, offset=offset)
    if isinstance(shipments, MemoryShipments):
        return shipments._select(
            where=lambda s: s.is_late(today), limit=limit, offset=offset
        )
    # Any other store: the same answer the slow way.
    late: list[FulfillmentOrder] = []
    page_offset = 0
    while True:
        page = shipments.list(limit=500, offset=page_offset)
        late += [s for s in page if s.is_late(today)]
        if len(page) < 500:
            return late[offset : offset + limit]
        page_offset += 500
