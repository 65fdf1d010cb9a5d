"""Labelling a packed shipment prints a label per parcel through its carrier and keeps each
parcel's tracking number, the first parcel's being the shipment's; printed again in the
other format, the numbers stay. A one-parcel shipment is labelled as an unpacked one is; a
carrier whose connector labels no parcels is refused with nothing written."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from connectors.carriers.ratecard import RateCardCarrier
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.commands import LabelShipment
from engine.domain.errors import Conflict
from engine.domain.fulfilment import Parcel, ShipmentLine, ShipmentStatus
from engine.service_layer.messagebus import MessageBus, build_bus
from tests.support import builders as b
from tests.unit.pipeline.test_label_commands import RecordingCarrier

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PARCELS = [
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 20.55, 20.55, {"PLATE": 2}),
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 20.55, 20.55, {"PLATE": 2}),
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 10.55, 10.55, {"PLATE": 1}),
]


def a_bus(parcels: list[Parcel], carrier: object) -> tuple[MessageBus, InMemoryUnitOfWork]:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(b.an_order(ship_to=b.an_address(postal_code="10001", city="New York")))
        uow.locations.add(b.a_location())
        uow.products.add(b.a_product(sku="PLATE", weight_kg=10.0))
        uow.shipments.add(
            b.a_shipment(
                status=ShipmentStatus.RELEASED,
                lines=[ShipmentLine("L1", "PLATE", sum(p.units["PLATE"] for p in parcels) or 1)],
                carrier="PCL",
                service="ground",
                shipped_at=None,
                tracking_number="",
                label_format="",
                parcels=list(parcels),
            )
        )
        uow.commit()
    bus = build_bus(lambda: uow, decider=None, clock=lambda: NOW, carriers={"PCL": carrier}.get)
    return bus, uow


def test_a_packed_shipment_keeps_a_tracking_number_per_parcel_the_first_its_own() -> None:
    bus, uow = a_bus(PARCELS, RateCardCarrier({"carrier": "PCL"}))

    assert bus.handle(LabelShipment("F-1", "zpl")) is True

    with uow:
        shipment = uow.shipments.get("F-1")
        label = uow.labels.get("shipment", "F-1")
        assert shipment is not None and label is not None
        numbers = [parcel.tracking_number for parcel in shipment.parcels]
        assert numbers[0] == shipment.tracking_number and len(set(numbers)) == 3
        assert [p.weight_kg for p in shipment.parcels] == [20.55, 20.55, 10.55]
        text = label.content.decode("ascii")
        assert text.count("^XA") == 3
        for place, number in enumerate(numbers, start=1):
            assert f"^FDTRACKING #: {number}^FS" in text
            assert f"PARCEL {place} OF 3   45 x 35 x 25 cm" in text
        assert "Weight: 10.55 kg" in text

    assert bus.handle(LabelShipment("F-1", "pdf")) is True

    with uow:
        again = uow.shipments.get("F-1")
        pdf = uow.labels.get("shipment", "F-1")
        assert again is not None and pdf is not None
        assert [parcel.tracking_number for parcel in again.parcels] == numbers
        assert len(re.findall(rb"/Type /Page\b(?!s)", pdf.content)) == 3


def test_a_one_parcel_shipment_is_labelled_as_an_unpacked_one_and_its_parcel_numbered() -> None:
    one = RecordingCarrier()
    bus, uow = a_bus(PARCELS[2:], one)
    unpacked = RecordingCarrier()
    plain_bus, _ = a_bus([], unpacked)

    bus.handle(LabelShipment("F-1", "pdf"))
    plain_bus.handle(LabelShipment("F-1", "pdf"))

    assert one.asked == unpacked.asked
    assert "parcels" not in one.asked[0][0]
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        assert [p.tracking_number for p in shipment.parcels] == ["UPS0001"]


def test_a_carrier_that_labels_no_parcels_is_refused_and_nothing_is_kept() -> None:
    carrier = RecordingCarrier()
    bus, uow = a_bus(PARCELS, carrier)

    with pytest.raises(Conflict, match="packed in 3 parcels, and carrier PCL printed labels for 1"):
        bus.handle(LabelShipment("F-1", "pdf"))

    [(fields, _, _)] = carrier.asked
    assert fields["parcels"][2] == {
        "weight_kg": 10.55, "length_cm": 45.0, "width_cm": 35.0, "height_cm": 25.0,
    }  # fmt: skip
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.label_format == ""
        assert all(parcel.tracking_number == "" for parcel in shipment.parcels)
        assert uow.labels.get("shipment", "F-1") is None
