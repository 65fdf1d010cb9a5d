"""A warehouse receives returns on the Returns page against the real API: the queue of returns
expected at its location, oldest first, and the one whose RMA the dock scans off a parcel;
opened, a return shows its lines and where it is expected, and is received once confirmed,
its units back on hand there unless found unfit to sell. The page never reads an order, which
a warehouse key may not."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import World, console, open_page, texts
from tests.e2e.console.gateway import Gateway
from tests.e2e.console.test_console_returns import (
    SKU,
    click,
    request_over_http,
    shipped_order,
    successes,
)

HERE = "DAL-01"  # the conftest's warehouse key works this location alone
ELSEWHERE = "RNO-02"


def authorised_to(world: World, ret: dict[str, Any], location: str) -> dict[str, Any]:
    with world.http("support") as http:
        done = http.post(f"/v1/returns/{ret['id']}/authorise", json={"location_code": location})
    assert done.status_code == 200, done.text
    return dict(done.json())


def return_now(world: World, ret: dict[str, Any]) -> dict[str, Any]:
    with world.http() as http:
        return dict(http.get(f"/v1/returns/{ret['id']}").json())


def on_hand_here(world: World) -> int:
    with world.http() as http:
        rows = http.get(f"/v1/inventory/skus/{SKU}").json()
    return sum(r["on_hand"] for r in rows if r["location_code"] == HERE)


def receipt_table(app: AppTest) -> list[dict[str, Any]]:
    """The opened return's lines (the table with an 'on receipt' column)."""
    table = next(d for d in app.dataframe if "on receipt" in d.value.columns)
    return list(table.value.to_dict("records"))


def confirm_and_receive(app: AppTest) -> AppTest:
    next(c for c in app.checkbox if c.label.startswith("Yes, the parcel holds")).check()
    return click(app, "Receive")


def test_a_warehouse_receives_a_return_from_its_queue_without_reading_the_order(
    world: World, gateway: Gateway
) -> None:
    order = shipped_order(world, 41)
    ret = authorised_to(world, request_over_http(world, order, 2), HERE)
    other = authorised_to(world, request_over_http(world, shipped_order(world, 42), 1), ELSEWHERE)
    # Were the page to read the order or its returns, it would show this as an error.
    gateway.failing |= {
        ("GET", f"/v1/orders/{order['id']}"),
        ("GET", f"/v1/orders/{order['id']}/returns"),
    }
    before = on_hand_here(world)

    app = open_page(console(gateway.as_world(), "warehouse"), "returns")
    queue = app.dataframe[0].value.to_dict("records")
    assert ret["rma"] in [row["RMA"] for row in queue]
    assert other["rma"] not in [row["RMA"] for row in queue], "expected at another location"
    assert {row["back to"] for row in queue} == {HERE}
    picker = next(s for s in app.selectbox if s.label.startswith("Open one of"))
    picker.set_value(next(o for o in picker.options if o.startswith(ret["rma"]))).run()
    assert f"Return {ret['rma']}" in [h.value for h in app.header]
    assert f"Expected at {HERE}." in texts(app)
    [line] = receipt_table(app)
    assert (line["SKU"], line["units"], line["reason"]) == (SKU, 2, "damaged")
    received_at = next(s for s in app.selectbox if s.label == "Received at")
    assert (received_at.options, received_at.value) == ([HERE], HERE)

    click(app, "Receive")
    assert "Tick the box to confirm first." in [w.value for w in app.warning]
    assert return_now(world, ret)["status"] == "authorised"

    confirm_and_receive(app)
    assert not app.error, [e.value for e in app.error]
    assert return_now(world, ret)["status"] == "received"
    assert on_hand_here(world) == before + 2
    assert f"Return {ret['rma']} received at {HERE}: 2 units back on sale at {HERE}." in (
        successes(app)
    )
    # Off the queue now, it stays open, received, so the dock sees what receipt did.
    assert f"Received at {HERE}." in texts(app)
    assert not [b for b in app.button if b.label == "Receive"]


def test_a_warehouse_finds_a_parcel_by_its_rma_and_keeps_a_damaged_line_off_sale(
    world: World,
) -> None:
    order = shipped_order(world, 43)
    ret = authorised_to(world, request_over_http(world, order, 2), HERE)
    line_id = order["lines"][0]["id"]
    before = on_hand_here(world)

    app = open_page(console(world, "warehouse"), "returns")
    next(t for t in app.text_input if t.label == "RMA").set_value(f" {ret['rma'].lower()}\n")
    click(app, "Find return")
    assert [h.value for h in app.header] == [f"Return {ret['rma']}"]
    unfit = next(m for m in app.multiselect if m.label == "Not fit to sell again")
    unfit.select(line_id)
    confirm_and_receive(app)

    assert not app.error, [e.value for e in app.error]
    after = return_now(world, ret)
    assert (after["status"], after["location_code"]) == ("received", HERE)
    assert after["lines"][0]["restock"] is False
    assert on_hand_here(world) == before
    assert f"Return {ret['rma']} received at {HERE}: 2 units kept off sale." in successes(app)
    assert [row["on receipt"] for row in receipt_table(app)] == ["kept off sale"]


def test_an_rma_the_warehouse_may_not_receive_is_a_message(world: World) -> None:
    app = open_page(console(world, "warehouse"), "returns")
    next(t for t in app.text_input if t.label == "RMA").set_value("RMA-NOPE")
    click(app, "Find return")
    assert not app.error, [e.value for e in app.error]
    assert any(str(i.value).startswith("No return with RMA RMA-NOPE") for i in app.info)
    assert not [b for b in app.button if b.label == "Receive"]
