"""A shipment whose label will not be used says so: cancelled with its order, cancelled by a
short pick, cancelled while pending, or packed again into new boxes, a labelled shipment
records `shipment.label_voided` with every number its label carried (its own, then its
parcels'); one without a label records none."""

from __future__ import annotations

import pytest

from engine.domain import events
from engine.domain.fulfilment import (
    FulfillmentOrder,
    Parcel,
    ShipmentLine,
    ShipmentStatus,
    ShortLine,
)
from tests.support import builders as b

S = ShipmentStatus
NUMBERS = ["1ZMASTER", "1ZPARCEL2", "1ZPARCEL3"]


def box(number: str = "") -> Parcel:
    return Parcel("MEDIUM", 45.0, 35.0, 25.0, 10.55, 10.55, {"PLATE": 1}, number)


def labelled(status: ShipmentStatus = S.RELEASED, label_format: str = "pdf") -> FulfillmentOrder:
    """A shipment of three plates in three boxes, its label (if any) numbering each box."""
    shipment = b.a_shipment(
        status=status,
        lines=[ShipmentLine("L1", "PLATE", 3)],
        tracking_number=NUMBERS[0] if label_format else "",
        label_format=label_format,
        shipped_at=None,
        tracking=[],
        parcels=[box(number if label_format else "") for number in NUMBERS],
    )
    shipment.events.clear()
    return shipment


def voids(shipment: FulfillmentOrder) -> list[events.ShipmentLabelVoided]:
    return [e for e in shipment.events if isinstance(e, events.ShipmentLabelVoided)]


@pytest.mark.parametrize("status", [S.PENDING, S.RELEASED])
def test_a_labelled_shipment_cancelled_with_its_order_voids_every_parcels_number(
    status: ShipmentStatus,
) -> None:
    shipment = labelled(status)

    assert shipment.cancel_with_order("order O-1 cancelled: customer asked", b.at(9)) is True

    assert voids(shipment) == [
        events.ShipmentLabelVoided(
            "F-1", "O-1", "DAL-01", "ups", NUMBERS, "order O-1 cancelled: customer asked"
        )
    ]


def test_an_unlabelled_shipment_cancelled_with_its_order_voids_nothing() -> None:
    shipment = labelled(label_format="")

    assert shipment.cancel_with_order("order O-1 cancelled", b.at(9)) is False

    assert voids(shipment) == []


def test_a_one_parcel_label_names_its_number_once() -> None:
    shipment = b.a_shipment(status=S.RELEASED, tracking_number="1Z999", label_format="zpl",
                            parcels=[box("1Z999")], shipped_at=None)  # fmt: skip

    shipment.cancel_with_order("order O-1 cancelled", b.at(9))

    assert [e.tracking_numbers for e in voids(shipment)] == [["1Z999"]]


def test_a_short_pick_that_takes_the_last_units_voids_the_label_with_its_boxes_numbers() -> None:
    shipment = labelled()

    shipment.short_pick([ShortLine(3, sku="PLATE")], "shelf empty", b.at(10))

    assert (shipment.status, shipment.label_format) == (S.CANCELLED, "")
    assert voids(shipment) == [
        events.ShipmentLabelVoided(
            "F-1", "O-1", "DAL-01", "ups", NUMBERS, "cancelled by a short pick: shelf empty"
        )
    ]


def test_a_short_pick_that_leaves_units_voids_nothing_until_its_boxes_are_packed_again() -> None:
    shipment = labelled()
    printed = shipment.label_numbers

    shipment.short_pick([ShortLine(1, sku="PLATE")], "one broken", b.at(10))
    assert (shipment.label_format, voids(shipment)) == ("pdf", [])

    assert shipment.pack_again([box(), box()], printed) is True

    [voided] = voids(shipment)
    assert (voided.tracking_numbers, shipment.label_format) == (NUMBERS, "")


def test_a_pending_labelled_shipment_cancelled_when_its_order_is_decided_again_voids_it() -> None:
    shipment = labelled(S.PENDING)

    shipment.move(S.CANCELLED, b.at(10))

    assert [e.tracking_numbers for e in voids(shipment)] == [NUMBERS]
    assert shipment.label_format == ""
