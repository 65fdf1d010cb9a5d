"""The worker observer that opens a helpdesk ticket for a severe alert, with a fake helpdesk on
the in-memory store: which alerts open one, what the ticket says, and one ticket per alert
however often the event is delivered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from connectors.base import DeliveryError, Ticketing
from engine.adapters.bus import InProcessBus, Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.operations import Alert
from engine.service_layer.alerts import raise_alert
from engine.service_layer.notifications import AlertNotifier
from engine.service_layer.tickets import TicketOpener, alert_reference
from engine.worker import Worker, WorkerConfig


class FakeHelpdesk(Ticketing):
    """A helpdesk that, like Zendesk, finds the ticket of an external id it has seen."""

    slug = "fakedesk"
    title = "Fake helpdesk"

    def __init__(self, down: int = 0) -> None:
        super().__init__()
        self.down = down  # refuse this many calls first
        self.calls: list[dict[str, Any]] = []
        self.tickets: dict[str, str] = {}  # external id -> ticket id

    def open(
        self, title: str, body: str, labels: tuple[str, ...] = (), *, external_id: str = "",
        priority: str = "",
    ) -> str:  # fmt: skip
        self.calls.append({"title": title, "body": body, "labels": labels,
                           "external_id": external_id, "priority": priority})  # fmt: skip
        if self.down:
            self.down -= 1
            raise DeliveryError("fakedesk answered 503: down for maintenance")
        if external_id not in self.tickets:
            self.tickets[external_id] = str(9000 + len(self.tickets))
        return self.tickets[external_id]

    def acknowledge(self, ticket_id: str, comment: str) -> bool:
        raise AssertionError("no alert is acknowledged here")


def an_alert_raised(uow: InMemoryUnitOfWork, severity: str = "high") -> tuple[Alert, Message]:
    with uow:
        alert = raise_alert(
            uow, rule="ops/late shipments", key="swift", severity=severity,
            message="6 late shipments for swift", recipients=["ops@shop.test"],
        )  # fmt: skip
        uow.commit()
    [event] = uow.committed_events
    return alert, Message("evt-1", event.name, event.field_values(), alert.id)


def handle(opener: TicketOpener, uow: InMemoryUnitOfWork, message: Message) -> None:
    """One delivery as the worker runs a step: the observer, then the commit."""
    with uow:
        if opener.wants(message):
            opener(message, uow)
        uow.commit()


def stored(uow: InMemoryUnitOfWork, alert_id: str) -> Alert:
    with uow:
        alert = uow.alerts.get(alert_id)
        assert alert is not None
        return alert


@pytest.mark.parametrize("severity", ["high", "critical"])
def test_an_alert_at_or_over_the_severity_opens_one_ticket(severity: str) -> None:
    uow, helpdesk = InMemoryUnitOfWork(), FakeHelpdesk()
    alert, message = an_alert_raised(uow, severity)

    handle(TicketOpener(helpdesk, "high", "https://ordo.shop.test"), uow, message)

    [call] = helpdesk.calls
    assert call["title"] == f"[Ordo {severity}] 6 late shipments for swift"
    assert call["priority"] == severity
    assert call["labels"] == ("alert", f"severity_{severity}")
    assert call["external_id"] == alert_reference(alert)
    assert "Rule: ops/late shipments" in call["body"]
    assert f"https://ordo.shop.test/v1/alerts/{alert.id}/acknowledge" in call["body"]
    assert stored(uow, alert.id).ticket_id == "9000"
    with uow:
        [ticket] = uow.tickets.about("alert", alert.id)
    assert (ticket.system, ticket.external_ticket_id, ticket.created_by) == (
        "fakedesk", "9000", "system"
    )  # fmt: skip


def test_an_alert_below_the_severity_opens_none() -> None:
    uow, helpdesk = InMemoryUnitOfWork(), FakeHelpdesk()
    alert, message = an_alert_raised(uow, "medium")

    handle(TicketOpener(helpdesk, "high"), uow, message)

    assert helpdesk.calls == []
    assert stored(uow, alert.id).ticket_id is None


def test_a_redelivered_event_opens_no_second_ticket() -> None:
    uow, helpdesk = InMemoryUnitOfWork(), FakeHelpdesk()
    alert, message = an_alert_raised(uow)
    opener = TicketOpener(helpdesk)

    handle(opener, uow, message)
    handle(opener, uow, message)

    assert len(helpdesk.calls) == 1, "the alert has its ticket: the helpdesk is not asked again"
    with uow:
        assert len(uow.tickets.about("alert", alert.id)) == 1


def test_a_ticket_opened_by_an_attempt_that_never_committed_is_found_not_opened_again() -> None:
    uow, helpdesk = InMemoryUnitOfWork(), FakeHelpdesk()
    alert, message = an_alert_raised(uow)
    opener = TicketOpener(helpdesk)
    with uow:
        opener(message, uow)  # the ticket is opened, then the worker dies before its commit
    assert stored(uow, alert.id).ticket_id is None

    handle(opener, uow, message)

    assert [c["external_id"] for c in helpdesk.calls] == [alert_reference(alert)] * 2
    assert len(helpdesk.tickets) == 1
    assert stored(uow, alert.id).ticket_id == "9000"


def test_an_alert_raised_again_after_a_fresh_start_does_not_find_the_old_ticket() -> None:
    first, again = InMemoryUnitOfWork(), InMemoryUnitOfWork()
    alert, _ = an_alert_raised(first)
    with again:
        later = raise_alert(again, rule="ops/late shipments", key="swift", severity="high",
                            message="6 late shipments for swift",
                            now=alert.created_at.replace(year=2027))  # fmt: skip
    assert later.id == alert.id, "a new database numbers the rule's alerts from 1 again"
    assert alert_reference(later) != alert_reference(alert)


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
        self.sent.append(context["alert"]["id"])


def test_a_helpdesk_that_is_down_is_retried_without_the_alerts_email_being_sent_again() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus(max_deliveries=5)
    helpdesk, mailbox = FakeHelpdesk(down=2), Mailbox()
    alert, message = an_alert_raised(uow)
    worker = Worker(
        bus=bus, uow_factory=lambda: uow, handlers={},
        observers=[AlertNotifier(mailbox), TicketOpener(helpdesk)],
        config=WorkerConfig(block_ms=0),
    )  # fmt: skip
    bus.publish(message.name, message.payload, message.partition_key, event_id="evt-1")

    for _ in range(6):
        worker.run_once()

    assert mailbox.sent == [alert.id]
    assert len(helpdesk.calls) == 3
    assert stored(uow, alert.id).ticket_id == "9000"
    assert bus.dead_letters() == []


def test_a_helpdesk_that_stays_down_ends_in_the_dead_letters_with_its_words() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus(max_deliveries=3)
    helpdesk = FakeHelpdesk(down=10)
    alert, message = an_alert_raised(uow)
    worker = Worker(
        bus=bus, uow_factory=lambda: uow, handlers={}, observers=[TicketOpener(helpdesk)],
        config=WorkerConfig(block_ms=0),
    )  # fmt: skip
    bus.publish(message.name, message.payload, message.partition_key, event_id="evt-1")

    for _ in range(5):
        worker.run_once()

    [letter] = bus.dead_letters()
    assert "fakedesk answered 503: down for maintenance" in letter.error
    assert stored(uow, alert.id).ticket_id is None


def test_an_unknown_minimum_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="low, medium, high, critical"):
        TicketOpener(FakeHelpdesk(), "urgent")
