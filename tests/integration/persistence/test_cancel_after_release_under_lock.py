"""An order released but not yet picked is cancelled on a real database: its reservation goes
back to stock, its shipment is cancelled (its event naming the cancellation, its location's
released count of the day one lower), on SQLite and PostgreSQL. A warehouse reporting the pick
at the same moment as support cancels: exactly one of them wins, and the loser is told so with
a 409 (a domain error), never a deadlock, on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters import orm
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.commands import CancelOrder, UpdateShipment
from engine.domain.errors import DomainError
from engine.domain.fulfilment import FulfillmentOrder, ShipmentLine, ShipmentStatus
from engine.domain.inventory import Reservation, ReservationStatus, Stock
from engine.domain.orders import LineStatus, Order, OrderLine, OrderStatus
from engine.domain.values import Address
from engine.service_layer.lifecycle import cancel_order, update_shipment
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.engines import an_engine
from tests.support.racing import MeetingAtCommit

UowFactory = Callable[[], UnitOfWork]
AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def clock() -> datetime:
    return AT


ROUNDS = 4


def a_released_order(uow: UnitOfWork, n: int = 1) -> None:
    """Order O-n for 2 SHOE-n, reserved at DAL-01 (5 on hand) and released there: shipment
    F-n, which nobody has picked yet."""
    with uow:
        line = OrderLine("1", f"SHOE-{n}", 2, Decimal("20"), status=LineStatus.ALLOCATED)
        released = OrderStatus.RELEASED
        uow.orders.add(
            Order(f"O-{n}", "web", f"W-{n}", "C-1", Address("10001"), [line], AT, status=released)
        )
        uow.stock.add(Stock(f"SHOE-{n}", "DAL-01", on_hand=5, reserved=2))
        uow.reservations.add(Reservation(f"R-{n}", f"O-{n}", "1", f"SHOE-{n}", "DAL-01", 2, AT))
        lines = [ShipmentLine("1", f"SHOE-{n}", 2)]
        uow.shipments.add(
            FulfillmentOrder(
                f"F-{n}", f"O-{n}", "DAL-01", lines, AT, status=ShipmentStatus.RELEASED
            )
        )
        uow.commit()


def what_stands(uow: UnitOfWork, n: int = 1) -> tuple[object, ...]:
    with uow:
        order, shipment, stock = (
            uow.orders.get(f"O-{n}"),
            uow.shipments.get(f"F-{n}"),
            uow.stock.get((f"SHOE-{n}", "DAL-01")),
        )
        assert order is not None and shipment is not None and stock is not None
        [reservation] = uow.reservations.for_order(f"O-{n}")
        return order.status, shipment.status, reservation.status, stock.reserved


def test_a_released_order_cancelled_gives_its_stock_back_and_cancels_its_shipment(
    sql_uow_factory: UowFactory,
) -> None:
    a_released_order(sql_uow_factory())
    with sql_uow_factory() as uow:
        assert uow.shipments.count_released_on("DAL-01", AT.date()) == 1

    cancel_order(CancelOrder("O-1", "customer asked", "support:ann"), sql_uow_factory(), clock)

    assert what_stands(sql_uow_factory()) == (
        OrderStatus.CANCELLED,
        ShipmentStatus.CANCELLED,
        ReservationStatus.RELEASED,
        0,
    )
    with sql_uow_factory() as uow:
        # A cancelled shipment no longer counts among the location's released ones that day.
        assert uow.shipments.count_released_on("DAL-01", AT.date()) == 0
        assert isinstance(uow, SqlAlchemyUnitOfWork) and uow.session is not None
        payloads = uow.session.execute(
            select(orm.outbox.c.payload).where(orm.outbox.c.name == "shipment.status_changed")
        ).scalars()
        [cancelled] = list(payloads)
    assert (cancelled["shipment_id"], cancelled["from_status"], cancelled["to_status"]) == (
        "F-1",
        "released",
        "cancelled",
    )
    assert cancelled["reason"] == "order O-1 cancelled: customer asked"


def race(sessions: sessionmaker[Session], n: int) -> list[str]:
    """The warehouse's pick of F-n and support's cancellation of O-n, both about to commit at
    the same moment; what each was answered (its new status, or the domain's refusal)."""
    meeting = threading.Barrier(2)

    def pick() -> str:
        uow = MeetingAtCommit(sessions, meeting)
        return update_shipment(UpdateShipment(f"F-{n}", "picked"), uow, clock)

    def cancel() -> str:
        uow = MeetingAtCommit(sessions, meeting)
        return cancel_order(CancelOrder(f"O-{n}", "customer asked"), uow, clock)

    def answer(run: Callable[[], str]) -> str:
        try:
            return run()
        except DomainError as refused:  # a 409: anything else (a deadlock) fails the test
            return f"refused: {refused.message}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(answer, run) for run in (pick, cancel)]
        return [future.result(timeout=60) for future in futures]


def test_a_pick_and_a_cancellation_at_the_same_moment_have_exactly_one_winner(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)
        for n in range(1, ROUNDS + 1):  # a few rounds: a race's interleaving varies
            a_released_order(SqlAlchemyUnitOfWork(sessions), n)

            picked, cancelled = race(sessions, n)

            stands = what_stands(SqlAlchemyUnitOfWork(sessions), n)
            if picked == "picked":
                assert cancelled.startswith("refused: "), cancelled
                assert stands == (
                    OrderStatus.PICKED,
                    ShipmentStatus.PICKED,
                    ReservationStatus.ACTIVE,
                    2,
                )
            else:
                assert (picked.startswith("refused: "), cancelled) == (True, "cancelled")
                assert stands == (
                    OrderStatus.CANCELLED,
                    ShipmentStatus.CANCELLED,
                    ReservationStatus.RELEASED,
                    0,
                )
