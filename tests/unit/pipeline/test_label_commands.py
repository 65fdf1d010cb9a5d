"""Labelling a shipment is a command (`LabelShipment`) the bus hands to one handler, which
prints through the carrier connector the composition root gave the bus: these run it on the
in-memory fakes with a connector that records what it was asked to print."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from connectors.base import (
    Carrier,
    DeliveryError,
    PermanentRefusal,
    RateQuote,
    ShippingLabel,
    TrackingUpdate,
)
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.commands import LabelShipment
from engine.domain.errors import Conflict, Unavailable
from engine.domain.fulfilment import Label, ShipmentStatus
from engine.service_layer.messagebus import MessageBus, build_bus
from tests.support import builders as b

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class RecordingCarrier(Carrier):
    slug = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[dict[str, Any], str, str]] = []

    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]:
        return []

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        self.asked.append((dict(shipment), service, format))
        return ShippingLabel(shipment["tracking_number"] or "UPS0001", format, b"label")

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return []


def a_bus(carrier: Carrier | None) -> tuple[MessageBus, InMemoryUnitOfWork]:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(b.an_order(ship_to=b.an_address(postal_code="10001", city="New York")))
        uow.locations.add(b.a_location())
        uow.products.add(b.a_product(sku="SKU-1", weight_kg=1.25))
        uow.products.add(b.a_product(sku="SKU-2", weight_kg=0.5))
        shipment = b.a_shipment(
            status=ShipmentStatus.RELEASED,
            shipped_at=None,
            tracking_number="",
            label_format="",
        )
        uow.shipments.add(shipment)
        uow.commit()
    carriers = None if carrier is None else {"ups": carrier}.get
    return build_bus(lambda: uow, decider=None, clock=lambda: NOW, carriers=carriers), uow


def test_the_label_is_printed_by_the_shipments_carrier_from_its_location_to_the_order() -> None:
    carrier = RecordingCarrier()
    bus, uow = a_bus(carrier)

    assert bus.handle(LabelShipment("F-1", "zpl", "wh-key")) is True

    [(fields, service, format)] = carrier.asked
    assert (service, format) == ("ground", "zpl")
    assert fields == {
        "from_name": "Dallas DC", "from_line1": "1 Elm St", "from_city": "Dallas",
        "from_state": "TX", "from_postal_code": "75201", "from_country": "US",
        "to_name": "Ada Lovelace", "to_line1": "1 Elm St", "to_city": "New York",
        "to_state": "TX", "to_postal_code": "10001", "to_country": "US",
        "id": "F-1", "reference": "W-1001", "ship_date": date(2026, 11, 24),
        "tracking_number": "", "label_format": "", "weight_kg": 3.0,
    }  # fmt: skip
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        assert (shipment.tracking_number, shipment.label_format) == ("UPS0001", "zpl")
        assert uow.labels.get("shipment", "F-1") == Label("zpl", b"label")
        [entry] = uow.audit.list(entity="shipment", entity_id="F-1")
    assert (entry.action, entry.actor, entry.after) == (
        "shipment.label",
        "wh-key",
        {"tracking_number": "UPS0001", "label_format": "zpl"},
    )


def test_asked_again_in_the_same_format_nothing_is_printed_or_audited() -> None:
    carrier = RecordingCarrier()
    bus, uow = a_bus(carrier)
    bus.handle(LabelShipment("F-1", "pdf"))

    assert bus.handle(LabelShipment("F-1", "pdf")) is False
    assert bus.handle(LabelShipment("F-1", "zpl")) is True

    assert [(asked["tracking_number"], format) for asked, _, format in carrier.asked] == [
        ("", "pdf"),
        ("UPS0001", "zpl"),
    ]
    with uow:
        assert len(uow.audit.list(entity="shipment", entity_id="F-1")) == 2


def test_a_bus_built_without_carrier_connectors_refuses_naming_the_carrier() -> None:
    bus, uow = a_bus(None)
    with pytest.raises(Conflict, match="carrier ups has no connector to print labels with"):
        bus.handle(LabelShipment("F-1", "pdf"))
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.label_format == ""
        assert uow.labels.get("shipment", "F-1") is None


class FailingCarrier(RecordingCarrier):
    """A carrier's API that fails with `error` on every label."""

    def __init__(self, error: DeliveryError) -> None:
        super().__init__()
        self.error = error

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        raise self.error


def test_a_carrier_api_out_of_reach_is_a_refusal_to_ask_again_shortly_with_nothing_kept() -> None:
    bus, uow = a_bus(FailingCarrier(DeliveryError("EasyPost api.easypost.com unreachable")))

    with pytest.raises(Unavailable, match="unreachable; nothing is wrong with the request"):
        bus.handle(LabelShipment("F-1", "zpl", "wh-key"))
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and (shipment.tracking_number, shipment.label_format) == (
            "",
            "",
        )


def test_a_label_the_carrier_will_never_sell_as_asked_is_a_conflict() -> None:
    bus, _ = a_bus(FailingCarrier(PermanentRefusal("carrier ups has no service 'ground'")))

    with pytest.raises(Conflict, match="cannot be labelled: carrier ups has no service"):
        bus.handle(LabelShipment("F-1", "zpl", "wh-key"))


def dated(planned: date | None, shipped_at: datetime | None = None) -> date:
    """The ship date a label is printed with (at NOW, 24 November) for a shipment planned to
    leave on `planned`, and shipped at `shipped_at` (None: not yet)."""
    carrier = RecordingCarrier()
    bus, uow = a_bus(carrier)
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.planned_ship_date = planned
        if shipped_at is not None:
            shipment.status, shipment.shipped_at = ShipmentStatus.SHIPPED, shipped_at
        uow.commit()
    bus.handle(LabelShipment("F-1", "pdf", "wh-key"))
    [(fields, _, _)] = carrier.asked
    return date.fromisoformat(str(fields["ship_date"]))


def test_a_label_is_dated_the_planned_ship_day_unless_that_day_has_passed() -> None:
    # Printed ahead: the day the shipment is planned to leave, when the carrier takes it.
    assert dated(date(2026, 11, 26)) == date(2026, 11, 26)
    assert dated(date(2026, 11, 24)) == date(2026, 11, 24)
    # Late (the planned day has passed), or planned before Ordo kept the day: the day it
    # is printed, never a day gone.
    assert dated(date(2026, 11, 20)) == date(2026, 11, 24)
    assert dated(None) == date(2026, 11, 24)
    # Printed again after it shipped: the day it left.
    assert dated(date(2026, 11, 26), datetime(2026, 11, 23, 16, 0, tzinfo=UTC)) == date(
        2026, 11, 23
    )
