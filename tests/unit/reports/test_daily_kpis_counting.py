"""The day's KPIs are counted by the store's aggregates: neither the day's orders nor every
shipment ever made is read to count them (they were, page by page)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.service_layer.reports import daily_kpis
from tests.unit.reports.report_history import NOW, build, moment


def refuse(*_: Any, **__: Any) -> Any:
    raise AssertionError("the KPIs paged through the repository instead of counting")


def test_the_days_kpis_count_without_reading_orders_or_shipments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uow = InMemoryUnitOfWork()
    build(uow)
    monkeypatch.setattr(uow.orders, "search", refuse)
    monkeypatch.setattr(uow.orders, "list", refuse)
    monkeypatch.setattr(uow.shipments, "list", refuse)
    monday = daily_kpis(uow, moment(2, 0).date(), NOW)
    assert (monday.orders_in, monday.late_shipments) == (2, 0)
    # F-1 and F-2 were promised for the 4th; F-2 shipped on the 5th.
    assert daily_kpis(uow, moment(4, 0).date(), NOW).late_shipments == 1
    # F-6, promised for the 7th and not shipped, is late once the 7th is over, not before.
    assert daily_kpis(uow, moment(7, 0).date(), NOW).late_shipments == 1
    assert daily_kpis(uow, moment(7, 0).date(), moment(7, 18)).late_shipments == 0
    cancelled = daily_kpis(uow, moment(3, 0).date(), NOW + timedelta(days=1))
    assert (cancelled.orders_in, cancelled.cancelled) == (1, 1)
