"""A carrier's estimated delivery day on a shipment, and the milestone a post gave kept with
its scan: the shipment keeps its latest scan's estimate (a scan posted late does not undo a
newer one), an estimate going past the promised day is raised once per slip, and a milestone
said outright is what the timeline reads, also to tell whether a later scan overtook a late
one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.domain import events
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus, TrackingEvent
from engine.domain.tracking_codes import Milestone
from tests.support import builders as b

SHIPPED_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PROMISED = date(2026, 3, 6)
ON_TIME = PROMISED - timedelta(days=1)
ONE_LATE, TWO_LATE = PROMISED + timedelta(days=1), PROMISED + timedelta(days=2)


def shipped(**kw: Any) -> FulfillmentOrder:
    return b.a_shipment(
        status=ShipmentStatus.SHIPPED, shipped_at=SHIPPED_AT, promised_date=PROMISED,
        tracking=[], **kw,
    )  # fmt: skip


def scan(hours: int, code: str = "IT", estimate: date | None = None, **kw: Any) -> TrackingEvent:
    at = SHIPPED_AT + timedelta(hours=hours)
    return TrackingEvent(at, code, estimated_delivery=estimate, **kw)


def slips(shipment: FulfillmentOrder) -> list[events.ShipmentDeliveryEstimateSlipped]:
    return [e for e in shipment.events if isinstance(e, events.ShipmentDeliveryEstimateSlipped)]


def test_a_shipment_keeps_the_estimate_of_its_latest_scan_that_gave_one() -> None:
    shipment = shipped()
    assert shipment.estimated_delivery is None
    shipment.track(scan(1, estimate=ON_TIME))
    shipment.track(scan(2))  # a scan without an estimate keeps the one before
    assert shipment.estimated_delivery == ON_TIME
    shipment.track(scan(3, "OD", estimate=PROMISED))
    assert shipment.estimated_delivery == PROMISED
    assert [t.estimated_delivery for t in shipment.tracking] == [ON_TIME, None, PROMISED]


def test_a_scan_posted_late_does_not_undo_a_newer_estimate() -> None:
    shipment = shipped()
    shipment.track(scan(5, estimate=PROMISED))
    shipment.track(scan(1, estimate=TWO_LATE))
    assert shipment.estimated_delivery == PROMISED
    assert slips(shipment) == []


def test_an_estimate_past_the_promised_day_is_raised_with_both_days() -> None:
    shipment = shipped()
    shipment.track(scan(1, estimate=ON_TIME))
    shipment.track(scan(2, estimate=TWO_LATE))
    assert slips(shipment) == [
        events.ShipmentDeliveryEstimateSlipped(
            shipment.id, shipment.order_id, "ups", "DAL-01", "2026-03-06", "2026-03-08",
            "2026-03-05", 2,
        )
    ]  # fmt: skip


def test_the_customer_is_told_once_per_slip_not_with_every_scan_repeating_it() -> None:
    shipment = shipped()
    shipment.track(scan(1, estimate=ONE_LATE))
    shipment.track(scan(2, estimate=ONE_LATE))
    shipment.track(scan(3, estimate=TWO_LATE))  # later still: the same slip
    assert [s.estimated_delivery for s in slips(shipment)] == ["2026-03-07"]
    assert slips(shipment)[0].previous_estimate == ""


def test_an_estimate_back_within_the_promise_and_past_it_again_is_a_second_slip() -> None:
    shipment = shipped()
    shipment.track(scan(1, estimate=ONE_LATE))
    shipment.track(scan(2, estimate=PROMISED))
    shipment.track(scan(3, estimate=TWO_LATE))
    assert [(s.previous_estimate, s.estimated_delivery) for s in slips(shipment)] == [
        ("", "2026-03-07"),
        ("2026-03-06", "2026-03-08"),
    ]


def test_no_slip_without_a_promise_nor_for_a_retry_nor_once_delivered() -> None:
    unpromised = b.a_shipment(promised_date=None, tracking=[])
    unpromised.track(scan(1, estimate=TWO_LATE))
    assert unpromised.estimated_delivery == TWO_LATE and slips(unpromised) == []

    retried = shipped()
    retried.track(scan(1, estimate=ON_TIME))
    assert retried.track(scan(1, estimate=TWO_LATE)) is False  # the same scan, sent again
    assert retried.estimated_delivery == ON_TIME and slips(retried) == []

    delivered = shipped()
    delivered.track(scan(1, "DL", estimate=TWO_LATE))
    assert delivered.status is ShipmentStatus.DELIVERED and slips(delivered) == []


def test_a_milestone_given_outright_is_kept_with_its_scan_and_read_before_the_code() -> None:
    shipment = shipped()
    shipment.track(scan(1, "weather-hold-7"), Milestone.EXCEPTION)
    shipment.track(scan(2, "IT", milestone=Milestone.OUT_FOR_DELIVERY))
    assert [(t.milestone, t.meaning) for t in shipment.tracking] == [
        (Milestone.EXCEPTION, Milestone.EXCEPTION),
        (Milestone.OUT_FOR_DELIVERY, Milestone.OUT_FOR_DELIVERY),
    ]
    assert TrackingEvent(SHIPPED_AT, "DL").meaning is Milestone.DELIVERED


def test_a_later_scan_whose_milestone_was_given_outright_overtakes_a_late_one() -> None:
    shipment = shipped()
    shipment.track(scan(5, "local-77"), Milestone.OUT_FOR_DELIVERY)
    shipment.track(scan(1, "attempted"))  # older than the milestone said at hour 5
    assert not any(isinstance(e, events.ShipmentDeliveryException) for e in shipment.events)
