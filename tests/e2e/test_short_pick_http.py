"""`POST /v1/shipments/{id}/short` over HTTP: a location reports units it cannot find, and
the answer shows its shipment as it now stands and where the units went; another location's
shipment, a shipped one and figures the shipment cannot give are refused, changing nothing."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, order


def a_released_shipment(api: Api, units: int = 3, location: str = "DAL-01") -> dict[str, Any]:
    """`units` SHOE-42 on hand at `location`, an order for all of them: its one shipment."""
    api.seed(units=units, location=location)
    created = api.post("/v1/orders", role="channel", json=order("SP-1", quantity=units)).json()
    [shipment] = api.get(f"/v1/orders/{created['id']}").json()["shipments"]
    assert (shipment["location_code"], shipment["status"]) == (location, "released"), created
    return dict(shipment)


def report(api: Api, shipment_id: str, role: str = "warehouse", **line: Any) -> Any:
    body = {"reason": "not in its bin", "lines": [line or {"order_line_id": "1", "missing": 2}]}
    return api.post(f"/v1/shipments/{shipment_id}/short", role=role, json=body)


def stock(api: Api, location: str) -> tuple[int, int]:
    [row] = api.get(f"/v1/inventory/locations/{location}").json()
    return row["on_hand"], row["reserved"]


def test_a_warehouse_reports_a_short_pick_and_the_units_are_shipped_from_elsewhere(
    api: Api,
) -> None:
    shipment = a_released_shipment(api)
    api.seed(units=5, location="RNO-02")

    response = report(api, shipment["id"])

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["shipment"]["status"], answer["shipment"]["lines"][0]["quantity"]) == (
        "released",
        1,
    )
    # Reno's new shipment is not the Dallas key's to see; the units it took are said.
    assert (answer["new_shipments"], answer["resourced"], answer["backordered"]) == (
        [],
        {"1": 2},
        {},
    )
    assert stock(api, "DAL-01") == (1, 1)
    assert stock(api, "RNO-02") == (5, 2)
    detail = api.get(f"/v1/orders/{shipment['order_id']}", role="support").json()
    assert sorted((s["location_code"], s["status"]) for s in detail["shipments"]) == [
        ("DAL-01", "released"),
        ("RNO-02", "released"),
    ]
    [entry] = api.get(f"/v1/audit?entity=shipment&entity_id={shipment['id']}").json()
    assert (entry["action"], entry["actor"]) == ("shipment.short_pick", "warehouse:e2e-warehouse")


def test_support_is_answered_with_the_new_shipments_the_units_went_to(api: Api) -> None:
    shipment = a_released_shipment(api)
    api.seed(units=5, location="RNO-02")

    answer = report(api, shipment["id"], "support").json()

    assert [
        (s["location_code"], s["status"], s["lines"][0]["quantity"])
        for s in answer["new_shipments"]
    ] == [("RNO-02", "released", 2)]
    assert answer["new_shipments"][0]["carrier"]


def test_support_reports_a_whole_shipment_short_and_the_units_wait_for_stock(api: Api) -> None:
    shipment = a_released_shipment(api)

    response = report(api, shipment["id"], "support", sku="SHOE-42", missing=3)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["shipment"]["status"], answer["shipment"]["lines"]) == ("cancelled", [])
    assert (answer["new_shipments"], answer["backordered"]) == ([], {"1": 3})
    assert stock(api, "DAL-01") == (0, 0)
    placed = api.get(f"/v1/orders/{shipment['order_id']}", role="support").json()
    assert (placed["status"], placed["lines"][0]["status"]) == ("released", "backordered")


def test_a_warehouse_key_cannot_report_another_locations_shipment_short(api: Api) -> None:
    shipment = a_released_shipment(api, location="RNO-02")

    refused = report(api, shipment["id"])

    # As for every other shipment write: a shipment the key may not see is not there for it.
    assert refused.status_code == 404, refused.text
    assert report(api, shipment["id"], "customer").status_code == 403
    assert stock(api, "RNO-02") == (3, 3)


def test_a_shipped_shipment_cannot_come_up_short(api: Api) -> None:
    shipment = a_released_shipment(api)
    path = f"/v1/shipments/{shipment['id']}"
    assert (
        api.post(f"{path}/status", role="warehouse", json={"status": "shipped"}).status_code == 200
    )

    refused = report(api, shipment["id"])

    assert refused.status_code == 409, refused.text
    assert (
        "is 'shipped': only a released or picked shipment can come up short"
        in (refused.json()["detail"])
    )


def test_more_units_than_the_line_carries_are_refused_at_their_path(api: Api) -> None:
    shipment = a_released_shipment(api)

    refused = report(api, shipment["id"], order_line_id="1", missing=4)

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "$.lines[0].missing"
    assert (
        "carries 3 unit(s), so 4 cannot be missing from it: report at most 3" in (error["message"])
    )
    assert stock(api, "DAL-01") == (3, 3)
