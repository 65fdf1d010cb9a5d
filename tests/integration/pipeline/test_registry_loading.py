"""The ruleset registry against a real database: when it loads, and how it learns of publishes.

Regressions: the first lazy load ran inside `process_order`'s SQLite write transaction and its
own read waited on that lock until "database is locked"; a worker read the rulesets inside its
open transaction the same way. And a publish in one process reached no other process until a
poll, because nothing subscribed to `ruleset.published`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine.domain import commands as c
from engine.domain import events
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.operations import RulesetStatus, RulesetVersion
from engine.domain.orders import OrderStatus
from engine.domain.values import Address
from engine.rules.registry import RulesetRegistry, published_loader
from engine.service_layer import rulesets_service
from ordo.bootstrap import Container, build_app_container, build_workers
from ordo.settings import load_settings

HEADER = "validation ruleset gate on order.received policy first\n"


def _gate(code: str) -> str:
    return HEADER + f'rule "hold all" when true then hold code "{code}" message "held"\n'


@pytest.fixture
def container(sqlite_url: str, tmp_path: Path) -> Iterator[Container]:
    settings = load_settings(database_url=sqlite_url, data_dir=tmp_path, redis_url=None)
    with build_app_container(settings) as built:
        with built.uow_factory() as uow:
            uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
            uow.products.add(Product("SKU", "Item", Decimal("10.00"), weight_kg=0.5))
            uow.customers.add(Customer("c1", "c1@example.com"))
            uow.stock.add(Stock("SKU", "NJ", on_hand=100))
            uow.commit()
        yield built


def _publish_directly(container: Container, code: str) -> None:
    with container.uow_factory() as uow:
        uow.rulesets.add(
            RulesetVersion(
                "gate-1",
                "gate",
                "validation",
                1,
                _gate(code),
                "ann",
                datetime(2026, 11, 1, tzinfo=UTC),
                RulesetStatus.PUBLISHED,
            )
        )
        uow.commit()


def _place(container: Container, name: str) -> str:
    line = c.LineInput("SKU", 1)
    return str(
        container.bus.handle(c.CreateOrder("web", name, "c1", c.AddressInput("10001"), (line,)))
    )


def _holds(container: Container, order_id: str) -> list[str]:
    with container.uow_factory() as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        assert order.status is OrderStatus.HELD
        return [hold.code for hold in order.holds]


def test_the_first_order_on_a_lazy_registry_is_decided_without_locking_sqlite(
    container: Container,
) -> None:
    _publish_directly(container, "GATE_V1")
    assert _holds(container, _place(container, "first")) == ["GATE_V1"]


def test_a_worker_compiles_the_published_rulesets_when_it_is_built(
    container: Container,
) -> None:
    _publish_directly(container, "GATE_V1")
    loads: list[int] = []
    loader = published_loader(container.uow_factory)

    def counting() -> list[RulesetVersion]:
        loads.append(1)
        return loader()

    container.rulesets = RulesetRegistry(loader=counting)
    build_workers(container, name="w")
    assert loads == [1]
    assert container.rulesets.snapshot.versions == {"gate": 1}


def test_a_ruleset_published_in_one_process_reaches_another_through_its_event(
    sqlite_url: str, tmp_path: Path, container: Container
) -> None:
    _publish_directly(container, "GATE_V1")
    settings = load_settings(database_url=sqlite_url, data_dir=tmp_path, redis_url=None)
    with build_app_container(settings) as other:
        assert _holds(other, _place(other, "before")) == ["GATE_V1"]

        draft = rulesets_service.create_draft(container.uow_factory(), _gate("GATE_V2"), "ann")
        rulesets_service.publish(container.uow_factory(), container.rulesets, draft.id, "ann")
        # The other process still decides with what it loaded until the event arrives.
        assert _holds(other, _place(other, "stale")) == ["GATE_V1"]

        other.bus.handle(
            events.RulesetPublished(draft.name, draft.version, draft.kind, draft.id, "ann")
        )
        assert other.rulesets.snapshot.versions == {"gate": 2}
        assert _holds(other, _place(other, "after")) == ["GATE_V2"]


def test_a_late_ruleset_published_event_does_not_bring_back_a_superseded_version(
    container: Container,
) -> None:
    _publish_directly(container, "GATE_V1")
    draft = rulesets_service.create_draft(container.uow_factory(), _gate("GATE_V2"), "ann")
    rulesets_service.publish(container.uow_factory(), container.rulesets, draft.id, "ann")

    container.bus.handle(events.RulesetPublished("gate", 1, "validation", "gate-1", "ann"))
    assert container.rulesets.snapshot.versions == {"gate": 2}
