"""The shipment queries that run on a clock or a report read an index, not every shipment.

The lateness clock (every minute), the day's late shipments and the reports over a period
each want a handful of rows out of every shipment ever made. The statements the code really
runs are captured and explained: SQLite's planner is asked as it is; PostgreSQL's is told to
avoid table scans (`enable_seqscan = off`), which it can only do when the statement's shape
lets an index answer it, as it must on a table of millions, where a scan is what it would
otherwise choose for the few rows built here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from engine.adapters.shipment_queries import open_past_promise
from engine.service_layer import reports
from engine.service_layer.analytics import Period
from tests.support.engines import an_engine, uow_factory_on
from tests.unit.reports.report_history import NOW, build


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with an_engine(database_url) as engine:
        with uow_factory_on(engine)() as uow:
            build(uow)
        yield engine


@contextmanager
def shipment_reads(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on `engine` that read fulfillment_orders, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM fulfillment_orders" in statement and statement.lstrip().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(engine: Engine, run: Callable[[Any], Any]) -> list[str]:
    """The plan of each shipment read `run(uow)` makes."""
    with shipment_reads(engine) as seen, uow_factory_on(engine)() as uow:
        run(uow)
    assert seen, "the code read no shipments"
    found = []
    with engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SET enable_seqscan = off"))
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        for statement, parameters in seen:
            rows = connection.exec_driver_sql(explain + statement, parameters).all()
            found.append("\n".join(str(row[-1]) for row in rows))
    return found


def uses(plan: str, index: str, column: str) -> bool:
    """Whether `plan` looks rows up in `index` by its leading `column` (a search, not a walk
    of the whole index with a filter, which a full scan by another name would be)."""
    lines = plan.splitlines()
    if any(line.startswith("SEARCH") and index in line for line in lines):  # SQLite
        return True
    return index in plan and any("Index Cond" in line and column in line for line in lines)


def test_the_lateness_clock_reads_open_shipments_by_status_and_promise(engine: Engine) -> None:
    [plan] = plans(engine, lambda uow: open_past_promise(uow.shipments, NOW.date()))
    assert uses(plan, "ix_fulfillment_orders_status_promised_date", "status"), plan


def test_the_days_late_shipments_are_read_by_status_and_promise(engine: Engine) -> None:
    day = NOW.date() - timedelta(days=2)
    [plan] = plans(engine, lambda uow: reports.late_shipments(uow, day, NOW))
    assert uses(plan, "ix_fulfillment_orders_status_promised_date", "status"), plan


def test_a_reports_shipments_are_read_by_their_creation_time(engine: Engine) -> None:
    period = Period(date(2026, 3, 1), date(2026, 3, 7))
    found = plans(engine, lambda uow: reports.fulfilment(uow, period))
    by_creation = [
        plan for plan in found if uses(plan, "ix_fulfillment_orders_created_at", "created_at")
    ]
    assert by_creation, found
