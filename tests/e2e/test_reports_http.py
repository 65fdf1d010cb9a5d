"""Reports and inventory planning over HTTP: the day's KPIs, reorder suggestions, transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tests.e2e.conftest import Api, order

TODAY = datetime.now(UTC).date()


def promise(api: Api, shipment_id: str, day: date, shipped_at: datetime | None = None) -> None:
    """Set a shipment's promise (and when it shipped) as the carrier step would have."""
    with api.container.uow_factory() as uow:
        shipment = uow.shipments.get(shipment_id)
        assert shipment is not None
        shipment.promised_date = day
        shipment.shipped_at = shipped_at
        uow.commit()


def kpis(api: Api, day: date, role: str = "analyst") -> Any:
    response = api.get(f"/v1/reports/daily-kpis?date={day.isoformat()}", role=role)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_days_kpis_count_each_order_received_by_where_it_stands_now(api: Api) -> None:
    api.seed(units=1)
    assert api.post("/v1/orders", role="channel", json=order("K-1")).json()["status"] == "released"
    assert api.post("/v1/orders", role="channel", json=order("K-2")).json()["status"] == (
        "backordered"
    )
    third = api.post("/v1/orders", role="channel", json=order("K-3")).json()
    assert api.post(
        f"/v1/orders/{third['id']}/cancel", json={"reason": "duplicate"}
    ).status_code == (200)
    unknown = api.post("/v1/orders", role="channel", json=order("K-4", sku="NOPE-9")).json()
    assert unknown["status"] == "rejected"
    figures = kpis(api, TODAY)
    assert figures == {
        "date": TODAY.isoformat(),
        "orders_in": 4,
        "held": 0,
        "backordered": 1,
        "partly_backordered": 0,
        "rejected": 1,
        "cancelled": 1,
        "late_shipments": 0,
    }
    assert kpis(api, date(2020, 1, 1))["orders_in"] == 0


def test_an_order_on_its_way_with_a_line_waiting_for_stock_is_counted_as_partly_backordered(
    api: Api,
) -> None:
    api.seed(units=3)
    api.post("/v1/orders", role="channel", json=order("P-1"))
    api.post("/v1/orders", role="channel", json=order("P-2"))
    third = api.post("/v1/orders", role="channel", json=order("P-3", quantity=5)).json()
    assert third["status"] == "released"
    assert [line["status"] for line in third["lines"]] == ["backordered"]
    figures = kpis(api, TODAY)
    assert (figures["backordered"], figures["partly_backordered"]) == (0, 1)


def test_a_shipment_is_late_for_the_day_it_was_promised_if_it_shipped_after_it(api: Api) -> None:
    api.seed(units=5)
    for number in range(3):
        api.post("/v1/orders", role="channel", json=order(f"L-{number}"))
    on_time, shipped_late, never = api.get("/v1/shipments").json()
    promised = date(2026, 11, 1)
    promise(api, on_time["id"], promised, datetime(2026, 11, 1, 17, tzinfo=UTC))
    promise(api, shipped_late["id"], promised, datetime(2026, 11, 3, 9, tzinfo=UTC))
    promise(api, never["id"], promised)
    assert kpis(api, promised)["late_shipments"] == 2
    assert kpis(api, date(2026, 11, 2))["late_shipments"] == 0


def test_a_shipment_promised_for_today_is_not_late_while_today_lasts(api: Api) -> None:
    api.seed(units=5)
    api.post("/v1/orders", role="channel", json=order("T-1"))
    [shipment] = api.get("/v1/shipments").json()
    promise(api, shipment["id"], TODAY)
    assert kpis(api, TODAY)["late_shipments"] == 0


def test_the_kpis_are_for_analysts_and_admins(api: Api) -> None:
    assert kpis(api, TODAY, role="admin")["orders_in"] == 0
    for role in ("support", "warehouse", "channel", "customer"):
        assert api.get("/v1/reports/daily-kpis", role=role).status_code == 403
    bad = api.get("/v1/reports/daily-kpis?date=yesterday")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "query parameter 'date'"


def test_reorder_suggestions_name_what_to_buy_where_stock_is_at_or_below_its_point(
    api: Api,
) -> None:
    api.seed(units=2, location="DAL-01")
    api.seed(units=500, location="RNO-02")
    for number in range(4):
        api.post("/v1/orders", role="channel", json=order(f"D-{number}", quantity=1))
    suggested = api.get("/v1/inventory/reorder-suggestions", role="support").json()
    assert [(s["sku"], s["location_code"]) for s in suggested] == [("SHOE-42", "DAL-01")]
    assert suggested[0]["suggested_quantity"] > 0
    everything = api.get("/v1/inventory/reorder-suggestions?all_rows=true").json()
    assert sorted(s["location_code"] for s in everything) == ["DAL-01", "RNO-02"]
    mine = api.get("/v1/inventory/reorder-suggestions?all_rows=true", role="warehouse").json()
    assert [s["location_code"] for s in mine] == ["DAL-01"]
    unknown = api.get("/v1/inventory/reorder-suggestions?method=guess")
    assert unknown.status_code == 422


def test_transfers_in_transit_are_listed_until_received(api: Api) -> None:
    api.seed(units=10, location="DAL-01")
    api.seed(units=0, location="RNO-02")
    sent = {
        "sku": "SHOE-42",
        "from_location": "DAL-01",
        "to_location": "RNO-02",
        "quantity": 4,
        "expected_on": "2026-12-01",
    }
    assert api.post("/v1/inventory/transfers", json=sent).status_code == 200
    [moving] = api.get("/v1/inventory/transfers?status=in_transit", role="analyst").json()
    assert (moving["from_location"], moving["to_location"], moving["quantity"]) == (
        "DAL-01",
        "RNO-02",
        4,
    )
    assert moving["expected_on"] == "2026-12-01"
    assert api.get("/v1/inventory/transfers?status=received").json() == []
    assert [t["id"] for t in api.get("/v1/inventory/transfers", role="warehouse").json()] == [
        moving["id"]
    ]
    assert api.get("/v1/inventory/transfers?location=DAL-01").json() == []
    assert api.get("/v1/inventory/transfers", role="customer").status_code == 403
