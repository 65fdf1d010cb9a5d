"""Operational figures for one day, counted exactly from the repositories (no estimates).

`daily_kpis(uow, day)` answers the questions an operations lead asks each morning, with days
running midnight to midnight UTC:

- orders in: orders received that day; of those, how many are now held, backordered,
  rejected or cancelled (a cohort: each order counts once, by where it stands now);
  `backordered` is by the order's status (waiting whole), `partly_backordered` the orders on
  their way (`ON_ITS_WAY`) with a line still waiting for stock, so no order counts in both;
- late shipments: shipments promised for that day that had not shipped by its end
  (shipped later, or still not shipped once the day is over), cancelled ones aside.

Read only: nothing here changes state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.domain.orders import ON_ITS_WAY, LineStatus, OrderStatus
from engine.service_layer.unit_of_work import UnitOfWork

# Orders and shipments are read in pages of this many, so a busy day never loads at once.
PAGE = 1_000


@dataclass(frozen=True)
class DailyKpis:
    day: date
    orders_in: int
    held: int
    backordered: int
    partly_backordered: int
    rejected: int
    cancelled: int
    late_shipments: int


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _is_late_for(shipment: FulfillmentOrder, day: date, now: datetime) -> bool:
    if shipment.promised_date != day or shipment.status is ShipmentStatus.CANCELLED:
        return False
    shipped = shipment.shipped_at
    if shipped is None:
        # Not late yet while the day it was promised for is still running.
        return now >= _bounds(day)[1]
    return shipped.astimezone(UTC).date() > day


def status_counts(uow: UnitOfWork, day: date) -> Counter[OrderStatus]:
    """How many orders received on `day` stand in each status now."""
    start, end = _bounds(day)
    counts: Counter[OrderStatus] = Counter()
    offset = 0
    while True:
        page = uow.orders.search(created_from=start, created_to=end, limit=PAGE, offset=offset)
        counts.update(order.status for order in page)
        if len(page) < PAGE:
            return counts
        offset += PAGE


def partly_backordered(uow: UnitOfWork, day: date) -> int:
    """Orders received on `day` that are on their way with a line still backordered: shipped
    or shipping in part, the rest waiting for stock."""
    start, end = _bounds(day)
    return uow.orders.count_with_line_status(
        LineStatus.BACKORDERED, statuses=ON_ITS_WAY, created_from=start, created_to=end
    )


def late_shipments(uow: UnitOfWork, day: date, now: datetime) -> int:
    """Shipments promised for `day` that had not shipped by its end (as of `now`)."""
    late = 0
    offset = 0
    while True:
        page = uow.shipments.list(limit=PAGE, offset=offset)
        late += sum(1 for shipment in page if _is_late_for(shipment, day, now))
        if len(page) < PAGE:
            return late
        offset += PAGE


def daily_kpis(uow: UnitOfWork, day: date, now: datetime) -> DailyKpis:
    with uow:
        counts = status_counts(uow, day)
        return DailyKpis(
            day=day,
            orders_in=sum(counts.values()),
            held=counts[OrderStatus.HELD],
            backordered=counts[OrderStatus.BACKORDERED],
            partly_backordered=partly_backordered(uow, day),
            rejected=counts[OrderStatus.REJECTED],
            cancelled=counts[OrderStatus.CANCELLED],
            late_shipments=late_shipments(uow, day, now),
        )
