"""A realistic, deterministic demo data set, written through the unit of work.

About twenty US locations at real postal codes, some three hundred SKUs, stock and inbound
supply, fifty customers and sixty orders at every stage. `seed_demo` is idempotent: each row
has a stable key, and whatever already exists is counted and left alone, so `ordo demo` can
be run again (or after an interrupted run) without duplicating anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from engine.domain.inventory import Stock
from engine.domain.values import utcnow
from engine.service_layer.unit_of_work import UnitOfWork
from ordo.demo.orders import place_order, plan_orders
from ordo.demo.stock import plan_inbound, plan_stock
from ordo.demo.world import build_world

UowFactory = Callable[[], UnitOfWork]
T = TypeVar("T")


@dataclass
class DemoSummary:
    """How many rows of each kind this run added, and how many it found already there."""

    added: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, entity: str, *, added: int = 0, existing: int = 0) -> None:
        self.added[entity] = self.added.get(entity, 0) + added
        self.existing[entity] = self.existing.get(entity, 0) + existing

    def counts(self) -> dict[str, tuple[int, int]]:
        return {name: (self.added[name], self.existing.get(name, 0)) for name in self.added}


def database_is_empty(uow_factory: UowFactory) -> bool:
    """True when there is no location yet: nothing can be sold, so the demo is welcome."""
    with uow_factory() as uow:
        return not uow.locations.list(limit=1)


def seed_demo(
    uow_factory: UowFactory,
    *,
    today: date | None = None,
    now: datetime | None = None,
    live: bool = False,
) -> DemoSummary:
    """Write the demo data set, one transaction per kind of row, skipping existing rows.
    `live=True` (the CLI) also runs fresh orders through the order pipeline."""
    now = now or utcnow()
    today = today or now.date()
    world = build_world(today)
    stock = plan_stock(world.products, world.locations)
    summary = DemoSummary()
    with uow_factory() as uow:
        for loc in world.locations:
            _add_new(summary, "locations", uow.locations.get(loc.code), uow.locations.add, loc)
        for product in world.products:
            _add_new(summary, "products", uow.products.get(product.sku), uow.products.add, product)
        for person in world.customers:
            _add_new(summary, "customers", uow.customers.get(person.id), uow.customers.add, person)
        uow.commit()
    with uow_factory() as uow:
        _seed_stock(uow, summary, stock, [location.code for location in world.locations])
        for supply in plan_inbound(world.products, stock, world.locations, today):
            _add_new(summary, "inbound", uow.inbound.get(supply.id), uow.inbound.add, supply)
        uow.commit()
    with uow_factory() as uow:
        for plan in plan_orders(world, now):
            if uow.orders.get(plan.order.id) is not None:
                summary.count("orders", existing=1)
                continue
            placed = place_order(uow, plan, world.locations, stock)
            summary.count("orders", added=1)
            summary.count("reservations", added=placed.reservations)
            summary.count("shipments", added=placed.shipments)
        uow.commit()
    if live:
        # Issue 4: publish the shipped rulesets, then decide fresh orders (some of which must
        # split) and every order still `received` through the real pipeline.
        from ordo.demo.pipeline import run_pipeline

        for status, count in run_pipeline(uow_factory, now).items():
            summary.count(f"pipeline: {status}", added=count)
    return summary


def _seed_stock(
    uow: UnitOfWork, summary: DemoSummary, stock: list[Stock], codes: list[str]
) -> None:
    present = {
        (row.sku, row.location_code) for code in codes for row in uow.stock.for_location(code)
    }
    for row in stock:
        if (row.sku, row.location_code) in present:
            summary.count("stock rows", existing=1)
        else:
            uow.stock.add(row)
            summary.count("stock rows", added=1)


def _add_new(
    summary: DemoSummary, entity: str, found: T | None, add: Callable[[T], None], item: T
) -> None:
    if found is None:
        add(item)
        summary.count(entity, added=1)
    else:
        summary.count(entity, existing=1)
