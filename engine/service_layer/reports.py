"""Reports: the day's operational figures, and the five reports over a period of days.

Every figure is counted exactly from aggregates the store computes (`analytics.ReportQueries`,
`uow.reports`): no estimate, no sample, and no order loaded to count it. Rates come with the
two counts they divide, so a reader can check them; money is per currency, never summed
across currencies. The definitions are in each dataclass's docstring and in docs/api.md.

`daily_kpis(uow, day, now)` answers the questions an operations lead asks each morning, with
days running midnight to midnight UTC:

- orders in: orders received that day; of those, how many are now held, backordered,
  rejected or cancelled (a cohort: each order counts once, by where it stands now);
  `backordered` is by the order's status (waiting whole), `partly_backordered` the orders on
  their way (`ON_ITS_WAY`) with a line still waiting for stock, so no order counts in both;
- late shipments: shipments promised for that day that had not shipped by its end
  (shipped later, or still not shipped once the day is over), cancelled ones aside.

The period reports (`sales`, `fulfilment`, `operations`, `customers`, `inventory`) take an
`analytics.Period`. Read only: nothing here changes state.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from engine.domain.orders import ON_ITS_WAY, LineStatus, OrderStatus
from engine.domain.values import money
from engine.service_layer.analytics import (
    CustomerRevenue,
    CycleRow,
    LineSum,
    LocationRow,
    OrderCount,
    Period,
    SkuUnits,
    queries_of,
)
from engine.service_layer.inventory import ReorderSuggestion, reorder_suggestions
from engine.service_layer.unit_of_work import UnitOfWork

TOP = 10  # top SKUs, top customers per currency
TOP_MOVERS = 100  # SKUs in the inventory report's cover and turnover list
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- the day's KPIs ---------------------------------------------------------------------------


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


def status_counts(uow: UnitOfWork, day: date) -> Counter[OrderStatus]:
    """How many orders received on `day` stand in each status now: one GROUP BY."""
    start, end = _bounds(day)
    counts: Counter[OrderStatus] = Counter()
    for row in queries_of(uow).order_counts(start, end):
        counts[OrderStatus(row.status)] += row.orders
    return counts


def partly_backordered(uow: UnitOfWork, day: date) -> int:
    """Orders received on `day` that are on their way with a line still backordered: shipped
    or shipping in part, the rest waiting for stock."""
    start, end = _bounds(day)
    return uow.orders.count_with_line_status(
        LineStatus.BACKORDERED, statuses=ON_ITS_WAY, created_from=start, created_to=end
    )


def late_shipments(uow: UnitOfWork, day: date, now: datetime) -> int:
    """Shipments promised for `day` that had not shipped by its end (as of `now`): one
    count over the shipments promised that day, not a read of every shipment."""
    return queries_of(uow).late_promised_on(day, now)


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


# --- shared figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """`count` of `of`, and their quotient rounded to four places (None when `of` is 0)."""

    count: int
    of: int

    @property
    def rate(self) -> float | None:
        return round(self.count / self.of, 4) if self.of else None


def _mean(total: float, count: int, places: int = 2) -> float | None:
    return round(total / count, places) if count else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


@dataclass(frozen=True)
class CycleTime:
    """Orders created in the period that are now shipped or delivered, and the hours from
    each one's creation to the moment its last shipment shipped: the mean, and the 90th
    percentile by nearest rank (the smallest time at least 90% of them took no longer than)."""

    orders: int
    mean_hours: float | None
    p90_hours: float | None

    @classmethod
    def of(cls, row: CycleRow) -> CycleTime:
        mean = row.total_seconds / row.orders if row.orders else None
        return cls(row.orders, _hours(mean), _hours(row.p90_seconds))


def _per_currency(amounts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {currency: money(amounts[currency]) for currency in sorted(amounts)}


# --- orders and sales -------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesDay:
    day: date
    orders: int
    units: int
    revenue: dict[str, Decimal]


@dataclass(frozen=True)
class ChannelSales:
    """A channel's orders; `cancelled` and `rejected` are of its orders, by status now."""

    channel: str
    orders: int
    units: int
    revenue: dict[str, Decimal]
    cancelled: Ratio
    rejected: Ratio


