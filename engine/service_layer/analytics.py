"""The read side the period reports stand on: the period, and the port its queries implement.

Reports run against databases of millions of orders, so every figure is an aggregate the
store computes (GROUP BY, COUNT, SUM) and hands back as a few small rows; nothing here loads
an order entity. `ReportQueries` names those aggregates; `engine.adapters.report_queries`
implements it twice, in SQL (SQLite and PostgreSQL) and over the in-memory unit of work's
rows, and each adapter's unit of work offers its implementation as `uow.reports`, built on
the transaction's session (`queries_of` reads it). `engine.service_layer.reports` composes
the rows into the reports.

The definitions every implementation follows, so that both give the same figures:

- A day is midnight to midnight UTC; an order belongs to the day of its `created_at`.
- Units of a line are `quantity - quantity_cancelled`; its revenue is `price` times those
  units. Lines of rejected orders count for neither (those orders were never accepted).
- A shipment is late when it has a promised date, is not cancelled, and either shipped on a
  later day (UTC) than promised, or has not shipped and the promised day is over (`today`
  is after it). It is on time when it shipped on or before its promised day. A pickup
  (click and collect) never ships: it is late while it is not yet packed and the promised
  day is over; once packed it waits at the counter for the customer, and neither that wait
  nor its collection makes it late.
- A defect return is a return, not rejected, with a line whose reason contains (in any
  case) one of `DEFECT_WORDS`; a wrong-item return one whose reason contains `WRONG_ITEM`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from engine.domain.errors import DomainError
from engine.service_layer.unit_of_work import UnitOfWork

# The longest period a report covers: a year, a leap day included.
MAX_DAYS = 366
# What a report covers when the caller names no days: the last 30, today included.
DEFAULT_DAYS = 30

# Return reasons are free text (`ReturnLine.reason`); these words in one make it a defect.
WRONG_ITEM = "wrong item"
DEFECT_WORDS = ("damage", "defect", "broken", "faulty", WRONG_ITEM)


def says_defect(reason: str) -> bool:
    text = reason.lower()
    return any(word in text for word in DEFECT_WORDS)


def says_wrong_item(reason: str) -> bool:
    return WRONG_ITEM in reason.lower()


class InvalidPeriod(DomainError):
    """A period that cannot be reported; `parameters` says what is wrong with each query
    parameter at fault (`from`, `to`), so the API can name both."""

    code = "invalid_period"

    def __init__(self, message: str, parameters: dict[str, str]) -> None:
        super().__init__(message)
        self.parameters = parameters


@dataclass(frozen=True)
class Period:
    """The days `first` to `last`, both included, in UTC."""

    first: date
    last: date

    @classmethod
    def of(cls, first: date | None, last: date | None, today: date) -> Period:
        """The period the caller asked for: `last` defaults to today, `first` to the 30 days
        ending on `last`. Refused when it runs backwards or spans more than `MAX_DAYS`."""
        last = last or today
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if last < first:
            raise InvalidPeriod(
                f"the period runs backwards: 'to' ({last}) is before 'from' ({first})",
                {"from": f"is after 'to' ({last})", "to": f"is before 'from' ({first})"},
            )
        days = (last - first).days + 1
        if days > MAX_DAYS:
            longest = f"the period would be {days} days and a report covers at most {MAX_DAYS}"
            raise InvalidPeriod(
                f"the period from {first} to {last} is {days} days; a report covers at most "
                f"{MAX_DAYS}: move 'from' or 'to' closer",
                {"from": f"{first}: {longest}", "to": f"{last}: {longest}"},
            )
        return cls(first, last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first moment of the period (inclusive)."""
        return datetime.combine(self.first, time.min, UTC)

    @property
    def end(self) -> datetime:
        """The moment after the period (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, UTC)

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


# --- the rows the queries answer with ------------------------------------------------------


@dataclass(frozen=True)
class OrderCount:
    """Orders created on `day` through `channel` in `currency`, standing in `status` now."""

    day: date
    channel: str
    currency: str
    status: str
    orders: int


@dataclass(frozen=True)
class LineSum:
    """The lines of the orders created on `day` through `channel` in `currency`, rejected
    orders aside: units, revenue, and how many orders have at least one unit."""

    day: date
    channel: str
    currency: str
    units: int
    revenue: Decimal
    orders_with_units: int


@dataclass(frozen=True)
class SkuUnits:
    sku: str
    units: int
    orders: int


@dataclass(frozen=True)
class CarrierRow:
    """Shipments created in the period by carrier and service, cancelled ones aside."""

    carrier: str
    service: str
    shipments: int
    cost: Decimal
    shipped_with_promise: int
    on_time: int
    delivered: int
    transit_seconds: int  # summed over the delivered ones


@dataclass(frozen=True)
class LocationRow:
    """Shipments created in the period at a location, cancelled ones aside, and their units."""

    location_code: str
    shipments: int
    units: int


@dataclass(frozen=True)
class SplitRow:
    """Orders created in the period with at least one shipment (not cancelled): how many,
    how many of them have two or more, and their shipments."""

    orders: int
    split_orders: int
    shipments: int


@dataclass(frozen=True)
class CycleRow:
    """Orders created in the period and now shipped or delivered, with the time from creation
    to their last shipment's departure: how many, the sum of those times in whole seconds,
    and the 90th percentile by nearest rank (None without orders)."""

    orders: int
    total_seconds: int
    p90_seconds: int | None


@dataclass(frozen=True)
class LateRow:
    """Shipments created in the period with a promised date, cancelled ones aside; how many
    of them are late."""

    with_promise: int
    late: int


@dataclass(frozen=True)
class DefectRow:
    """Orders created in the period, rejected ones aside, and how many have a cancelled
    shipment, a late shipment, a defect return, any of the three; how many have shipped
    (a shipment with `shipped_at`) and how many of those have a wrong-item return."""

    orders: int
    cancelled_shipment: int
    late_shipment: int
    defect_return: int
    defective: int
    shipped: int
    wrong_item: int


@dataclass(frozen=True)
class CustomerRow:
    """Customers with an order created in the period (rejected ones aside): how many, how
    many had none before it (new), how many placed two or more in it, and their orders."""

    customers: int
    new: int
    repeat: int
    orders: int


@dataclass(frozen=True)
class CustomerRevenue:
    customer_id: str
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class WhenRow:
    """Orders created in the period on an ISO weekday (1 Monday .. 7 Sunday) at an hour UTC."""

    weekday: int
    hour: int
    orders: int


@dataclass(frozen=True)
class LocationStock:
    location_code: str
    skus: int
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class SkuShipped:
    sku: str
    units: int


@dataclass(frozen=True)
class SkuStock:
    sku: str
    on_hand: int
    available: int


class ReportQueries(abc.ABC):
    """The aggregates behind the reports, for orders (by `created_at`) and shipments in
    [`start`, `end`). Every answer is a handful of rows, however many orders there are."""

    @abc.abstractmethod
    def order_counts(self, start: datetime, end: datetime) -> Sequence[OrderCount]: ...

    @abc.abstractmethod
    def line_sums(self, start: datetime, end: datetime) -> Sequence[LineSum]: ...

    @abc.abstractmethod
    def top_skus(self, start: datetime, end: datetime, limit: int) -> Sequence[SkuUnits]:
        """SKUs by units on orders created in the period (rejected ones aside), most first,
        then by SKU; SKUs whose every unit was cancelled are left out."""

    @abc.abstractmethod
    def carriers(self, start: datetime, end: datetime) -> Sequence[CarrierRow]: ...

    @abc.abstractmethod
    def cancelled_shipments(self, start: datetime, end: datetime) -> int: ...

    @abc.abstractmethod
    def locations(self, start: datetime, end: datetime) -> Sequence[LocationRow]: ...

    @abc.abstractmethod
    def split(self, start: datetime, end: datetime) -> SplitRow: ...

    @abc.abstractmethod
    def cycle_times(self, start: datetime, end: datetime) -> CycleRow: ...

    @abc.abstractmethod
    def late(self, start: datetime, end: datetime, today: date) -> LateRow: ...

    @abc.abstractmethod
    def defects(self, start: datetime, end: datetime, today: date) -> DefectRow: ...

    @abc.abstractmethod
    def customers(self, start: datetime, end: datetime) -> CustomerRow: ...

    @abc.abstractmethod
    def currencies(self, start: datetime, end: datetime) -> Sequence[str]:
        """The currencies of the orders created in the period, rejected ones aside."""

    @abc.abstractmethod
    def top_customers(
        self, start: datetime, end: datetime, currency: str, limit: int
    ) -> Sequence[CustomerRevenue]:
        """Customers by revenue in `currency` on orders created in the period (rejected
        ones aside), most first, then by customer id; none without revenue."""

    @abc.abstractmethod
    def order_times(self, start: datetime, end: datetime) -> Sequence[WhenRow]: ...

    @abc.abstractmethod
    def stock_by_location(self) -> Sequence[LocationStock]:
        """Stock as it stands now, per location, by location code."""

    @abc.abstractmethod
    def top_shipped(self, start: datetime, end: datetime, limit: int) -> Sequence[SkuShipped]:
        """SKUs by units on the shipments that shipped (`shipped_at`) in the period, most
        first, then by SKU."""

    @abc.abstractmethod
    def units_shipped(self, start: datetime, end: datetime) -> int:
        """Units on the shipments that shipped (`shipped_at`) in the period."""

    @abc.abstractmethod
    def stock_of(self, skus: Sequence[str]) -> Mapping[str, SkuStock]:
        """Stock as it stands now of `skus`, summed over the locations holding them."""

    @abc.abstractmethod
    def late_promised_on(self, day: date, now: datetime) -> int:
        """Shipments promised for `day`, not cancelled, that had not shipped by its end (as
        of `now`: one not shipped is not late while the day lasts); a pickup packed or
        collected is not counted (it is the customer's to fetch)."""


def queries_of(uow: UnitOfWork) -> ReportQueries:
    """The report queries on `uow`'s open transaction (`uow.reports`, which each adapter's unit
    of work offers; the abstract unit of work does not declare it, so handlers that never
    report need not know of it)."""
    queries = getattr(uow, "reports", None)
    if not isinstance(queries, ReportQueries):
        raise TypeError(f"{type(uow).__name__} offers no report queries (uow.reports)")
    return queries
