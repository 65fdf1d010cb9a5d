"""Regression: two orders reserving the same SKUs in opposite order deadlocked on PostgreSQL.

Order one names SKU A then B, order two B then A, both at the one warehouse. Reserving in the
order the decision listed its allocations locked the rows in opposite orders, PostgreSQL broke
the lock cycle and the loser surfaced as a `Conflict`. Reserving in one global order
(sku, location) makes the second transaction wait for the first instead.
"""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.orders import OrderStatus
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import build_bus

ROUNDS = 40
SKUS = ("A", "B", "C", "D")


def test_orders_taking_the_same_skus_in_opposite_order_never_deadlock_on_postgres(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    sessions = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uow_factory() as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.customers.add(Customer("c1", "c1@example.com"))
        for sku in SKUS:
            uow.products.add(Product(sku, f"Item {sku}", Decimal("10.00"), weight_kg=0.5))
            uow.stock.add(Stock(sku, "NJ", on_hand=10_000))
        uow.commit()
    decider = Decider(RulesetRegistry(), load_catalog(), DeciderSettings(optimiser="greedy"))
    clock = lambda: datetime(2026, 11, 18, 10, 0)  # noqa: E731
    # Orders are stored without deciding them, so the race below is only the reservations.
    store = build_bus(uow_factory, decider, clock, process_in_process=False)
    # One attempt: a lost race must not be hidden by a retry, and a deadlock raises anyway.
    bus = build_bus(uow_factory, decider, clock, PipelineOptions(max_attempts=1))

    def place(name: str, skus: tuple[str, ...]) -> str:
        lines = tuple(c.LineInput(sku, 1) for sku in skus)
        return str(store.handle(c.CreateOrder("web", name, "c1", c.AddressInput("10001"), lines)))

    failures: list[BaseException] = []
    statuses: list[str] = []
    for round_ in range(ROUNDS):
        forward = place(f"F{round_}", SKUS)
        backward = place(f"B{round_}", tuple(reversed(SKUS)))
        start = threading.Barrier(2)

        def decide(order_id: str, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                statuses.append(str(bus.handle(c.ProcessOrder(order_id))))
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=decide, args=(o,)) for o in (forward, backward)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    engine.dispose()
    assert not failures, failures[:3]
    assert statuses == [str(OrderStatus.RELEASED)] * (2 * ROUNDS)
