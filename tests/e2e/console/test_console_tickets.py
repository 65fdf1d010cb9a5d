"""Helpdesk tickets and the WMS reference in the console, against the real API: support opens
a ticket about an order through its page and sees it listed; with no helpdesk configured the
API's 409 is a note under a form that keeps what was typed; a helpdesk that refuses is an
error, and a blank body is the API's 422 under the body; roles that may not open tickets see
an order's tickets but no form; a shipment sent to a WMS shows its reference, and an alert
its ticket.

This module keeps a world of its own (conftest.py's `world`, with the app's container kept),
since a helpdesk is configured by putting a connector in the container the app was built
with, as tests/e2e/test_tickets_http.py does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from api.app import create_app
from engine.adapters.migrations import upgrade
from engine.domain.operations import Alert
from engine.domain.values import utcnow
from ordo import demo
from ordo.bootstrap import Container, build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, issue_role_keys
from tests.e2e.console.conftest import (
    World,
    console,
    open_page,
    publish_shipped_rulesets,
    texts,
)
from tests.e2e.live import serve
from tests.e2e.test_tickets_http import FakeHelpdesk

SUBJECT = "Parcel reported damaged on arrival"
BODY = "The customer called: the box arrived crushed."
TICKETED = Alert(
    id="alt_console_ticketed",
    rule="shipment_alerts: Too many late shipments from one carrier",
    severity="critical",
    key="carrier:RPS",
    message="9 late shipments from RPS within an hour",
    created_at=utcnow(),
    ticket_id="48213",
)
UNTICKETED = Alert(
    id="alt_console_unticketed",
    rule="stock_alerts: Low stock",
    severity="low",
    key="sku:APP-BBC-BLACK",
    message="APP-BBC-BLACK is low at DAL-01",
    created_at=utcnow(),
)


@pytest.fixture(scope="module")
def app_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """The container the API below serves: the demo, and one alert with a ticket, one
    without."""
    data_dir = tmp_path_factory.mktemp("console-tickets")
    url = f"sqlite:///{data_dir}/ordo.sqlite3"
    upgrade(url)
    settings = load_settings(
        database_url=url, environment="test", secret_key=SECRET, data_dir=data_dir
    )
    with build_app_container(settings) as container:
        demo.seed_demo(container.uow_factory)
        with container.uow_factory() as uow:
            uow.alerts.add(TICKETED)
            uow.alerts.add(UNTICKETED)
            uow.commit()
        yield container


@pytest.fixture(scope="module")
def world(app_container: Container) -> Iterator[World]:
    """This module's world: the API over `app_container`, its rulesets published."""
    keys = issue_role_keys(app_container)
    # The console signs in to ORDO_API_URL only, as `ordo console` sets it.
    with serve(create_app(app_container)) as base, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDO_API_URL", base)
        built = World(url=base, keys=keys)
        with built.http() as http:
            built.live = publish_shipped_rulesets(http)
        yield built


@pytest.fixture
def helpdesk(app_container: Container) -> Iterator[FakeHelpdesk]:
    """ORDO_TICKETING as the composition root sets it: the container's connector."""
    found = FakeHelpdesk()
    app_container.ticketing = found
    yield found
    app_container.ticketing = None


@pytest.fixture
def no_helpdesk(app_container: Container) -> None:
    app_container.ticketing = None


def an_order(world: World, number: int, customer_id: str = "CUST-00007") -> dict[str, Any]:
    """An order of the web channel, decided by the pipeline, as the API has it now."""
    with world.http("channel") as http:
        answer = http.post("/v1/orders", json={
            "channel": "web", "channel_order_id": f"CONSOLE-TICKET-{number}",
            "customer_id": customer_id, "email": "tickets@example.com",
            "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
            "lines": [{"sku": "APP-BBC-BLACK", "quantity": 1}],
        })  # fmt: skip
        assert answer.status_code == 201, answer.text
    return detail(world, answer.json()["id"])


def detail(world: World, order_id: str) -> dict[str, Any]:
    with world.http() as http:
        return dict(http.get(f"/v1/orders/{order_id}").json())


def opened(world: World, role: str, order: dict[str, Any]) -> AppTest:
    app = open_page(console(world, role), "orders")
    next(t for t in app.text_input if t.label == "Order id").set_value(order["id"])
    return click(app, "Search")


