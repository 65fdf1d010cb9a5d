"""The day's KPIs count an order waiting for stock whether it waits whole (`backordered`) or
is on its way with a line still waiting (`partly_backordered`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.orders import LineStatus, OrderLine, OrderStatus
from engine.service_layer.reports import daily_kpis
from tests.support.builders import a_plain_order

S, L = OrderStatus, LineStatus
DAY = datetime(2026, 11, 21, 9, tzinfo=UTC)


def line(line_id: str, status: LineStatus) -> OrderLine:
    return OrderLine(line_id, "A", 1, Decimal("1"), status)


def test_an_order_on_its_way_with_a_backordered_line_is_counted_as_partly_backordered() -> None:
    uow = InMemoryUnitOfWork()
    orders = [
        # On its way, a line waiting: partly backordered (released, and shipped in part).
        (S.RELEASED, [line("1", L.ALLOCATED), line("2", L.BACKORDERED)]),
        (S.PARTIALLY_SHIPPED, [line("1", L.SHIPPED), line("2", L.BACKORDERED)]),
        # Wholly backordered: `backordered`, not both.
        (S.BACKORDERED, [line("1", L.BACKORDERED)]),
        # On its way with nothing waiting, and shipped: neither.
        (S.RELEASED, [line("1", L.ALLOCATED)]),
        (S.SHIPPED, [line("1", L.SHIPPED), line("2", L.CANCELLED)]),
    ]
    with uow:
        for number, (status, lines) in enumerate(orders, start=1):
            created = DAY + timedelta(minutes=number)
            uow.orders.add(a_plain_order(number, status=status, lines=lines, created_at=created))
        # Received the day before: another day's cohort.
        uow.orders.add(
            a_plain_order(
                9,
                status=S.RELEASED,
                lines=[line("1", L.BACKORDERED)],
                created_at=DAY - timedelta(days=1),
            )
        )
        uow.commit()

    kpis = daily_kpis(uow, DAY.date(), DAY + timedelta(days=2))

    assert (kpis.orders_in, kpis.backordered, kpis.partly_backordered) == (5, 1, 2)
    assert daily_kpis(uow, DAY.date() - timedelta(days=1), DAY).partly_backordered == 1
