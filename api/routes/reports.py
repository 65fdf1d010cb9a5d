"""Reports: the day's figures for the console's KPI cards, and reports over a period of days
(sales, fulfilment, operational KPIs, customers, inventory) for analysts and admins.

A period is `?from=YYYY-MM-DD&to=YYYY-MM-DD`, both days included, in UTC; `to` defaults to
today and `from` to the 30 days ending on `to`. A period that runs backwards or spans more
than 366 days is a 422 naming both parameters.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.deps import CanReadReports, Uow
from api.schemas.common import IsoDate, problem_responses
from api.schemas.reports import (
    CustomersReportOut,
    DailyKpisOut,
    FulfilmentReportOut,
    InventoryReportOut,
    OperationsReportOut,
    SalesReportOut,
)
from engine.domain.values import utcnow
from engine.service_layer import reports
from engine.service_layer.analytics import InvalidPeriod, Period

router = APIRouter(prefix="/v1/reports", tags=["reports"])

From = Annotated[
    date | None,
    Query(
        alias="from",
        description="The first day reported (UTC), ISO 8601; 29 days before `to` when omitted.",
        examples=["2026-11-01"],
    ),
    IsoDate,
]
To = Annotated[
    date | None,
    Query(
        alias="to",
        description="The last day reported (UTC), included; today when omitted. At most 366 "
        "days after `from`.",
        examples=["2026-11-30"],
    ),
    IsoDate,
]


def _period(first: date | None, last: date | None, today: date) -> Period:
    """The period asked for, or a 422 at each parameter at fault (both, for a period that runs
    backwards or is too long: either may be the one to change)."""
    try:
        return Period.of(first, last, today)
    except InvalidPeriod as refused:
        errors = [
            {"loc": ("query", name), "type": refused.code, "msg": message, "input": None}
            for name, message in refused.parameters.items()
        ]
        raise RequestValidationError(errors) from None


@router.get(
    "/daily-kpis",
    response_model=DailyKpisOut,
    responses=problem_responses(),
    summary="One day's order and shipment figures",
)
def daily_kpis(
    _: CanReadReports,
    uow: Uow,
    day: Annotated[
        date | None,
        Query(
            alias="date",
            description="The day (UTC), ISO 8601 such as 2026-11-21; today when omitted.",
            examples=["2026-11-21"],
        ),
        IsoDate,
    ] = None,
) -> DailyKpisOut:
    """Orders received that day, and how many of them are now held, wholly backordered, on
    their way with a line still backordered, rejected or cancelled; shipments promised for
    that day that had not shipped by its end."""
    now = utcnow()
    return DailyKpisOut.of(reports.daily_kpis(uow, day or now.date(), now))


@router.get(
    "/sales",
    response_model=SalesReportOut,
    responses=problem_responses(),
    summary="Orders and sales over a period",
)
def sales(_: CanReadReports, uow: Uow, first: From = None, last: To = None) -> SalesReportOut:
    """Orders created in the period by status now; units and ordered revenue per currency
    (rejected orders aside), average order value; a series per day; figures per channel with
    its cancellation and rejection rates; the ten SKUs with most units."""
    period = _period(first, last, utcnow().date())
    return SalesReportOut.of(reports.sales(uow, period))


@router.get(
    "/fulfilment",
    response_model=FulfilmentReportOut,
    responses=problem_responses(),
    summary="Shipments, carriers and locations over a period",
)
def fulfilment(
    _: CanReadReports, uow: Uow, first: From = None, last: To = None
) -> FulfilmentReportOut:
    """Shipments created in the period: per carrier and service (cost, on-time rate, transit
    days), per location (shipments, units); split rate and shipments per order, and the
    fulfilment cycle time, of the orders created in the period."""
    period = _period(first, last, utcnow().date())
    return FulfilmentReportOut.of(reports.fulfilment(uow, period))


@router.get(
    "/operations",
    response_model=OperationsReportOut,
    responses=problem_responses(),
    summary="Operational KPIs over a period",
)
def operations(
    _: CanReadReports, uow: Uow, first: From = None, last: To = None
) -> OperationsReportOut:
    """Fulfilment cycle time, late shipment rate, order defect rate and order accuracy rate
    of the orders and shipments created in the period, lateness judged as of today."""
    now = utcnow()
    period = _period(first, last, now.date())
    return OperationsReportOut.of(reports.operations(uow, period, now))


@router.get(
    "/customers",
    response_model=CustomersReportOut,
    responses=problem_responses(),
    summary="Customers over a period",
)
def customers(
    _: CanReadReports, uow: Uow, first: From = None, last: To = None
) -> CustomersReportOut:
    """Customers who ordered in the period, new and returning, orders per customer, repeat
    rate, the top ten customers by revenue per currency, and orders by weekday and hour."""
    period = _period(first, last, utcnow().date())
    return CustomersReportOut.of(reports.customers(uow, period))


@router.get(
    "/inventory",
    response_model=InventoryReportOut,
    responses=problem_responses(),
    summary="Stock now beside what shipped over a period",
)
def inventory(
    _: CanReadReports, uow: Uow, first: From = None, last: To = None
) -> InventoryReportOut:
    """Stock now per location (on hand, reserved, available); units shipped in the period,
    with days of cover and turnover of the SKUs that shipped most; what is at or below its
    reorder point."""
    now = utcnow()
    period = _period(first, last, now.date())
    return InventoryReportOut.of(reports.inventory(uow, period, now))
