"""A channel's ring-fence survives its orders being changed, cancelled or left to expire, on
SQLite and PostgreSQL (where an order's reservations are one UPDATE), and is used up only by
what ships.

Regression: a released reservation gave its units back to the shared pool only, so each
cancel or modification of a marketplace order wore the marketplace's allocation away.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus
from tests.support.clock import Clock


@dataclass
class Shop:
    bus: MessageBus
    sessions: sessionmaker[Session]
    clock: Clock

    def order(self, channel: str, *quantities: int) -> str:
        lines = tuple(c.LineInput("BOOTS", quantity) for quantity in quantities)
        command = c.CreateOrder(channel, f"{channel}-1", "c1", c.AddressInput("10001"), lines)
        return str(self.bus.handle(command))

    def row(self) -> Stock:
        with SqlAlchemyUnitOfWork(self.sessions) as uow:
            row = uow.stock.get(("BOOTS", "NJ"))
            assert row is not None
            return row


@pytest.fixture
def shop(database_url: str) -> Iterator[Shop]:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.products.add(Product("BOOTS", "Boots", Decimal("129.00"), weight_kg=1.9))
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.stock.add(Stock("BOOTS", "NJ", on_hand=10, channel_allocations={"marketplace": 4}))
        uow.commit()
    decider = Decider(RulesetRegistry.from_sources([]), load_catalog(), DeciderSettings("greedy"))
    clock = Clock(datetime(2026, 11, 18, 10, 0, tzinfo=UTC))
    options = PipelineOptions(auto_release=False, reservation_ttl=timedelta(minutes=30))
    bus = build_bus(lambda: SqlAlchemyUnitOfWork(sessions), decider, clock, options)
    yield Shop(bus, sessions, clock)
    engine.dispose()


def test_a_modified_then_cancelled_channel_order_gives_its_allocation_back_whole(
    shop: Shop,
) -> None:
    # Two lines of one row: 4 fenced units and 1 from the pool, reserved in one statement.
    order_id = shop.order("marketplace", 2, 3)
    assert (shop.row().reserved, shop.row().channel_allocations) == (5, {"marketplace": 0})

    shop.bus.handle(c.ModifyOrder(order_id, ship_to=c.AddressInput("10002")))
    assert (shop.row().reserved, shop.row().channel_allocations) == (5, {"marketplace": 0})
    shop.bus.handle(c.CancelOrder(order_id, "changed their mind"))

    row = shop.row()
    assert (row.reserved, row.channel_allocations) == (0, {"marketplace": 4})
    assert row.available_for("web") == 6


def test_an_expired_channel_reservation_fences_again_only_what_it_took(shop: Shop) -> None:
    shop.order("marketplace", 6)  # 4 fenced units and 2 from the pool
    shop.clock.now += timedelta(minutes=31)

    assert shop.bus.handle(c.ExpireReservations()) == 1

    row = shop.row()
    assert (row.reserved, row.channel_allocations) == (0, {"marketplace": 4})


def test_what_ships_is_not_fenced_again(shop: Shop) -> None:
    order_id = shop.order("marketplace", 3)
    shop.bus.handle(c.ReleaseOrder(order_id))
    with SqlAlchemyUnitOfWork(shop.sessions) as uow:
        [shipment] = uow.shipments.for_order(order_id)
    shop.bus.handle(c.UpdateShipment(shipment.id, "shipped"))

    row = shop.row()
    assert (row.on_hand, row.reserved, row.channel_allocations) == (7, 0, {"marketplace": 1})
