"""The SQL report queries give the in-memory figures on the same data, on SQLite and
PostgreSQL: every report, over the hand-built history, for periods that cut it differently.
The unit tests check the in-memory figures by hand; this carries them over to the databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from engine.service_layer import reports
from engine.service_layer.analytics import Period
from tests.support.engines import an_engine, uow_factory_on
from tests.unit.reports.report_history import NOW, PERIOD, build

PERIODS = [
    PERIOD,
    Period(date(2026, 3, 2), date(2026, 3, 2)),  # one busy day
    Period(date(2026, 2, 1), date(2026, 3, 31)),  # O-0 and O-9 inside too
    Period(date(2025, 1, 1), date(2025, 1, 31)),  # nothing at all
]
MOMENTS = [NOW, datetime(2026, 3, 7, 18, tzinfo=NOW.tzinfo)]


@pytest.fixture
def stores(database_url: str) -> Iterator[tuple[SqlAlchemyUnitOfWork, InMemoryUnitOfWork]]:
    memory = InMemoryUnitOfWork()
    build(memory)
    with an_engine(database_url) as engine:
        sql = uow_factory_on(engine)()
        build(sql)
        yield sql, memory


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.first}..{p.last}")
def test_sql_and_memory_give_the_same_sales_fulfilment_and_customers(
    stores: tuple[SqlAlchemyUnitOfWork, InMemoryUnitOfWork], period: Period
) -> None:
    sql, memory = stores
    assert reports.sales(sql, period) == reports.sales(memory, period)
    assert reports.fulfilment(sql, period) == reports.fulfilment(memory, period)
    assert reports.customers(sql, period) == reports.customers(memory, period)


@pytest.mark.parametrize("now", MOMENTS, ids=lambda m: m.isoformat())
@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.first}..{p.last}")
def test_sql_and_memory_give_the_same_operations_and_inventory(
    stores: tuple[SqlAlchemyUnitOfWork, InMemoryUnitOfWork], period: Period, now: datetime
) -> None:
    sql, memory = stores
    assert reports.operations(sql, period, now) == reports.operations(memory, period, now)
    assert reports.inventory(sql, period, now) == reports.inventory(memory, period, now)


def test_the_hand_worked_figures_hold_on_the_database_too(
    stores: tuple[SqlAlchemyUnitOfWork, InMemoryUnitOfWork],
) -> None:
    sql, _ = stores
    sales = reports.sales(sql, PERIOD)
    assert (sales.orders, sales.units, str(sales.revenue["USD"])) == (6, 10, "46.50")
    cycle = reports.fulfilment(sql, PERIOD).cycle_time
    assert (cycle.orders, cycle.mean_hours, cycle.p90_hours) == (2, 46.25, 72.0)
    defects = reports.operations(sql, PERIOD, NOW).order_defects
    assert (defects.defective.count, defects.defective.of) == (4, 5)


def test_the_days_kpis_agree_on_every_day_of_the_history(
    stores: tuple[SqlAlchemyUnitOfWork, InMemoryUnitOfWork],
) -> None:
    sql, memory = stores
    for offset in range(-10, 12):
        day = PERIOD.first + timedelta(days=offset)
        for now in MOMENTS:
            assert reports.daily_kpis(sql, day, now) == reports.daily_kpis(memory, day, now)
