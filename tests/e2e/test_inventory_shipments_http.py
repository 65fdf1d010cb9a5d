"""Inventory, shipments and alerts over HTTP, including what a warehouse key may touch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.domain.operations import Alert
from tests.e2e.conftest import Api, order


def test_stock_by_sku_and_location_and_atp_across_locations(api: Api) -> None:
    api.seed(units=7, location="DAL-01")
    api.seed(units=5, location="RNO-02")
    by_sku = api.get("/v1/inventory/skus/SHOE-42", role="support").json()
    assert {(s["location_code"], s["on_hand"]) for s in by_sku} == {("DAL-01", 7), ("RNO-02", 5)}
    at_location = api.get("/v1/inventory/locations/RNO-02", role="analyst").json()
    assert [(s["sku"], s["available"]) for s in at_location] == [("SHOE-42", 5)]
    atp = api.get("/v1/inventory/atp/SHOE-42", role="support").json()
    assert atp["total"] == 12
    assert sorted(loc["location_code"] for loc in atp["locations"]) == ["DAL-01", "RNO-02"]


def test_a_warehouse_key_sees_and_moves_only_its_own_locations(api: Api) -> None:
    api.seed(units=7, location="DAL-01")
    api.seed(units=5, location="RNO-02")
    mine = api.get("/v1/inventory/skus/SHOE-42", role="warehouse").json()
    assert [s["location_code"] for s in mine] == ["DAL-01"]
    assert api.get("/v1/inventory/locations/RNO-02", role="warehouse").status_code == 403
    elsewhere = {"sku": "SHOE-42", "location_code": "RNO-02", "delta": -1, "reason": "count"}
    refused = api.post("/v1/inventory/adjustments", role="warehouse", json=elsewhere)
    assert refused.status_code == 403
    assert "DAL-01" in refused.json()["detail"]
    here = {**elsewhere, "location_code": "DAL-01"}
    adjusted = api.post("/v1/inventory/adjustments", role="warehouse", json=here)
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["on_hand"] == 6
    entry = api.get("/v1/audit?entity=stock&entity_id=SHOE-42@DAL-01").json()[0]
    assert (entry["action"], entry["actor"]) == ("stock.adjust", "warehouse:e2e-warehouse")


def test_adjusting_stock_below_what_is_reserved_is_refused_with_the_numbers(api: Api) -> None:
    api.seed(units=3)
    api.post("/v1/orders", role="channel", json=order("A-1", quantity=3))
    response = api.post(
        "/v1/inventory/adjustments",
        json={"sku": "SHOE-42", "location_code": "DAL-01", "delta": -2},
    )
    assert response.status_code == 422
    assert "3 reserved" in response.json()["detail"]


def test_a_transfer_leaves_the_source_at_once(api: Api) -> None:
    api.seed(units=10, location="DAL-01")
    api.seed(units=0, location="RNO-02")
    moved = api.post(
        "/v1/inventory/transfers",
        json={
            "sku": "SHOE-42",
            "from_location": "DAL-01",
            "to_location": "RNO-02",
            "quantity": 4,
            "expected_on": "2026-12-01",
        },
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["on_hand"] == 6


def test_a_transfer_of_a_sku_nobody_sells_is_a_404_not_a_stock_shortage(api: Api) -> None:
    api.seed(units=10, location="DAL-01")
    api.seed(units=0, location="RNO-02")
    response = api.post(
        "/v1/inventory/transfers",
        json={
            "sku": "NOPE-1",
            "from_location": "DAL-01",
            "to_location": "RNO-02",
            "quantity": 1,
            "expected_on": "2026-12-01",
        },
    )
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "product 'NOPE-1' does not exist"


def _send_four_from_dallas_to_reno(api: Api) -> str:
    api.seed(units=10, location="DAL-01")
    api.seed(units=0, location="RNO-02")
    api.seed(sku="SOCK-M", units=3, location="DAL-01")
    sent = api.post(
        "/v1/inventory/transfers",
        json={
            "sku": "SHOE-42",
            "from_location": "DAL-01",
            "to_location": "RNO-02",
            "quantity": 4,
            "expected_on": "2026-12-01",
        },
    )
    assert sent.status_code == 200, sent.text
    return str(api.get("/v1/inventory/transfers").json()[0]["id"])


def _on_hand(api: Api, sku: str, location: str) -> int:
    rows = api.get(f"/v1/inventory/skus/{sku}").json()
    return next((row["on_hand"] for row in rows if row["location_code"] == location), 0)


def test_a_transfer_is_received_at_its_destination_once_through_its_own_route(api: Api) -> None:
    transfer_id = _send_four_from_dallas_to_reno(api)
    path = f"/v1/inventory/transfers/{transfer_id}/receive"
    # The Dallas key sees the transfer leave, but Reno receives it.
    refused = api.post(path, role="warehouse")
    assert refused.status_code == 403, refused.text
    assert "RNO-02" in refused.json()["detail"]
    received = api.post(path)
    assert received.status_code == 200, received.text
    assert (received.json()["location_code"], received.json()["on_hand"]) == ("RNO-02", 4)
    again = api.post(path)
    assert again.status_code == 409, again.text
    assert transfer_id in again.json()["detail"]
    assert _on_hand(api, "SHOE-42", "RNO-02") == 4
    assert [t["status"] for t in api.get("/v1/inventory/transfers").json()] == ["received"]
    entry = api.get("/v1/audit?entity=stock&entity_id=SHOE-42@RNO-02").json()[0]
    assert entry["action"] == "stock.receive_transfer"
    assert entry["after"]["transfer_id"] == transfer_id
    assert api.post("/v1/inventory/transfers/trf_nope/receive").status_code == 404


def test_a_receipt_naming_a_transfer_books_it_only_as_sent_and_only_once(api: Api) -> None:
    transfer_id = _send_four_from_dallas_to_reno(api)
    elsewhere = {"sku": "SOCK-M", "location_code": "DAL-01", "quantity": 1}
    wrong = api.post("/v1/inventory/receipts", json={**elsewhere, "reference": transfer_id})
    assert wrong.status_code == 422, wrong.text
    assert "SKU SOCK-M (expected SHOE-42)" in wrong.json()["detail"]
    assert "location DAL-01 (expected RNO-02)" in wrong.json()["detail"]
    short = {"sku": "SHOE-42", "location_code": "RNO-02", "quantity": 3, "reference": transfer_id}
    refused = api.post("/v1/inventory/receipts", json=short)
    assert refused.status_code == 422, refused.text
    assert "quantity 3 (expected 4)" in refused.json()["detail"]
    # Nothing was booked, and the four units are still on their way.
    assert (_on_hand(api, "SOCK-M", "DAL-01"), _on_hand(api, "SHOE-42", "RNO-02")) == (3, 0)
    assert [t["status"] for t in api.get("/v1/inventory/transfers").json()] == ["in_transit"]
    whole = {**short, "quantity": 4}
    assert api.post("/v1/inventory/receipts", json=whole).json()["on_hand"] == 4
    twice = api.post("/v1/inventory/receipts", json=whole)
    assert twice.status_code == 409, twice.text
    assert "already received" in twice.json()["detail"]
    assert _on_hand(api, "SHOE-42", "RNO-02") == 4


def test_receiving_stock_for_an_unknown_location_names_it(api: Api) -> None:
    api.seed(units=0)
    response = api.post(
        "/v1/inventory/receipts", json={"sku": "SHOE-42", "location_code": "NOWHERE", "quantity": 1}
    )
    assert response.status_code == 404
    assert "NOWHERE" in response.json()["detail"]


def test_a_warehouse_ships_its_shipment_and_the_customer_tracks_it(api: Api) -> None:
    api.seed(units=10)
    created = api.post("/v1/orders", role="channel", json=order("S-1")).json()
    [shipment] = api.get("/v1/shipments", role="warehouse").json()
    assert shipment["order_id"] == created["id"]
    path = f"/v1/shipments/{shipment['id']}"
    picked = api.post(f"{path}/status", role="warehouse", json={"status": "picked"})
    assert picked.status_code == 200, picked.text
    shipped = api.post(
        f"{path}/status", role="warehouse", json={"status": "shipped", "tracking_number": "1Z9"}
    )
    assert (shipped.json()["status"], shipped.json()["tracking_number"]) == ("shipped", "1Z9")
    tracked = api.post(
        f"{path}/tracking",
        role="warehouse",
        json={"at": "2026-11-23T09:30:00Z", "code": "in_transit", "location": "Memphis"},
    )
    assert tracked.status_code == 200, tracked.text
    seen = api.get(path, role="customer").json()
    assert [t["code"] for t in seen["tracking"]] == ["in_transit"]
    assert api.get(f"/v1/orders/{created['id']}", role="customer").json()["status"] == "shipped"


def test_a_shipment_cannot_jump_back_and_the_problem_names_both_states(api: Api) -> None:
    api.seed(units=10)
    api.post("/v1/orders", role="channel", json=order("S-2"))
    [shipment] = api.get("/v1/shipments", role="admin").json()
    path = f"/v1/shipments/{shipment['id']}/status"
    api.post(path, role="warehouse", json={"status": "shipped"})
    back = api.post(path, role="warehouse", json={"status": "picked"})
    assert back.status_code == 409
    assert "'shipped'" in back.json()["detail"] and "'picked'" in back.json()["detail"]


def test_another_locations_shipment_is_invisible_to_a_warehouse_key(api: Api) -> None:
    api.seed(units=10, location="RNO-02")
    api.post("/v1/orders", role="channel", json=order("S-3"))
    [shipment] = api.get("/v1/shipments", role="admin").json()
    assert shipment["location_code"] == "RNO-02"
    assert api.get("/v1/shipments", role="warehouse").json() == []
    assert api.get(f"/v1/shipments/{shipment['id']}", role="warehouse").status_code == 404
    refused = api.post(
        f"/v1/shipments/{shipment['id']}/status", role="warehouse", json={"status": "picked"}
    )
    assert refused.status_code == 404


def test_support_acknowledges_an_open_alert_once(api: Api) -> None:
    with api.container.uow_factory() as uow:
        uow.alerts.add(
            Alert(
                id="alr_1",
                rule="Late shipments",
                severity="high",
                key="RPS",
                message="6 late shipments from RPS within an hour",
                created_at=datetime.now(UTC),
            )
        )
        uow.commit()
    listed = api.get("/v1/alerts?status=open", role="analyst").json()
    assert [a["id"] for a in listed] == ["alr_1"]
    acked = api.post("/v1/alerts/alr_1/acknowledge", role="support")
    assert acked.status_code == 200, acked.text
    assert (acked.json()["status"], acked.json()["acknowledged_by"]) == (
        "acknowledged",
        "support:e2e-support",
    )
    assert api.get("/v1/alerts?status=open", role="analyst").json() == []
    assert api.post("/v1/alerts/alr_1/acknowledge", role="support").status_code == 409


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("cancelled", "a shipment is cancelled with its order"),
        ("released", "is set when the order is released"),
        ("pending", "is set by Ordo"),
    ],
)
def test_a_status_a_location_does_not_report_is_refused_at_its_path_saying_who_sets_it(
    api: Api, status: str, says: str
) -> None:
    api.seed(units=10)
    created = api.post("/v1/orders", role="channel", json=order("S-9")).json()
    [shipment] = api.get("/v1/shipments", role="warehouse").json()

    response = api.post(
        f"/v1/shipments/{shipment['id']}/status", role="warehouse", json={"status": status}
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "$.status"
    assert says in error["message"]
    assert "picked, packed, shipped, delivered" in error["message"]
    after = api.get(f"/v1/orders/{created['id']}").json()
    assert (after["status"], after["shipments"][0]["status"]) == ("released", "released")


def test_the_openapi_status_body_offers_only_the_statuses_a_location_reports(api: Api) -> None:
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ReportedStatus"]["enum"] == ["picked", "packed", "shipped", "delivered"]
