"""A short pick of a packed shipment packs what is left again into its location's boxes, billed
as the Decider bills them for the shipment's carrier service, and voids a label printed for
the old boxes (its document goes; printed again, the new boxes are numbered). Without a box
catalogue what is left ships as one parcel and the label stays, as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from connectors.carriers.ratecard import RateCardCarrier
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.fulfilment import FulfillmentOrder, Parcel
from engine.domain.inventory import Stock
from engine.domain.packaging import Box, BoxCatalog
from engine.domain.values import Address, Dimensions
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus
from tests.support.clock import Clock

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
# One shoe a box: a box holds 1.5 kg, a shoe weighs 1.2.
SHOEBOXES = BoxCatalog((Box("SHOEBOX", 30.0, 20.0, 10.0, 1.5, 0.2, 0.45),))
SHOE = Product("SHOE", "Trail shoe", Decimal("80.00"), 1.2, Dimensions(25.0, 15.0, 8.0))


def a_bus(packaging: BoxCatalog | None) -> tuple[MessageBus, InMemoryUnitOfWork]:
    uow = InMemoryUnitOfWork()
    with uow:
        address = Address("07114", line1="1 Dock Rd", city="Newark", state="NJ")
        uow.locations.add(Location("NJ", "Newark DC", LocationType.WAREHOUSE, address))
        uow.products.add(SHOE)
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.stock.add(Stock("SHOE", "NJ", on_hand=3))
        uow.commit()
    registry = RulesetRegistry.from_sources([])
    decider = Decider(registry, load_catalog(), DeciderSettings("greedy"), packaging)
    bus = build_bus(
        lambda: uow,
        decider,
        Clock(NOW),
        PipelineOptions(),
        carriers=lambda code: RateCardCarrier({"carrier": code}),
    )
    return bus, uow


def an_order_of_three_shoes(bus: MessageBus, uow: InMemoryUnitOfWork) -> FulfillmentOrder:
    ship_to = c.AddressInput("10001", "US", "350 5th Ave", "New York", "NY", "Ann Lee")
    order_id = bus.handle(c.CreateOrder("web", "S-1", "c1", ship_to, (c.LineInput("SHOE", 3),)))
    with uow:
        [shipment] = uow.shipments.for_order(str(order_id))
        return shipment


def short_one(bus: MessageBus, uow: InMemoryUnitOfWork, shipment_id: str) -> FulfillmentOrder:
    bus.handle(c.ReportShortPick(shipment_id, (c.ShortLineInput(1, sku="SHOE"),), "torn box"))
    with uow:
        shipment = uow.shipments.get(shipment_id)
        assert shipment is not None
        return shipment


def unnumbered(parcels: list[Parcel]) -> list[Parcel]:
    return [replace(parcel, tracking_number="") for parcel in parcels]


def test_what_a_short_pick_left_is_packed_again_and_billed_as_the_decider_bills_it() -> None:
    bus, uow = a_bus(SHOEBOXES)
    planned = an_order_of_three_shoes(bus, uow)
    assert [p.units for p in planned.parcels] == [{"SHOE": 1}] * 3
    assert all(p.billable_weight_kg for p in planned.parcels)

    shipment = short_one(bus, uow, planned.id)

    # The two boxes left are the two planned for the same shoes, priced the same way.
    assert shipment.parcels == planned.parcels[:2]
    with uow:
        [entry] = uow.audit.list(entity="shipment", entity_id=planned.id)
        assert (entry.before["parcels"], entry.after["parcels"]) == (3, 2)


def test_a_label_printed_for_the_old_boxes_is_voided_and_printed_again_for_the_new() -> None:
    bus, uow = a_bus(SHOEBOXES)
    planned = an_order_of_three_shoes(bus, uow)
    bus.handle(c.LabelShipment(planned.id, "zpl"))
    with uow:
        labelled = uow.shipments.get(planned.id)
        assert labelled is not None and labelled.label_format == "zpl"
        master = labelled.tracking_number

    shipment = short_one(bus, uow, planned.id)

    assert (shipment.label_format, shipment.tracking_number) == ("", master)
    assert shipment.parcels == unnumbered(labelled.parcels[:2])
    with uow:
        assert uow.labels.get("shipment", planned.id) is None
        [entry] = [
            entry
            for entry in uow.audit.list(entity="shipment", entity_id=planned.id)
            if entry.action == "shipment.short_pick"
        ]
        assert (entry.before["label_format"], entry.after["label_format"]) == ("zpl", "")

    assert bus.handle(c.LabelShipment(planned.id, "zpl")) is True
    with uow:
        again = uow.shipments.get(planned.id)
        label = uow.labels.get("shipment", planned.id)
        assert again is not None and label is not None
        assert again.tracking_number == master == again.parcels[0].tracking_number
        assert label.content.decode("ascii").count("^XA") == 2


def test_only_a_deployment_with_its_box_catalogue_packs_again_and_voids_the_label() -> None:
    shipments = []
    for packaging in (SHOEBOXES, None):
        bus, uow = a_bus(SHOEBOXES)
        planned = an_order_of_three_shoes(bus, uow)
        bus.handle(c.LabelShipment(planned.id, "pdf"))
        bus.dependencies["decider"].packaging = packaging  # None: the catalogue taken away
        shipments.append((short_one(bus, uow, planned.id), uow))

    (packed, packed_uow), (unpacked, unpacked_uow) = shipments
    assert (len(packed.parcels), packed.label_format) == (2, "")
    # Without it, what is left ships as one parcel and the label printed stays, as before.
    assert (unpacked.parcels, unpacked.label_format) == ([], "pdf")
    with packed_uow, unpacked_uow:
        assert packed_uow.labels.get("shipment", packed.id) is None
        assert unpacked_uow.labels.get("shipment", unpacked.id) is not None
