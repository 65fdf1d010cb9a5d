"""The demo's live part: the shipped rulesets are published and fresh orders go through the
real pipeline (engine.service_layer.handlers), so the console shows decisions with traces,
including orders split across locations because no single location holds everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from engine.domain import commands as c
from engine.domain.catalog import Customer, Product
from engine.domain.inventory import Stock
from engine.service_layer.rulesets_service import ScenarioStore
from engine.service_layer.unit_of_work import UnitOfWork

# Units a location may hold back under the shipped reservation rules (warehouse buffer, B2B
# reserve, marketplace share): showcase orders only count on stock above this margin.
_MARGIN = 30


def run_pipeline(
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    scenarios: ScenarioStore | None = None,
) -> dict[str, int]:
    """Publish the shipped rulesets (their scenarios saved in `scenarios`, by default where
    the API keeps them), place the split showcase orders, decide every order still
    `received`; returns how many orders ended in each status."""
    from engine.pipeline.carriers import load_catalog
    from engine.pipeline.decide import Decider
    from engine.rules.registry import RulesetRegistry, published_loader
    from engine.service_layer.handlers import process_received_orders, publish_shipped_rulesets
    from engine.service_layer.messagebus import build_bus

    registry = RulesetRegistry(loader=published_loader(uow_factory))
    store = scenarios if scenarios is not None else _scenario_store(uow_factory)
    publish_shipped_rulesets(uow_factory, registry, scenarios=store)
    bus = build_bus(uow_factory, Decider(registry, load_catalog()), clock=lambda: now)
    outcome: dict[str, int] = {}
    for command in showcase_orders(uow_factory):
        with uow_factory() as uow:
            if uow.orders.get_by_channel_id(command.channel, command.channel_order_id):
                continue
        status = str(_status(bus.handle(command), uow_factory))
        outcome[status] = outcome.get(status, 0) + 1
    for status, count in process_received_orders(bus, uow_factory).items():
        outcome[status] = outcome.get(status, 0) + count
    return outcome


def _scenario_store(uow_factory: Callable[[], UnitOfWork]) -> ScenarioStore:
    """Where the API reads the scenarios saved with each version: the demo database's own
    table, or (an in-memory unit of work, in tests) memory."""
    from engine.adapters.orm_api import SqlScenarioStore
    from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
    from engine.service_layer.rulesets_service import InMemoryScenarioStore

    uow = uow_factory()
    if isinstance(uow, SqlAlchemyUnitOfWork):
        return SqlScenarioStore(uow.session_factory)
    return InMemoryScenarioStore()


def _status(order_id: str, uow_factory: Callable[[], UnitOfWork]) -> str:
    with uow_factory() as uow:
        order = uow.orders.get(order_id)
        return str(order.status) if order else "missing"


def showcase_orders(uow_factory: Callable[[], UnitOfWork], count: int = 6) -> list[c.CreateOrder]:
    """Two-line orders whose SKUs no single location holds together (they must split)."""
    with uow_factory() as uow:
        products = [p for p in uow.products.list(limit=10_000) if _plain(p)]
        customers = [x for x in uow.customers.list(limit=1000) if x.default_address]
        rows = [r for p in products for r in uow.stock.for_sku(p.sku)]
    where: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if _spare(row) > 0:
            where[row.sku].add(row.location_code)
    skus = sorted(where)
    pairs = []
    for i, first in enumerate(skus):
        partner = next((s for s in skus[i + 1 :] if not where[first] & where[s]), None)
        if partner is not None:
            pairs.append((first, partner))
        if len(pairs) == count:
            break
    return [_order(number, pair, customers) for number, pair in enumerate(pairs, start=1)]


def _plain(product: Product) -> bool:
    return not (
        product.is_kit
        or product.dropship_vendor
        or product.preorder_release
        or product.hazmat
        or product.weight_kg > 10
    )


def _spare(row: Stock) -> int:
    return row.on_hand - row.reserved - row.safety_stock - _MARGIN


def _order(number: int, skus: tuple[str, str], customers: list[Customer]) -> c.CreateOrder:
    customer = customers[number % len(customers)]
    address = customer.default_address
    assert address is not None
    return c.CreateOrder(
        channel="web",
        channel_order_id=f"SPLIT-{number:03d}",
        customer_id=customer.id,
        email=customer.email,
        ship_to=c.AddressInput(
            address.postal_code,
            address.country,
            address.line1,
            address.city,
            address.state,
            customer.name,
        ),
        lines=tuple(c.LineInput(sku, 1) for sku in skus),
    )
