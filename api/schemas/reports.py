"""Operational reports as the API shows them: the day's KPIs and the reports over a period.

Money is a decimal string per currency (`{"USD": "1250.00"}`), never summed across
currencies. A rate comes with the two counts it divides (`{"count": 3, "of": 40, "rate":
0.075}`), `rate` rounded to four places and null when `of` is 0. The definitions behind each
figure are in engine/service_layer/reports.py and docs/api.md ("Reports").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from api.schemas.common import Out
from api.schemas.inventory import ReorderSuggestionOut
from engine.service_layer import reports
from engine.service_layer.analytics import Period, SkuUnits
from engine.service_layer.reports import DailyKpis

MONEY = {"USD": "1250.00", "EUR": "310.40"}


class DailyKpisOut(Out):
    """One day's figures (midnight to midnight UTC). The order counts are a cohort: orders
    received that day, by the status each stands in now."""

    date: date
    orders_in: int = Field(description="Orders received that day.", examples=[412])
    held: int = Field(description="Of those, held for review now.", examples=[3])
    backordered: int = Field(
        description="Of those, wholly backordered now: nothing of the order allocated yet.",
        examples=[7],
    )
    partly_backordered: int = Field(
        description="Of those, on their way with a line still waiting for stock (reserved to "
        "partially shipped; not counted in `backordered`).",
        examples=[4],
    )
    rejected: int = Field(description="Of those, rejected.", examples=[2])
    cancelled: int = Field(description="Of those, cancelled.", examples=[5])
    late_shipments: int = Field(
        description="Shipments promised for that day that had not shipped by its end.",
        examples=[4],
    )

    @classmethod
    def of(cls, kpis: DailyKpis) -> DailyKpisOut:
        return cls(
            date=kpis.day,
            orders_in=kpis.orders_in,
            held=kpis.held,
            backordered=kpis.backordered,
            partly_backordered=kpis.partly_backordered,
            rejected=kpis.rejected,
            cancelled=kpis.cancelled,
            late_shipments=kpis.late_shipments,
        )


# --- shared pieces ---------------------------------------------------------------------------


class PeriodOut(Out):
    """The days reported, both included, in UTC."""

    from_: date = Field(alias="from", examples=["2026-11-01"])
    to: date = Field(examples=["2026-11-30"])
    days: int = Field(examples=[30])

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls.model_validate({"from": period.first, "to": period.last, "days": period.days})


class RatioOut(Out):
    """`count` of `of`; `rate` = count / of, rounded to four places (null when `of` is 0)."""

    count: int = Field(examples=[3])
    of: int = Field(examples=[40])
    rate: float | None = Field(examples=[0.075])

    @classmethod
    def from_ratio(cls, ratio: reports.Ratio) -> RatioOut:
        return cls(count=ratio.count, of=ratio.of, rate=ratio.rate)


class CycleTimeOut(Out):
    """Orders created in the period that are now shipped or delivered: hours from each one's
    creation to its last shipment's departure."""

    orders: int = Field(description="Orders measured.", examples=[380])
    mean_hours: float | None = Field(description="Mean, null without orders.", examples=[26.4])
    p90_hours: float | None = Field(
        description="90th percentile by nearest rank: at least 90% of the orders took no "
        "longer. Null without orders.",
        examples=[51.0],
    )

    @classmethod
    def of(cls, cycle: reports.CycleTime) -> CycleTimeOut:
        return cls(orders=cycle.orders, mean_hours=cycle.mean_hours, p90_hours=cycle.p90_hours)


# --- orders and sales ------------------------------------------------------------------------


class SalesDayOut(Out):
    date: date
    orders: int = Field(examples=[41])
    units: int = Field(examples=[77])
    revenue: dict[str, Decimal] = Field(examples=[MONEY])


class ChannelSalesOut(Out):
    channel: str = Field(examples=["web"])
    orders: int = Field(examples=[300])
    units: int = Field(examples=[512])
    revenue: dict[str, Decimal] = Field(examples=[MONEY])
    cancelled: RatioOut = Field(description="Its orders cancelled now, of its orders.")
    rejected: RatioOut = Field(description="Its orders rejected, of its orders.")


class SkuUnitsOut(Out):
    sku: str = Field(examples=["SHOE-42"])
    units: int = Field(description="Units ordered less units cancelled.", examples=[120])
    orders: int = Field(description="Orders with at least one of those units.", examples=[97])

    @classmethod
    def of(cls, row: SkuUnits) -> SkuUnitsOut:
        return cls(sku=row.sku, units=row.units, orders=row.orders)