@dataclass(frozen=True)
class SalesReport:
    """Orders created in the period, by where each stands now.

    `orders` counts every one; `units` and `revenue` count the lines of those not rejected,
    each line's units ordered less its units cancelled, at the line's price (ordered revenue,
    not what was invoiced or refunded), per currency. `average_order_value` is revenue over
    `revenue_orders`, the orders of that currency with at least one unit not cancelled.
    `by_status` names every status, 0 included; `days` every day of the period."""

    period: Period
    orders: int
    units: int
    revenue: dict[str, Decimal]
    revenue_orders: dict[str, int]
    average_order_value: dict[str, Decimal]
    by_status: dict[str, int]
    days: list[SalesDay]
    channels: list[ChannelSales]
    top_skus: list[SkuUnits]


def _sum_lines(rows: Sequence[LineSum]) -> tuple[int, dict[str, Decimal]]:
    units, revenue = 0, defaultdict[str, Decimal](Decimal)
    for row in rows:
        units += row.units
        revenue[row.currency] += row.revenue
    return units, _per_currency(revenue)


def _channel(channel: str, counts: Sequence[OrderCount], lines: Sequence[LineSum]) -> ChannelSales:
    orders = sum(row.orders for row in counts)
    by_status = Counter[str]()
    for row in counts:
        by_status[row.status] += row.orders
    units, revenue = _sum_lines(lines)
    return ChannelSales(
        channel,
        orders,
        units,
        revenue,
        Ratio(by_status[OrderStatus.CANCELLED.value], orders),
        Ratio(by_status[OrderStatus.REJECTED.value], orders),
    )


def sales(uow: UnitOfWork, period: Period) -> SalesReport:
    with uow:
        queries = queries_of(uow)
        counts = queries.order_counts(period.start, period.end)
        lines = queries.line_sums(period.start, period.end)
        top = list(queries.top_skus(period.start, period.end, TOP))
    units, revenue = _sum_lines(lines)
    revenue_orders = Counter[str]()
    for line in lines:
        revenue_orders[line.currency] += line.orders_with_units
    statuses = Counter[str]()
    for row in counts:
        statuses[row.status] += row.orders
    days = []
    for day in period.each_day():
        day_lines = [row for row in lines if row.day == day]
        day_units, day_revenue = _sum_lines(day_lines)
        orders = sum(row.orders for row in counts if row.day == day)
        days.append(SalesDay(day, orders, day_units, day_revenue))
    channels = sorted({row.channel for row in counts})
    return SalesReport(
        period=period,
        orders=sum(statuses.values()),
        units=units,
        revenue=revenue,
        revenue_orders={c: revenue_orders[c] for c in sorted(revenue_orders)},
        average_order_value={
            c: money(amount / revenue_orders[c])
            for c, amount in revenue.items()
            if revenue_orders[c]
        },
        by_status={str(status): statuses[str(status)] for status in OrderStatus},
        days=days,
        channels=[
            _channel(
                name,
                [row for row in counts if row.channel == name],
                [row for row in lines if row.channel == name],
            )
            for name in channels
        ],
        top_skus=top,
    )


# --- fulfilment and shipping ------------------------------------------------------------------


@dataclass(frozen=True)
class CarrierFigures:
    """Shipments of one carrier and service created in the period, cancelled ones aside.
    `shipping_cost` sums their rates (as quoted by the rate cards), `mean_cost` over them;
    `on_time` counts those shipped on or before their promised day (UTC) among those shipped
    with a promised date; `mean_transit_days` is from shipped to delivered, over `delivered`."""

    carrier: str
    service: str
    shipments: int
    shipping_cost: Decimal
    mean_cost: Decimal | None
    on_time: Ratio
    delivered: int
    mean_transit_days: float | None


@dataclass(frozen=True)
class SplitFigures:
    """Orders created in the period with at least one shipment (cancelled shipments aside):
    `split` counts those with two or more; `shipments` is their shipments."""

    orders: int
    split: Ratio
    shipments: int

    @property
    def shipments_per_order(self) -> float | None:
        return _mean(self.shipments, self.orders)


