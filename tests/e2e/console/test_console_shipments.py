"""The Shipments page against the real API: a warehouse lands on the pick list of its own
location, marks a shipment picked, makes its label and ships it under the label's tracking
number; support reports a line short after confirming and is told where the units went; a
step the API refuses (the shipment moved on meanwhile) shows the API's reason; a warehouse
never sees another location's shipments, nor finds one by its tracking number, and finds its
own by the label's number and adds a carrier's scan to it."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import World, console, open_page, texts

SKU = "APP-BBC-BLACK"


def released_shipment(world: World, number: int, quantity: int = 2) -> dict[str, Any]:
    """The one shipment of a new order of `quantity` × SKU to a full address (a label prints
    the name and the street), released to its location by the pipeline."""
    with world.http() as http:
        answer = http.post("/v1/orders", json={
            "channel": "web", "channel_order_id": f"CONSOLE-SHIP-{number}",
            "customer_id": "CUST-00007", "email": "shipments@example.com",
            "ship_to": {"name": "Ada Lovelace", "line1": "1 Main St", "postal_code": "10001",
                        "city": "New York", "state": "NY"},
            "lines": [{"sku": SKU, "quantity": quantity}],
        })  # fmt: skip
        assert answer.status_code == 201, answer.text
        [shipment] = http.get(f"/v1/orders/{answer.json()['id']}").json()["shipments"]
    assert shipment["status"] == "released", shipment
    return dict(shipment)


def shipment_now(world: World, shipment_id: str) -> dict[str, Any]:
    with world.http() as http:
        return dict(http.get(f"/v1/shipments/{shipment_id}").json())


def staff_of(world: World, location: str) -> World:
    """The world with a warehouse key of `location` alone (the conftest's works DAL-01,
    which the orders here need not be sourced from)."""
    with world.http() as http:
        body = {"name": f"console-{location}", "role": "warehouse", "locations": [location]}
        issued = http.post("/v1/keys", json=body)
        assert issued.status_code == 201, issued.text
    return World(url=world.url, keys={**world.keys, "warehouse": issued.json()["api_key"]})


def click(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception, app.exception
    return app


def choose(app: AppTest, label: str, value: str) -> None:
    next(s for s in app.selectbox if s.label.startswith(label)).set_value(value)


def show(app: AppTest, status: str) -> AppTest:
    choose(app, "Status", status)
    return click(app, "Show shipments")


def open_shipment(app: AppTest, shipment_id: str) -> AppTest:
    choose(app, "Open one of", shipment_id)
    app.run()
    assert not app.exception, app.exception
    assert f"Shipment {shipment_id}" in [h.value for h in app.header]
    return app


def queue(app: AppTest) -> list[dict[str, Any]]:
    """The rows of the queue's table (the one with a shipment column)."""
    table = next(d for d in app.dataframe if "shipment" in d.value.columns)
    return list(table.value.to_dict("records"))


def successes(app: AppTest) -> str:
    return "\n".join(str(s.value) for s in app.success)


def test_a_warehouse_picks_labels_and_ships_from_its_own_pick_list(world: World) -> None:
    shipment = released_shipment(world, 1)
    shipment_id, location = shipment["id"], shipment["location_code"]
    app = console(staff_of(world, location), "warehouse")
    assert "Shipments" in [t.value for t in app.title], "their work queue is where they land"
    [place] = [s for s in app.selectbox if s.label == "Location"]
    assert place.options == [location] and place.value == location
    assert next(s for s in app.selectbox if s.label == "Status").value == "released"
    rows = queue(app)
    assert {row["from"] for row in rows} == {location}
    assert {row["status"] for row in rows} == {"released"}
    [row] = [row for row in rows if row["shipment"] == shipment_id]
    assert (row["items"], row["units"], row["label"]) == (f"2 × {SKU}", 2, "none")

    open_shipment(app, shipment_id)
    click(app, "Mark picked")
    assert shipment_now(world, shipment_id)["status"] == "picked"
    assert f"Shipment {shipment_id} marked picked." in successes(app)
    assert shipment_id not in [row["shipment"] for row in queue(app)], "off the pick list"
    assert f"Shipment {shipment_id}" in [h.value for h in app.header], "but still open"

    click(app, "Make PDF")
    labelled = shipment_now(world, shipment_id)
    assert labelled["label_format"] == "pdf" and labelled["tracking_number"]
    tracking = next(t for t in app.text_input if t.label == "Tracking number")
    assert tracking.value == labelled["tracking_number"], "prefilled from the label"
    assert tracking.disabled, "the API refuses any other number once a label is made"
    assert [b.proto.label for b in app.get("download_button")] == ["Download label"]

    click(app, "Mark shipped")
    after = shipment_now(world, shipment_id)
    assert (after["status"], after["tracking_number"]) == ("shipped", labelled["tracking_number"])
    assert (
        f"Shipment {shipment_id} marked shipped, tracking number {after['tracking_number']}."
        in successes(app)
    )


def test_a_warehouse_picks_among_its_own_locations_and_sees_their_shipments_only(
    world: World,
) -> None:
    app = open_page(console(world, "warehouse"), "shipments")  # the conftest's key: DAL-01
    assert [s.options for s in app.selectbox if s.label == "Location"] == [["DAL-01"]]
    rows = queue(show(app, "any"))
    assert rows, "the demo ships from DAL-01"
    assert {row["from"] for row in rows} == {"DAL-01"}


