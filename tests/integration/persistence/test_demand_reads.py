"""The demand a forecast reads (`OrderRepository.units_ordered`): every line of the SKU on
orders created since the moment asked, less its cancelled units, cancelled and rejected orders
left out, the same from the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from engine.domain.orders import OrderStatus
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support import builders as b

SINCE = datetime(2026, 3, 1, tzinfo=UTC)


def test_units_ordered_are_every_line_of_the_sku_on_orders_that_may_still_ship(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    placed = [
        ("O-1", SINCE + timedelta(hours=1), OrderStatus.RECEIVED, [("L1", "SKU-1", 2)]),
        ("O-2", SINCE + timedelta(days=1), OrderStatus.HELD,
         [("L1", "SKU-1", 1), ("L2", "SKU-1", 4)]),
        ("O-3", SINCE + timedelta(days=2), OrderStatus.CANCELLED, [("L1", "SKU-1", 7)]),
        ("O-4", SINCE + timedelta(days=2), OrderStatus.REJECTED, [("L1", "SKU-1", 9)]),
        ("O-5", SINCE - timedelta(seconds=1), OrderStatus.RECEIVED, [("L1", "SKU-1", 5)]),
        ("O-6", SINCE + timedelta(days=3), OrderStatus.RECEIVED, [("L1", "SKU-2", 3)]),
        # On its way with two of five units of a remainder cancelled, and one line wholly.
        ("O-7", SINCE + timedelta(days=4), OrderStatus.RELEASED,
         [("L1", "SKU-1", 5, 2), ("L2", "SKU-1", 3, 3)]),
    ]  # fmt: skip
    with uow_factory() as uow:
        for number, (order_id, at, status, lines) in enumerate(placed):
            uow.orders.add(
                b.an_order(
                    id=order_id,
                    channel_order_id=f"W-{number}",
                    created_at=at,
                    status=status,
                    lines=[
                        b.a_line(id=i, sku=s, quantity=q, quantity_cancelled=rest[0] if rest else 0)
                        for i, s, q, *rest in lines
                    ],
                )
            )
        uow.commit()
    with uow_factory() as uow:
        demand = uow.orders.units_ordered("SKU-1", SINCE)
    assert sorted((at.astimezone(UTC), units) for at, units in demand) == [
        (SINCE + timedelta(hours=1), 2),
        (SINCE + timedelta(days=1), 1),
        (SINCE + timedelta(days=1), 4),
        (SINCE + timedelta(days=4), 3),
    ]
