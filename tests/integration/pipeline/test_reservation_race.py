"""Sixteen workers race for the last 500 units through the real handlers and database.

Each worker places orders through the message bus (create → decide → reserve atomically)
until the demand is far above the supply. Whatever the interleaving, exactly the 500 units
on hand are granted: never more (the conditional update refuses), never less (losers of a
race decide again against fresh stock and take what is left).
"""

from __future__ import annotations

import random
import threading
from datetime import datetime
from decimal import Decimal

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import ReservationStatus, Stock
from engine.domain.orders import OrderStatus
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import build_bus

WORKERS = 16
ORDERS_PER_WORKER = 8
SUPPLY = {"NJ": 300, "PA": 200}  # the last 500 units, at two locations


def _seed(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.locations.add(Location("PA", "Philadelphia", LocationType.WAREHOUSE, Address("19153")))
        uow.products.add(Product("HOT", "Hot item", Decimal("30.00"), weight_kg=0.5))
        uow.customers.add(Customer("c1", "c1@example.com"))
        for code, units in SUPPLY.items():
            uow.stock.add(Stock("HOT", code, on_hand=units))
        uow.commit()


def _race(url: str) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    _seed(uow_factory)
    decider = Decider(RulesetRegistry(), load_catalog(), DeciderSettings(optimiser="greedy"))
    bus = build_bus(
        uow_factory,
        decider,
        lambda: datetime(2026, 11, 18, 10, 0),
        PipelineOptions(max_attempts=20),
    )
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []
    placed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        rng = random.Random(number)
        start.wait()
        try:
            for n in range(ORDERS_PER_WORKER):
                qty = rng.randint(1, 12)
                order_id = bus.handle(
                    c.CreateOrder(
                        "web",
                        f"W{number}-{n}",
                        "c1",
                        c.AddressInput("10001"),
                        (c.LineInput("HOT", qty),),
                    )
                )
                with lock:
                    placed.append((order_id, qty))
        except BaseException as exc:  # reported below with the worker's number
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert len(placed) == WORKERS * ORDERS_PER_WORKER
    demand = sum(qty for _, qty in placed)
    assert demand > sum(SUPPLY.values())

    with uow_factory() as uow:
        granted = 0
        for order_id, qty in placed:
            order = uow.orders.get(order_id)
            assert order is not None
            assert order.status is not OrderStatus.HELD, order.holds
            active = [
                r
                for r in uow.reservations.for_order(order_id)
                if r.status is ReservationStatus.ACTIVE
            ]
            granted += sum(r.quantity for r in active)
            assert sum(r.quantity for r in active) <= qty
        rows = {row.location_code: row for row in uow.stock.for_sku("HOT")}
    engine.dispose()
    assert granted == sum(SUPPLY.values())
    for code, units in SUPPLY.items():
        assert rows[code].reserved == units
        assert rows[code].on_hand == units


def test_sixteen_workers_racing_for_the_last_500_units_get_exactly_500_on_sqlite(
    sqlite_url: str,
) -> None:
    _race(sqlite_url)


def test_sixteen_workers_racing_for_the_last_500_units_get_exactly_500_on_postgres(
    postgres_url: str,
) -> None:
    _race(postgres_url)
