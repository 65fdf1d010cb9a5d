"""A shipment packed into several parcels is tracked parcel by parcel: a scan names its parcel
by its tracking number, the shipment is delivered once every parcel is, and a delivery
exception or a slipped estimate names the parcel it is about. A scan naming a parcel the
shipment does not have is refused, changing nothing; a scan naming none is of the whole
shipment, as every scan was; a one-parcel shipment is tracked as one never packed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine.domain import events
from engine.domain.fulfilment import (
    FulfillmentOrder,
    Parcel,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
)
from engine.domain.orders import InvalidLine
from engine.domain.tracking_codes import Milestone
from tests.support import builders as b

SHIPPED_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NUMBERS = ("PCL0001", "PCL0002", "PCL0003")


def parcel(number: str = "", plates: int = 1) -> Parcel:
    return Parcel("MEDIUM", 45.0, 35.0, 25.0, 10.55, 10.55, {"PLATE": plates}, number)


def shipped(numbers: tuple[str, ...] = NUMBERS, master: str = "PCL0001") -> FulfillmentOrder:
    """A shipped shipment of a parcel per number (labelled: the first's is its own)."""
    return b.a_shipment(
        status=ShipmentStatus.SHIPPED,
        shipped_at=SHIPPED_AT,
        tracking=[],
        tracking_number=master,
        lines=[ShipmentLine("L1", "PLATE", len(numbers) or 1)],
        promised_date=date(2026, 11, 24),
        parcels=[parcel(number) for number in numbers],
    )


def scan(
    hours: int,
    code: str,
    number: str = "",
    description: str = "",
    estimated_delivery: date | None = None,
) -> TrackingEvent:
    """A scan `hours` after noon, of the parcel `number` ("" the whole shipment)."""
    return TrackingEvent(
        NOON + timedelta(hours=hours), code, description,
        estimated_delivery=estimated_delivery, tracking_number=number,
    )  # fmt: skip


def names(shipment: FulfillmentOrder) -> list[str]:
    return [event.name for event in shipment.events]


def test_a_shipment_of_three_parcels_is_delivered_when_the_last_of_them_is() -> None:
    shipment = shipped()
    assert shipment.track(scan(1, "delivered", "PCL0001"))
    assert shipment.track(scan(3, "delivered", "PCL0003"))
    assert (shipment.status, shipment.delivered_at) == (ShipmentStatus.SHIPPED, None)

    assert shipment.track(scan(2, "delivered", "PCL0002"))

    assert shipment.status is ShipmentStatus.DELIVERED
    # When its last parcel arrived, whichever scan came last.
    assert shipment.delivered_at == NOON + timedelta(hours=3)
    assert names(shipment) == ["shipment.tracked"] * 3 + ["shipment.status_changed"]


def test_three_scans_alike_but_for_their_parcel_are_three_scans_not_retries() -> None:
    shipment = shipped()
    for number in NUMBERS:
        assert shipment.track(scan(1, "delivered", number))
    assert not shipment.track(scan(1, "delivered", "PCL0002"))  # this one is a retry
    assert [t.tracking_number for t in shipment.tracking] == list(NUMBERS)
    assert shipment.status is ShipmentStatus.DELIVERED
    tracked = [e for e in shipment.events if isinstance(e, events.ShipmentTracked)]
    assert [e.parcel_tracking_number for e in tracked] == list(NUMBERS)


def test_a_parcel_whose_latest_milestone_is_not_delivered_holds_the_shipment_back() -> None:
    shipment = shipped()
    shipment.track(scan(1, "delivered", "PCL0001"))
    shipment.track(scan(2, "exception", "PCL0001", description="Returned to depot"))
    shipment.track(scan(3, "delivered", "PCL0002"))
    shipment.track(scan(4, "delivered", "PCL0003"))
    assert shipment.status is ShipmentStatus.SHIPPED

    shipment.track(scan(6, "delivered", "PCL0001"))
    assert (shipment.status, shipment.delivered_at) == (
        ShipmentStatus.DELIVERED,
        NOON + timedelta(hours=6),
    )


def test_an_older_scan_of_a_delivered_parcel_posted_late_does_not_undo_its_delivery() -> None:
    shipment = shipped(NUMBERS[:2])
    shipment.track(scan(5, "delivered", "PCL0001"))
    shipment.track(scan(1, "out_for_delivery", "PCL0001"))
    shipment.track(scan(2, "attempted", "PCL0001"))
    assert "shipment.delivery_exception" not in names(shipment)
    assert shipment.status is ShipmentStatus.SHIPPED  # its second parcel is on its way

    shipment.track(scan(3, "delivered", "PCL0002"))
    assert (shipment.status, shipment.delivered_at) == (
        ShipmentStatus.DELIVERED,
        NOON + timedelta(hours=5),
    )


def test_a_later_scan_of_another_parcel_does_not_overtake_a_parcel_s_own() -> None:
    shipment = shipped(NUMBERS[:2])
    shipment.track(scan(5, "in_transit", "PCL0002"))
    shipment.track(scan(1, "attempted", "PCL0001", description="Nobody home"))
    [exception] = [e for e in shipment.events if isinstance(e, events.ShipmentDeliveryException)]
    assert (exception.milestone, exception.parcel_tracking_number) == ("attempted", "PCL0001")


def test_a_delivered_scan_naming_no_parcel_delivers_the_whole_shipment_as_before() -> None:
    shipment = shipped()
    shipment.track(scan(1, "delivered"))
    assert (shipment.status, shipment.delivered_at) == (
        ShipmentStatus.DELIVERED,
        NOON + timedelta(hours=1),
    )


def test_a_scan_naming_a_parcel_the_shipment_does_not_have_is_refused_changing_nothing() -> None:
    shipment = shipped()
    with pytest.raises(InvalidLine) as refused:
        shipment.track(scan(1, "delivered", "UPS999"))
    assert refused.value.loc == ("tracking_number",)
    assert refused.value.reason == (
        "shipment F-1 has no parcel with tracking number 'UPS999': its parcels' are "
        "PCL0001, PCL0002, PCL0003"
    )
    assert (shipment.tracking, shipment.events, shipment.status) == ([], [], ShipmentStatus.SHIPPED)


def test_a_scan_naming_a_parcel_of_a_shipment_not_labelled_yet_is_refused() -> None:
    shipment = shipped(("", ""), master="")
    with pytest.raises(InvalidLine, match="has no tracking number yet"):
        shipment.track(scan(1, "in_transit", "PCL0001"))
    assert shipment.tracking == []


@pytest.mark.parametrize("numbers", [(), NUMBERS[:1]], ids=["not packed", "one parcel"])
def test_a_shipment_of_one_parcel_is_delivered_by_a_scan_naming_its_number_and_no_other(
    numbers: tuple[str, ...],
) -> None:
    shipment = shipped(numbers)
    with pytest.raises(InvalidLine, match="its tracking number is PCL0001"):
        shipment.track(scan(1, "delivered", "PCL0002"))

    shipment.track(scan(1, "delivered", "PCL0001"))
    assert (shipment.status, shipment.delivered_at) == (
        ShipmentStatus.DELIVERED,
        NOON + timedelta(hours=1),
    )


def test_each_parcel_shows_its_latest_milestone() -> None:
    shipment = shipped()
    shipment.track(scan(1, "in_transit"))
    shipment.track(scan(2, "delivered", "PCL0001"))
    shipment.track(scan(3, "out_for_delivery", "PCL0002"))
    shipment.track(scan(1, "in_transit", "PCL0002", description="late post"))

    latest = shipment.parcel_milestones()

    assert [(t.meaning, t.at) if t else None for t in latest] == [
        (Milestone.DELIVERED, NOON + timedelta(hours=2)),
        (Milestone.OUT_FOR_DELIVERY, NOON + timedelta(hours=3)),
        (Milestone.IN_TRANSIT, NOON + timedelta(hours=1)),  # the whole shipment's scan
    ]


def test_a_shipment_s_estimate_is_its_latest_parcel_s_and_a_slip_names_the_parcel() -> None:
    shipment = shipped(NUMBERS[:2])
    shipment.track(scan(1, "in_transit", "PCL0001", estimated_delivery=date(2026, 11, 23)))
    shipment.track(scan(2, "in_transit", "PCL0002", estimated_delivery=date(2026, 11, 26)))
    # A newer estimate for the first parcel does not hide that the second comes later.
    shipment.track(scan(3, "in_transit", "PCL0001", estimated_delivery=date(2026, 11, 22)))

    assert shipment.estimated_delivery == date(2026, 11, 26)
    [slipped] = [
        e for e in shipment.events if isinstance(e, events.ShipmentDeliveryEstimateSlipped)
    ]
    assert (slipped.estimated_delivery, slipped.parcel_tracking_number) == (
        "2026-11-26",
        "PCL0002",
    )


def test_a_short_pick_s_new_boxes_void_a_label_printed_for_the_old_ones() -> None:
    shipment = shipped()
    shipment.label_format = "zpl"

    assert shipment.pack_again([parcel(plates=2)]) is True

    assert (shipment.parcels, shipment.label_format) == ([parcel(plates=2)], "")
    assert shipment.tracking_number == "PCL0001"  # the carrier's number for it stays
    assert shipment.pack_again([parcel()]) is False  # no label left to void
