"""Inventory and alerts pages driven by AppTest against the real API."""

from __future__ import annotations

from datetime import date, timedelta

from streamlit.testing.v1 import AppTest

from admin_ui.views.alerts import late
from admin_ui.views.inventory import low_stock
from tests.e2e.console.conftest import World, console, open_page, texts


def field(app: AppTest, label: str) -> object:
    return next(t for t in app.text_input if t.label == label)


def test_stock_of_a_sku_shows_every_location_and_its_atp(world: World) -> None:
    app = open_page(console(world, "support"), "inventory")
    next(t for t in app.text_input if t.label == "SKU").set_value("APP-BBC-BLACK").run()
    assert not app.exception, app.exception
    with world.http() as http:
        atp = http.get("/v1/inventory/atp/APP-BBC-BLACK").json()
    metric = next(m for m in app.metric if m.label.startswith("Available to promise"))
    assert int(metric.value) == atp["total"]
    table = app.dataframe[0].value
    assert set(table["location_code"]) == {loc["location_code"] for loc in atp["locations"]}


def test_a_location_lists_what_runs_low_with_a_reorder_quantity(world: World) -> None:
    app = open_page(console(world, "admin"), "inventory")
    rows = [
        {"sku": "A", "available": 0, "on_hand": 2, "reserved": 0, "safety_stock": 2,
         "location_code": "X", "channel_allocations": {}},
        {"sku": "B", "available": 9, "on_hand": 9, "reserved": 0, "safety_stock": 0,
         "location_code": "X", "channel_allocations": {}},
    ]  # fmt: skip
    assert low_stock(rows, 5, 25) == [  # type: ignore[arg-type]
        {"sku": "A", "available": 0, "on hand": 2, "reserved": 0, "safety stock": 2, "reorder": 25}
    ]
    low = next(m for m in app.metric if m.label == "Running low")
    assert int(low.value) >= 0
    assert "Low stock and reorder suggestions" in [s.value for s in app.subheader]


def test_a_transfer_moves_units_after_confirmation(world: World) -> None:
    app = open_page(console(world, "admin"), "inventory")
    with world.http() as http:
        before = {
            r["location_code"]: r["on_hand"]
            for r in http.get("/v1/inventory/skus/APP-BBC-BLACK").json()
        }
    source = max(before, key=lambda code: before[code])
    target = next(code for code in before if code != source)
    field(app, "SKU to move").set_value("APP-BBC-BLACK")  # type: ignore[attr-defined]
    field(app, "From location").set_value(source)  # type: ignore[attr-defined]
    field(app, "To location").set_value(target)  # type: ignore[attr-defined]
    next(n for n in app.number_input if n.label == "Units").set_value(3)
    next(c for c in app.checkbox if c.label == "Yes, move these units").check()
    next(b for b in app.button if b.label == "Transfer").click().run()
    assert not app.exception, app.exception
    with world.http() as http:
        after = {
            r["location_code"]: r["on_hand"]
            for r in http.get("/v1/inventory/skus/APP-BBC-BLACK").json()
        }
    assert after[source] == before[source] - 3
    assert any("Moved 3 × APP-BBC-BLACK" in s.value for s in app.success)


def test_the_alerts_page_shows_the_day_s_kpis_and_acknowledges_an_alert(world: World) -> None:
    app = open_page(console(world, "support"), "alerts")
    with world.http() as http:
        held = len(http.get("/v1/orders", params={"status": "held", "limit": 500}).json())
    metrics = {m.label: m.value for m in app.metric}
    assert set(metrics) == {"Orders in today", "Held", "Late", "Backordered"}
    assert int(metrics["Held"]) == held
    assert "6 late shipments from RPS within an hour" in texts(app)
    next(b for b in app.button if b.label == "Acknowledge").click().run()
    assert not app.exception, app.exception
    with world.http() as http:
        alert = http.get("/v1/alerts").json()[0]
    assert alert["status"] == "acknowledged"
    assert alert["acknowledged_by"].startswith("support:")


def test_late_means_promised_before_today_and_not_shipped() -> None:
    today = date(2026, 11, 22)
    base = {"promised_date": (today - timedelta(days=1)).isoformat(), "status": "released"}
    orders = [
        base,
        {**base, "status": "shipped"},
        {**base, "promised_date": today.isoformat()},
        {**base, "promised_date": None},
    ]
    assert late(orders, today) == [base]  # type: ignore[arg-type]
