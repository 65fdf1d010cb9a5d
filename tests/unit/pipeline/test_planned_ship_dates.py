"""A shipment keeps the day the decision that planned it says its location is to ship it
(`PlannedShipment.ship_date` -> `FulfillmentOrder.planned_ship_date`): when an order is
decided, when it is decided again after a change, and when units short-picked are sourced
again elsewhere. Run on the in-memory fakes with the real Decider, told which day to plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connectors.carriers.ratecard import RateCardCarrier
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.domain.inventory import Stock
from engine.domain.values import Address, Dimensions
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus
from tests.support.clock import Clock

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
SHOE = Product("SHOE", "Trail shoe", Decimal("80.00"), 1.2, Dimensions(25.0, 15.0, 8.0))
FIRST, SECOND = date(2026, 11, 19), date(2026, 11, 23)


class PlannedOn(Decider):
    """The Decider, each shipment it plans to leave on `day` (as its location's cut-off and
    handling time would say), so a test can move the day between decisions."""

    day = FIRST

    def decide(self, *args: Any, **kwargs: Any) -> Decision:
        decision = super().decide(*args, **kwargs)
        planned = tuple(replace(s, ship_date=self.day) for s in decision.shipments)
        return replace(decision, shipments=planned)


def a_bus() -> tuple[MessageBus, InMemoryUnitOfWork, PlannedOn]:
    """Newark holds 3 shoes and Philadelphia 2; Newark is nearer New York."""
    uow = InMemoryUnitOfWork()
    with uow:
        newark = Address("07114", line1="1 Dock Rd", city="Newark", state="NJ")
        philadelphia = Address("19104", line1="2 Pier Rd", city="Philadelphia", state="PA")
        uow.locations.add(Location("NJ", "Newark DC", LocationType.WAREHOUSE, newark))
        uow.locations.add(Location("PA", "Philadelphia DC", LocationType.WAREHOUSE, philadelphia))
        uow.products.add(SHOE)
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.stock.add(Stock("SHOE", "NJ", on_hand=3))
        uow.stock.add(Stock("SHOE", "PA", on_hand=2))
        uow.commit()
    registry = RulesetRegistry.from_sources([])
    decider = PlannedOn(registry, load_catalog(), DeciderSettings("greedy"))
    bus = build_bus(
        lambda: uow,
        decider,
        Clock(NOW),
        PipelineOptions(),
        carriers=lambda code: RateCardCarrier({"carrier": code}),
    )
    return bus, uow, decider


def shipments_of(uow: InMemoryUnitOfWork, order_id: str) -> list[FulfillmentOrder]:
    with uow:
        return [
            s for s in uow.shipments.for_order(order_id) if s.status is not ShipmentStatus.CANCELLED
        ]


def an_order(bus: MessageBus, shoes: int = 3) -> str:
    ship_to = c.AddressInput("10001", "US", "350 5th Ave", "New York", "NY", "Ann Lee")
    return str(
        bus.handle(c.CreateOrder("web", "S-1", "c1", ship_to, (c.LineInput("SHOE", shoes),)))
    )


def test_a_decided_orders_shipment_keeps_the_day_its_location_is_to_ship_it() -> None:
    bus, uow, _ = a_bus()
    [shipment] = shipments_of(uow, an_order(bus))
    assert (shipment.location_code, shipment.planned_ship_date) == ("NJ", FIRST)
    assert shipment.promised_date is not None  # the delivery, kept beside it as before


def test_an_order_decided_again_after_a_change_is_planned_for_the_new_day() -> None:
    bus, uow, decider = a_bus()
    order_id = an_order(bus, shoes=2)
    decider.day = SECOND
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None
        [line] = order.lines
    bus.handle(c.ModifyOrder(order_id, quantities={line.id: 1}))

    [shipment] = shipments_of(uow, order_id)
    assert (shipment.quantity, shipment.planned_ship_date) == (1, SECOND)


def test_units_short_picked_and_sourced_elsewhere_ship_on_the_day_planned_for_them() -> None:
    bus, uow, decider = a_bus()
    order_id = an_order(bus)
    [planned] = shipments_of(uow, order_id)
    decider.day = SECOND
    bus.handle(c.ReportShortPick(planned.id, (c.ShortLineInput(1, sku="SHOE"),), "torn box"))

    days = {(s.location_code, s.quantity, s.planned_ship_date) for s in shipments_of(uow, order_id)}
    # What was left keeps the day it was planned for; the shoe sourced again has its own.
    assert days == {("NJ", 2, FIRST), ("PA", 1, SECOND)}