class SalesReportOut(Out):
    """Orders created in the period (by `created_at`, UTC), by where each stands now.
    `orders` counts every one; `units` and `revenue` count the lines of those not rejected:
    units ordered less units cancelled, at the line's price (ordered revenue, not invoiced),
    per currency."""

    period: PeriodOut
    orders: int = Field(description="Orders created in the period.", examples=[412])
    units: int = Field(description="Units ordered less cancelled, rejected orders aside.")
    revenue: dict[str, Decimal] = Field(description="Per currency.", examples=[MONEY])
    revenue_orders: dict[str, int] = Field(
        description="Per currency, the orders with at least one unit not cancelled (rejected "
        "ones aside): what `average_order_value` divides by.",
        examples=[{"USD": 380, "EUR": 12}],
    )
    average_order_value: dict[str, Decimal] = Field(
        description="Per currency, revenue / revenue_orders, to the cent.",
        examples=[{"USD": "3.29", "EUR": "25.87"}],
    )
    by_status: dict[str, int] = Field(
        description="Orders by the status each stands in now; every status is named.",
        examples=[{"received": 0, "held": 3, "rejected": 2, "cancelled": 5, "shipped": 300}],
    )
    days: list[SalesDayOut] = Field(description="Every day of the period, oldest first.")
    channels: list[ChannelSalesOut] = Field(description="By channel name.")
    top_skus: list[SkuUnitsOut] = Field(
        description="The ten SKUs with most units, then by SKU; none whose every unit was "
        "cancelled."
    )

    @classmethod
    def of(cls, report: reports.SalesReport) -> SalesReportOut:
        return cls(
            period=PeriodOut.of(report.period),
            orders=report.orders,
            units=report.units,
            revenue=report.revenue,
            revenue_orders=report.revenue_orders,
            average_order_value=report.average_order_value,
            by_status=report.by_status,
            days=[
                SalesDayOut(date=d.day, orders=d.orders, units=d.units, revenue=d.revenue)
                for d in report.days
            ],
            channels=[
                ChannelSalesOut(
                    channel=c.channel,
                    orders=c.orders,
                    units=c.units,
                    revenue=c.revenue,
                    cancelled=RatioOut.from_ratio(c.cancelled),
                    rejected=RatioOut.from_ratio(c.rejected),
                )
                for c in report.channels
            ],
            top_skus=[SkuUnitsOut.of(row) for row in report.top_skus],
        )


# --- fulfilment and shipping -----------------------------------------------------------------


class CarrierOut(Out):
    """Shipments of one carrier and service created in the period, cancelled ones aside."""

    carrier: str = Field(examples=["ups"])
    service: str = Field(examples=["ground"])
    shipments: int = Field(examples=[120])
    shipping_cost: Decimal = Field(
        description="Sum of their rates, as the rate cards quoted them.", examples=["1044.50"]
    )
    mean_cost: Decimal | None = Field(description="Per shipment, to the cent.", examples=["8.70"])
    on_time: RatioOut = Field(
        description="Shipped on or before the promised day (UTC), of those shipped with a "
        "promised date."
    )
    delivered: int = Field(description="Delivered (shipped and delivered times known).")
    mean_transit_days: float | None = Field(
        description="Mean days from shipped to delivered over `delivered`.", examples=[2.4]
    )

    @classmethod
    def of(cls, c: reports.CarrierFigures) -> CarrierOut:
        return cls(
            carrier=c.carrier,
            service=c.service,
            shipments=c.shipments,
            shipping_cost=c.shipping_cost,
            mean_cost=c.mean_cost,
            on_time=RatioOut.from_ratio(c.on_time),
            delivered=c.delivered,
            mean_transit_days=c.mean_transit_days,
        )


class LocationShipmentsOut(Out):
    location_code: str = Field(examples=["DAL-01"])
    shipments: int = Field(examples=[210])
    units: int = Field(examples=[388])


class SplitOut(Out):
    """Orders created in the period with at least one shipment (cancelled ones aside)."""

    orders: int = Field(examples=[380])
    split: RatioOut = Field(description="Orders with two or more shipments, of `orders`.")
    shipments: int = Field(description="Their shipments.", examples=[421])
    shipments_per_order: float | None = Field(examples=[1.11])


