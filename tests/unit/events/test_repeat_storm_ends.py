"""The last note of a storm of repeats, with a fake helpdesk on the in-memory store: once the
window of the ticket's last repeat note has ended and no repeat opened the next window, the
worker's `StormEndNoter` tells the ticket of the repeats after that note, once however often
it runs; not while the storm goes on, not before that window's own note is written, not for
an acknowledged alert or one whose repeats were all told; a helpdesk that cannot be reached
gets the note at the next run."""

from __future__ import annotations

from datetime import timedelta

from connectors.base import DeliveryError
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import AlertRepeated
from engine.domain.operations import Alert
from engine.service_layer.alerts import acknowledge_alert
from engine.service_layer.tickets import StormEndNoter, TicketRepeatNoter
from tests.support.worker_steps import handled, published
from tests.unit.events.test_ticket_repeats import RAISED, Helpdesk, an_alert_with_a_ticket, fired

HOUR = timedelta(hours=1)


class QuietHelpdesk(Helpdesk):
    """Takes a storm's last note once per window, as Zendesk does with its quiet tags."""

    def __init__(self) -> None:
        super().__init__()
        self.quiet: list[tuple[str, int, str]] = []
        self.down = False

    def note_quiet(self, ticket_id: str, comment: str, window: int) -> bool:
        if self.down:
            raise DeliveryError("fakedesk unreachable: ConnectError")
        if any(w >= window for t, w, _ in self.quiet if t == ticket_id):
            return False
        self.quiet.append((ticket_id, window, comment))
        return True


def a_storm(helpdesk: Helpdesk, minutes: tuple[float, ...]) -> tuple[InMemoryUnitOfWork, Alert]:
    """An alert with a ticket, firing again at each of `minutes`, its repeat notes written
    as the worker writes them."""
    uow, alert = an_alert_with_a_ticket(helpdesk)
    noter = TicketRepeatNoter(helpdesk)
    for minute in minutes:
        seen = len(published(uow, AlertRepeated.name))
        fired(uow, minute, message=f"late at minute {minute:g}")
        handled(noter, uow, published(uow, AlertRepeated.name)[seen:])
    return uow, alert


def at(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def test_the_repeats_after_the_last_note_are_told_once_its_window_has_ended_quiet() -> None:
    helpdesk = QuietHelpdesk()
    uow, alert = a_storm(helpdesk, (5, 10, 20, 47))
    ender = StormEndNoter(lambda: uow, helpdesk, HOUR)

    assert ender.tick(RAISED + at(59)) == 0  # the window is not over yet
    assert ender.tick(RAISED + at(61)) == 1
    assert ender.tick(RAISED + at(75)) == 0  # once

    [(ticket_id, window, note)] = helpdesk.quiet
    assert (ticket_id, window) == ("9000", 0)
    assert note == (
        "Repeated in Ordo 3 more times after the last note (5 occurrences), the latest at "
        "2026-11-27 10:47 UTC; no repeats since 2026-11-27 11:00 UTC.\n"
        f"Latest: late at minute 47\n\nAlert {alert.id} (rule: ops/late shipments, about: swift)."
    )
    with uow:
        stored = uow.alerts.get(alert.id)
        assert stored is not None and (stored.noted_occurrences, stored.noted_window) == (5, 0)


def test_a_storm_going_on_into_the_next_window_gets_that_windows_note_instead() -> None:
    helpdesk = QuietHelpdesk()
    uow, _ = a_storm(helpdesk, (5, 20, 70))
    ender = StormEndNoter(lambda: uow, helpdesk, HOUR)

    assert ender.tick(RAISED + at(90)) == 0  # window 1's note told all; it is not over
    fired(uow, 100)
    assert ender.tick(RAISED + at(121)) == 1

    assert [(w, note.split(" (")[0]) for _, w, note in helpdesk.quiet] == [
        (1, "Repeated in Ordo 1 more time after the last note")
    ]
    assert [w for _, w, _ in helpdesk.notes] == [0, 1]


def test_nothing_is_added_when_the_last_note_told_every_repeat() -> None:
    helpdesk = QuietHelpdesk()
    uow, _ = a_storm(helpdesk, (5,))

    assert StormEndNoter(lambda: uow, helpdesk, HOUR).tick(RAISED + at(300)) == 0
    assert helpdesk.quiet == [] and len(helpdesk.notes) == 1


def test_a_window_whose_own_note_is_still_to_come_is_left_to_that_note() -> None:
    helpdesk = QuietHelpdesk()
    uow, _ = a_storm(helpdesk, (5,))
    fired(uow, 70)  # raises window 1's alert.repeated, not yet handled (the helpdesk retried)
    ender = StormEndNoter(lambda: uow, helpdesk, HOUR)

    assert ender.tick(RAISED + at(130)) == 0

    handled(TicketRepeatNoter(helpdesk), uow, published(uow, AlertRepeated.name)[1:])
    assert ender.tick(RAISED + at(131)) == 0  # that note told it all
    assert helpdesk.quiet == []


def test_an_acknowledged_alerts_storm_ends_without_a_note() -> None:
    helpdesk = QuietHelpdesk()
    uow, alert = a_storm(helpdesk, (5, 10))
    acknowledge_alert(uow, alert.id, "user:ada@shop.example")

    assert StormEndNoter(lambda: uow, helpdesk, HOUR).tick(RAISED + at(61)) == 0
    assert helpdesk.quiet == []


def test_a_helpdesk_that_cannot_be_reached_gets_the_note_at_the_next_run() -> None:
    helpdesk = QuietHelpdesk()
    uow, _ = a_storm(helpdesk, (5, 10))
    ender = StormEndNoter(lambda: uow, helpdesk, HOUR)
    helpdesk.down = True

    assert ender.tick(RAISED + at(61)) == 0

    helpdesk.down = False
    assert ender.tick(RAISED + at(62)) == 1
    assert [w for _, w, _ in helpdesk.quiet] == [0]


class NotelessHelpdesk(Helpdesk):
    """Takes repeat notes but keeps the base class's `note_quiet`, counting the asks."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    def note_quiet(self, ticket_id: str, comment: str, window: int) -> bool:
        self.asked.append(window)
        return super().note_quiet(ticket_id, comment, window)


def test_a_helpdesk_that_takes_no_last_notes_is_asked_once_and_the_storm_taken_as_told() -> None:
    helpdesk = NotelessHelpdesk()
    uow, alert = a_storm(helpdesk, (5, 10))
    ender = StormEndNoter(lambda: uow, helpdesk, HOUR)

    assert ender.tick(RAISED + at(61)) == 0
    assert ender.tick(RAISED + at(62)) == 0

    assert helpdesk.asked == [0]
    with uow:
        told = uow.alerts.get(alert.id)
        assert told is not None and told.noted_occurrences == told.occurrences == 3
