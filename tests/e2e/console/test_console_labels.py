"""Shipping labels on the Orders page against the real API: an admin makes a shipment's label,
support downloads it but is offered no button to make one."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import World, console, open_page


def released_order(world: World) -> dict[str, Any]:
    """A demo order to a full address (a street and a name, which a label prints) whose one
    shipment is released, with a carrier and no label yet."""
    with world.http() as http:
        for found in http.get("/v1/orders", params={"status": "released", "limit": 50}).json():
            detail = http.get(f"/v1/orders/{found['id']}").json()
            shipments, ship_to = detail["shipments"], detail["ship_to"]
            addressed = ship_to["line1"] and ship_to["name"]
            if addressed and len(shipments) == 1 and not shipments[0]["label_format"]:
                return dict(detail)
    raise AssertionError("the demo has no released order with one shipment")


def opened(world: World, role: str, order: dict[str, Any]) -> AppTest:
    app = open_page(console(world, role), "orders")
    fields = {"Channel": order["channel"], "Channel order id": order["channel_order_id"]}
    for label, value in fields.items():
        next(t for t in app.text_input if t.label == label).set_value(value)
    next(b for b in app.button if b.label == "Search").click().run()
    assert not app.exception, app.exception
    return app


def downloads(app: AppTest) -> list[Any]:
    return list(app.get("download_button"))


def test_an_admin_makes_a_shipments_label_and_support_downloads_it(world: World) -> None:
    order = released_order(world)
    [shipment] = order["shipments"]
    app = opened(world, "admin", order)
    assert not downloads(app), "no label yet, nothing to download"

    next(b for b in app.button if b.label == "Make PDF").click().run()

    assert not app.exception, app.exception
    with world.http() as http:
        after = http.get(f"/v1/shipments/{shipment['id']}").json()
    assert after["label_format"] == "pdf" and after["tracking_number"]
    assert any(after["tracking_number"] in s.value for s in app.success)
    assert len(downloads(app)) == 1

    support = opened(world, "support", order)
    assert not [b for b in support.button if b.label.startswith("Make ")]
    [download] = downloads(support)
    assert download.proto.label == "Download label"


def test_a_label_the_api_refuses_is_a_message_naming_what_is_missing(world: World) -> None:
    order = world.orders["CONSOLE-2"]  # shipped to a postal code and city: no name, no street
    app = opened(world, "admin", order)

    next(b for b in app.button if b.label == "Make ZPL").click().run()

    assert not app.exception, app.exception
    assert any("cannot be labelled: to_name: missing" in e.value for e in app.error)
    assert not downloads(app)
