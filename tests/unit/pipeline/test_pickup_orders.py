"""Click and collect: a pickup order is sourced at its store alone, with no carrier, and the
store's packing tells the customer it is ready; what the store lacks waits there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

import dsl
from engine.adapters.bus.base import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands, events
from engine.domain.catalog import Location, LocationType, Product, Service
from engine.domain.errors import Conflict, IllegalTransition
from engine.domain.fulfilment import FulfillmentOrder, ShipmentLine, ShipmentStatus
from engine.domain.inventory import InboundSupply, Stock
from engine.domain.orders import Fulfilment, InvalidLine, Order, OrderLine, OrderStatus
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.stock_view import SnapshotStockView
from engine.rules.registry import CompiledRuleset, RulesetRegistry, snapshot_of
from engine.rules.schema import domain_schema
from engine.service_layer.handlers import PipelineOptions, create_order
from engine.service_layer.labels import label_shipment, no_carriers
from engine.service_layer.messagebus import build_bus
from engine.service_layer.notifications import CustomerNotifier, customer_message_kind
from engine.service_layer.warehouse import WarehouseReleaser

MORNING = datetime(2026, 11, 18, 10, 0)  # a Wednesday
EVENING = datetime(2026, 11, 18, 19, 0)
DC = Location("NJ-DC", "Newark DC", LocationType.WAREHOUSE, Address("07114"))
STORE = Location(
    "NYC-5", "Fifth Avenue", LocationType.STORE, Address("10001", line1="350 5th Ave"),
    cutoff=time(17, 0), services=frozenset({Service.PICKUP}),
)  # fmt: skip
MUG = Product("MUG", "Mug", Decimal("12.00"), weight_kg=0.4)
NO_DCS = """sourcing ruleset pickups on order.received policy all

rule "Pickups are never served by a warehouse"
  when order.fulfilment == "pickup"
  then exclude location.type == "warehouse"
"""
NOT_AT_NYC = """sourcing ruleset closed on order.received policy all

rule "The Fifth Avenue counter is closed"
  when order.pickup_location == "NYC-5"
  then exclude location.code == "NYC-5"