def test_support_reports_a_line_short_after_confirming_and_is_told_where_the_units_went(
    world: World,
) -> None:
    shipment = released_shipment(world, 3)
    shipment_id = shipment["id"]
    [line] = shipment["lines"]
    app = open_page(console(world, "support"), "shipments")
    open_shipment(app, shipment_id)
    assert not [b for b in app.button if b.label.startswith(("Mark ", "Make "))], (
        "support follows shipments and reports them short, but does not work them"
    )
    missing = next(
        n for n in app.number_input if n.label.startswith(f"Line {line['order_line_id']}")
    )
    assert (missing.label, missing.value, missing.max) == (
        f"Line {line['order_line_id']}: {SKU}, 2 to pick: missing",
        0,
        2,
    )

    click(app, "Report short")
    assert any("Every line is at 0" in w.value for w in app.warning)
    missing = next(n for n in app.number_input if n.label.endswith("to pick: missing"))
    missing.set_value(1)
    next(t for t in app.text_input if t.label == "Reason").set_value("not in its bin")
    click(app, "Report short")
    assert any("Tick the box to confirm first." in w.value for w in app.warning)
    assert shipment_now(world, shipment_id)["lines"][0]["quantity"] == 2, "nothing sent yet"

    next(c for c in app.checkbox if c.label == "Yes, report these units missing").check()
    click(app, "Report short")

    after = shipment_now(world, shipment_id)
    assert after["lines"] == [{**line, "quantity": 1}]
    said = successes(app)
    assert not app.warning, "their own report is no news to them"
    assert (
        f"Shipment {shipment_id}: 1 unit reported short (not in its bin). It now carries 1 × {SKU}."
        in said
    )
    with world.http() as http:
        shipments = http.get(f"/v1/orders/{shipment['order_id']}").json()["shipments"]
    [new] = [s for s in shipments if s["id"] != shipment_id]  # another location has stock
    assert new["lines"] == [{**line, "quantity": 1}]
    assert (
        f"1 unit of line {line['order_line_id']} ({SKU}) sourced again: {new['id']} from "
        f"{new['location_code']}." in said
    )
    assert not next(
        c for c in app.checkbox if c.label == "Yes, report these units missing"
    ).value, "the next report starts unconfirmed"


def test_a_shipment_worked_by_someone_else_meanwhile_says_so_and_nothing_is_sent(
    world: World,
) -> None:
    shipment = released_shipment(world, 4)
    shipment_id = shipment["id"]
    app = open_page(console(world, "admin"), "shipments")
    open_shipment(app, shipment_id)
    next(n for n in app.number_input if n.label.endswith("to pick: missing")).set_value(1)
    next(t for t in app.text_input if t.label == "Reason").set_value("damaged")
    next(c for c in app.checkbox if c.label == "Yes, report these units missing").check()
    with world.http() as http:  # packed meanwhile, at the location: its units were found
        moved = http.post(f"/v1/shipments/{shipment_id}/status", json={"status": "packed"})
        assert moved.status_code == 200, moved.text

    click(app, "Report short")

    assert f"Shipment {shipment_id}" in [h.value for h in app.header], "still open"
    assert [str(w.value) for w in app.warning] == [
        f"Shipment {shipment_id} changed since it was shown: it was released, 2 × {SKU}, it "
        f"is now packed, 2 × {SKU}. Someone else worked it; check it before you go on."
    ]
    assert shipment_now(world, shipment_id)["lines"][0]["quantity"] == 2
    shown = [b.label for b in app.button]
    assert "Report short" not in shown and "Mark picked" not in shown
    assert "Mark shipped" in shown, "what it may still do"


def test_a_label_the_api_refuses_is_its_reason_on_the_page(world: World) -> None:
    shipment = world.orders["CONSOLE-2"]  # shipped to a postal code and city: no name, street
    with world.http() as http:
        [shipment] = http.get(f"/v1/orders/{shipment['id']}").json()["shipments"]
    app = console(staff_of(world, shipment["location_code"]), "warehouse")
    open_shipment(show(app, "any"), shipment["id"])

    click(app, "Make ZPL")

    assert any(
        e.value.startswith(f"No label for {shipment['id']}: ")
        and "cannot be labelled: to_name: missing" in e.value
        for e in app.error
    ), [e.value for e in app.error]
    assert not app.get("download_button")
    assert "Traceback" not in texts(app)


def find(app: AppTest, number: str) -> AppTest:
    next(t for t in app.text_input if t.label == "Find by tracking number").set_value(number)
    return click(app, "Find")


def test_a_warehouse_finds_a_shipment_by_its_label_s_number_and_adds_a_scan_to_it(
    world: World,
) -> None:
    shipment = released_shipment(world, 41)
    shipment_id, location = shipment["id"], shipment["location_code"]
    with world.http() as http:
        made = http.post(f"/v1/shipments/{shipment_id}/label", json={"format": "zpl"})
        assert made.status_code == 200, made.text
        number = made.json()["tracking_number"]
        codes = [place["code"] for place in http.get("/v1/locations").json()]
    app = console(staff_of(world, location), "warehouse")

    find(app, f" {number} ")

    assert [row["shipment"] for row in queue(app)] == [shipment_id]
    assert f"Shipment {shipment_id}" in [h.value for h in app.header]
    assert not [s for s in app.selectbox if s.label == "Parcel"], "not packed: no parcel"
    next(t for t in app.text_input if t.label == "Scan code").set_value("in_transit")
    next(t for t in app.text_input if t.label == "Where").set_value("Dallas, TX")
    click(app, "Add scan")
    after = shipment_now(world, shipment_id)
    assert [(t["code"], t["location"]) for t in after["tracking"]] == [("in_transit", "Dallas, TX")]
    assert f"Scan in_transit of the shipment added; shipment {shipment_id} is released." in (
        successes(app)
    )

    other = next(code for code in codes if code != location)
    elsewhere = find(console(staff_of(world, other), "warehouse"), number)
    assert not [d for d in elsewhere.dataframe if "shipment" in d.value.columns]
    assert f"No shipment you may see has tracking number {number}." in texts(elsewhere)
