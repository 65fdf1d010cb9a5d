"""A pre-order run asks the store for the products released in its window, never the whole
catalogue, and both stores answer that question the same way (the SQL one is checked on
SQLite and PostgreSQL in tests/integration/pipeline/test_preorder_products.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
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
from engine.service_layer.preorders import PreorderRelease
from tests.support.clock import Clock

RELEASES = {
    "NONE": None,
    "LONG-AGO": date(2026, 9, 1),
    "EDGE": date(2026, 10, 16),  # exactly `after`: excluded
    "OUT": date(2026, 12, 1),
    "TODAY": date(2026, 12, 15),
    "LATER": date(2026, 12, 16),
}


def a_product(sku: str, release: date | None = None) -> Product:
    return Product(sku, sku.title(), Decimal("10.00"), weight_kg=1.0, preorder_release=release)


def test_the_memory_store_lists_the_products_released_after_a_day_and_by_another() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        for sku, release in RELEASES.items():
            uow.products.add(a_product(sku, release))
        uow.commit()
    with uow:
        found = uow.products.released_between(date(2026, 10, 16), date(2026, 12, 15))
        assert [p.sku for p in found] == ["OUT", "TODAY"]


class NoCatalogue(AssertionError):
    """Raised by the stand-in store if a release run asks for the whole catalogue."""


def test_a_release_run_never_lists_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.products.add(a_product("CONSOLE", date(2026, 12, 15)))
        for n in range(200):
            uow.products.add(a_product(f"SKU-{n:03d}"))
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.stock.add(Stock("CONSOLE", "NJ", on_hand=1))
        uow.commit()

    def no_listing(*args: Any, **kwargs: Any) -> Any:
        raise NoCatalogue("a pre-order run listed the whole catalogue")

    monkeypatch.setattr(uow.products, "list", no_listing)
    decider = Decider(RulesetRegistry(), load_catalog(), DeciderSettings("greedy"))
    clock = Clock(datetime(2026, 11, 18, 10, 0))
    bus = build_bus(lambda: uow, decider, clock, PipelineOptions())
    order_id = bus.handle(
        c.CreateOrder("web", "P-1", "c1", c.AddressInput("10001"), (c.LineInput("CONSOLE", 1),))
    )
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.PREORDERED
    early = bus.handle(c.ReleaseDuePreorders())
    assert isinstance(early, PreorderRelease) and early.count == 0
    clock.now = datetime(2026, 12, 15, 9, 0)
    done = bus.handle(c.ReleaseDuePreorders())
    assert isinstance(done, PreorderRelease) and done.released == [order_id]
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED
