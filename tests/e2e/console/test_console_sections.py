"""A failed call is shown where it happened: each page's independent parts (the KPIs and the
alerts, the inventory tabs, an order's actions) survive one another's failure. The console
talks to the real API through a gateway that fails the routes a test names, as an API under
maintenance or behind a broken proxy would; a simulation refused for a draft that does not
compile lists each error on its own line."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import World, console, open_page, texts
from tests.e2e.console.gateway import DOWN, Gateway
from tests.e2e.console.test_console_orders import demo_order


def errors(app: AppTest) -> list[str]:
    return [str(e.value) for e in app.error]


def test_the_alerts_are_listed_when_the_day_s_kpis_cannot_be_counted(gateway: Gateway) -> None:
    gateway.failing.add(("GET", "/v1/orders"))  # the searches the KPIs count
    app = open_page(console(gateway.as_world(), "support"), "alerts")
    assert "6 late shipments from RPS within an hour" in texts(app)
    assert any(b.label == "Acknowledge" for b in app.button)
    assert errors(app) == [f"**Today's KPIs**: {DOWN[:1].upper()}{DOWN[1:]}"]
    assert not app.metric


def test_a_failing_inventory_tab_shows_its_failure_in_the_tab_and_the_others_still_work(
    gateway: Gateway,
) -> None:
    gateway.failing.add(("GET", "/v1/locations"))  # what the "By location" tab offers
    app = open_page(console(gateway.as_world(), "admin"), "inventory")
    by_sku, by_location, transfer = app.tabs
    assert any(b.label == "Transfer" for b in transfer.button)
    assert [str(e.value) for e in by_location.error] == [
        f"**Stock at a location**: {DOWN[:1].upper()}{DOWN[1:]}"
    ]
    assert len(app.error) == 1
    next(t for t in by_sku.text_input if t.label == "SKU").set_value("APP-BBC-BLACK").run()
    assert not app.exception, app.exception
    assert app.dataframe and any(m.label.startswith("Available to promise") for m in app.metric)


def test_a_refused_order_action_shows_in_its_tab_and_the_other_actions_stay(
    world: World, gateway: Gateway
) -> None:
    order = demo_order(world, "backordered")  # one that may still be cancelled
    gateway.failing.add(("POST", f"/v1/orders/{order['id']}/cancel"))
    app = open_page(console(gateway.as_world(), "support"), "orders")
    next(t for t in app.text_input if t.label == "Order id").set_value(order["id"])
    next(b for b in app.button if b.label == "Search").click().run()
    next(c for c in app.checkbox if c.label == "Yes, cancel this order").check()
    next(b for b in app.button if b.label == "Cancel order").click().run()
    assert not app.exception, app.exception
    shown = [b.label for b in app.button]
    assert {"Change quantities", "Change lines", "Change address"} <= set(shown)
    assert "Timeline" in [s.value for s in app.subheader]
    cancel = app.tabs[0]
    assert [str(e.value) for e in cancel.error] == [f"**Cancel**: {DOWN[:1].upper()}{DOWN[1:]}"]
    with world.http() as http:
        assert http.get(f"/v1/orders/{order['id']}").json()["status"] != "cancelled"


def test_a_draft_with_two_compile_errors_is_refused_with_each_error_on_its_own_line(
    world: World,
) -> None:
    with world.http("analyst") as http:
        live = http.get(f"/v1/rulesets/versions/{world.live['routing']}").json()["source"]
        source = live.replace("then max_shipments 1", "then max_shipmentz 1").replace(
            'order.service_level == "same_day"', 'order.service_levl == "same_day"'
        )
        draft = http.post("/v1/rulesets/drafts", json={"source": source})
        assert draft.status_code == 201, draft.text
    version = draft.json()["version"]
    lines = source.splitlines()
    typo = next(i for i, text in enumerate(lines, 1) if "service_levl" in text)
    action = next(i for i, text in enumerate(lines, 1) if "max_shipmentz" in text)
    app = open_page(console(world, "analyst"), "simulation")
    drafts = next(m for m in app.multiselect if m.label.startswith("Draft versions"))
    drafts.set_value([next(o for o in drafts.options if o.startswith(f"routing v{version} "))])
    next(n for n in app.number_input if n.label.startswith("Replay only")).set_value(5)
    next(b for b in app.button if b.label == "Start simulation").click().run()
    assert not app.exception, app.exception
    [message] = errors(app)
    assert message.count("\n- ") == 2, message
    lead, items = message.split("\n\n")
    assert lead.startswith("The simulation was not started: draft ")
    assert f"(routing v{version}) does not compile: 2 errors" in lead
    rows = items.splitlines()
    assert len(rows) == 2
    assert rows[0].startswith(
        f"- Line {typo}, column {lines[typo - 1].index('service_levl') + 1}: "
        "`order` has no field `service_levl`."
    )
    assert rows[1].startswith(
        f"- Line {action}, column {lines[action - 1].index('max_shipmentz') + 1}: "
    )
    assert not app.get("progress")