@dataclass(frozen=True)
class FulfilmentReport:
    """Shipments created in the period: `shipments` counts those not cancelled (the figures
    below are of those), `cancelled` the rest."""

    period: Period
    shipments: int
    cancelled: int
    units: int
    carriers: list[CarrierFigures]
    locations: list[LocationRow]  # shipments and units by location
    split: SplitFigures
    cycle_time: CycleTime


def fulfilment(uow: UnitOfWork, period: Period) -> FulfilmentReport:
    start, end = period.start, period.end
    with uow:
        queries = queries_of(uow)
        carriers = queries.carriers(start, end)
        cancelled = queries.cancelled_shipments(start, end)
        locations = queries.locations(start, end)
        split = queries.split(start, end)
        cycle = queries.cycle_times(start, end)
    return FulfilmentReport(
        period=period,
        shipments=sum(row.shipments for row in carriers),
        cancelled=cancelled,
        units=sum(row.units for row in locations),
        carriers=[
            CarrierFigures(
                carrier=row.carrier,
                service=row.service,
                shipments=row.shipments,
                shipping_cost=money(row.cost),
                mean_cost=money(row.cost / row.shipments) if row.shipments else None,
                on_time=Ratio(row.on_time, row.shipped_with_promise),
                delivered=row.delivered,
                mean_transit_days=_mean(row.transit_seconds / 86400, row.delivered),
            )
            for row in carriers
        ],
        locations=list(locations),
        split=SplitFigures(split.orders, Ratio(split.split_orders, split.orders), split.shipments),
        cycle_time=CycleTime.of(cycle),
    )


# --- operational KPIs -------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderDefects:
    """Orders created in the period, rejected ones aside (`orders`), with a defect: a
    shipment cancelled (for any cause: the order's cancellation, a change or an expired
    reservation that had it decided again; Ordo does not record who asked), a shipment late
    (as of the report), or a return not rejected with a line whose reason says damage, a
    defect, broken, faulty or wrong item. `defective` counts each order once, whatever the
    number of its defects; the three counts beside it may overlap."""

    orders: int
    cancelled_shipment: int
    late_shipment: int
    defect_return: int
    defective: Ratio


@dataclass(frozen=True)
class OrderAccuracy:
    """Orders created in the period (rejected ones aside) that have shipped (a shipment with
    a ship time), and those of them with a return, not rejected, whose reason says wrong
    item: accuracy is 1 - wrong_item / shipped."""

    shipped: int
    wrong_item: int

    @property
    def rate(self) -> float | None:
        return round(1 - self.wrong_item / self.shipped, 4) if self.shipped else None


@dataclass(frozen=True)
class OperationsReport:
    """`late_shipments`: shipments created in the period with a promised date, cancelled ones
    aside, and how many are late as of `today` (shipped on a later day than promised, or not
    shipped with the promised day over)."""

    period: Period
    today: date
    cycle_time: CycleTime
    late_shipments: Ratio
    order_defects: OrderDefects
    order_accuracy: OrderAccuracy


def operations(uow: UnitOfWork, period: Period, now: datetime) -> OperationsReport:
    start, end, today = period.start, period.end, now.astimezone(UTC).date()
    with uow:
        queries = queries_of(uow)
        cycle = queries.cycle_times(start, end)
        late = queries.late(start, end, today)
        defects = queries.defects(start, end, today)
    return OperationsReport(
        period=period,
        today=today,
        cycle_time=CycleTime.of(cycle),
        late_shipments=Ratio(late.late, late.with_promise),
        order_defects=OrderDefects(
            defects.orders,
            defects.cancelled_shipment,
            defects.late_shipment,
            defects.defect_return,
            Ratio(defects.defective, defects.orders),
        ),
        order_accuracy=OrderAccuracy(defects.shipped, defects.wrong_item),
    )


# --- customers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomersReport:
    """Customers by their orders created in the period, rejected ones aside. `new`: no such
    order before the period (their first order ever is in it); `returning`: the others.
    `repeat`: customers with two or more orders in the period. `top_customers`: per currency,
    the ten with the most revenue (as in the sales report). `by_weekday` (Monday first) and
    `by_hour` (0 to 23) count orders by when they were created, in UTC."""

    period: Period
    customers: int
    new: int
    returning: int
    orders: int
    repeat: Ratio
    top_customers: dict[str, list[CustomerRevenue]]
    by_weekday: dict[str, int]
    by_hour: list[int]

    @property
    def orders_per_customer(self) -> float | None:
        return _mean(self.orders, self.customers)


