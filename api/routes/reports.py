"""Reports: the day's operational figures for the console's KPI cards."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CanReadReports, Uow
from api.schemas.common import IsoDate, problem_responses
from api.schemas.reports import DailyKpisOut
from engine.domain.values import utcnow
from engine.service_layer import reports

router = APIRouter(prefix="/v1/reports", tags=["reports"])


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
