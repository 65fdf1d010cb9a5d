"""An open alert that keeps firing, on every backend (memory, SQLite, PostgreSQL): its repeat
windows are counted from the raising time the database kept (SQLite keeps it without its
zone), so `alert.repeated` comes for the first repeat and once per later window; and the
Zendesk connector (over a fake Zendesk) adds one internal note to the alert's ticket per
window, however often the event is delivered."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.ticketing.zendesk import ZendeskTicketing
from engine.adapters.bus import Message
from engine.domain.events import AlertRepeated
from engine.domain.operations import Ticket
from engine.service_layer.alerts import raise_alert
from engine.service_layer.tickets import TicketRepeatNoter
from engine.service_layer.unit_of_work import UnitOfWork
from tests.integration.persistence.conftest import UowFactory

RAISED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def fired(uows: Callable[[], UnitOfWork], minutes: int) -> list[AlertRepeated]:
    """One firing of the alert in its own transaction; the `alert.repeated` it raised."""
    uow = uows()
    with uow:
        raise_alert(uow, rule="ops/late", key="swift", severity="high",
                    message=f"late at minute {minutes}",
                    now=RAISED + timedelta(minutes=minutes))  # fmt: skip
        uow.commit()
    return [e for e in uow.collect_new_events() if isinstance(e, AlertRepeated)]


class FakeZendesk:
    """Ticket 35501 as Zendesk shows and updates it."""

    def __init__(self) -> None:
        self.ticket: dict[str, Any] = {"id": 35501, "status": "open", "tags": ["ordo"]}
        self.notes: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            update = json.loads(request.content)["ticket"]
            self.notes.append(update["comment"]["body"])
            kept = [t for t in self.ticket["tags"] if t not in update.get("remove_tags", ())]
            self.ticket["tags"] = kept + update["additional_tags"]
        return httpx.Response(200, json={"ticket": self.ticket})


def test_repeats_raise_one_event_per_window_counted_from_the_stored_raising(
    uow_factory: UowFactory,
) -> None:
    assert fired(uow_factory, 0) == []

    windows = [[(e.occurrences, e.window) for e in fired(uow_factory, m)]
               for m in (1, 30, 59, 60, 61, 150)]  # fmt: skip

    assert windows == [[(2, 0)], [], [], [(5, 1)], [], [(7, 2)]]
    with uow_factory() as uow:
        [alert] = uow.alerts.list()
        assert alert.occurrences == 7 and alert.message == "late at minute 150"


def test_the_tickets_note_is_added_once_per_window_however_often_it_is_delivered(
    uow_factory: UowFactory,
) -> None:
    fired(uow_factory, 0)
    with uow_factory() as uow:
        [alert] = uow.alerts.list()
        alert.ticket_id = "35501"
        uow.tickets.add(
            Ticket(id="tkt_alert", system="zendesk", external_ticket_id="35501",
                   entity="alert", entity_id=alert.id, subject="[Ordo high] late",
                   created_at=RAISED, created_by="system")
        )  # fmt: skip
        uow.commit()
    fake = FakeZendesk()
    options = {"url": "acme", "email": "ops@shop.example", "token": "zd-token"}
    noter = TicketRepeatNoter(
        ZendeskTicketing(options, client=httpx.Client(transport=httpx.MockTransport(fake)))
    )
    events = fired(uow_factory, 3) + fired(uow_factory, 4) + fired(uow_factory, 75)

    for n, event in enumerate([events[0], events[0], events[1], events[1]]):
        with uow_factory() as uow:
            noter(Message(f"evt-{n}", event.name, event.payload(), "p"), uow)
            uow.commit()

    assert [e.window for e in events] == [0, 1]
    assert len(fake.notes) == 2 and noter.noted == 2
    assert fake.notes[1].startswith(
        "Repeated in Ordo 3 times since it was raised (4 occurrences), the latest at "
        "2026-11-27 11:15 UTC.\nLatest: late at minute 75"
    )
    assert fake.ticket["tags"] == ["ordo", "ordo_repeat_1"]