def customers(uow: UnitOfWork, period: Period) -> CustomersReport:
    start, end = period.start, period.end
    with uow:
        queries = queries_of(uow)
        figures = queries.customers(start, end)
        top = {
            currency: [
                replace(row, revenue=money(row.revenue))
                for row in queries.top_customers(start, end, currency, TOP)
            ]
            for currency in queries.currencies(start, end)
        }
        times = queries.order_times(start, end)
    weekdays, hours = [0] * 7, [0] * 24
    for row in times:
        weekdays[row.weekday - 1] += row.orders
        hours[row.hour] += row.orders
    return CustomersReport(
        period=period,
        customers=figures.customers,
        new=figures.new,
        returning=figures.customers - figures.new,
        orders=figures.orders,
        repeat=Ratio(figures.repeat, figures.customers),
        top_customers=top,
        by_weekday=dict(zip(WEEKDAYS, weekdays, strict=True)),
        by_hour=hours,
    )


# --- inventory --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationInventory:
    location_code: str
    skus: int
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class SkuCover:
    """A SKU that shipped in the period: its units shipped then, its stock now (every
    location), `days_of_cover` = available / (units shipped / days of the period), and
    `turnover` = units shipped / on hand now (None when nothing is on hand)."""

    sku: str
    units_shipped: int
    on_hand: int
    available: int
    days_of_cover: float | None
    turnover: float | None


@dataclass(frozen=True)
class InventoryReport:
    """Stock as it stands now (Ordo keeps no history of stock levels, so there is no opening
    or average stock to compare with) beside what shipped in the period (shipments by their
    ship time). `turnover` = units shipped in the period / units on hand now: a stand-in for
    the textbook ratio (cost of goods sold over average inventory), named for what it is.
    `skus` lists the `TOP_MOVERS` SKUs that shipped most units; `replenishment` the reorder
    suggestions at or below their reorder point (`GET /v1/inventory/reorder-suggestions`)."""

    period: Period
    today: date
    on_hand: int
    reserved: int
    available: int
    units_shipped: int
    locations: list[LocationInventory]
    skus: list[SkuCover]
    replenishment: list[ReorderSuggestion]

    @property
    def turnover(self) -> float | None:
        return round(self.units_shipped / self.on_hand, 4) if self.on_hand else None


def _cover(available: int, shipped: int, days: int) -> float | None:
    return round(available / (shipped / days), 1) if shipped else None


def inventory(uow: UnitOfWork, period: Period, now: datetime) -> InventoryReport:
    start, end, today = period.start, period.end, now.astimezone(UTC).date()
    with uow:
        queries = queries_of(uow)
        stock = queries.stock_by_location()
        shipped = queries.units_shipped(start, end)
        movers = queries.top_shipped(start, end, TOP_MOVERS)
        held = queries.stock_of([row.sku for row in movers])
    # Reused as the inventory API serves it (its own transaction): the rows it would list.
    replenishment = [row for row in reorder_suggestions(uow, today) if row.suggested_quantity]
    skus = []
    for row in movers:
        on_hand = held[row.sku].on_hand if row.sku in held else 0
        available = held[row.sku].available if row.sku in held else 0
        skus.append(
            SkuCover(
                row.sku,
                row.units,
                on_hand,
                available,
                _cover(available, row.units, period.days),
                round(row.units / on_hand, 4) if on_hand else None,
            )
        )
    return InventoryReport(
        period=period,
        today=today,
        on_hand=sum(row.on_hand for row in stock),
        reserved=sum(row.reserved for row in stock),
        available=sum(row.available for row in stock),
        units_shipped=shipped,
        locations=[
            LocationInventory(r.location_code, r.skus, r.on_hand, r.reserved, r.available)
            for r in stock
        ],
        skus=skus,
        replenishment=replenishment,
    )
