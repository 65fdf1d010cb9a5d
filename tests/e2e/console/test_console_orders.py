"""The Orders page driven by AppTest against the real API: a support person finds an order by
the customer's email and reads why it shipped from where; cancelling needs a confirmation."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from admin_ui.views.orders import CHANGEABLE
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
    [row] = app.dataframe[0].value.to_dict("records")
    assert row["status"] == "cancelled", "the results show the order as it is now"


def test_releasing_a_hold_sends_the_order_back_through_the_pipeline(world: World) -> None:
    order = demo_order(world, "held")
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": order["id"]})
    assert any("On hold" in w.value for w in app.warning)
    next(c for c in app.checkbox if c.label == "Yes, release every hold").check()
    next(b for b in app.button if b.label == "Release hold").click().run()
    assert not app.exception, app.exception
    assert status_of(world, order["id"]) != "held"
    assert any(f"{order['channel_order_id']} released" in s.value for s in app.success)


def test_a_released_order_nothing_of_which_is_picked_still_offers_its_changes(
    world: World,
) -> None:
    app = search(
        open_page(console(world, "support"), "orders"),
        **{"Channel": "web", "Channel order id": "CONSOLE-2"},
    )
    assert status_of(world, world.orders["CONSOLE-2"]["id"]) == "released"
    assert not any("can no longer be cancelled" in c.value for c in app.caption)
    assert [b for b in app.button if b.label == "Cancel order"]
    assert [b for b in app.button if b.label == "Change quantities"]


def test_an_order_its_location_has_shipped_offers_no_changes(world: World) -> None:
    order = demo_order(world, "shipped")
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": order["id"]})
    assert any("can no longer be cancelled" in c.value for c in app.caption)
    assert any("is already shipped at" in c.value for c in app.caption)
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


def test_changing_the_address_is_confirmed_and_sent_to_the_api_with_the_country_in_capitals(
    world: World,
) -> None:
    order = demo_order(world, "backordered")
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": order["id"]})
    next(t for t in app.text_input if t.label == "Postal code").set_value("94105")
    next(t for t in app.text_input if t.label == "City").set_value("San Francisco")
    next(t for t in app.text_input if t.label == "State").set_value("CA")
    next(t for t in app.text_input if t.label == "Country").set_value(" us")
    next(c for c in app.checkbox if c.label == "Yes, ship to this address").check()
    next(b for b in app.button if b.label == "Change address").click().run()
    assert not app.exception, app.exception
    with world.http() as http:
        after = http.get(f"/v1/orders/{order['id']}").json()
    assert (after["ship_to"]["postal_code"], after["ship_to"]["city"]) == ("94105", "San Francisco")
    assert after["ship_to"]["country"] == "US"
    assert any(f"{order['channel_order_id']} re-addressed" in s.value for s in app.success)


def an_order_before_release(world: World, number: int) -> dict[str, Any]:
    """A new order of two lines that waits on a hold (more units on a line than the shipped
    validation rules let through unreviewed), so support may still change it."""
    with world.http() as http:
        answer = http.post("/v1/orders", json={
            "channel": "web", "channel_order_id": f"CONSOLE-LINES-{number}",
            "customer_id": "CUST-00003", "email": "support@example.com",
            "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
            "lines": [{"sku": "APP-BBC-BLACK", "quantity": 150},
                      {"sku": "APP-BBC-KHAKI", "quantity": 1}],
        })  # fmt: skip
    assert answer.status_code == 201, answer.text
    order = dict(answer.json())
    assert order["status"] in CHANGEABLE, order["status"]
    return order


def lines_form(world: World, order: dict[str, Any], text: str = "", remove: int = 0) -> AppTest:
    """The order's "Add or remove lines" form with `text` to add and the first `remove` lines
    ticked for removal, not yet confirmed."""
    app = search(open_page(console(world, "support"), "orders"), **{"Order id": order["id"]})
    for line in order["lines"][:remove]:  # type: ignore[index]
        label = f"Remove line {line['id']}: {line['quantity']} × {line['sku']}"
        next(c for c in app.checkbox if c.label == label).check()
    next(t for t in app.text_area if t.label.startswith("Lines to add")).set_value(text)
    return app


def change_lines(app: AppTest, confirmed: bool = True) -> AppTest:
    if confirmed:
        next(c for c in app.checkbox if c.label == "Yes, change the lines").check()
    next(b for b in app.button if b.label == "Change lines").click().run()
    assert not app.exception, app.exception
    return app


def order_lines(world: World, order_id: str) -> list[tuple[str, str, int]]:
    with world.http() as http:
        after = http.get(f"/v1/orders/{order_id}").json()
    return [(line["id"], line["sku"], line["quantity"]) for line in after["lines"]]


def test_adding_and_removing_lines_is_confirmed_and_decided_again(world: World) -> None:
    order = an_order_before_release(world, 1)
    before = order_lines(world, order["id"])
    app = change_lines(lines_form(world, order, "APP-BBC-KHAKI x 3", remove=1), confirmed=False)
    assert any("Tick the box" in w.value for w in app.warning)
    assert order_lines(world, order["id"]) == before

    app = change_lines(app)
    after = order_lines(world, order["id"])
    assert before[0] not in after  # the first line went
    assert after[:-1] == before[1:]  # the others stayed as they were
    assert after[-1][1:] == ("APP-BBC-KHAKI", 3)  # the new line, with an id of its own
    assert after[-1][0] not in {line_id for line_id, _, _ in before}
    assert any(f"{order['channel_order_id']} changed" in s.value for s in app.success)


def test_a_sku_the_catalogue_does_not_know_is_refused_before_the_order_is_touched(
    world: World,
) -> None:
    order = an_order_before_release(world, 2)
    before = order_lines(world, order["id"])
    app = change_lines(lines_form(world, order, "APP-BBC-KHAKI 1\nNO-SUCH-SKU 2"))
    assert [e.value for e in app.error] == [
        "Nothing was changed: NO-SUCH-SKU is not in the catalogue, so the order would be "
        "rejected. Check the SKU."
    ]
    assert order_lines(world, order["id"]) == before


def test_a_line_that_cannot_be_read_is_named_in_plain_words(world: World) -> None:
    order = an_order_before_release(world, 3)
    before = order_lines(world, order["id"])
    app = change_lines(lines_form(world, order, "APP-BBC-KHAKI two"))
    assert [e.value for e in app.error] == [
        "Nothing was changed. Line 1 ('APP-BBC-KHAKI two') should be a SKU and a whole "
        "quantity from 1 to 100,000, e.g. 'APP-BBC-BLACK 2'."
    ]
    assert order_lines(world, order["id"]) == before


def test_removing_every_line_shows_the_apis_refusal_in_plain_words(world: World) -> None:
    order = an_order_before_release(world, 4)
    before = order_lines(world, order["id"])
    app = change_lines(lines_form(world, order, remove=len(before)))
    assert [e.value for e in app.error] == [
        f"The order was not changed: order {order['id']} would have no lines; cancel it instead"
    ]
    assert order_lines(world, order["id"]) == before


def test_an_empty_change_asks_for_a_line(world: World) -> None:
    app = change_lines(lines_form(world, an_order_before_release(world, 5)))
    assert any("Tick a line to remove or write a line to add" in w.value for w in app.warning)
