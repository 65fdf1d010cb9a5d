"""A carrier API behind Ordo, over HTTP (a fake one behind the `Carrier` interface): support
cancels a released order whose label was bought, and the worker voids the label with the
carrier, once, shown on the shipment's history; the carrier's signed tracking webhook
delivers a shipment and lands a parcel's scan on its parcel, a retried delivery records
nothing twice, and numbers Ordo does not know are answered 200 and counted. A scan of a stock
transfer the carrier carries revises its arrival day and records its delivery at the store,
which still receives it. Every way in but
the carrier's signature is refused: 401 logged on `ordo.auth`, 403 for an API key, 422
naming the field of a signed body the carrier's connector cannot read."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Api, run_worker
from tests.e2e.test_labels_http import actions, make, shipment_of
from tests.e2e.test_parcel_tracking_http import labelled_and_shipped
from tests.e2e.test_shipment_parcels_http import (  # `container`, `stocked`: fixtures
    container,  # noqa: F401
    stocked,  # noqa: F401
)
from tests.e2e.test_transfer_shipped_http import SHIPPED, a_store_key, a_transfer_to_the_store
from tests.integration.events.test_wms_release_worker import outside  # noqa: F401
from tests.support.fake_carrier import FakeCarrier, scans, signed, with_fake

# After the shipping, which the API stamps with the real clock.
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def at(hours: int) -> str:
    return (SOON + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def with_carrier_api(api: Api, code: str) -> FakeCarrier:
    """Carrier `code` served by a carrier API (the fake), as ORDO_CARRIER_APIS would make it."""
    fake = FakeCarrier()
    api.container.carriers = with_fake(api.container.carriers, code, fake)
    return fake


def deliver(api: Api, code: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return api.client.post(f"/v1/carriers/{code}/tracking", content=body, headers=headers)


def audited(api: Api, shipment_id: str, action: str) -> list[dict[str, Any]]:
    entries = api.get(f"/v1/audit?entity=shipment&entity_id={shipment_id}").json()
    return [entry for entry in entries if entry["action"] == action]


def test_a_released_labelled_order_cancelled_by_support_has_its_label_voided_once(
    api: Api,
) -> None:
    shipment = shipment_of(api, "W-VOID")
    labelled = make(api, shipment)
    assert labelled.status_code == 200, labelled.text
    number = labelled.json()["tracking_number"]
    carrier = with_carrier_api(api, shipment["carrier"])

    cancelled = api.post(f"/v1/orders/{shipment['order_id']}/cancel", role="support",
                         json={"reason": "customer called"})  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    run_worker(api)
    run_worker(api)  # nothing left to do: the label is not voided twice

    assert carrier.asked == [[number]]
    assert actions(api, "shipment", shipment["id"]).count("shipment.label_void") == 1
    [entry] = audited(api, shipment["id"], "shipment.label_void")
    assert entry["after"] == {"carrier": shipment["carrier"], "tracking_numbers": [number]}


def test_a_signed_delivery_delivers_the_shipment_parcel_by_parcel(
    stocked: Api,  # noqa: F811
) -> None:
    shipment, numbers = labelled_and_shipped(stocked)
    code = shipment["carrier"]
    with_carrier_api(stocked, code)
    first = scans({"tracking_number": numbers[1], "at": at(1), "code": "DL"})

    answer = deliver(stocked, code, first, signed(first))

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"recorded": 1, "unchanged": 0, "unknown": 0, "not_with_carrier": 0,
                             "transfers": 0}  # fmt: skip
    seen = stocked.get(f"/v1/shipments/{shipment['id']}").json()
    assert [p["milestone"] for p in seen["parcels"]] == ["", "delivered", ""]
    assert seen["status"] == "shipped"

    rest = scans(*({"tracking_number": n, "at": at(2), "code": "in_transit",
                    "milestone": "delivered"} for n in (numbers[0], numbers[2])))  # fmt: skip
    answer = deliver(stocked, code, rest, signed(rest))

    assert answer.json()["recorded"] == 2
    seen = stocked.get(f"/v1/shipments/{shipment['id']}").json()
    assert seen["status"] == "delivered"
    assert stocked.get(f"/v1/orders/{shipment['order_id']}").json()["status"] == "delivered"
    entries = audited(stocked, shipment["id"], "shipment.tracking")
    assert {entry["actor"] for entry in entries} == {f"carrier:{code}"}


def test_a_retried_delivery_and_unknown_numbers_are_answered_200_and_counted(
    stocked: Api,  # noqa: F811
) -> None:
    shipment, numbers = labelled_and_shipped(stocked)
    code = shipment["carrier"]
    with_carrier_api(stocked, code)
    body = scans({"tracking_number": numbers[0], "at": at(1), "code": "in_transit"},
                 {"tracking_number": "NOT-OURS-123", "at": at(1), "code": "DL"})  # fmt: skip

    first = deliver(stocked, code, body, signed(body))
    again = deliver(stocked, code, body, signed(body))

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == {"recorded": 1, "unchanged": 0, "unknown": 1, "not_with_carrier": 0,
                            "transfers": 0}  # fmt: skip
    assert again.json() == {"recorded": 0, "unchanged": 1, "unknown": 1, "not_with_carrier": 0,
                            "transfers": 0}  # fmt: skip


def test_a_scan_of_a_cancelled_shipment_is_answered_200_and_counted(api: Api) -> None:
    shipment = shipment_of(api, "W-GONE")
    number = make(api, shipment).json()["tracking_number"]
    with_carrier_api(api, shipment["carrier"])
    cancelled = api.post(f"/v1/orders/{shipment['order_id']}/cancel", role="support",
                         json={"reason": "duplicate"})  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    body = scans({"tracking_number": number, "at": at(1), "code": "DL"})

    answer = deliver(api, shipment["carrier"], body, signed(body))

    assert answer.status_code == 200, answer.text
    assert answer.json()["not_with_carrier"] == 1
    assert api.get(f"/v1/shipments/{shipment['id']}").json()["tracking"] == []


def test_a_carriers_scans_of_a_transfer_revise_its_arrival_and_record_its_delivery(
    api: Api,
) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    shipped = api.post(f"/v1/inventory/transfers/{transfer_id}/shipped", role="warehouse",
                       json={**SHIPPED, "carrier": "RPS", "expected_on": "2026-12-01"})  # fmt: skip
    assert shipped.status_code == 200, shipped.text
    with_carrier_api(api, "RPS")
    number = SHIPPED["tracking_number"]
    late = scans({"tracking_number": number, "at": "2026-11-29T08:00:00Z", "code": "in_transit",
                  "estimated_delivery": "2026-12-03"})  # fmt: skip

    first = deliver(api, "RPS", late, signed(late))
    again = deliver(api, "RPS", late, signed(late))

    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert first.json() == again.json() == {"recorded": 0, "unchanged": 0, "unknown": 0,
                                            "not_with_carrier": 0, "transfers": 1}  # fmt: skip
    [awaited] = api.get(f"/v1/orders/{order_id}").json()["transfers"]
    assert (awaited["expected_on"], awaited["delivered_at"]) == ("2026-12-03", None)

    there = scans({"tracking_number": number, "at": "2026-12-02T09:30:00Z", "code": "DL"})
    assert deliver(api, "RPS", there, signed(there)).json()["transfers"] == 1
    [listed] = api.get("/v1/inventory/transfers").json()
    assert (listed["status"], listed["delivered_at"]) == ("in_transit", "2026-12-02T09:30:00Z")
    entries = api.get(f"/v1/audit?entity=transfer&entity_id={transfer_id}").json()
    assert {(e["action"], e["actor"]) for e in entries} == {
        ("transfer.shipped", "warehouse:e2e-warehouse"),
        ("transfer.arrival_revised", "carrier:RPS"), ("transfer.delivered", "carrier:RPS"),
    } and len(entries) == 3  # fmt: skip

    store = {"X-API-Key": a_store_key(api)}
    received = api.client.post(f"/v1/inventory/transfers/{transfer_id}/receive", headers=store)
    assert received.status_code == 200, received.text  # the store still counts it in
    assert received.json()["on_hand"] == 3  # its one unit and the transfer's two, once
    assert deliver(api, "RPS", there, signed(there)).json()["not_with_carrier"] == 1


@pytest.mark.parametrize(
    ("code", "headers", "why"),
    [
        ("RPS", {}, "no X-Fake-Signature header"),
        ("RPS", {"X-Fake-Signature": "0" * 64}, "does not match"),
        ("NOPE", None, "no carrier 'NOPE' has a connector"),
        ("PCL", None, "takes no webhook"),  # a rate card: its carrier pushes nothing
    ],
)
def test_a_delivery_that_is_not_the_carriers_is_refused_401_and_logged(
    api: Api, caplog: pytest.LogCaptureFixture, code: str, headers: Any, why: str
) -> None:
    with_carrier_api(api, "RPS")
    body = scans({"tracking_number": "X", "at": at(1), "code": "DL"})

    with caplog.at_level(logging.WARNING, logger="ordo.auth"):
        answer = deliver(api, code, body, signed(body) if headers is None else headers)

    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert why in answer.json()["detail"]
    assert any(why in record.getMessage() for record in caplog.records)


def test_an_api_key_may_not_post_a_carriers_webhook(api: Api) -> None:
    with_carrier_api(api, "RPS")
    body = scans()

    answer = api.post("/v1/carriers/RPS/tracking", content=body, headers=signed(body))

    assert answer.status_code == 403, answer.text


def test_a_signed_body_the_carrier_cannot_read_is_422_naming_the_field(api: Api) -> None:
    with_carrier_api(api, "RPS")
    body = scans({"tracking_number": "X", "at": "yesterday", "code": "DL"})

    answer = deliver(api, "RPS", body, signed(body))

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    [error] = answer.json()["errors"]
    assert (error["path"], error["message"]) == ("$.scans[0].at", "must be an ISO 8601 time")
