"""The Reports page and the KPI cards against the real API: each report's tab shows the figures
`GET /v1/reports/...` counts for the demo's orders, rates with the counts they divide; a
period the API refuses is its message; support is not offered the page. The KPI cards of
those who may read reports are the API's exact daily figures (partly backordered orders
included); support's sampled Backordered card counts an order on its way with a line that
waits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui.texts import money
from admin_ui.views.orders import ON_ITS_WAY
from admin_ui.views.reports import amounts, default_period, figure, part, ratio
from tests.e2e.console.conftest import World, console, open_page, texts

TODAY = datetime.now(UTC).date()


def report(world: World, name: str, period: tuple[date, date] | None = None) -> Any:
    first, last = period or default_period(TODAY)
    with world.http() as http:
        answer = http.get(f"/v1/reports/{name}", params={"from": str(first), "to": str(last)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def tab(app: AppTest, label: str) -> Any:
    return next(t for t in app.tabs if t.label == label)


def cards(part_of_page: Any) -> dict[str, str]:
    return {m.label: m.value for m in part_of_page.metric}


def rows(part_of_page: Any, index: int) -> list[dict[str, Any]]:
    return list(part_of_page.dataframe[index].value.to_dict("records"))


def chart_data(part_of_page: Any, index: int) -> dict[str, list[Any]]:
    """The rows a chart draws, read back from the Arrow table Streamlit sends the browser."""
    chart = part_of_page.get("vega_lite_chart")[index]
    [dataset] = chart.proto.datasets
    return dict(pa.ipc.open_stream(dataset.data.data).read_all().to_pydict())


@pytest.fixture
def page(world: World) -> AppTest:
    return open_page(console(world, "analyst"), "reports")


def test_the_sales_tab_shows_the_api_s_orders_revenue_per_currency_channels_and_skus(
    world: World, page: AppTest
) -> None:
    sales, shown = report(world, "sales"), tab(page, "Sales")
    assert sales["orders"] > 0, "the demo has orders in the last 30 days"
    figures = cards(shown)
    assert (figures["Orders"], figures["Units"]) == (f"{sales['orders']:,}", f"{sales['units']:,}")
    for currency, revenue in sales["revenue"].items():
        assert figures[f"Revenue ({currency})"] == money(revenue, currency)
        aov = sales["average_order_value"][currency]
        assert figures[f"Average order value ({currency})"] == money(aov, currency)
    assert rows(shown, 0) == [
        {"channel": c["channel"], "orders": c["orders"], "units": c["units"],
         "revenue": amounts(c["revenue"]), "cancelled": ratio(c["cancelled"]),
         "rejected": ratio(c["rejected"])}
        for c in sales["channels"]
    ]  # fmt: skip
    assert rows(shown, 1) == sales["top_skus"]
    per_day = chart_data(shown, 0)
    assert per_day["orders"] == [d["orders"] for d in sales["days"]]
    assert len(per_day["date"]) == sales["period"]["days"] == 30
    revenue = chart_data(shown, 1)
    assert revenue["USD"] == [float(d["revenue"].get("USD", 0)) for d in sales["days"]]


def test_the_fulfilment_tab_shows_each_carrier_s_cost_on_time_rate_and_transit(
    world: World, page: AppTest
) -> None:
    fulfilment, shown = report(world, "fulfilment"), tab(page, "Fulfilment")
    assert fulfilment["carriers"], "the demo's orders shipped"
    figures = cards(shown)
    assert figures["Shipments"] == f"{fulfilment['shipments']:,}"
    assert figures["Split orders"] == ratio(fulfilment["split"]["split"])
    assert figures["Cycle time, p90"] == figure(fulfilment["cycle_time"]["p90_hours"], " h")
    carriers = rows(shown, 0)
    assert [(c["carrier"], c["service"], c["on time"]) for c in carriers] == [
        (c["carrier"] or "none yet", c["service"], ratio(c["on_time"]))
        for c in fulfilment["carriers"]
    ]
    assert [c["shipping cost"] for c in carriers] == [
        figure(float(c["shipping_cost"])) for c in fulfilment["carriers"]
    ]
    assert rows(shown, 1) == [
        {"location": x["location_code"], "shipments": x["shipments"], "units": x["units"]}
        for x in fulfilment["locations"]
    ]


def test_the_operations_tab_shows_each_rate_with_the_counts_it_divides(
    world: World, page: AppTest
) -> None:
    operations, shown = report(world, "operations"), tab(page, "Operations")
    defects, accuracy = operations["order_defects"], operations["order_accuracy"]
    figures = cards(shown)
    late = operations["late_shipments"]
    assert figures["Late shipments"] == ratio(late)
    assert f"— {late['count']:,} of {late['of']:,}" in figures["Late shipments"]
    assert figures["Order defect rate"] == ratio(defects["defective"])
    for label, key in (("With a cancelled shipment", "cancelled_shipment"),
                       ("With a late shipment", "late_shipment"),
                       ("With a defect return", "defect_return")):  # fmt: skip
        assert figures[label] == ratio(part(defects[key], defects["orders"]))
    right = accuracy["shipped"] - accuracy["wrong_item"]
    assert figures["Order accuracy"].endswith(f"— {right:,} of {accuracy['shipped']:,}")


def test_the_customers_tab_shows_new_and_returning_top_customers_and_when_they_order(
    world: World, page: AppTest
) -> None:
    customers, shown = report(world, "customers"), tab(page, "Customers")
    figures = cards(shown)
    assert figures["New"] == ratio(part(customers["new"], customers["customers"]))
    assert figures["Returning"] == ratio(part(customers["returning"], customers["customers"]))
    assert figures["Repeat"] == ratio(customers["repeat"])
    assert rows(shown, 0) == [
        {"customer": c["customer_id"], "orders": c["orders"], "revenue": money(c["revenue"], "USD")}
        for c in customers["top_customers"]["USD"]
    ]
    weekdays, hours = chart_data(shown, 0), chart_data(shown, 1)
    assert weekdays["weekday"][0] == "Monday"
    assert weekdays["orders"] == list(customers["by_weekday"].values())
    assert hours["orders"] == customers["by_hour"] and hours["hour"] == list(range(24))


def test_the_inventory_tab_shows_stock_per_location_days_of_cover_and_replenishment(
    world: World, page: AppTest
) -> None:
    inventory, shown = report(world, "inventory"), tab(page, "Inventory")
    figures = cards(shown)
    assert (figures["On hand"], figures["Available"]) == (
        f"{inventory['on_hand']:,}",
        f"{inventory['available']:,}",
    )
    assert figures["Turnover"] == figure(inventory["turnover"], places=4)
    assert [(x["location"], x["on hand"], x["available"]) for x in rows(shown, 0)] == [
        (x["location_code"], x["on_hand"], x["available"]) for x in inventory["locations"]
    ]
    assert [(s["sku"], s["days of cover"], s["turnover"]) for s in rows(shown, 1)] == [
        (s["sku"], figure(s["days_of_cover"], places=1), figure(s["turnover"], places=4))
        for s in inventory["skus"]
    ]
    assert [(x["sku"], x["buy"]) for x in rows(shown, 2)] == [
        (x["sku"], x["suggested_quantity"]) for x in inventory["replenishment"]
    ]


def test_a_period_that_runs_backwards_is_the_api_s_message_in_each_tab(page: AppTest) -> None:
    next(d for d in page.date_input if d.label == "From").set_value(TODAY)
    next(d for d in page.date_input if d.label == "To (included)").set_value(
        TODAY - timedelta(days=5)
    )
    page.run()
    assert not page.exception, page.exception
    for shown in page.tabs:
        [error] = [str(e.value) for e in shown.error]
        assert error.startswith(f"**{shown.label}**: The request is not valid")
        assert f"- query parameter 'from': is after 'to' ({TODAY - timedelta(days=5)})" in error
        assert not shown.metric


def test_a_chosen_period_is_the_one_reported(world: World, page: AppTest) -> None:
    first, last = TODAY - timedelta(days=6), TODAY - timedelta(days=2)
    next(d for d in page.date_input if d.label == "From").set_value(first)
    next(d for d in page.date_input if d.label == "To (included)").set_value(last)
    page.run()
    sales = report(world, "sales", (first, last))
    assert cards(tab(page, "Sales"))["Orders"] == f"{sales['orders']:,}"
    assert len(chart_data(tab(page, "Sales"), 0)["date"]) == 5


def test_support_is_not_offered_the_reports_page(world: World) -> None:
    app = console(world, "support")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("screens/reports.py")


# --- the KPI cards of the Alerts page ---------------------------------------------------------


def released_with_a_line_waiting(world: World, number: int) -> dict[str, Any]:
    """An order placed now of 10 units of a SKU of its own, of which a 3PL can give only some
    (its stock less the units the reservation rules set aside for B2B customers): released,
    its line backordered for the rest."""
    sku = f"CONSOLE-KPI-{number}"
    with world.http() as http:
        made = http.put(f"/v1/products/{sku}", json={"name": "KPI", "price": "10.00"})
        assert made.status_code == 200, made.text
        locations = http.get("/v1/locations", params={"limit": 500}).json()
        site = next(x["code"] for x in locations if x["type"] == "3pl" and x["enabled"])
        receipt = {"sku": sku, "location_code": site, "quantity": 30}
        assert http.post("/v1/inventory/receipts", json=receipt).status_code == 200
        answer = http.post("/v1/orders", json={
            "channel": "web", "channel_order_id": sku, "customer_id": "CUST-00004",
            "email": "kpi@example.com",
            "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
            "lines": [{"sku": sku, "quantity": 10}],
        })  # fmt: skip
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert (order["status"], order["lines"][0]["status"]) == ("released", "backordered"), order
    return dict(order)


def test_the_kpi_cards_of_those_who_read_reports_are_the_api_s_exact_daily_figures(
    world: World,
) -> None:
    released_with_a_line_waiting(world, 1)
    app = open_page(console(world, "admin"), "alerts")
    with world.http() as http:
        today = http.get("/v1/reports/daily-kpis", params={"date": str(TODAY)}).json()
        yesterday = http.get(
            "/v1/reports/daily-kpis", params={"date": str(TODAY - timedelta(days=1))}
        ).json()
    assert today["partly_backordered"] >= 1
    assert cards(app) == {
        "Orders in today": f"{today['orders_in']:,}",
        "Held": f"{today['held']:,}",
        "Backordered": f"{today['backordered']:,}",
        "Partly backordered": f"{today['partly_backordered']:,}",
        "Rejected": f"{today['rejected']:,}",
        "Cancelled": f"{today['cancelled']:,}",
        "Late shipments (yesterday)": f"{yesterday['late_shipments']:,}",
    }
    assert "6 late shipments from RPS within an hour" in texts(app)


def test_support_s_backordered_card_counts_an_order_on_its_way_with_a_line_waiting(
    world: World,
) -> None:
    released = released_with_a_line_waiting(world, 2)
    app = open_page(console(world, "support"), "alerts")
    with world.http("support") as http:
        whole = http.get("/v1/orders", params={"status": "backordered", "limit": 500}).json()
        waiting = http.get("/v1/orders", params={"line_status": "backordered", "limit": 500})
    found = [o for o in waiting.json() if o["status"] == "backordered" or o["status"] in ON_ITS_WAY]
    assert released["id"] in {o["id"] for o in found}
    assert int(cards(app)["Backordered"]) == len(found) > len(whole)
