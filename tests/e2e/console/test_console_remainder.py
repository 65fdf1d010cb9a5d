"""The Orders page against the real API: support cancels what of a released order still waits
for stock and reads it back in the explanation; counts that changed since the form was shown
are not sent unseen."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import World, console, open_page, texts


def a_released_order_with_units_waiting(world: World, number: int) -> tuple[dict[str, Any], int]:
    """An order of 10 units of a SKU of its own, of which a 3PL can give only some (its stock
    less what the reservation rules set aside): released, the rest waiting. Returns the order
    and how many units wait."""
    sku = f"CONSOLE-REMAINDER-{number}"
    with world.http() as http:
        made = http.put(f"/v1/products/{sku}", json={"name": "Remainder", "price": "10.00"})
        assert made.status_code == 200, made.text
        locations = http.get("/v1/locations", params={"limit": 500}).json()
        site = next(x["code"] for x in locations if x["type"] == "3pl" and x["enabled"])
        receipt = {"sku": sku, "location_code": site, "quantity": 30}
        received = http.post("/v1/inventory/receipts", json=receipt)
        assert received.status_code == 200, received.text
        answer = http.post("/v1/orders", json={
            "channel": "web", "channel_order_id": f"CONSOLE-REMAINDER-{number}",
            "customer_id": "CUST-00004", "email": "remainder@example.com",
            "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
            "lines": [{"sku": sku, "quantity": 10}],
        })  # fmt: skip
        assert answer.status_code == 201, answer.text
        order = http.get(f"/v1/orders/{answer.json()['id']}").json()
    assert order["status"] == "released", order
    assert order["lines"][0]["status"] == "backordered", order["lines"]
    placed = sum(x["quantity"] for s in order["shipments"] for x in s["lines"])
    assert 0 < placed < 8, order["shipments"]
    return order, 10 - placed


def waiting_fields(app: AppTest) -> list[str]:
    """The waiting units' fields (the quantities' tab, beside them while nothing is picked,
    has a field per line too)."""
    return [n.label for n in app.number_input if n.label.endswith(" waiting")]


def opened(world: World, order: dict[str, Any]) -> AppTest:
    app = open_page(console(world, "support"), "orders")
    next(t for t in app.text_input if t.label == "Order id").set_value(order["id"])
    next(b for b in app.button if b.label == "Search").click().run()
    assert not app.exception, app.exception
    return app


def cancel_waiting(app: AppTest, label: str, units: int) -> AppTest:
    next(n for n in app.number_input if n.label == label).set_value(units)
    # A released order nothing of which is picked can still be cancelled whole too: its
    # form has a Reason of its own, before the waiting units' form.
    [*_, reason] = [t for t in app.text_input if t.label == "Reason"]
    reason.set_value("customer would not wait")
    next(c for c in app.checkbox if c.label == "Yes, cancel these units").check()
    next(b for b in app.button if b.label == "Cancel waiting units").click().run()
    assert not app.exception, app.exception
    return app


def test_support_cancels_some_waiting_units_of_a_released_order_and_reads_why(
    world: World,
) -> None:
    order, waiting = a_released_order_with_units_waiting(world, 1)
    sku = order["lines"][0]["sku"]
    app = cancel_waiting(opened(world, order), f"Line 1: {sku}, {waiting} waiting", 2)
    with world.http() as http:
        after = http.get(f"/v1/orders/{order['id']}").json()
    assert (after["lines"][0]["status"], after["lines"][0]["quantity_cancelled"]) == (
        "backordered",
        2,
    )
    assert [s.value for s in app.success] == [
        f"Order {order['channel_order_id']} had 2 waiting units cancelled; it is now released."
    ]
    assert waiting_fields(app) == [f"Line 1: {sku}, {waiting - 2} waiting"]
    shown = texts(app)
    assert (
        "**Cancellation.** Remainder cancelled by a person: 2 units of line 1 "
        "(reason: customer would not wait)."
    ) in shown
    assert f"Still waiting: line 1 ({waiting - 2} × {sku}" in shown


def test_units_that_stopped_waiting_since_the_form_was_shown_are_not_cancelled_unseen(
    world: World,
) -> None:
    order, waiting = a_released_order_with_units_waiting(world, 2)
    app = opened(world, order)
    with world.http("support") as http:
        meanwhile = http.post(
            f"/v1/orders/{order['id']}/cancel-backordered",
            json={"reason": "asked by phone", "lines": {"1": 2}},
        )
    assert meanwhile.status_code == 200, meanwhile.text
    sku = order["lines"][0]["sku"]
    app = cancel_waiting(app, f"Line 1: {sku}, {waiting} waiting", 1)
    assert [w.value for w in app.warning] == [
        "Nothing was cancelled: what waits for stock changed since the form was shown "
        f"(now line 1: {waiting - 2}). Check the units and submit again."
    ]
    assert waiting_fields(app) == [f"Line 1: {sku}, {waiting - 2} waiting"]
    with world.http() as http:
        after = http.get(f"/v1/orders/{order['id']}").json()
    assert after["lines"][0]["quantity_cancelled"] == 2