"""


def a_decider(*sourcing: str) -> Decider:
    compiled = [
        CompiledRuleset(f"r{n}", "sourcing", 1, dsl.compile(source, domain_schema()))
        for n, source in enumerate(sourcing)
    ]
    return Decider(RulesetRegistry(snapshot_of(compiled)), load_catalog(), DeciderSettings())


def a_pickup(quantity: int = 2, store: str = "NYC-5") -> Order:
    return Order(
        "O-1", "web", "W-1", "C-1", Address("10001"),
        [OrderLine("1", "MUG", quantity, Decimal("12.00"))], created_at=MORNING,
        fulfilment=Fulfilment.PICKUP, pickup_location=store,
    )  # fmt: skip


def decide(
    order: Order,
    stock: Sequence[Stock],
    now: datetime = MORNING,
    inbound: Sequence[InboundSupply] = (),
    decider: Decider | None = None,
    locations: Sequence[Location] = (DC, STORE),
) -> Decision:
    return (decider or a_decider()).decide(
        order, None, {"MUG": MUG}, list(locations), SnapshotStockView(list(stock)), now,
        inbound=inbound,
    )  # fmt: skip


def test_a_pickup_order_is_sourced_at_its_store_alone_with_no_carrier() -> None:
    stock = [Stock("MUG", "NJ-DC", on_hand=50), Stock("MUG", "NYC-5", on_hand=3)]

    decision = decide(a_pickup(), stock)

    assert decision.outcome == "allocated"
    [shipment] = decision.shipments
    assert (shipment.location_code, shipment.carrier, shipment.service, shipment.rate) == (
        "NYC-5", "pickup", "in_store", 0.0,
    )  # fmt: skip
    assert shipment.promised_date == date(2026, 11, 18)
    assert decision.trace["pickup"]["location"] == "NYC-5"
    excluded = decision.trace["sourcing"]["lines"]["1"]["excluded"]
    assert excluded == {"NJ-DC": "not the pickup store: the order is collected at NYC-5"}


def test_a_shipped_order_still_goes_to_the_cheapest_location_that_ships() -> None:
    order = a_pickup()
    order.fulfilment, order.pickup_location = Fulfilment.SHIP, None
    stock = [Stock("MUG", "NJ-DC", on_hand=50), Stock("MUG", "NYC-5", on_hand=3)]

    decision = decide(order, stock)

    assert [s.location_code for s in decision.shipments] == ["NJ-DC"]
    assert decision.shipments[0].carrier != "pickup" and "pickup" not in decision.trace


def test_past_the_stores_cut_off_a_pickup_is_ready_the_next_day() -> None:
    decision = decide(a_pickup(), [Stock("MUG", "NYC-5", on_hand=3)], now=EVENING)

    assert decision.shipments[0].promised_date == date(2026, 11, 19)


def test_what_the_store_lacks_waits_there_promised_from_its_own_inbound_supply() -> None:
    stock = [Stock("MUG", "NJ-DC", on_hand=50), Stock("MUG", "NYC-5", on_hand=1)]
    inbound = [
        InboundSupply("PO-1", "MUG", "NJ-DC", 10, date(2026, 11, 20)),
        InboundSupply("PO-2", "MUG", "NYC-5", 10, date(2026, 11, 25)),
    ]

    decision = decide(a_pickup(quantity=3), stock, inbound=inbound)

    assert decision.outcome == "partially_allocated"
    assert [(a.location_code, a.quantity) for a in decision.allocations] == [("NYC-5", 1)]
    [waiting] = decision.backorders
    assert (waiting.quantity, waiting.mode, waiting.promised_date) == (
        2, "backorder", date(2026, 11, 25),
    )  # fmt: skip


def test_a_pickup_at_a_store_with_nothing_is_backordered_there() -> None:
    decision = decide(a_pickup(), [Stock("MUG", "NJ-DC", on_hand=50)])

    assert (decision.outcome, decision.allocations, decision.shipments) == ("backordered", (), ())
    assert decision.trace["sourcing"]["lines"]["1"]["excluded"]["NYC-5"] == "nothing in stock"


def test_a_sourcing_rule_reads_the_pickup_facts() -> None:
    order = a_pickup()
    order.fulfilment, order.pickup_location = Fulfilment.SHIP, None
    stock = [Stock("MUG", "NJ-DC", on_hand=50)]
    assert decide(order, stock, decider=a_decider(NO_DCS)).outcome == "allocated"

    closed = decide(a_pickup(), [Stock("MUG", "NYC-5", on_hand=3)], decider=a_decider(NOT_AT_NYC))

    assert (closed.outcome, closed.code) == ("held", "pickup_unavailable")
    assert "excluded by rule 'The Fifth Avenue counter is closed'" in closed.message


def test_a_store_that_offers_no_pickup_holds_the_order_rather_than_shipping_it() -> None:
    decision = decide(a_pickup(store="NJ-DC"), [Stock("MUG", "NJ-DC", on_hand=50)])

    assert (decision.outcome, decision.code) == ("held", "pickup_unavailable")
    assert decision.message.endswith("location does not offer pickup")


def test_an_order_collected_nowhere_or_shipped_to_a_store_is_refused_at_pickup_location() -> None:
    with pytest.raises(InvalidLine) as nowhere:
        a_pickup(store="")
    with pytest.raises(InvalidLine) as shipped:
        Order(
            "O-2", "web", "W-2", "C-1", Address("10001"),
            [OrderLine("1", "MUG", 1, Decimal("1"))], created_at=MORNING, pickup_location="NYC-5",
        )  # fmt: skip

    assert nowhere.value.loc == shipped.value.loc == ("pickup_location",)


def a_pickup_shipment(carrier: str = "pickup") -> FulfillmentOrder:
    return FulfillmentOrder(
        "F-1", "O-1", "NYC-5", [ShipmentLine("1", "MUG", 2)], MORNING,
        status=ShipmentStatus.PICKED, carrier=carrier,
    )  # fmt: skip


def test_a_packed_pickup_is_ready_and_is_delivered_when_collected() -> None:
    shipment = a_pickup_shipment()

    shipment.move(ShipmentStatus.PACKED, MORNING)
    shipment.move(ShipmentStatus.DELIVERED, EVENING)

    assert events.ShipmentReadyForPickup("F-1", "O-1", "NYC-5") in shipment.events
    assert (shipment.status, shipment.delivered_at) == (ShipmentStatus.DELIVERED, EVENING)


def test_only_a_pickup_goes_from_packed_to_delivered() -> None:
    parcel = a_pickup_shipment(carrier="ups")
    parcel.move(ShipmentStatus.PACKED, MORNING)

    with pytest.raises(IllegalTransition):
        parcel.move(ShipmentStatus.DELIVERED, EVENING)
    assert not any(isinstance(e, events.ShipmentReadyForPickup) for e in parcel.events)


def test_the_customer_is_told_where_to_collect_a_ready_pickup() -> None:
    order = a_pickup()
    order.email = "ada@example.com"
    uow = InMemoryUnitOfWork()
    with uow:
        uow.locations.add(STORE)
        uow.orders.add(order)
        uow.shipments.add(a_pickup_shipment())
        uow.commit()
    sent: list[tuple[str, dict[str, object]]] = []

    class Outbox:
        def notify(self, kind: str, to: Sequence[str], context: object) -> None:
            assert isinstance(context, dict)
            sent.append((kind, context))

    payload = {"shipment_id": "F-1", "order_id": "O-1", "location_code": "NYC-5"}
    assert customer_message_kind("shipment.ready_for_pickup", payload) == "ready_for_pickup"
    CustomerNotifier(Outbox())(Message("e1", "shipment.ready_for_pickup", payload, "O-1"), uow)

    [(kind, context)] = sent
    assert kind == "ready_for_pickup"
    assert context["pickup"] == {
        "code": "NYC-5",
        "name": "Fifth Avenue",
        "address": "350 5th Ave, 10001",
    }


def test_a_pickup_gets_no_label_and_never_goes_to_a_warehouse_system() -> None:
    uow = InMemoryUnitOfWork()
    shipment = a_pickup_shipment()
    shipment.status = ShipmentStatus.RELEASED
    with uow:
        uow.shipments.add(shipment)
        uow.commit()

    with pytest.raises(Conflict, match="collected by the customer at NYC-5"):
        label_shipment(commands.LabelShipment("F-1", "pdf"), uow, lambda: MORNING, no_carriers)

    released = {"shipment_id": "F-1", "location_code": "NYC-5", "to_status": "released"}
    releaser = WarehouseReleaser({"*": object()})  # type: ignore[dict-item]
    assert not releaser.wants(
        Message("e2", "shipment.status_changed", {**released, "carrier": "pickup"}, "O-1")
    )
    assert releaser.wants(
        Message("e3", "shipment.status_changed", {**released, "carrier": "ups"}, "O-1")
    )


def a_store_world() -> tuple[InMemoryUnitOfWork, object]:
    uow = InMemoryUnitOfWork()
    with uow:
        for location in (DC, STORE):
            uow.locations.add(location)
        uow.products.add(MUG)
        uow.stock.add(Stock("MUG", "NJ-DC", on_hand=50))
        uow.stock.add(Stock("MUG", "NYC-5", on_hand=1))
        uow.commit()
    return uow, build_bus(lambda: uow, a_decider(), lambda: MORNING)


def a_command(**kw: object) -> commands.CreateOrder:
    values: dict[str, object] = dict(
        channel="web", channel_order_id="W-1", customer_id="C-1",
        ship_to=commands.AddressInput("10001"), lines=(commands.LineInput("MUG", 3),),
        fulfilment="pickup", pickup_location="NYC-5",
    )  # fmt: skip
    return commands.CreateOrder(**{**values, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("store", "says"),
    [("NOWHERE", "is not known to Ordo"), ("NJ-DC", "does not offer pickup")],
)
def test_creating_a_pickup_at_a_store_that_cannot_take_it_is_refused(store: str, says: str) -> None:
    uow, _ = a_store_world()

    with pytest.raises(InvalidLine, match=says) as refused:
        create_order(a_command(pickup_location=store), uow, lambda: MORNING)

    assert refused.value.loc == ("pickup_location",)
    assert uow.orders.search(limit=10) == []


def test_the_rest_of_a_pickup_is_served_when_its_store_receives_stock_not_elsewhere() -> None:
    uow, bus = a_store_world()
    order_id = bus.handle(a_command())  # type: ignore[attr-defined]
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED
        assert order.lines[0].status.value == "backordered"

    bus.handle(commands.ReceiveStock("MUG", "NJ-DC", 10))  # type: ignore[attr-defined]
    with uow:
        assert len(uow.shipments.for_order(order_id)) == 1

    bus.handle(commands.ReceiveStock("MUG", "NYC-5", 10))  # type: ignore[attr-defined]
    with uow:
        shipments = uow.shipments.for_order(order_id)
        # Both made at the same instant: listed in no particular order.
        assert sorted((s.location_code, s.carrier, s.quantity) for s in shipments) == [
            ("NYC-5", "pickup", 1), ("NYC-5", "pickup", 2),
        ]  # fmt: skip


def test_a_pickup_and_a_shipped_order_to_one_address_are_not_consolidated() -> None:
    uow, _ = a_store_world()
    bus = build_bus(lambda: uow, a_decider(), lambda: MORNING, PipelineOptions(auto_release=False))
    collected = bus.handle(a_command(lines=(commands.LineInput("MUG", 1),)))
    shipped = bus.handle(a_command(channel_order_id="W-2", fulfilment="ship", pickup_location=None))

    bus.handle(commands.ConsolidateOrders("C-1"))

    with uow:
        statuses = {
            order_id: order.status
            for order_id in (collected, shipped)
            if (order := uow.orders.get(str(order_id))) is not None
        }
    assert OrderStatus.CANCELLED not in statuses.values(), statuses


def test_a_pickup_waiting_at_the_counter_is_not_late_but_one_not_ready_is() -> None:
    shipment = a_pickup_shipment()
    shipment.promised_date = MORNING.date()
    a_week_on = MORNING.date() + timedelta(days=7)
    assert shipment.is_late(a_week_on), "picked but not packed: the store is late"

    shipment.move(ShipmentStatus.PACKED, MORNING)

    assert not shipment.is_late(a_week_on)
