"""A small world for property and model tests: five locations, three SKUs, a bus on memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus

LOCATIONS = {
    "NJ": "07114",
    "PA": "19153",
    "IL": "60666",
    "TX": "75261",
    "CA": "90045",
}
SKUS = ("A", "B", "C")
START = datetime(2026, 11, 18, 10, 0)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


@dataclass
class Engine:
    bus: MessageBus
    uow: InMemoryUnitOfWork
    clock: Clock


def build(
    stock: dict[tuple[str, str], tuple[int, int]],
    rules: list[str] | None = None,
    settings: DeciderSettings | None = None,
    options: PipelineOptions | None = None,
) -> Engine:
    """`stock[(sku, location)] = (on_hand, safety_stock)`."""
    uow = InMemoryUnitOfWork()
    with uow:
        for code, postal in LOCATIONS.items():
            uow.locations.add(Location(code, code, LocationType.WAREHOUSE, Address(postal)))
        for sku in SKUS:
            uow.products.add(Product(sku, sku, Decimal("20.00"), weight_kg=1.0))
        uow.customers.add(Customer("c1", "c1@example.com"))
        for (sku, code), (on_hand, safety) in stock.items():
            uow.stock.add(Stock(sku, code, on_hand=on_hand, safety_stock=safety))
        uow.commit()
    registry = RulesetRegistry.from_sources(rules or [])
    decider = Decider(registry, load_catalog(), settings or DeciderSettings())
    clock = Clock()
    return Engine(build_bus(lambda: uow, decider, clock, options), uow, clock)
