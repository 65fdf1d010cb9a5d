"""Closing alerts, on the in-memory store: a close is audited with `alert.closed`; the same
rule and key firing after it opens a new alert with a new id; the worker's tick closes only
acknowledged alerts quiet long enough; a closed alert's helpdesk ticket is noted and solved
once, never echoed back to the helpdesk that closed it; and a ticket closed in the helpdesk
closes its alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.errors import IllegalTransition
from engine.domain.events import AlertAcknowledged, AlertClosed, AlertRaised
from engine.domain.operations import Alert, AlertStatus
from engine.service_layer.alerts import (
    AlertCloser,
    acknowledge_alert,
    close_alert,
    raise_alert,
)
from engine.service_layer.tickets import TicketCloser, alert_reference, record_ticket_update
from tests.unit.events.test_ticket_acknowledger import Helpdesk as AcknowledgingHelpdesk
from tests.unit.events.test_ticket_acknowledger import handled, published

RAISED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


class Helpdesk(AcknowledgingHelpdesk):
    """The acknowledging fake, which also takes one close per ticket, as Zendesk's tag does."""

    def __init__(self) -> None:
        super().__init__()
        self.resolved: dict[str, list[str]] = {}

    def resolve(self, ticket_id: str, comment: str) -> bool:
        if ticket_id in self.resolved:
            return False
        self.resolved[ticket_id] = [comment]
        return True


def fire(uow: InMemoryUnitOfWork, key: str = "SKU-1@W1", at: datetime = RAISED) -> Alert:
    with uow:
        alert = raise_alert(uow, rule="ops/low stock", key=key, severity="high",
                            message=f"{key} low", now=at)  # fmt: skip
        uow.commit()
    return alert


def stored(uow: InMemoryUnitOfWork, alert_id: str) -> Alert:
    with uow:
        alert = uow.alerts.get(alert_id)
    assert alert is not None
    return alert


def test_a_close_is_audited_and_raises_alert_closed_with_the_note() -> None:
    uow = InMemoryUnitOfWork()
    alert = fire(uow)
    acknowledge_alert(uow, alert.id, "user:sam")

    closed = close_alert(uow, alert.id, "user:kim", note="restocked")

    assert (closed.status, closed.closed_by) == (AlertStatus.CLOSED, "user:kim")
    [event] = [e for e in uow.committed_events if isinstance(e, AlertClosed)]
    assert (event.alert_id, event.by, event.from_status) == (alert.id, "user:kim", "acknowledged")
    assert (event.note, event.helpdesk) == ("restocked", "")
    with uow:
        [entry] = [e for e in uow.audit.list(entity="alert", entity_id=alert.id)
                   if e.action == "alert.close"]  # fmt: skip
    assert (entry.actor, entry.before, entry.after) == (
        "user:kim", {"status": "acknowledged"}, {"status": "closed", "note": "restocked"},
    )  # fmt: skip


def test_closing_a_closed_alert_is_refused_naming_its_state() -> None:
    uow = InMemoryUnitOfWork()
    alert = fire(uow)
    close_alert(uow, alert.id, "user:kim")

    with pytest.raises(IllegalTransition, match="from 'closed'"):
        close_alert(uow, alert.id, "user:sam")
    assert stored(uow, alert.id).closed_by == "user:kim"


def test_the_same_rule_and_key_firing_after_a_close_opens_a_new_alert_with_a_new_id() -> None:
    uow = InMemoryUnitOfWork()
    first = fire(uow)
    fire(uow, at=RAISED + timedelta(minutes=5))
    acknowledge_alert(uow, first.id, "user:sam")
    close_alert(uow, first.id, "user:sam")

    second = fire(uow, at=RAISED + timedelta(days=30))

    assert second.id != first.id and second.id.endswith("_2")
    assert (second.status, second.occurrences) == (AlertStatus.OPEN, 1)
    old = stored(uow, first.id)
    assert (old.status, old.occurrences) == (AlertStatus.CLOSED, 2)
    raised = [e.alert_id for e in uow.committed_events if isinstance(e, AlertRaised)]
    assert raised == [first.id, second.id]
    assert fire(uow, at=RAISED + timedelta(days=31)).id == second.id  # deduplicated again


