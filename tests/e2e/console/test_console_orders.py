"""The Orders page driven by AppTest against the real API: a support person finds an order by
the customer's email and reads why it shipped from where; cancelling needs a confirmation."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import EMAIL, World, console, open_page, texts


def search(app: AppTest, **fields: str) -> AppTest:
    for label, value in fields.items():
        next(t for t in app.text_input if t.label == label).set_value(value)
    next(b for b in app.button if b.label == "Search").click().run()
    assert not app.exception, app.exception
    return app


def test_support_finds_an_order_by_email_and_reads_why_it_shipped_from_where(
    world: World,
) -> None:
    app = search(open_page(console(world, "support"), "orders"), **{"Customer email": EMAIL})
    with world.http("support") as http:
        detail = http.get(f"/v1/orders/{world.orders['CONSOLE-1']['id']}").json()
    origin = detail["shipments"][0]["location_code"]
    shown = texts(app)
    assert "Order CONSOLE-1 (web)" in [h.value for h in app.header]
    assert "Passed every check of order_validation v1." in shown
    assert f"Sourced by routing v1: ships from {origin}" in shown
    assert f"Line 1 (2 × APP-BBC-BLACK) ships 2 from **{origin}**" in shown
    assert "Not chosen: " in shown and "lower rule score" in shown
    carrier = detail["shipments"][0]["carrier"]
    assert f"From {origin}" in shown and carrier in shown


def test_an_order_id_that_does_not_exist_is_a_message_not_a_traceback(world: World) -> None:
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": "ord_nope"})
    assert not app.exception
    assert any("ord_nope" in e.value for e in app.error)


def test_a_channel_order_id_without_its_channel_asks_for_the_channel(world: World) -> None:
    app = search(open_page(console(world, "support"), "orders"), **{"Channel order id": "X-1"})
    assert any("enter the channel as well" in w.value for w in app.warning)


def demo_order(world: World, status: str) -> dict[str, str]:
    with world.http() as http:
        found = http.get("/v1/orders", params={"status": status, "limit": 1}).json()
    assert found, f"the demo has no {status} order"
    return dict(found[0])


def status_of(world: World, order_id: str) -> str:
    with world.http() as http:
        return str(http.get(f"/v1/orders/{order_id}").json()["status"])


def test_cancelling_asks_for_confirmation_then_cancels(world: World) -> None:
    order = demo_order(world, "backordered")
    app = search(
        open_page(console(world, "support"), "orders"),
        **{"Channel": order["channel"], "Channel order id": order["channel_order_id"]},
    )
    next(t for t in app.text_input if t.label == "Reason").set_value("customer asked")
    next(b for b in app.button if b.label == "Cancel order").click().run()
    assert any("Tick the box" in w.value for w in app.warning)
    assert status_of(world, order["id"]) == "backordered"
    next(c for c in app.checkbox if c.label == "Yes, cancel this order").check()
    next(b for b in app.button if b.label == "Cancel order").click().run()
    assert not app.exception, app.exception
    assert status_of(world, order["id"]) == "cancelled"
    assert any(f"{order['channel_order_id']} cancelled" in s.value for s in app.success)


def test_releasing_a_hold_sends_the_order_back_through_the_pipeline(world: World) -> None:
    order = demo_order(world, "held")
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": order["id"]})
    assert any("On hold" in w.value for w in app.warning)
    next(c for c in app.checkbox if c.label == "Yes, release every hold").check()
    next(b for b in app.button if b.label == "Release hold").click().run()
    assert not app.exception, app.exception
    assert status_of(world, order["id"]) != "held"
    assert any(f"{order['channel_order_id']} released" in s.value for s in app.success)


def test_a_released_order_offers_no_changes(world: World) -> None:
    app = search(
        open_page(console(world, "support"), "orders"),
        **{"Channel": "web", "Channel order id": "CONSOLE-2"},
    )
    assert any("can no longer be cancelled" in c.value for c in app.caption)
    assert not [b for b in app.button if b.label == "Cancel order"]


def test_changing_a_quantity_is_confirmed_and_decided_again(world: World) -> None:
    order = demo_order(world, "backordered")
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": order["id"]})
    line = order["lines"][0]  # type: ignore[index]
    field = next(n for n in app.number_input if n.label.startswith(f"Line {line['id']}:"))
    field.set_value(line["quantity"] + 1)
    next(c for c in app.checkbox if c.label == "Yes, change the quantities").check()
    next(b for b in app.button if b.label == "Change quantities").click().run()
    assert not app.exception, app.exception
    with world.http() as http:
        after = http.get(f"/v1/orders/{order['id']}").json()
    assert after["lines"][0]["quantity"] == line["quantity"] + 1
    assert any(f"{order['channel_order_id']} changed" in s.value for s in app.success)


def test_changing_the_address_is_confirmed_and_sent_to_the_api(world: World) -> None:
    order = demo_order(world, "backordered")
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": order["id"]})
    next(t for t in app.text_input if t.label == "Postal code").set_value("94105")
    next(t for t in app.text_input if t.label == "City").set_value("San Francisco")
    next(t for t in app.text_input if t.label == "State").set_value("CA")
    next(c for c in app.checkbox if c.label == "Yes, ship to this address").check()
    next(b for b in app.button if b.label == "Change address").click().run()
    assert not app.exception, app.exception
    with world.http() as http:
        after = http.get(f"/v1/orders/{order['id']}").json()
    assert (after["ship_to"]["postal_code"], after["ship_to"]["city"]) == ("94105", "San Francisco")
    assert any(f"{order['channel_order_id']} re-addressed" in s.value for s in app.success)