class FulfilmentReportOut(Out):
    """Shipments created in the period (by `created_at`, UTC); `shipments` counts those not
    cancelled, which every figure below is of, and `cancelled` the rest. `split` and
    `cycle_time` are about the orders created in the period."""

    period: PeriodOut
    shipments: int = Field(examples=[421])
    cancelled: int = Field(examples=[6])
    units: int = Field(description="Units on those shipments.", examples=[760])
    carriers: list[CarrierOut] = Field(description="By carrier, then service.")
    locations: list[LocationShipmentsOut] = Field(description="By location code.")
    split: SplitOut
    cycle_time: CycleTimeOut

    @classmethod
    def of(cls, report: reports.FulfilmentReport) -> FulfilmentReportOut:
        split = report.split
        return cls(
            period=PeriodOut.of(report.period),
            shipments=report.shipments,
            cancelled=report.cancelled,
            units=report.units,
            carriers=[CarrierOut.of(c) for c in report.carriers],
            locations=[
                LocationShipmentsOut(
                    location_code=r.location_code, shipments=r.shipments, units=r.units
                )
                for r in report.locations
            ],
            split=SplitOut(
                orders=split.orders,
                split=RatioOut.from_ratio(split.split),
                shipments=split.shipments,
                shipments_per_order=split.shipments_per_order,
            ),
            cycle_time=CycleTimeOut.of(report.cycle_time),
        )


# --- operational KPIs ------------------------------------------------------------------------


class OrderDefectsOut(Out):
    """Orders created in the period, rejected ones aside, with a defect: a cancelled shipment
    (for any cause), a late shipment, or a return (not rejected) with a line whose reason
    contains damage, defect, broken, faulty or wrong item (any case)."""

    orders: int = Field(examples=[410])
    cancelled_shipment: int = Field(examples=[5])
    late_shipment: int = Field(examples=[9])
    defect_return: int = Field(examples=[2])
    defective: RatioOut = Field(
        description="Orders with at least one defect (each counted once), of `orders`."
    )


class OrderAccuracyOut(Out):
    """Of the orders created in the period that shipped, those without a wrong-item return."""

    shipped: int = Field(description="Orders with a shipment that shipped.", examples=[380])
    wrong_item: int = Field(
        description="Of those, with a return (not rejected) whose reason says wrong item.",
        examples=[1],
    )
    rate: float | None = Field(description="1 - wrong_item / shipped.", examples=[0.9974])


class OperationsReportOut(Out):
    """The operational KPIs of the orders and shipments created in the period, with lateness
    judged as of `as_of` (today, UTC)."""

    period: PeriodOut
    as_of: date = Field(description="The day lateness is judged on (today, UTC).")
    cycle_time: CycleTimeOut
    late_shipments: RatioOut = Field(
        description="Shipments created in the period with a promised date (cancelled ones "
        "aside) that shipped on a later day, or have not shipped and the day is over."
    )
    order_defects: OrderDefectsOut
    order_accuracy: OrderAccuracyOut

    @classmethod
    def of(cls, report: reports.OperationsReport) -> OperationsReportOut:
        defects, accuracy = report.order_defects, report.order_accuracy
        return cls(
            period=PeriodOut.of(report.period),
            as_of=report.today,
            cycle_time=CycleTimeOut.of(report.cycle_time),
            late_shipments=RatioOut.from_ratio(report.late_shipments),
            order_defects=OrderDefectsOut(
                orders=defects.orders,
                cancelled_shipment=defects.cancelled_shipment,
                late_shipment=defects.late_shipment,
                defect_return=defects.defect_return,
                defective=RatioOut.from_ratio(defects.defective),
            ),
            order_accuracy=OrderAccuracyOut(
                shipped=accuracy.shipped, wrong_item=accuracy.wrong_item, rate=accuracy.rate
            ),
        )


# --- customers -------------------------------------------------------------------------------


class TopCustomerOut(Out):
    customer_id: str = Field(examples=["C-1042"])
    orders: int = Field(description="Its orders with revenue in this currency.", examples=[6])
    revenue: Decimal = Field(examples=["845.10"])


