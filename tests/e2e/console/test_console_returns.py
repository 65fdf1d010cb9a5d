"""Returns in the console against the real API: support requests, authorises, receives and
refunds a return on an order's page, or rejects one; a customer starts a return of their own
shipped order and prints its label; too many units is the API's refusal under the line; the
Returns page lists the queue by status and finds a return by its RMA; and roles the API does
not let act are offered no forms."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import World, console, open_page

SKU = "APP-BBC-BLACK"
BACK_TO = "DAL-01"  # a warehouse of the demo, where the parcels go back to


def shipped_order(world: World, number: int, customer_id: str = "CUST-00005") -> dict[str, Any]:
    """An order of 2 × SKU to a full address (a label prints the name and the street), its
    shipments reported shipped by the location, as the API has it now."""
    with world.http() as http:
        answer = http.post("/v1/orders", json={
            "channel": "web", "channel_order_id": f"CONSOLE-RETURN-{number}",
            "customer_id": customer_id, "email": "returns@example.com",
            "ship_to": {"name": "Ada Lovelace", "line1": "1 Main St", "postal_code": "10001",
                        "city": "New York", "state": "NY"},
            "lines": [{"sku": SKU, "quantity": 2}],
        })  # fmt: skip
        assert answer.status_code == 201, answer.text
        order_id = answer.json()["id"]
        for shipment in http.get(f"/v1/orders/{order_id}").json()["shipments"]:
            moved = http.post(
                f"/v1/shipments/{shipment['id']}/status",
                json={"status": "shipped", "tracking_number": f"1Z{number}{shipment['id'][-6:]}"},
            )
            assert moved.status_code == 200, moved.text
        order = http.get(f"/v1/orders/{order_id}").json()
    assert order["lines"][0]["quantity_shipped"] == 2, order
    return dict(order)


def returns_of(world: World, order: dict[str, Any]) -> list[dict[str, Any]]:
    with world.http() as http:
        return list(http.get(f"/v1/orders/{order['id']}/returns").json())


def request_over_http(
    world: World, order: dict[str, Any], quantity: int, role: str = "support"
) -> dict[str, Any]:
    line = {"order_line_id": order["lines"][0]["id"], "quantity": quantity, "reason": "damaged"}
    with world.http(role) as http:
        answer = http.post(f"/v1/orders/{order['id']}/returns", json={"lines": [line]})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def authorise_over_http(world: World, ret: dict[str, Any], label: str = "") -> dict[str, Any]:
    """Authorised; with `label`, its label made in that format, going back to BACK_TO."""
    with world.http("support") as http:
        done = http.post(f"/v1/returns/{ret['id']}/authorise")
        assert done.status_code == 200, done.text
        if label:
            body = {"format": label, "location_code": BACK_TO}
            done = http.post(f"/v1/returns/{ret['id']}/label", json=body)
            assert done.status_code == 200, done.text
    return dict(done.json())


def opened(world: World, role: str, order: dict[str, Any]) -> AppTest:
    app = open_page(console(world, role), "orders")
    next(t for t in app.text_input if t.label == "Order id").set_value(order["id"])
    return click(app, "Search")


def click(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception, app.exception
    return app


def line_label(order: dict[str, Any]) -> str:
    line = order["lines"][0]
    return f"Line {line['id']}: {line['sku']} ({line['quantity_shipped']} shipped)"


def ask_for(app: AppTest, order: dict[str, Any], units: int, reason: str, other: str = "") -> None:
    line_id = order["lines"][0]["id"]
    next(n for n in app.number_input if n.label == line_label(order)).set_value(units)
    next(s for s in app.selectbox if s.label == f"Line {line_id}: reason").set_value(reason)
    if other:
        next(t for t in app.text_input if t.label == f"Line {line_id}: other reason").set_value(
            other
        )
    click(app, "Request return")


def returns_table(app: AppTest) -> list[dict[str, Any]]:
    """The rows of the order's Returns table (the one with an RMA column)."""
    return list(next(d for d in app.dataframe if "RMA" in d.value.columns).value.to_dict("records"))


def successes(app: AppTest) -> str:
    return "\n".join(str(s.value) for s in app.success)


