"""What the customer's messages are told of a packed shipment's parcels: each parcel in order
with which of how many it is, its tracking number and its box (none for a shipment not
packed), and for a carrier's scan of one of them, that parcel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.fulfilment import Parcel
from engine.service_layer.notifications import CustomerNotifier, shipment_context
from tests.support.builders import a_plain_order, a_shipment


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Mapping[str, Any]]] = []

    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
        self.sent.append((kind, context))


def three_parcels() -> list[Parcel]:
    sides = (30.0, 20.0, 10.0)
    return [
        Parcel(box, *sides, 1.7, 2.0, {"SKU-1": 1}, number)
        for box, number in (("SHOEBOX", "PCL-1"), ("SHOEBOX", "PCL-2"), ("", "PCL-3"))
    ]


def test_a_packed_shipment_s_context_lists_its_parcels_with_which_of_how_many() -> None:
    context = shipment_context(a_shipment(tracking_number="PCL-1", parcels=three_parcels()))
    assert context["parcels"] == [
        {"index": 1, "count": 3, "tracking_number": "PCL-1", "box": "SHOEBOX"},
        {"index": 2, "count": 3, "tracking_number": "PCL-2", "box": "SHOEBOX"},
        {"index": 3, "count": 3, "tracking_number": "PCL-3", "box": None},  # a unit alone
    ]


def test_a_shipment_not_packed_has_no_parcels_in_its_context() -> None:
    assert shipment_context(a_shipment())["parcels"] == []


def delivery_exception(parcels: list[Parcel], parcel: str) -> Mapping[str, Any]:
    """The context of the email a failed attempt on `parcel` sends."""
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(a_plain_order(1, email="ada@example.com"))
        uow.shipments.add(a_shipment(tracking_number="PCL-1", parcels=parcels))
        uow.commit()
    payload = {"shipment_id": "F-1", "order_id": "O-1", "milestone": "attempted", "code": "02",
               "parcel_tracking_number": parcel}  # fmt: skip
    recorder = Recorder()
    with uow:
        CustomerNotifier(recorder)(Message("1", "shipment.delivery_exception", payload, ""), uow)
    [(kind, context)] = recorder.sent
    assert kind == "delivery_attempted"
    return context


def test_a_scan_of_one_parcel_puts_that_parcel_in_the_message_s_context() -> None:
    context = delivery_exception(three_parcels(), "PCL-2")
    assert context["parcel"] == {
        "index": 2,
        "count": 3,
        "tracking_number": "PCL-2",
        "box": "SHOEBOX",
    }


def test_a_scan_of_the_whole_shipment_or_of_a_parcel_it_no_longer_has_names_none() -> None:
    assert "parcel" not in delivery_exception(three_parcels(), "")
    assert "parcel" not in delivery_exception(three_parcels(), "PCL-OLD")
    assert "parcel" not in delivery_exception([], "PCL-1")  # not packed: spoken of as one
