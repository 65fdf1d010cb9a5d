"""A shipment's tracking timeline over HTTP: what carriers post, retry and post late."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, order


def shipment_path(api: Api, channel_order_id: str = "T-1") -> str:
    api.seed(units=10)
    api.post("/v1/orders", role="channel", json=order(channel_order_id))
    [shipment] = api.get("/v1/shipments", role="warehouse").json()
    return f"/v1/shipments/{shipment['id']}"


def track(api: Api, path: str, at: str, code: str, **more: str) -> Any:
    return api.post(f"{path}/tracking", role="warehouse", json={"at": at, "code": code, **more})


def timeline(api: Api, path: str) -> list[tuple[str, str]]:
    return [(t["at"], t["code"]) for t in api.get(path, role="customer").json()["tracking"]]


def test_a_tracking_event_a_carrier_retries_is_stored_once_and_audited_once(api: Api) -> None:
    path = shipment_path(api)
    event = {"location": "Memphis", "description": "Departed facility"}
    first = track(api, path, "2026-11-22T09:30:00Z", "in_transit", **event)
    again = track(api, path, "2026-11-22T09:30:00Z", "in_transit", **event)
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json() == first.json()
    assert timeline(api, path) == [("2026-11-22T09:30:00Z", "in_transit")]
    shipment_id = path.rsplit("/", 1)[-1]
    audited = api.get(f"/v1/audit?entity=shipment&entity_id={shipment_id}").json()
    assert [e["action"] for e in audited].count("shipment.tracking") == 1


def test_only_an_identical_event_is_a_retry_not_one_at_the_same_time(api: Api) -> None:
    path = shipment_path(api)
    for _ in range(2):
        track(api, path, "2026-11-22T09:30:00Z", "in_transit", location="Memphis")
        track(api, path, "2026-11-22T09:30:00Z", "in_transit", location="Dallas")
        track(api, path, "2026-11-22T09:30:00Z", "out_for_delivery", location="Dallas")
    seen = api.get(path, role="customer").json()["tracking"]
    assert [(t["code"], t["location"]) for t in seen] == [
        ("in_transit", "Memphis"),
        ("in_transit", "Dallas"),
        ("out_for_delivery", "Dallas"),
    ]


def test_the_same_moment_written_in_another_zone_is_the_same_event(api: Api) -> None:
    path = shipment_path(api)
    track(api, path, "2026-11-22T09:30:00Z", "in_transit")
    track(api, path, "2026-11-22T04:30:00-05:00", "in_transit")
    assert timeline(api, path) == [("2026-11-22T09:30:00Z", "in_transit")]


def test_an_event_posted_late_takes_its_place_in_time_and_ties_keep_arrival_order(
    api: Api,
) -> None:
    path = shipment_path(api)
    track(api, path, "2026-11-22T10:00:00Z", "in_transit")
    track(api, path, "2026-11-22T12:00:00Z", "out_for_delivery")
    answered = track(api, path, "2026-11-22T08:00:00Z", "picked_up")
    track(api, path, "2026-11-22T10:00:00Z", "arrived_at_hub")
    track(api, path, "2026-11-22T09:00:00-05:00", "delivered")
    expected = [
        ("2026-11-22T08:00:00Z", "picked_up"),
        ("2026-11-22T10:00:00Z", "in_transit"),
        ("2026-11-22T10:00:00Z", "arrived_at_hub"),
        ("2026-11-22T12:00:00Z", "out_for_delivery"),
        ("2026-11-22T14:00:00Z", "delivered"),
    ]
    assert [t["code"] for t in answered.json()["tracking"]] == [
        "picked_up",
        "in_transit",
        "out_for_delivery",
    ]
    assert timeline(api, path) == expected


def test_a_time_without_an_offset_is_read_as_utc_like_every_other_time(api: Api) -> None:
    path = shipment_path(api)
    naive = track(api, path, "2026-11-22T09:30:00", "in_transit")
    assert naive.status_code == 200, naive.text
    track(api, path, "2026-11-22T09:00:00Z", "picked_up")
    assert timeline(api, path) == [
        ("2026-11-22T09:00:00Z", "picked_up"),
        ("2026-11-22T09:30:00Z", "in_transit"),
    ]


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01",
        "0001-01-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:00:00+05:00",
        "9001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_a_tracking_time_outside_1900_to_9000_in_utc_is_refused_naming_the_field(
    api: Api, at: str
) -> None:
    path = shipment_path(api)
    refused = track(api, path, at, "in_transit")
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "$.at"
    assert error["message"] == "must be a date-time from 1900-01-01 to 9000-12-31 in UTC"
    assert "$.at: must be a date-time from 1900-01-01" in refused.json()["detail"]
    for edge in ("1900-01-01T00:00:00Z", "9000-12-31T23:59:59.999999Z"):
        assert track(api, path, edge, "in_transit").status_code == 200
    assert [t["at"] for t in api.get(path).json()["tracking"]] == [
        "1900-01-01T00:00:00Z",
        "9000-12-31T23:59:59.999999Z",
    ]


@pytest.mark.parametrize("at", [1763803800, "1763803800"])
def test_a_number_is_not_a_tracking_time(api: Api, at: object) -> None:
    path = shipment_path(api)
    refused = api.post(f"{path}/tracking", role="warehouse", json={"at": at, "code": "x"})
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "$.at"
    assert error["message"].startswith("must be an ISO 8601 date-time such as")