def test_support_requests_authorises_receives_and_refunds_a_return_through_the_forms(
    world: World,
) -> None:
    order = shipped_order(world, 1)
    app = opened(world, "support", order)
    assert "Returns" in [h.value for h in app.subheader]
    assert "No return yet." in [m.value for m in app.markdown]

    ask_for(app, order, 1, "damaged")
    [ret] = returns_of(world, order)
    assert (ret["status"], ret["lines"][0]["quantity"], ret["lines"][0]["reason"]) == (
        "requested",
        1,
        "damaged",
    )
    assert ret["lines"][0]["restock"] is True
    assert f"Return {ret['id']} requested for 1 unit of order CONSOLE-RETURN-1" in successes(app)

    next(s for s in app.selectbox if s.label == "Goes back to").set_value(BACK_TO)
    click(app, "Authorise")
    [ret] = returns_of(world, order)
    # Named with the authorisation: the label is the customer's to print, none made yet.
    assert (ret["status"], ret["location_code"], ret["label_format"]) == (
        "authorised",
        BACK_TO,
        "",
    )
    assert ret["rma"].startswith("RMA-")
    assert f"authorised: RMA {ret['rma']}. It goes back to {BACK_TO}." in successes(app)

    receive_at = next(s for s in app.selectbox if s.label == "Received at")
    assert receive_at.value == BACK_TO, "received where the label sends it, unless changed"
    click(app, "Receive")
    [ret] = returns_of(world, order)
    assert ret["status"] == "received"
    assert f"Return {ret['id']} received at {BACK_TO}." in successes(app)

    click(app, "Refund")
    assert any("Tick the box" in w.value for w in app.warning)
    assert returns_of(world, order)[0]["status"] == "received"
    next(c for c in app.checkbox if c.label == "Yes, refund this return").check()
    click(app, "Refund")
    [ret] = returns_of(world, order)
    price = order["lines"][0]["price"]
    assert (ret["status"], ret["refund_amount"]) == ("refunded", price)
    assert f"Return {ret['id']} refunded" in successes(app)
    [row] = returns_table(app)
    assert (row["status"], row["RMA"]) == ("refunded", ret["rma"])
    assert not [b for b in app.button if b.label in ("Authorise", "Receive", "Refund")]


def test_support_rejects_a_requested_return_saying_why(world: World) -> None:
    order = shipped_order(world, 2)
    ret = request_over_http(world, order, 1)
    app = opened(world, "support", order)

    next(c for c in app.checkbox if c.label == "Yes, reject this return").check()
    click(app, "Reject return")
    assert any("Say why the return is rejected" in w.value for w in app.warning)
    next(t for t in app.text_input if t.label == "Why it is rejected").set_value("worn")
    click(app, "Reject return")

    assert returns_of(world, order)[0]["status"] == "rejected"
    assert f"Return {ret['id']} rejected (worn)." in successes(app)


def test_a_customer_starts_a_return_of_their_own_shipped_order_and_prints_its_label(
    world: World,
) -> None:
    order = shipped_order(world, 3, customer_id="C-1")  # the customer key's own customer
    app = opened(world, "customer", order)
    assert not [c for c in app.checkbox if "back on sale" in c.label], "support's call"

    ask_for(app, order, 2, "other", other="colour is not as pictured")
    [ret] = returns_of(world, order)
    assert (ret["status"], ret["lines"][0]["quantity"], ret["lines"][0]["reason"]) == (
        "requested",
        2,
        "colour is not as pictured",
    )
    assert "Every unit that shipped is on a return already." in [c.value for c in app.caption]

    authorise_over_http(world, ret, label="zpl")  # support names where it goes back to
    app = opened(world, "customer", order)
    click(app, "Make PDF")

    [ret] = returns_of(world, order)
    assert (ret["label_format"], ret["location_code"]) == ("pdf", BACK_TO)
    assert f"made (PDF), back to {BACK_TO}; tracking number {ret['tracking_number']}" in (
        successes(app)
    )
    [download] = app.get("download_button")
    assert download.proto.label == "Download label"

    with world.http("support") as http:  # the parcel arrives and is refunded
        received = http.post(f"/v1/returns/{ret['id']}/receive", json={"location_code": BACK_TO})
        assert received.status_code == 200, received.text
        assert http.post(f"/v1/returns/{ret['id']}/refund", json={}).status_code == 200
    app = opened(world, "customer", order)
    [row] = returns_table(app)
    worth = 2 * float(order["lines"][0]["price"])
    assert (row["status"], row["RMA"], row["refund"]) == (
        "refunded",
        ret["rma"],
        f"{worth:,.2f} USD",
    )
    assert row["tracking"].endswith(ret["tracking_number"])


