"""Waiting orders served from a worker: stock arriving inside the worker's transaction, and
the pre-order release ticker `ordo worker` runs, against a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.adapters import orm
from engine.domain import commands as c
from engine.domain import events
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.orders import LineStatus, OrderStatus
from engine.domain.values import Address
from engine.service_layer.messagebus import build_bus
from engine.service_layer.preorders import PreorderReleaser
from engine.worker import PipelineStep, SharedUnitOfWork
from ordo.bootstrap import Container, build_app_container, build_workers
from ordo.settings import load_settings


@pytest.fixture
def container(sqlite_url: str, tmp_path: Path) -> Iterator[Container]:
    settings = load_settings(database_url=sqlite_url, data_dir=tmp_path, redis_url=None)
    launch = datetime.now(UTC).date() + timedelta(days=30)
    with build_app_container(settings) as built:
        with built.uow_factory() as uow:
            uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
            uow.products.add(Product("JEANS", "Jeans", Decimal("59.00"), weight_kg=0.8))
            uow.products.add(
                Product("CONSOLE", "Console", Decimal("499.00"), preorder_release=launch)
            )
            uow.customers.add(Customer("c1", "c1@example.com"))
            uow.stock.add(Stock("JEANS", "NJ", on_hand=1))
            uow.stock.add(Stock("CONSOLE", "NJ", on_hand=5))
            uow.commit()
        yield built


def _place(container: Container, sku: str, qty: int) -> str:
    line = c.LineInput(sku, qty)
    command = c.CreateOrder("web", f"{sku}-{qty}", "c1", c.AddressInput("10001"), (line,))
    return str(container.bus.handle(command))


def test_stock_arriving_in_a_workers_transaction_sources_the_remainder_with_it(
    container: Container,
) -> None:
    order_id = _place(container, "JEANS", 3)
    step = PipelineStep(lambda factory: build_bus(factory, container.decider))
    with container.uow_factory() as uow:
        stock = uow.stock.adjust("JEANS", "NJ", 2)
        arrived = events.StockAdjusted("JEANS", "NJ", 2, stock.on_hand, stock.available)
        step(arrived, SharedUnitOfWork(uow))
        uow.commit()  # the worker commits once: the handler's changes and events together
    with container.uow_factory() as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED
        assert order.lines[0].status is LineStatus.ALLOCATED
        assert sum(s.quantity for s in uow.shipments.for_order(order_id)) == 3
        assert uow.session is not None
        names = list(uow.session.execute(select(orm.outbox.c.name)).scalars())
    assert "order.resourced" in names


def test_the_worker_releases_pre_orders_once_their_product_is_out(container: Container) -> None:
    order_id = _place(container, "CONSOLE", 1)
    (worker,) = build_workers(container, name="w")
    (releaser,) = [t for t in worker.tickers if isinstance(t, PreorderReleaser)]
    assert releaser.tick(datetime.now(UTC)) == 0
    with container.uow_factory() as uow:
        product = uow.products.get("CONSOLE")
        assert product is not None
        product.preorder_release = datetime.now(UTC).date()  # the launch moved up to today
        uow.commit()
    # Hourly: a tick within the hour does nothing, the next one releases the pre-order.
    assert releaser.tick(datetime.now(UTC) + timedelta(minutes=5)) == 0
    assert releaser.tick(datetime.now(UTC) + timedelta(hours=2)) == 1
    with container.uow_factory() as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED
    assert releaser.tick(datetime.now(UTC) + timedelta(hours=4)) == 0
