"""The customer's emails about a packed shipment name its parcels: the shipped email lists each
parcel's tracking number when there are several, a delivery exception or a slipped estimate of
one parcel says which ("parcel 2 of 3 (tracking ...)"), and an unpacked shipment's emails are
what they were before parcels were mentioned at all, byte for byte (`golden/`, captured from
the templates as they were). Built as the worker builds them (`CustomerNotifier` on an
in-memory store), rendered from the shipped templates."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from connectors.notifications.templates import TemplateRenderer
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import events
from engine.domain.fulfilment import FulfillmentOrder, Parcel
from engine.service_layer.notifications import CustomerNotifier
from tests.support.builders import a_plain_order, a_shipment

GOLDEN = Path(__file__).with_name("golden") / "unpacked_shipment_emails.json"
NUMBERS = ("PCL-1", "PCL-2", "PCL-3")
SCANNED_AT = "2026-03-05T10:00:00+00:00"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Mapping[str, Any]]] = []

    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
        self.sent.append((kind, context))


def a_box(tracking_number: str, box: str = "SHOEBOX") -> Parcel:
    return Parcel(box, 30, 20, 10, 1.7, 2.0, {"SKU-1": 1}, tracking_number)


def packed(*numbers: str) -> FulfillmentOrder:
    """The builders' shipment, packed into a box per number (the first its own number)."""
    return a_shipment(tracking_number=numbers[0], parcels=[a_box(n) for n in numbers])


def the_events(parcel: str = "") -> dict[str, events.Event]:
    """An event of each kind the customer hears of a shipment by, naming `parcel` if given."""
    return {
        "order_shipped": events.ShipmentStatusChanged(
            "F-1", "O-1", "DAL-01", "packed", "shipped", "ups", "1Z999"
        ),
        "order_delivered": events.ShipmentStatusChanged(
            "F-1", "O-1", "DAL-01", "shipped", "delivered", "ups", "1Z999"
        ),
        "order_delayed": events.ShipmentLate("F-1", "O-1", "ups", "DAL-01", 30.0),
        "delivery_attempted": events.ShipmentDeliveryException(
            "F-1", "O-1", "attempted", "02", "Receiver not home", SCANNED_AT, "Dallas, TX", parcel
        ),
        "delivery_problem": events.ShipmentDeliveryException(
            "F-1", "O-1", "exception", "ZZ-41", "Package damaged", SCANNED_AT, "Dallas, TX", parcel
        ),
        "delivery_estimate_slipped": events.ShipmentDeliveryEstimateSlipped(
            "F-1", "O-1", "ups", "DAL-01", "2026-03-06", "2026-03-09", "2026-03-06", 3, parcel
        ),
    }


def emails(shipment: FulfillmentOrder, parcel: str = "") -> dict[str, tuple[str, str, str]]:
    """(subject, text, html) of each message the events about `shipment` send."""
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(a_plain_order(1, email="ada@example.com"))
        uow.shipments.add(shipment)
        uow.commit()
    recorder = Recorder()
    with uow:
        for event in the_events(parcel).values():
            CustomerNotifier(recorder)(Message("1", event.name, event.payload(), "O-1"), uow)
    renderer = TemplateRenderer()
    return {kind: renderer.render(kind, context) for kind, context in recorder.sent}


def golden() -> dict[str, dict[str, list[str]]]:
    loaded: dict[str, dict[str, list[str]]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return loaded


def as_lists(rendered: dict[str, tuple[str, str, str]]) -> dict[str, list[str]]:
    return {kind: list(parts) for kind, parts in rendered.items()}


@pytest.mark.parametrize(
    ("case", "shipment", "parcel"),
    [
        ("unnamed", a_shipment(), ""),
        ("naming_its_own_number", a_shipment(), "1Z999"),
        # Packed into one box, it is spoken of as one parcel, as a shipment not packed is.
        ("unnamed", packed("1Z999"), ""),
        ("naming_its_own_number", packed("1Z999"), "1Z999"),
    ],
)
def test_the_emails_of_a_shipment_of_one_parcel_are_what_they_were_byte_for_byte(
    case: str, shipment: FulfillmentOrder, parcel: str
) -> None:
    assert as_lists(emails(shipment, parcel)) == golden()[case]


def test_the_shipped_email_lists_each_parcel_s_tracking_number() -> None:
    _, text, html = emails(packed(*NUMBERS))["order_shipped"]
    assert (
        "It travels in 3 parcels, each with its own tracking number:\n"
        "  Parcel 1 of 3: PCL-1\n  Parcel 2 of 3: PCL-2\n  Parcel 3 of 3: PCL-3\n"
    ) in text
    assert "Tracking number: PCL-1" not in text  # the master number is not the whole story
    assert "<br>Parcel 2 of 3, tracking number <strong>PCL-2</strong>" in html


def test_the_shipped_email_of_parcels_not_labelled_yet_gives_the_shipment_s_number() -> None:
    _, text, _ = emails(a_shipment(parcels=[a_box(""), a_box("")]))["order_shipped"]
    assert "Tracking number: 1Z999\n" in text and "Parcel" not in text


def test_the_delivered_email_names_every_parcel() -> None:
    _, text, html = emails(packed(*NUMBERS))["order_delivered"]
    assert (
        "ups reports all 3 parcels of order W-1 as delivered (tracking PCL-1, PCL-2, PCL-3)."
        in text
    )
    assert "all 3 parcels as delivered (tracking PCL-1, PCL-2, PCL-3)" in html


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("delivery_attempted", "ups tried to deliver"),
        ("delivery_problem", "ups reports a problem on the way with"),
        ("delivery_estimate_slipped", "ups now expects to deliver"),
    ],
)
def test_a_message_about_one_parcel_of_several_says_which_and_gives_its_number(
    kind: str, says: str
) -> None:
    _, text, html = emails(packed(*NUMBERS), "PCL-2")[kind]
    assert f"{says} parcel 2 of 3 (tracking PCL-2) for order W-1" in text
    assert "tracking number PCL-2" in text and "PCL-1" not in text
    assert "parcel 2 of 3 (tracking PCL-2)" in html and "<strong>PCL-2</strong>" in html


@pytest.mark.parametrize("kind", ["delivery_attempted", "delivery_problem"])
def test_a_scan_of_the_whole_packed_shipment_speaks_of_it_as_one(kind: str) -> None:
    _, text, _ = emails(packed(*NUMBERS))[kind]
    assert "your parcel for order W-1" in text and "parcel 2 of 3" not in text
    assert "tracking number PCL-1" in text