def click(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception, app.exception
    return app


def fill(app: AppTest, subject: str, body: str) -> AppTest:
    next(t for t in app.text_input if t.label == "Subject").set_value(subject)
    next(t for t in app.text_area if t.label == "What it is about").set_value(body)
    return click(app, "Open ticket")


def table_with(app: AppTest, column: str) -> list[dict[str, Any]]:
    """The rows of the one table on the page with that column."""
    [table] = [d for d in app.dataframe if column in d.value.columns]
    return list(table.value.to_dict("records"))


def test_support_opens_a_ticket_through_the_form_and_sees_it_listed(
    world: World, helpdesk: FakeHelpdesk
) -> None:
    order = an_order(world, 1)
    app = opened(world, "support", order)
    assert "Helpdesk tickets" in [h.value for h in app.subheader]
    assert "No helpdesk ticket yet." in [m.value for m in app.markdown]

    fill(app, SUBJECT, BODY)

    [call] = helpdesk.calls
    assert call["title"] == SUBJECT and call["body"].startswith(BODY)
    [ticket] = detail(world, order["id"])["tickets"]
    assert ticket["external_ticket_id"] == "35436"
    assert f"Ticket 35436 opened in fakedesk about order CONSOLE-TICKET-1: {SUBJECT}" in [
        s.value for s in app.success
    ]
    [row] = table_with(app, "opened by")
    assert (row["subject"], row["system"], row["ticket"], row["opened by"]) == (
        SUBJECT,
        "fakedesk",
        "35436",
        "support:e2e-support",
    )
    assert row["opened"].endswith(" UTC")


def test_with_no_helpdesk_configured_the_apis_409_is_a_note_and_the_form_keeps_what_was_typed(
    world: World, no_helpdesk: None
) -> None:
    order = an_order(world, 2)
    app = opened(world, "admin", order)

    fill(app, SUBJECT, BODY)

    [note] = app.info
    assert note.value.startswith("No ticketing system is configured, so no ticket can be opened")
    assert "ORDO_TICKETING" in note.value
    assert not app.error
    assert next(t for t in app.text_input if t.label == "Subject").value == SUBJECT
    assert next(t for t in app.text_area if t.label == "What it is about").value == BODY
    assert detail(world, order["id"])["tickets"] == []


def test_a_helpdesk_that_refuses_shows_its_words_as_an_error(
    world: World, helpdesk: FakeHelpdesk
) -> None:
    helpdesk.refusal = "Zendesk https://acme.zendesk.com answered 422: RecordInvalid"
    order = an_order(world, 3)
    app = opened(world, "support", order)

    fill(app, SUBJECT, BODY)

    assert [e.value for e in app.error] == [
        "Fake helpdesk did not open the ticket: Zendesk https://acme.zendesk.com answered "
        "422: RecordInvalid."
    ]
    assert detail(world, order["id"])["tickets"] == []


def test_a_blank_body_is_the_apis_422_shown_under_the_body(
    world: World, helpdesk: FakeHelpdesk
) -> None:
    order = an_order(world, 4)
    app = opened(world, "support", order)

    fill(app, SUBJECT, "   ")

    [error] = app.error
    assert error.value == "Must say something, not only spaces."
    # Under the body's field: the page's next element after the body's text area.
    page = list(app.main)
    body_at = next(i for i, e in enumerate(page) if getattr(e, "label", "") == "What it is about")
    assert page[body_at + 1].value == error.value
    assert helpdesk.calls == []


@pytest.mark.parametrize("role", ["customer", "channel"])
def test_roles_that_may_not_open_tickets_see_neither_the_tickets_nor_the_form(
    world: World, helpdesk: FakeHelpdesk, role: str
) -> None:
    order = an_order(world, 5 if role == "customer" else 6, customer_id="C-1")  # the customer's
    with world.http("support") as http:
        made = http.post(
            f"/v1/orders/{order['id']}/tickets", json={"subject": SUBJECT, "body": BODY}
        )
        assert made.status_code == 201, made.text

    app = opened(world, role, order)

    # Support's notes to its helpdesk are not the customer's or the channel's to read.
    assert SUBJECT not in texts(app)
    assert "Open ticket" not in [b.label for b in app.button]
    assert "Subject" not in [t.label for t in app.text_input]


def test_a_shipment_sent_to_a_warehouse_system_shows_its_reference(
    world: World, app_container: Container
) -> None:
    sent, not_sent = an_order(world, 7), an_order(world, 8)
    shipment_id = sent["shipments"][0]["id"]
    with app_container.uow_factory() as uow:  # as the worker keeps the WMS's answer
        shipment = uow.shipments.get(shipment_id)
        assert shipment is not None
        shipment.wms_reference = "WMS-000123"
        uow.commit()

    app = opened(world, "support", sent)

    [row] = table_with(app, "shipment")
    assert (row["shipment"], row["WMS ref"]) == (shipment_id, "WMS-000123")
    app = opened(world, "support", not_sent)
    assert "WMS ref" not in table_with(app, "shipment")[0], "no column while none was sent"


def test_the_alerts_table_shows_the_helpdesk_ticket_of_an_alert_that_has_one(
    world: World,
) -> None:
    app = open_page(console(world, "support"), "alerts")

    rows = {row["message"]: row["ticket"] for row in table_with(app, "message")}
    assert rows == {TICKETED.message: "48213", UNTICKETED.message: ""}
