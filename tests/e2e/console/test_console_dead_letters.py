"""The Operations page against the real API: an event a worker parked is listed with its
error, redriven by an admin and gone; a redrive someone else made first is refused in place;
a partner's mailbox shows the document its 997 rejected; and no other role gets the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from admin_ui.views.operations import NO_DEAD_LETTERS
from engine.adapters.bus import InProcessBus
from engine.adapters.bus.dead_letters_sql import SqlDeadLetterStore
from engine.adapters.orm import outbox
from engine.domain.edi import FA_REJECTED, OutboundDocument
from tests.e2e.console.conftest import World, console, open_page, texts
from tests.support.engines import an_engine, uow_factory_on

ERROR = "ConnectionError: the WMS at wms.example.com refused the connection\nTraceback (...)"
PARTNER = "b2b-console"


@pytest.fixture
def worker(world: World) -> Iterator[Engine]:
    """The database as `ordo worker`, another process than the API, reaches it."""
    with an_engine(world.database_url) as engine:
        yield engine


def park(engine: Engine, event_id: str) -> None:
    """A worker gives up on one event: it is parked in the database, where the API reads it."""
    bus = InProcessBus(max_deliveries=1, dead_letters=SqlDeadLetterStore(engine))
    bus.publish("shipment.released", {"shipment_id": f"ful_{event_id}"}, "ful", event_id=event_id)
    [message] = bus.consume("worker-1", count=1)
    assert bus.fail(message, ERROR, consumer="worker-1")


def parked(world: World) -> list[str]:
    with world.http() as http:
        return [d["event_id"] for d in http.get("/v1/events/dead-letters").json()]


def redrive(app: AppTest) -> AppTest:
    next(c for c in app.checkbox if c.label == "Yes, send this event round again").check()
    next(b for b in app.button if b.label == "Redrive").click().run()
    assert not app.exception, app.exception
    return app


def test_an_admin_sees_a_parked_event_with_its_error_redrives_it_and_it_is_gone(
    world: World, worker: Engine
) -> None:
    park(worker, "console-1")
    app = open_page(console(world, "admin"), "operations")
    [row] = app.dataframe[0].value.to_dict("records")
    assert (row["event"], row["event id"], row["attempts"], row["consumer"]) == (
        "shipment.released", "console-1", 1, "worker-1"
    )  # fmt: skip
    assert row["error"] == "ConnectionError: the WMS at wms.example.com refused the connection"
    assert app.json[0].value == '{"shipment_id": "ful_console-1"}'
    assert app.code[0].value == ERROR

    redrive(app)

    assert "Redriven: shipment.released (event console-1) is published again." in texts(app)
    assert NO_DEAD_LETTERS in [s.value for s in app.success]
    assert parked(world) == []
    # Back where the workers take events from, to be handled again.
    with worker.connect() as connection:
        queued = connection.execute(
            select(outbox.c.payload).where(
                outbox.c.name == "shipment.released", outbox.c.published_at.is_(None)
            )
        ).scalars()
        assert {"shipment_id": "ful_console-1"} in list(queued)


def test_a_letter_another_admin_redrove_meanwhile_is_said_to_be_gone_not_redriven_twice(
    world: World, worker: Engine
) -> None:
    park(worker, "console-2")
    park(worker, "console-3")
    app = open_page(console(world, "admin"), "operations")
    app.selectbox(key="dead_letter").select_index(1).run()  # the older: console-2
    with world.http() as http:
        letters = http.get("/v1/events/dead-letters").json()
        [letter] = [d for d in letters if d["event_id"] == "console-2"]
        assert http.post(f"/v1/events/dead-letters/{letter['id']}/redrive").status_code == 200

    redrive(app)

    assert [w.value for w in app.warning] == [
        f"Dead letter {letter['id']}, shipment.released (event console-2), is no longer "
        "parked: it was redriven since the list was shown, by someone else or in another tab."
    ]
    # Nothing else was redriven in its place: the other letter waits, now the chosen one.
    assert parked(world) == ["console-3"]
    assert "event `console-3`" in texts(app)
    with world.http() as http:
        assert http.post(f"/v1/events/dead-letters/{letters[0]['id']}/redrive").is_success


def test_a_partners_mailbox_counts_and_marks_the_document_its_997_rejected(
    world: World, worker: Engine
) -> None:
    now = datetime.now(UTC)
    with uow_factory_on(worker)() as uow:
        for number, kind in ((1, "855"), (2, "856")):
            uow.edi.add_document(
                OutboundDocument(
                    id=f"edi_console_{number}", channel=PARTNER, kind=kind,
                    reference=f"ref_console_{number}", order_id="ord_console",
                    control_number=number, content="ISA*...~", created_at=now,
                )
            )  # fmt: skip
        uow.edi.record_functional_ack("edi_console_2", FA_REJECTED, ["AK502=5"], now)
        uow.commit()
    app = open_page(console(world, "admin"), "operations")
    app.text_input(key="mailbox_channel").set_value(PARTNER).run()
    assert not app.exception, app.exception

    rows = app.dataframe[-1].value.to_dict("records")
    assert [(r["kind"], r["997"], r["997 codes"]) for r in rows] == [
        ("856", "rejected", "AK502=5"),
        ("855", "no 997 yet", ""),
    ]
    assert {m.label: m.value for m in app.metric}["Rejected by the partner"] == "1"
    assert any("856 ref_console_2" in e.value for e in app.error)


@pytest.mark.parametrize("role", ["analyst", "support", "warehouse"])
def test_no_role_but_admin_gets_the_operations_page(world: World, role: str) -> None:
    app = console(world, role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("screens/operations.py")
