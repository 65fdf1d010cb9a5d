"""Tracking events as a shipment's row holds them: read back in time order and in UTC, even
from rows written before the API kept them so."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.adapters.translation import shipment_from, shipment_row
from tests.support import builders as b


def test_a_stored_timeline_out_of_order_or_without_zones_is_read_in_order_in_utc() -> None:
    row = shipment_row(b.a_shipment(tracking=[]))
    row["tracking"] = [
        {"at": "2026-11-22T12:00:00+00:00", "code": "b", "description": "", "location": ""},
        {"at": "2026-11-22T09:30:00", "code": "a", "description": "", "location": ""},
        {"at": "2026-11-22T17:00:00+05:00", "code": "c", "description": "", "location": ""},
    ]
    tracking = shipment_from(row).tracking
    assert [(t.at, t.code) for t in tracking] == [
        (datetime(2026, 11, 22, 9, 30, tzinfo=UTC), "a"),
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), "b"),
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), "c"),
    ]
    assert {t.at.tzinfo for t in tracking} == {UTC}
