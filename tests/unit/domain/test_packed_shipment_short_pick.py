"""A short pick of a packed shipment drops its parcels: they were packed for the units
planned, and what is left goes as an unpacked shipment does; a refused short pick keeps them."""

from __future__ import annotations

import pytest

from engine.domain.fulfilment import (
    FulfillmentOrder,
    Parcel,
    ShipmentLine,
    ShipmentStatus,
    ShortLine,
)
from engine.domain.orders import InvalidLine
from tests.support import builders as b

PARCELS = [
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 20.55, 20.55, {"PLATE": 2}),
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 10.55, 10.55, {"PLATE": 1}),
]


def packed() -> FulfillmentOrder:
    return b.a_shipment(
        status=ShipmentStatus.RELEASED,
        lines=[ShipmentLine("L1", "PLATE", 3)],
        tracking_number="",
        label_format="",
        shipped_at=None,
        tracking=[],
        parcels=list(PARCELS),
    )


def test_a_short_pick_drops_the_parcels_packed_for_the_units_planned() -> None:
    shipment = packed()
    shipment.short_pick([ShortLine(1, sku="PLATE")], "damaged", b.at(10))

    assert [line.quantity for line in shipment.lines] == [2]
    assert shipment.parcels == []


def test_a_refused_short_pick_keeps_the_parcels() -> None:
    shipment = packed()
    with pytest.raises(InvalidLine):
        shipment.short_pick([ShortLine(4, sku="PLATE")], "damaged", b.at(10))

    assert shipment.parcels == PARCELS
