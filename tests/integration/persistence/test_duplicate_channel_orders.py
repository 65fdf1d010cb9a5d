"""A channel's own order id names one order per channel, on every backend: the second order
with it is refused by name and leaves nothing behind (no order, no reservation, no stock)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.domain import commands as c
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.errors import Conflict
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus
from tests.integration.persistence.conftest import UowFactory

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _order(channel: str, channel_order_id: str) -> c.CreateOrder:
    return c.CreateOrder(
        channel, channel_order_id, "c1", c.AddressInput("10001"), (c.LineInput("TSHIRT", 2),)
    )


def _bus(uow_factory: UowFactory) -> MessageBus:
    with uow_factory() as uow:
        uow.locations.add(
            Location("NJ-EWR", "NJ", LocationType.WAREHOUSE, Address(postal_code="07114"))
        )
        uow.products.add(Product("TSHIRT", "T-shirt", price=Decimal("10"), weight_kg=0.2))
        uow.stock.add(Stock("TSHIRT", "NJ-EWR", on_hand=10))
        uow.commit()
    decider = Decider(RulesetRegistry.from_sources([]), load_catalog())
    return build_bus(uow_factory, decider, lambda: NOW, PipelineOptions())


def test_a_second_order_with_the_same_channel_order_id_is_refused_and_leaves_nothing(
    uow_factory: UowFactory,
) -> None:
    bus = _bus(uow_factory)
    first = bus.handle(_order("web", "W-1"))

    with pytest.raises(Conflict) as refused:
        bus.handle(_order("web", "W-1"))

    assert refused.value.message == "order W-1 from channel web already exists"
    with uow_factory() as uow:
        assert [o.id for o in uow.orders.search(channel="web")] == [first]
        assert [r.order_id for r in uow.reservations.for_order(str(first))] == [first]
        [stock] = uow.stock.for_sku("TSHIRT")
        assert stock.reserved == 2, "the refused order's reservation was rolled back"


def test_the_same_channel_order_id_from_another_channel_is_another_order(
    uow_factory: UowFactory,
) -> None:
    bus = _bus(uow_factory)
    web = bus.handle(_order("web", "X-1"))
    pos = bus.handle(_order("pos", "X-1"))
    assert web != pos