def test_a_customer_is_told_the_label_waits_for_support_to_name_where_it_goes(
    world: World,
) -> None:
    order = shipped_order(world, 4, customer_id="C-1")
    authorise_over_http(world, request_over_http(world, order, 1))
    app = opened(world, "customer", order)
    assert "Support names where the parcel goes back to; its label can be printed then." in [
        c.value for c in app.caption
    ]
    assert not [b for b in app.button if b.label.startswith("Make ")]


def test_more_units_than_can_be_returned_shows_the_api_s_refusal_under_that_line(
    world: World,
) -> None:
    order = shipped_order(world, 5)
    request_over_http(world, order, 1)  # 1 of the 2 shipped units is on a return already
    app = opened(world, "support", order)
    line_id = order["lines"][0]["id"]

    ask_for(app, order, 2, "does not fit")

    assert not app.success
    assert [e.value for e in app.error] == [
        f"Line {line_id} ({SKU}): 2 to return but only 1 can be (2 shipped, 1 already on other "
        "returns)"
    ]
    form = next(b for b in app.get("form") if b.proto.form.form_id.startswith("request-return"))
    assert [e.value for e in form.get("error")] == [app.error[0].value], "shown at the line"
    assert len(returns_of(world, order)) == 1


def test_the_returns_page_lists_requested_returns_and_filters_by_status_and_rma(
    world: World,
) -> None:
    order = shipped_order(world, 6)
    waiting = request_over_http(world, order, 1)
    other = shipped_order(world, 7)
    authorised = authorise_over_http(world, request_over_http(world, other, 1))

    app = open_page(console(world, "support"), "returns")
    listed = app.dataframe[0].value.to_dict("records")
    assert waiting["id"] in [r["return"] for r in listed]
    assert {r["status"] for r in listed} == {"requested"}, "the queue shows requested returns"

    next(s for s in app.selectbox if s.label == "Status").set_value("authorised")
    click(app, "Show returns")
    listed = app.dataframe[0].value.to_dict("records")
    assert authorised["id"] in [r["return"] for r in listed]
    assert {r["status"] for r in listed} == {"authorised"}

    next(s for s in app.selectbox if s.label == "Status").set_value("any")
    next(t for t in app.text_input if t.label == "RMA").set_value(authorised["rma"])
    click(app, "Show returns")
    [row] = app.dataframe[0].value.to_dict("records")
    assert (row["return"], row["order"]) == (authorised["id"], other["id"])
    assert "Order CONSOLE-RETURN-7 (web)" in [h.value for h in app.header]
    assert [b.label for b in app.button if b.label == "Receive"] == ["Receive"], "worked here"

    next(t for t in app.text_input if t.label == "RMA").set_value("RMA-NOPE")
    click(app, "Show returns")
    assert "No return has RMA RMA-NOPE." in [i.value for i in app.info]


def test_the_returns_page_opens_a_return_s_order_on_the_orders_page(world: World) -> None:
    order = shipped_order(world, 8)
    ret = request_over_http(world, order, 1)
    app = open_page(console(world, "support"), "returns")
    picker = next(s for s in app.selectbox if s.label.startswith("Open one of"))
    picker.set_value(next(o for o in picker.options if o.startswith(ret["id"]))).run()
    assert "Order CONSOLE-RETURN-8 (web)" in [h.value for h in app.header]

    click(app, "Open on the Orders page")

    assert "Orders" in [t.value for t in app.title]
    assert "Order CONSOLE-RETURN-8 (web)" in [h.value for h in app.header]


def test_roles_the_api_does_not_let_act_are_not_offered_the_forms(world: World) -> None:
    order = shipped_order(world, 9, customer_id="C-1")
    request_over_http(world, order, 1)
    steps = {"Authorise", "Receive", "Refund", "Reject return"}

    customer = opened(world, "customer", order)
    assert not customer.error, [e.value for e in customer.error]
    assert [r["status"] for r in returns_table(customer)] == ["requested"], "theirs to follow"
    assert not [b for b in customer.button if b.label in steps]
    assert not [s for s in customer.selectbox if s.label in ("Goes back to", "Received at")]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        customer.switch_page("screens/returns.py")

    channel = opened(world, "channel", order)  # a channel reads its orders, not their returns
    assert not channel.error, [e.value for e in channel.error]
    assert "Returns" not in [h.value for h in channel.subheader]
    assert not [b for b in channel.button if b.label in {*steps, "Request return"}]

    support = opened(world, "support", order)
    assert {b.label for b in support.button} >= {"Authorise", "Reject return", "Request return"}
