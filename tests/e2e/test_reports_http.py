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


# --- reports over a period ----------------------------------------------------------------------

TODAY_ONLY = f"?from={TODAY.isoformat()}&to={TODAY.isoformat()}"
PERIOD_REPORTS = ("sales", "fulfilment", "operations", "customers", "inventory")


def report(api: Api, name: str, query: str = TODAY_ONLY, role: str = "analyst") -> Any:
    response = api.get(f"/v1/reports/{name}{query}", role=role)
    assert response.status_code == 200, response.text
    return response.json()


def shipped(api: Api, channel_order_id: str, quantity: int = 1) -> Any:
    """An order placed by the web channel whose one shipment has left DAL-01."""
    created = api.post(
        "/v1/orders", role="channel", json=order(channel_order_id, quantity=quantity)
    )
    assert created.status_code == 201, created.text
    [shipment] = api.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    moved = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": "shipped"})
    assert moved.status_code == 200, moved.text
    return api.get(f"/v1/orders/{created.json()['id']}").json()


def test_the_sales_report_counts_the_periods_orders_with_money_as_decimal_strings(
    api: Api,
) -> None:
    api.seed(units=1)
    assert api.post("/v1/orders", role="channel", json=order("S-1")).json()["status"] == "released"
    waiting = api.post("/v1/orders", role="channel", json=order("S-2", quantity=2)).json()
    assert waiting["status"] == "backordered"
    refused = api.post("/v1/orders", role="channel", json=order("S-3", sku="NOPE-9")).json()
    assert refused["status"] == "rejected"
    sales = report(api, "sales")
    assert sales["period"] == {"from": TODAY.isoformat(), "to": TODAY.isoformat(), "days": 1}
    assert (sales["orders"], sales["units"]) == (3, 3)
    # 1 + 2 units at 20.00; the rejected order counts as an order only.
    assert sales["revenue"] == {"USD": "60.00"}
    assert sales["average_order_value"] == {"USD": "30.00"}
    assert {k: v for k, v in sales["by_status"].items() if v} == {
        "released": 1,
        "backordered": 1,
        "rejected": 1,
    }
    assert sales["days"] == [
        {"date": TODAY.isoformat(), "orders": 3, "units": 3, "revenue": {"USD": "60.00"}}
    ]
    [web] = sales["channels"]
    assert (web["channel"], web["rejected"]) == ("web", {"count": 1, "of": 3, "rate": 0.3333})
    assert sales["top_skus"] == [{"sku": "SHOE-42", "units": 3, "orders": 2}]
    assert report(api, "sales", "?from=2020-01-01&to=2020-01-31")["orders"] == 0


def test_the_fulfilment_and_operations_reports_follow_a_shipment_out_and_a_wrong_item_back(
    api: Api,
) -> None:
    api.seed(units=5)
    placed = shipped(api, "F-1", quantity=2)
    fulfilment = report(api, "fulfilment")
    assert (fulfilment["shipments"], fulfilment["cancelled"], fulfilment["units"]) == (1, 0, 2)
    [carrier] = fulfilment["carriers"]
    assert carrier["shipments"] == 1
    assert carrier["on_time"] == {"count": 1, "of": 1, "rate": 1.0}
    assert fulfilment["locations"] == [{"location_code": "DAL-01", "shipments": 1, "units": 2}]
    assert fulfilment["split"]["split"] == {"count": 0, "of": 1, "rate": 0.0}
    assert fulfilment["cycle_time"]["orders"] == 1

    operations = report(api, "operations")
    assert operations["as_of"] == TODAY.isoformat()
    assert operations["order_accuracy"] == {"shipped": 1, "wrong_item": 0, "rate": 1.0}
    line = {"order_line_id": placed["lines"][0]["id"], "quantity": 1, "reason": "Wrong item"}
    returned = api.post(
        f"/v1/orders/{placed['id']}/returns", role="support", json={"lines": [line]}
    )
    assert returned.status_code == 201, returned.text
    operations = report(api, "operations")
    assert operations["order_accuracy"] == {"shipped": 1, "wrong_item": 1, "rate": 0.0}
    assert operations["order_defects"]["defect_return"] == 1
    assert operations["order_defects"]["defective"] == {"count": 1, "of": 1, "rate": 1.0}


def test_the_customers_report_sees_a_new_customer_ordering_twice(api: Api) -> None:
    api.seed(units=5)
    for number in range(2):
        api.post("/v1/orders", role="channel", json=order(f"C-{number}"))
    customers = report(api, "customers")
    assert (customers["customers"], customers["new"], customers["returning"]) == (1, 1, 0)
    assert customers["repeat"] == {"count": 1, "of": 1, "rate": 1.0}
    assert customers["top_customers"] == {
        "USD": [{"customer_id": "C-1", "orders": 2, "revenue": "40.00"}]
    }
    assert sum(customers["by_weekday"].values()) == sum(customers["by_hour"]) == 2
    assert len(customers["by_hour"]) == 24


def test_the_inventory_report_puts_stock_now_beside_what_shipped(api: Api) -> None:
    api.seed(units=4)
    shipped(api, "I-1", quantity=1)
    inventory = report(api, "inventory")
    assert inventory["locations"] == [
        {"location_code": "DAL-01", "skus": 1, "on_hand": 3, "reserved": 0, "available": 3}
    ]
    assert (inventory["units_shipped"], inventory["turnover"]) == (1, 0.3333)
    assert inventory["skus"] == [
        {
            "sku": "SHOE-42",
            "units_shipped": 1,
            "on_hand": 3,
            "available": 3,
            "days_of_cover": 3.0,
            "turnover": 0.3333,
        }
    ]
    assert isinstance(inventory["replenishment"], list)


def test_a_period_defaults_to_the_30_days_ending_today(api: Api) -> None:
    for name in PERIOD_REPORTS:
        period = report(api, name, query="")["period"]
        assert period["to"] == TODAY.isoformat()
        assert period["days"] == 30


def test_a_bad_period_is_refused_with_422_naming_the_parameters(api: Api) -> None:
    for name in PERIOD_REPORTS:
        backwards = api.get(f"/v1/reports/{name}?from=2026-03-02&to=2026-03-01", role="analyst")
        assert backwards.status_code == 422, backwards.text
        paths = [error["path"] for error in backwards.json()["errors"]]
        assert paths == ["query parameter 'from'", "query parameter 'to'"]
        assert "before 'from' (2026-03-02)" in backwards.json()["detail"]
    too_long = api.get("/v1/reports/sales?from=2024-01-01&to=2025-01-01")
    assert too_long.status_code == 422
    assert "367 days" in too_long.json()["detail"]
    assert api.get("/v1/reports/sales?from=2024-01-01&to=2024-12-31").status_code == 200
    not_a_day = api.get("/v1/reports/fulfilment?from=yesterday")
    assert not_a_day.status_code == 422
    assert not_a_day.json()["errors"][0]["path"] == "query parameter 'from'"
    unknown = api.get("/v1/reports/customers?date=2026-03-01")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["path"] == "query parameter 'date'"


def test_the_period_reports_are_for_analysts_and_admins(api: Api) -> None:
    for name in PERIOD_REPORTS:
        assert report(api, name, role="admin")["period"]["days"] == 1
        for role in ("support", "warehouse", "channel", "customer"):
            assert api.get(f"/v1/reports/{name}", role=role).status_code == 403
