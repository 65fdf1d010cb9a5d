"""A transfer's sending location reports it shipped over HTTP: the carrier and tracking
number show on the transfer, in the transfer list and on the order it was sent for; only
the sender's key may say so, once, and only while the transfer is on its way; reported again
with a later day, the transfer's arrival day is revised."""

from __future__ import annotations

from engine.adapters.orm_api import SqlApiKeyStore
from engine.service_layer.auth import create_api_key
from tests.e2e.conftest import SECRET, Api, order
from tests.e2e.test_ship_to_store_http import a_store_short_of_shoes

SHIPPED = {
    "carrier": "ups",
    "tracking_number": "1Z999AA10123456784",
    "shipped_at": "2026-11-28T14:05:00Z",
}


def a_transfer_to_the_store(api: Api) -> tuple[str, str]:
    """A pickup order short at its store: (its id, the transfer Dallas sends it)."""
    a_store_short_of_shoes(api)
    body = order("P-1", quantity=3, fulfilment="pickup", pickup_location="NYC-5")
    created = api.post("/v1/orders", role="channel", json=body)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    [transfer] = api.get("/v1/inventory/transfers").json()
    return order_id, transfer["id"]


def a_store_key(api: Api) -> str:
    """A warehouse key of the store the transfer goes to, not of Dallas it leaves."""
    store = SqlApiKeyStore(api.container.session_factory)
    _, key = create_api_key(store, "nyc", "warehouse", server_secret=SECRET, locations=["NYC-5"])
    return key


def test_the_sending_warehouse_reports_a_transfer_shipped_and_the_order_shows_its_tracking(
    api: Api,
) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    path = f"/v1/inventory/transfers/{transfer_id}/shipped"

    reported = api.post(path, role="warehouse", json={**SHIPPED, "expected_on": "2026-12-04"})

    assert reported.status_code == 200, reported.text
    shown = {"carrier": "ups", "tracking_number": "1Z999AA10123456784"}
    [listed] = api.get("/v1/inventory/transfers").json()
    assert {key: listed[key] for key in shown} == shown
    assert (listed["shipped_at"], listed["expected_on"]) == ("2026-11-28T14:05:00Z", "2026-12-04")
    [awaited] = api.get(f"/v1/orders/{order_id}").json()["transfers"]
    assert {key: awaited[key] for key in shown} == shown
    [entry] = api.get(f"/v1/audit?entity=transfer&entity_id={transfer_id}").json()
    assert (entry["action"], entry["actor"]) == ("transfer.shipped", "warehouse:e2e-warehouse")


def test_a_transfer_is_reported_shipped_once_by_its_sender_while_on_its_way(api: Api) -> None:
    _, transfer_id = a_transfer_to_the_store(api)
    path = f"/v1/inventory/transfers/{transfer_id}/shipped"
    store = {"X-API-Key": a_store_key(api)}

    refused = api.client.post(path, headers=store, json=SHIPPED)
    assert refused.status_code == 403, refused.text
    assert "DAL-01" in refused.json()["detail"]
    first = api.post(path, role="warehouse", json=SHIPPED)
    again = api.post(path, role="warehouse", json=SHIPPED)
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json() == first.json()
    other = api.post(path, role="warehouse", json={**SHIPPED, "tracking_number": "1Z2"})
    assert other.status_code == 409, other.text
    assert "tracking_number 1Z2 (reported 1Z999AA10123456784)" in other.json()["detail"]
    assert len(api.get(f"/v1/audit?entity=transfer&entity_id={transfer_id}").json()) == 1

    received = api.client.post(f"/v1/inventory/transfers/{transfer_id}/receive", headers=store)
    assert received.status_code == 200, received.text
    late = api.post(path, json=SHIPPED)
    assert late.status_code == 409, late.text
    assert "already received" in late.json()["detail"]


def test_a_later_report_with_another_day_revises_the_arrival_once(api: Api) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    path = f"/v1/inventory/transfers/{transfer_id}/shipped"
    first = api.post(path, role="warehouse", json={**SHIPPED, "expected_on": "2026-12-01"})
    assert first.status_code == 200, first.text

    later = {"carrier": "ups", "tracking_number": "1Z999AA10123456784", "expected_on": "2026-12-05"}
    revised = api.post(path, role="warehouse", json=later)
    again = api.post(path, role="warehouse", json=later)

    assert (revised.status_code, again.status_code) == (200, 200), again.text
    assert revised.json()["expected_on"] == again.json()["expected_on"] == "2026-12-05"
    assert revised.json()["shipped_at"] == "2026-11-28T14:05:00Z"  # the first report's
    [awaited] = api.get(f"/v1/orders/{order_id}").json()["transfers"]
    assert awaited["expected_on"] == "2026-12-05"
    entries = api.get(f"/v1/audit?entity=transfer&entity_id={transfer_id}").json()
    [entry] = [e for e in entries if e["action"] == "transfer.arrival_revised"]
    assert (entry["actor"], entry["before"], entry["after"]) == (
        "warehouse:e2e-warehouse", {"expected_on": "2026-12-01"}, {"expected_on": "2026-12-05"},
    )  # fmt: skip
    assert len(entries) == 2  # shipped, then revised once


def test_a_revision_naming_another_carrier_or_an_earlier_day_is_refused(api: Api) -> None:
    _, transfer_id = a_transfer_to_the_store(api)
    path = f"/v1/inventory/transfers/{transfer_id}/shipped"
    api.post(path, role="warehouse", json={**SHIPPED, "expected_on": "2026-12-01"})

    other = api.post(path, json={**SHIPPED, "carrier": "fedex", "expected_on": "2026-12-05"})
    early = api.post(path, json={**SHIPPED, "expected_on": "2026-11-27"})

    assert (other.status_code, early.status_code) == (409, 422), early.text
    assert "carrier fedex (reported ups)" in other.json()["detail"]
    assert early.json()["errors"][0]["path"] == "$.expected_on"
    [listed] = api.get("/v1/inventory/transfers").json()
    assert (listed["carrier"], listed["expected_on"]) == ("ups", "2026-12-01")


def test_a_bad_report_is_refused_naming_its_field(api: Api) -> None:
    _, transfer_id = a_transfer_to_the_store(api)
    path = f"/v1/inventory/transfers/{transfer_id}/shipped"

    blank = api.post(path, json={**SHIPPED, "tracking_number": "  "})
    early = api.post(path, json={**SHIPPED, "expected_on": "2026-11-27"})

    assert (blank.status_code, early.status_code) == (422, 422), early.text
    assert blank.json()["errors"][0]["path"] == "$.tracking_number"
    assert early.json()["errors"][0]["path"] == "$.expected_on"
    assert api.post("/v1/inventory/transfers/trf_nope/shipped", json=SHIPPED).status_code == 404


def test_a_shipped_transfer_of_a_cancelled_order_keeps_going_as_the_stores_own_stock(
    api: Api,
) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    api.post(f"/v1/inventory/transfers/{transfer_id}/shipped", role="warehouse", json=SHIPPED)

    cancelled = api.post(f"/v1/orders/{order_id}/cancel", json={"reason": "changed her mind"})

    assert cancelled.status_code == 200, cancelled.text
    [listed] = api.get("/v1/inventory/transfers").json()
    assert (listed["id"], listed["status"], listed["order_id"]) == (transfer_id, "in_transit", "")
    assert api.get(f"/v1/orders/{order_id}").json()["transfers"] == []
