"""The EasyPost connector asked about parcels (`poll_tracking`, the worker's tracking poll)
against the fake EasyPost of `test_easypost_carrier`: each number's newest tracker is read
from `GET /trackers` by code and carrier, exactly as a webhook's; nothing is created at
EasyPost; a number it has no tracker of gives nothing; EasyPost out of reach or answering an
unreadable tracker is a `DeliveryError`. A carrier with no API cannot be polled at all."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from connectors.base import DeliveryError
from connectors.carriers.ratecard import RateCardCarrier
from tests.unit.connectors.test_easypost_carrier import TRACKER, FakeEasyPost, a_carrier

DELIVERED = {"datetime": "2026-03-05T15:30:00Z", "status": "delivered", "carrier_code": "D",
             "message": "Delivered, front door"}  # fmt: skip


def served(by_number: dict[str, list[dict[str, object]]]) -> FakeEasyPost:
    """A fake EasyPost whose `GET /trackers?tracking_code=...` lists `by_number`'s trackers
    of that code (newest first), and nothing for any other."""

    def listed(request: httpx.Request) -> httpx.Response:
        found = by_number.get(request.url.params["tracking_code"], [])
        return httpx.Response(200, json={"trackers": found, "has_more": False})

    return FakeEasyPost({"GET /trackers": listed})


def test_polling_reads_each_number_s_newest_tracker_as_a_webhook_s_scans() -> None:
    newest = {**TRACKER, "tracking_details": [*TRACKER["tracking_details"], DELIVERED]}
    older = {**TRACKER, "tracking_code": "1Z0001", "tracking_details": []}
    second = {**TRACKER, "tracking_code": "1Z0002", "tracking_details": [DELIVERED],
              "est_delivery_date": None}  # fmt: skip
    fake = served({"1Z0001": [newest, older], "1Z0002": [second]})

    updates = a_carrier(fake).poll_tracking(["1Z0001", " 1Z0002 ", "1Z0001"])

    assert updates is not None
    assert [(u.tracking_number, u.at, u.code, u.milestone) for u in updates] == [
        ("1Z0001", datetime(2026, 3, 2, 18, tzinfo=UTC), "M", ""),
        ("1Z0001", datetime(2026, 3, 3, 14, tzinfo=UTC), "I", "in_transit"),
        ("1Z0001", datetime(2026, 3, 4, 9, tzinfo=UTC), "failure", "exception"),
        ("1Z0001", datetime(2026, 3, 5, 15, 30, tzinfo=UTC), "D", "delivered"),
        ("1Z0002", datetime(2026, 3, 5, 15, 30, tzinfo=UTC), "D", "delivered"),
    ]
    assert fake.sent() == [
        "GET /trackers?tracking_code=1Z0001&carrier=UPS",
        "GET /trackers?tracking_code=1Z0002&carrier=UPS",
    ]


def test_a_number_easypost_has_no_tracker_of_gives_nothing_and_creates_nothing() -> None:
    fake = served({})

    assert a_carrier(fake).poll_tracking(["1Z0009"]) == []
    assert [request.method for request in fake.requests] == ["GET"]


def test_asking_about_no_numbers_calls_nobody_and_says_the_carrier_can_be_polled() -> None:
    fake = served({})

    assert a_carrier(fake).poll_tracking(()) == []
    assert fake.requests == []


def test_a_carrier_with_no_api_cannot_be_polled() -> None:
    assert RateCardCarrier({"carrier": "PCL"}).poll_tracking(["PCL000000000001"]) is None


def test_an_easypost_failing_the_poll_is_a_delivery_error_naming_the_number() -> None:
    fake = FakeEasyPost({"GET /trackers": httpx.Response(503, text="busy")})

    with pytest.raises(DeliveryError, match=r"refused the tracking of 1Z0001: 503"):
        a_carrier(fake).poll_tracking(["1Z0001"])


def test_a_polled_tracker_ordo_cannot_read_is_a_delivery_error_naming_the_field() -> None:
    broken = {**TRACKER, "tracking_details": [{"status": "in_transit"}]}

    with pytest.raises(DeliveryError, match=r"tracking_details\.0\.datetime: must be an ISO"):
        a_carrier(served({"1Z0001": [broken]})).poll_tracking(["1Z0001"])
