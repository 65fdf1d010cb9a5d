"""What a carrier's scan means (its milestone, from the code table or said outright) and what
a new scan does to the shipment: every one is told (`shipment.tracked`), a `delivered` one
delivers a shipped shipment, a failed attempt or a problem is raised, and a scan overtaken by
a later milestone moves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.domain import events
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus, TrackingEvent
from engine.domain.tracking_codes import CARRIER_CODES, Milestone, milestone_of, normalised
from tests.support import builders as b

SHIPPED_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def shipped(**kw: Any) -> FulfillmentOrder:
    return b.a_shipment(status=ShipmentStatus.SHIPPED, shipped_at=SHIPPED_AT, tracking=[], **kw)


def names(shipment: FulfillmentOrder) -> list[str]:
    return [event.name for event in shipment.events]


@pytest.mark.parametrize(
    ("code", "milestone"),
    [
        ("D", Milestone.DELIVERED),  # UPS
        ("x", Milestone.EXCEPTION),  # UPS, in any case
        ("DL", Milestone.DELIVERED),  # FedEx
        ("OD", Milestone.OUT_FOR_DELIVERY),  # FedEx
        ("DE", Milestone.EXCEPTION),  # FedEx
        ("RS", Milestone.RETURNED),  # UPS and FedEx alike
        ("01", Milestone.DELIVERED),  # USPS
        ("02", Milestone.ATTEMPTED),  # USPS: notice left
        ("05", Milestone.EXCEPTION),  # USPS: undeliverable as addressed
        ("27", Milestone.RETURNED),  # USPS: return to sender, unclaimed
        ("failure", Milestone.EXCEPTION),  # DHL
        ("DELIVERED", Milestone.DELIVERED),
        ("delivery_attempted", Milestone.ATTEMPTED),
        ("Out for delivery", Milestone.OUT_FOR_DELIVERY),
        ("  in-transit ", Milestone.IN_TRANSIT),
    ],
)
def test_a_carrier_code_or_a_plain_word_is_read_as_its_milestone_whatever_its_case(
    code: str, milestone: Milestone
) -> None:
    assert milestone_of(code) is milestone


@pytest.mark.parametrize("code", ["scanned", "arrived_at_hub", "pre-transit", "M", "16", ""])
def test_a_code_the_table_does_not_know_means_no_milestone(code: str) -> None:
    assert milestone_of(code) is None


def test_every_code_in_the_table_is_kept_as_it_is_looked_up() -> None:
    assert all(normalised(code) == code for code in CARRIER_CODES)


def test_every_new_scan_is_told_with_its_milestone_and_a_retry_is_not() -> None:
    shipment = shipped()
    assert shipment.track(TrackingEvent(NOON, "IT", "Departed FedEx hub", "Memphis, TN"))
    assert shipment.track(TrackingEvent(NOON + timedelta(hours=1), "scanned"))
    assert not shipment.track(TrackingEvent(NOON, "IT", "Departed FedEx hub", "Memphis, TN"))
    assert shipment.events == [
        events.ShipmentTracked(
            "F-1", "O-1", "2026-11-22T12:00:00+00:00", "IT", "Departed FedEx hub",
            "Memphis, TN", "in_transit",
        ),
        events.ShipmentTracked("F-1", "O-1", "2026-11-22T13:00:00+00:00", "scanned", "", "", ""),
    ]  # fmt: skip


def test_a_delivered_scan_delivers_a_shipped_shipment_at_the_time_the_carrier_saw_it() -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(NOON, "DL", "Left at front door"))
    assert shipment.status is ShipmentStatus.DELIVERED
    assert shipment.delivered_at == NOON
    assert names(shipment) == ["shipment.tracked", "shipment.status_changed"]
    changed = shipment.events[-1]
    assert isinstance(changed, events.ShipmentStatusChanged)
    assert (changed.from_status, changed.to_status) == ("shipped", "delivered")


def test_a_milestone_said_outright_counts_for_a_code_the_table_does_not_know() -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(NOON, "ZX-900", "Handed to resident"), Milestone.DELIVERED)
    assert shipment.status is ShipmentStatus.DELIVERED
    tracked = shipment.events[0]
    assert isinstance(tracked, events.ShipmentTracked) and tracked.milestone == "delivered"


@pytest.mark.parametrize("status", [ShipmentStatus.RELEASED, ShipmentStatus.PACKED])
def test_a_delivered_scan_does_not_deliver_a_shipment_its_location_has_not_shipped(
    status: ShipmentStatus,
) -> None:
    shipment = b.a_shipment(status=status, shipped_at=None, tracking=[])
    shipment.track(TrackingEvent(NOON, "delivered"))
    assert (shipment.status, shipment.delivered_at) == (status, None)
    assert names(shipment) == ["shipment.tracked"]


def test_a_delivered_scan_older_than_the_shipping_does_not_deliver_the_shipment() -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(SHIPPED_AT - timedelta(minutes=1), "delivered"))
    assert shipment.status is ShipmentStatus.SHIPPED
    assert names(shipment) == ["shipment.tracked"]


def test_an_older_scan_arriving_after_the_delivery_undoes_and_repeats_nothing() -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(NOON, "delivered"))
    delivered = list(shipment.events)
    shipment.track(TrackingEvent(NOON - timedelta(hours=3), "out_for_delivery"))
    shipment.track(TrackingEvent(NOON - timedelta(hours=2), "attempted"))
    assert (shipment.status, shipment.delivered_at) == (ShipmentStatus.DELIVERED, NOON)
    assert shipment.events[len(delivered) :] == [
        events.ShipmentTracked(
            "F-1", "O-1", "2026-11-22T09:00:00+00:00", "out_for_delivery", "", "",
            "out_for_delivery",
        ),
        events.ShipmentTracked(
            "F-1", "O-1", "2026-11-22T10:00:00+00:00", "attempted", "", "", "attempted"
        ),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "milestone"), [("02", "attempted"), ("DE", "exception"), ("failure", "exception")]
)
def test_a_failed_attempt_or_a_problem_on_the_way_is_raised_with_what_the_carrier_said(
    code: str, milestone: str
) -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(NOON, code, "Nobody home", "Dallas, TX"))
    assert shipment.status is ShipmentStatus.SHIPPED
    assert shipment.events[1:] == [
        events.ShipmentDeliveryException(
            "F-1", "O-1", milestone, code, "Nobody home", "2026-11-22T12:00:00+00:00",
            "Dallas, TX",
        )
    ]  # fmt: skip


def test_a_failed_attempt_overtaken_by_a_later_milestone_is_not_raised() -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(NOON, "out_for_delivery"))
    shipment.track(TrackingEvent(NOON - timedelta(days=1), "attempted"))
    assert names(shipment) == ["shipment.tracked", "shipment.tracked"]


def test_a_later_scan_without_a_milestone_does_not_overtake_a_delivery_posted_late() -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(NOON + timedelta(minutes=5), "signature_captured"))
    shipment.track(TrackingEvent(NOON, "DL"))
    assert shipment.status is ShipmentStatus.DELIVERED


def test_a_scan_on_its_way_back_or_in_transit_raises_nothing_but_its_own_event() -> None:
    shipment = shipped()
    shipment.track(TrackingEvent(NOON, "in_transit"))
    shipment.track(TrackingEvent(NOON + timedelta(hours=1), "RS"))
    assert names(shipment) == ["shipment.tracked", "shipment.tracked"]
    assert shipment.status is ShipmentStatus.SHIPPED