class CustomersReportOut(Out):
    """Customers by their orders created in the period, rejected orders aside."""

    period: PeriodOut
    customers: int = Field(description="Customers who ordered in the period.", examples=[350])
    new: int = Field(description="Whose first order ever is in the period.", examples=[120])
    returning: int = Field(description="Who had ordered before the period.", examples=[230])
    orders: int = Field(examples=[410])
    orders_per_customer: float | None = Field(examples=[1.17])
    repeat: RatioOut = Field(description="Customers with two or more orders in the period.")
    top_customers: dict[str, list[TopCustomerOut]] = Field(
        description="Per currency, the ten customers with most revenue, then by customer id."
    )
    by_weekday: dict[str, int] = Field(
        description="Orders by weekday of creation (UTC), Monday first.",
        examples=[
            {
                "monday": 70,
                "tuesday": 61,
                "wednesday": 58,
                "thursday": 55,
                "friday": 66,
                "saturday": 52,
                "sunday": 48,
            }
        ],
    )
    by_hour: list[int] = Field(
        description="Orders by hour of creation (UTC): 24 counts, hour 0 first."
    )

    @classmethod
    def of(cls, report: reports.CustomersReport) -> CustomersReportOut:
        return cls(
            period=PeriodOut.of(report.period),
            customers=report.customers,
            new=report.new,
            returning=report.returning,
            orders=report.orders,
            orders_per_customer=report.orders_per_customer,
            repeat=RatioOut.from_ratio(report.repeat),
            top_customers={
                currency: [
                    TopCustomerOut(customer_id=c.customer_id, orders=c.orders, revenue=c.revenue)
                    for c in rows
                ]
                for currency, rows in report.top_customers.items()
            },
            by_weekday=report.by_weekday,
            by_hour=report.by_hour,
        )


# --- inventory -------------------------------------------------------------------------------


class LocationInventoryOut(Out):
    location_code: str = Field(examples=["DAL-01"])
    skus: int = Field(description="Stock rows (SKUs) kept there.", examples=[290])
    on_hand: int = Field(examples=[10450])
    reserved: int = Field(examples=[380])
    available: int = Field(
        description="Sum over its SKUs of on hand - reserved - safety stock, none below 0.",
        examples=[9800],
    )


class SkuCoverOut(Out):
    sku: str = Field(examples=["SHOE-42"])
    units_shipped: int = Field(description="Units that shipped in the period.", examples=[90])
    on_hand: int = Field(description="Now, every location.", examples=[240])
    available: int = Field(description="Now, every location.", examples=[210])
    days_of_cover: float | None = Field(
        description="available / (units_shipped / days of the period).", examples=[70.0]
    )
    turnover: float | None = Field(
        description="units_shipped / on_hand now; null with nothing on hand.", examples=[0.375]
    )


class InventoryReportOut(Out):
    """Stock as it stands now (Ordo keeps no history of stock levels) beside the units that
    shipped in the period (shipments by their ship time, UTC)."""

    period: PeriodOut
    as_of: date = Field(description="Today (UTC): the day the stock figures are of.")
    on_hand: int = Field(examples=[52000])
    reserved: int = Field(examples=[1900])
    available: int = Field(examples=[48500])
    units_shipped: int = Field(description="Units shipped in the period.", examples=[9100])
    turnover: float | None = Field(
        description="units_shipped / on_hand now: not the textbook ratio over average stock, "
        "which would need a history of stock levels. Null with nothing on hand.",
        examples=[0.175],
    )
    locations: list[LocationInventoryOut] = Field(description="By location code.")
    skus: list[SkuCoverOut] = Field(
        description="The 100 SKUs that shipped most units in the period, then by SKU."
    )
    replenishment: list[ReorderSuggestionOut] = Field(
        description="Stock at or below its reorder point, with how much to buy, as "
        "GET /v1/inventory/reorder-suggestions answers by default."
    )

    @classmethod
    def of(cls, report: reports.InventoryReport) -> InventoryReportOut:
        return cls(
            period=PeriodOut.of(report.period),
            as_of=report.today,
            on_hand=report.on_hand,
            reserved=report.reserved,
            available=report.available,
            units_shipped=report.units_shipped,
            turnover=report.turnover,
            locations=[
                LocationInventoryOut(
                    location_code=r.location_code,
                    skus=r.skus,
                    on_hand=r.on_hand,
                    reserved=r.reserved,
                    available=r.available,
                )
                for r in report.locations
            ],
            skus=[
                SkuCoverOut(
                    sku=s.sku,
                    units_shipped=s.units_shipped,
                    on_hand=s.on_hand,
                    available=s.available,
                    days_of_cover=s.days_of_cover,
                    turnover=s.turnover,
                )
                for s in report.skus
            ],
            replenishment=[ReorderSuggestionOut.of(row) for row in report.replenishment],
        )
