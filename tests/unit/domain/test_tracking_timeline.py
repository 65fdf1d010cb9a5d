"""A shipment's tracking timeline: in time order, in UTC, and each carrier event once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from engine.domain.fulfilment import TrackingEvent
from tests.support import builders as b

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def codes(events: list[TrackingEvent]) -> list[str]:
    return [t.code for t in events]


def test_an_event_that_happened_earlier_is_placed_before_later_ones() -> None:
    shipment = b.a_shipment(tracking=[])
    shipment.track(TrackingEvent(NOON, "in_transit"))
    shipment.track(TrackingEvent(NOON + timedelta(hours=2), "out_for_delivery"))
    shipment.track(TrackingEvent(NOON - timedelta(hours=3), "picked_up"))
    assert codes(shipment.tracking) == ["picked_up", "in_transit", "out_for_delivery"]


def test_events_of_one_moment_keep_the_order_they_came_in() -> None:
    shipment = b.a_shipment(tracking=[])
    for code in ("arrived_at_hub", "sorted", "departed_hub"):
        shipment.track(TrackingEvent(NOON, code))
    assert codes(shipment.tracking) == ["arrived_at_hub", "sorted", "departed_hub"]


def test_a_retried_event_is_not_added_again_even_written_in_another_zone() -> None:
    shipment = b.a_shipment(tracking=[])
    assert shipment.track(TrackingEvent(NOON, "in_transit", "Departed", "Memphis"))
    eastern = NOON.astimezone(timezone(timedelta(hours=-5)))
    assert not shipment.track(TrackingEvent(eastern, "in_transit", "Departed", "Memphis"))
    assert shipment.tracking == [TrackingEvent(NOON, "in_transit", "Departed", "Memphis")]


def test_a_time_without_a_zone_is_taken_as_utc_and_every_time_is_kept_in_utc() -> None:
    shipment = b.a_shipment(tracking=[])
    shipment.track(TrackingEvent(datetime(2026, 11, 22, 9, 30), "in_transit"))
    shipment.track(TrackingEvent(datetime.fromisoformat("2026-11-22T09:00:00+05:00"), "picked_up"))
    assert [(t.at.isoformat(), t.code) for t in shipment.tracking] == [
        ("2026-11-22T04:00:00+00:00", "picked_up"),
        ("2026-11-22T09:30:00+00:00", "in_transit"),
    ]
