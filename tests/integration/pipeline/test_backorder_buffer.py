"""A wholly backordered order is sent back to be decided only when the Decider would fill it
in full, reservation rules included, on SQLite and PostgreSQL (the pass reads stock through
the store's read-only query, and sets units aside on copies of those rows)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

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
from engine.service_layer.messagebus import MessageBus, build_bus
from tests.support.clock import Clock

BUFFER = (
    "reservation ruleset buffer on order.received policy all\n"
    'rule "Warehouses keep three back" when true '
    'then safety_stock 3 where location.type == "warehouse"\n'
)


@dataclass
class Shop:
    bus: MessageBus
    sessions: sessionmaker[Session]
    clock: Clock

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.sessions)

    def order(self, ref: str, qty: int) -> str:
        command = c.CreateOrder(
            "web", ref, "c1", c.AddressInput("10001"), (c.LineInput("BOOTS", qty),)
        )
        order_id = str(self.bus.handle(command))
        self.clock.now += timedelta(minutes=1)  # orders placed later rank after it
        return order_id

    def state(self, order_id: str) -> tuple[OrderStatus, int]:
        """The order's status and the units reserved for it."""
        with self.uow() as uow:
            order = uow.orders.get(order_id)
            assert order is not None
            reserved = sum(
                r.quantity
                for r in uow.reservations.for_order(order_id)
                if r.status is ReservationStatus.ACTIVE
            )
            return order.status, reserved


@pytest.fixture
def shop(database_url: str) -> Iterator[Shop]:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.products.add(Product("BOOTS", "Boots", Decimal("129.00"), weight_kg=1.9))
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.stock.add(Stock("BOOTS", "NJ", on_hand=0))
        uow.commit()
    decider = Decider(
        RulesetRegistry.from_sources([BUFFER]), load_catalog(), DeciderSettings("greedy")
    )
    clock = Clock(datetime(2026, 11, 18, 10, 0))
    bus = build_bus(
        lambda: SqlAlchemyUnitOfWork(sessions), decider, clock, PipelineOptions(auto_release=False)
    )
    yield Shop(bus, sessions, clock)
    engine.dispose()


def test_stock_short_after_the_buffer_leaves_a_backordered_order_waiting_with_nothing(
    shop: Shop,
) -> None:
    waiting = shop.order("W-1", 2)
    assert shop.state(waiting) == (OrderStatus.BACKORDERED, 0)
    shop.bus.handle(c.ReceiveStock("BOOTS", "NJ", 4))  # 2 by the stock row, 1 after the buffer
    assert shop.state(waiting) == (OrderStatus.BACKORDERED, 0)
    shop.bus.handle(c.ReceiveStock("BOOTS", "NJ", 1))
    assert shop.state(waiting) == (OrderStatus.CARRIER_ASSIGNED, 2)


def test_a_second_backordered_order_does_not_count_on_the_first_ones_units(shop: Shop) -> None:
    first, second = shop.order("W-1", 2), shop.order("W-2", 2)
    shop.bus.handle(c.ReceiveStock("BOOTS", "NJ", 6))  # 2 for the first, 1 past the buffer
    assert shop.state(first) == (OrderStatus.CARRIER_ASSIGNED, 2)
    assert shop.state(second) == (OrderStatus.BACKORDERED, 0)
    shop.bus.handle(c.ReceiveStock("BOOTS", "NJ", 1))
    assert shop.state(second) == (OrderStatus.CARRIER_ASSIGNED, 2)
