"""An open alert that keeps firing tells its helpdesk ticket, with a fake helpdesk on the
in-memory store: a repeat raises `alert.repeated` for the first repeat and then once per
repeat window however many repeats come, the ticket gets a note saying how often, when last
and what the alert said last (once per window, however often the event is delivered), an
acknowledged alert's ticket gets none, and a repeat never opens a second ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.base import Ticketing
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import AlertRepeated
from engine.domain.operations import Alert
from engine.service_layer.alerts import AlertRecorder, acknowledge_alert, raise_alert
from engine.service_layer.tickets import TicketOpener, TicketRepeatNoter
from tests.support.worker_steps import handled, published

RAISED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
RULE, KEY = "ops/late shipments", "swift"


class Helpdesk(Ticketing):
    """Opens tickets and, like Zendesk with its window tags, takes one note per window."""

    slug = "fakedesk"

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []
        self.notes: list[tuple[str, int, str]] = []

    def open(
        self, title: str, body: str, labels: tuple[str, ...] = (), *, external_id: str = "",
        priority: str = "",
    ) -> str:  # fmt: skip
        self.opened.append(external_id)
        return str(9000 + len(self.opened) - 1)

    def acknowledge(self, ticket_id: str, comment: str) -> bool:
        return True

    def note_repeat(self, ticket_id: str, comment: str, window: int) -> bool:
        if any(w >= window for t, w, _ in self.notes if t == ticket_id):
            return False
        self.notes.append((ticket_id, window, comment))
        return True


def fired(uow: InMemoryUnitOfWork, minutes: float, message: str = "6 late shipments") -> Alert:
    with uow:
        alert = raise_alert(uow, rule=RULE, key=KEY, severity="high", message=message,
                            now=RAISED + timedelta(minutes=minutes))  # fmt: skip
        uow.commit()
    return alert


def repeats(uow: InMemoryUnitOfWork) -> list[AlertRepeated]:
    return [e for e in uow.committed_events if isinstance(e, AlertRepeated)]


def an_alert_with_a_ticket(helpdesk: Helpdesk) -> tuple[InMemoryUnitOfWork, Alert]:
    uow = InMemoryUnitOfWork()
    alert = fired(uow, 0)
    handled(TicketOpener(helpdesk), uow, published(uow, "alert.raised"))
    return uow, alert


def test_the_first_repeat_and_then_the_first_of_each_later_hour_raise_alert_repeated() -> None:
    uow = InMemoryUnitOfWork()
    alert = fired(uow, 0)

    for minutes in (1, 2, 30, 59, 61, 62, 119, 185, 186):
        fired(uow, minutes, message=f"late at minute {minutes}")

    assert [(e.occurrences, e.window, e.at) for e in repeats(uow)] == [
        (2, 0, (RAISED + timedelta(minutes=1)).isoformat()),
        (6, 1, (RAISED + timedelta(minutes=61)).isoformat()),
        (9, 3, (RAISED + timedelta(minutes=185)).isoformat()),
    ]
    first = repeats(uow)[0]
    assert (first.alert_id, first.rule, first.key, first.severity) == (alert.id, RULE, KEY, "high")
    assert first.message == "late at minute 1"


def test_a_storm_of_repeats_raises_one_event_per_window_of_the_configured_length() -> None:
    uow = InMemoryUnitOfWork()
    recorder = AlertRecorder(repeat_window=timedelta(minutes=10))
    triggered = [
        Message(f"evt-{n}", "alert.triggered",
                {"rule": RULE, "key": KEY, "severity": "high", "message": "late",
                 "at": (RAISED + timedelta(seconds=6 * n)).isoformat()}, "p")
        for n in range(300)
    ]  # fmt: skip  # one every 6 seconds for half an hour

    handled(recorder, uow, triggered)

    assert [e.window for e in repeats(uow)] == [0, 1, 2]
    assert [e.occurrences for e in repeats(uow)] == [2, 101, 201]


def test_the_alerts_ticket_gets_a_note_of_how_often_when_last_and_what_it_said() -> None:
    helpdesk = Helpdesk()
    uow, alert = an_alert_with_a_ticket(helpdesk)
    for minutes in (5, 6, 7):
        fired(uow, minutes, message="9 late shipments for swift")
    noter = TicketRepeatNoter(helpdesk)

    handled(noter, uow, published(uow, AlertRepeated.name))

    [(ticket_id, window, note)] = helpdesk.notes
    assert (ticket_id, window) == ("9000", 0)
    assert note == (
        "Repeated in Ordo 3 times since it was raised (4 occurrences), the latest at "
        "2026-11-27 10:07 UTC.\nLatest: 9 late shipments for swift\n\n"
        f"Alert {alert.id} (rule: ops/late shipments, about: swift)."
    )
    assert noter.noted == 1


def test_a_redelivered_repeat_adds_no_second_note_and_a_later_window_adds_one() -> None:
    helpdesk = Helpdesk()
    uow, _ = an_alert_with_a_ticket(helpdesk)
    fired(uow, 5)
    [first] = published(uow, AlertRepeated.name)
    noter = TicketRepeatNoter(helpdesk)

    handled(noter, uow, [first, first])
    fired(uow, 70)
    handled(noter, uow, published(uow, AlertRepeated.name)[1:])

    assert [(t, w) for t, w, _ in helpdesk.notes] == [("9000", 0), ("9000", 1)]
    assert noter.noted == 2


def test_an_acknowledged_alerts_repeat_adds_nothing_to_its_ticket() -> None:
    helpdesk = Helpdesk()
    uow, alert = an_alert_with_a_ticket(helpdesk)
    acknowledge_alert(uow, alert.id, "user:ada@shop.example")

    fired(uow, 5)  # still the same alert: acknowledged alerts deduplicate too
    handled(TicketRepeatNoter(helpdesk), uow, published(uow, AlertRepeated.name))

    assert len(repeats(uow)) == 1
    assert helpdesk.notes == []


def test_an_alert_without_a_ticket_or_with_another_helpdesks_adds_no_note() -> None:
    helpdesk, uow = Helpdesk(), InMemoryUnitOfWork()
    fired(uow, 0)
    fired(uow, 5)
    handled(TicketRepeatNoter(helpdesk), uow, published(uow, AlertRepeated.name))
    assert helpdesk.notes == []

    other = Helpdesk()
    other.slug = "otherdesk"  # the helpdesk configured now is not the one that opened it
    uow, _ = an_alert_with_a_ticket(helpdesk)
    fired(uow, 5)
    handled(TicketRepeatNoter(other), uow, published(uow, AlertRepeated.name))
    assert other.notes == [] and helpdesk.notes == []


def test_repeats_add_notes_to_the_one_ticket_and_never_open_a_second() -> None:
    helpdesk = Helpdesk()
    uow, alert = an_alert_with_a_ticket(helpdesk)
    opener, noter = TicketOpener(helpdesk), TicketRepeatNoter(helpdesk)

    for minutes in range(1, 200, 7):
        fired(uow, minutes)
    delivered = published(uow, "alert.raised") + published(uow, AlertRepeated.name)
    handled(opener, uow, delivered)
    handled(noter, uow, delivered)

    assert len(helpdesk.opened) == 1
    assert [(t, w) for t, w, _ in helpdesk.notes] == [("9000", 0), ("9000", 1), ("9000", 2),
                                                      ("9000", 3)]  # fmt: skip
    with uow:
        stored = uow.alerts.get(alert.id)
        assert stored is not None and stored.ticket_id == "9000"
        assert len(uow.tickets.about("alert", alert.id)) == 1