def test_the_tick_closes_only_acknowledged_alerts_quiet_for_the_configured_time() -> None:
    uow = InMemoryUnitOfWork()
    quiet = fire(uow, "quiet")
    unseen = fire(uow, "unseen")  # never acknowledged: waits for a person
    busy = fire(uow, "busy")
    late_ack = fire(uow, "acknowledged late")
    with uow:
        for alert in (quiet, busy):
            uow.alerts.get(alert.id).acknowledge("user:sam", RAISED)  # type: ignore[union-attr]
        uow.alerts.get(late_ack.id).acknowledge(  # type: ignore[union-attr]
            "user:sam", RAISED + timedelta(hours=20)
        )
        uow.commit()
    fire(uow, "busy", at=RAISED + timedelta(hours=10))
    closer = AlertCloser(lambda: uow, DAY)

    assert closer.tick(RAISED + DAY + timedelta(minutes=1)) == 1

    statuses = {a.key: stored(uow, a.id).status for a in (quiet, unseen, busy, late_ack)}
    assert statuses == {
        "quiet": AlertStatus.CLOSED, "unseen": AlertStatus.OPEN,
        "busy": AlertStatus.ACKNOWLEDGED, "acknowledged late": AlertStatus.ACKNOWLEDGED,
    }  # fmt: skip
    closed = stored(uow, quiet.id)
    assert (closed.closed_by, closed.closed_at) == ("system", RAISED + DAY + timedelta(minutes=1))
    [event] = [e for e in uow.committed_events if isinstance(e, AlertClosed)]
    assert event.note == "acknowledged, and quiet for 24 hours (ORDO_ALERT_CLOSE_AFTER_HOURS)"
    assert closer.tick(RAISED + 2 * DAY) == 2  # the busy and the late-acknowledged in turn


def test_the_tick_closes_at_most_a_batch_and_runs_at_most_once_per_every() -> None:
    uow = InMemoryUnitOfWork()
    for n in range(5):
        acknowledge_alert(uow, fire(uow, f"k{n}").id, "user:sam")
    later = max(datetime.now(UTC), RAISED) + 2 * DAY  # acknowledged now, by the clock
    closer = AlertCloser(lambda: uow, DAY, batch=2, every=timedelta(minutes=1))

    assert closer.tick(later) == 2
    assert closer.tick(later + timedelta(seconds=30)) == 0
    assert closer.tick(later + timedelta(minutes=1)) == 2
    assert closer.tick(later + timedelta(minutes=2)) == 1


def test_an_alert_a_person_closes_while_the_tick_runs_is_left_as_they_closed_it() -> None:
    uow = InMemoryUnitOfWork()
    alert = fire(uow)
    acknowledge_alert(uow, alert.id, "user:sam")
    opened: list[int] = []

    def uows() -> InMemoryUnitOfWork:
        opened.append(1)
        if len(opened) == 2:  # the tick has listed it and is about to close it
            close_alert(uow, alert.id, "user:kim")
        return uow

    assert AlertCloser(uows, DAY).tick(max(datetime.now(UTC), RAISED) + 2 * DAY) == 0
    assert stored(uow, alert.id).closed_by == "user:kim"


def test_a_close_after_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        AlertCloser(InMemoryUnitOfWork, timedelta(0))


def an_alert_with_a_ticket(helpdesk: Helpdesk) -> tuple[InMemoryUnitOfWork, Alert]:
    from engine.service_layer.tickets import TicketOpener

    uow = InMemoryUnitOfWork()
    alert = fire(uow)
    handled(TicketOpener(helpdesk), uow, published(uow, "alert.raised"))
    return uow, alert


@pytest.mark.parametrize("acknowledged_first", [False, True])
def test_a_closed_alerts_ticket_gets_one_note_however_often_the_close_comes(
    acknowledged_first: bool,
) -> None:
    helpdesk = Helpdesk()
    uow, alert = an_alert_with_a_ticket(helpdesk)
    if acknowledged_first:
        acknowledge_alert(uow, alert.id, "user:sam")
    close_alert(uow, alert.id, "user:kim", note="restocked")
    [message] = published(uow, AlertClosed.name)
    closer = TicketCloser(helpdesk)

    handled(closer, uow, [message, message])

    [comment] = helpdesk.resolved["9000"]
    assert comment.startswith("Closed in Ordo by user:kim at ")
    assert "\nNote: restocked\n" in comment
    assert comment.endswith(f"Alert {alert.id} (rule: ops/low stock).")
    assert closer.updated == 1


def test_a_ticket_closed_in_the_helpdesk_closes_its_alert_and_is_not_told_back() -> None:
    helpdesk = Helpdesk()
    uow, alert = an_alert_with_a_ticket(helpdesk)
    closed = _report(alert, "closed")

    assert record_ticket_update(lambda: uow, "fakedesk", closed).outcome == "kept"

    after = stored(uow, alert.id)
    assert (after.status, after.closed_by) == (AlertStatus.CLOSED, "connector:fakedesk")
    assert after.acknowledged_by == "connector:fakedesk"
    [message] = published(uow, AlertClosed.name)
    assert (message.payload["helpdesk"], message.payload["from_status"]) == ("fakedesk", "open")
    assert not TicketCloser(helpdesk).wants(message)
    assert published(uow, AlertAcknowledged.name) == []


def test_a_ticket_solved_in_the_helpdesk_only_acknowledges_its_alert() -> None:
    uow, alert = an_alert_with_a_ticket(Helpdesk())

    record_ticket_update(lambda: uow, "fakedesk", _report(alert, "solved"))

    assert stored(uow, alert.id).status is AlertStatus.ACKNOWLEDGED
    assert published(uow, AlertClosed.name) == []


def _report(alert: Alert, status: str) -> Any:
    from connectors.base import TicketUpdate

    return TicketUpdate("9000", alert_reference(alert), status, datetime.now(UTC))
