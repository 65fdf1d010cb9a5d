"""Operational reports as the API shows them."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from api.schemas.common import Out
from engine.service_layer.reports import DailyKpis


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
