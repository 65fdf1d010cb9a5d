"""An alert acknowledged in Ordo updates its helpdesk ticket, with a fake helpdesk on the
in-memory store: the acknowledgement raises `alert.acknowledged`, the ticket gets a comment
naming who and when (once, however often the event comes), an acknowledgement that came from
the helpdesk itself is not echoed back, and an alert acknowledged before its ticket could be
opened opens none."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.base import Ticketing, TicketUpdate
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import AlertAcknowledged
from engine.domain.operations import Alert, AlertStatus
from engine.service_layer.alerts import acknowledge_alert, raise_alert
from engine.service_layer.tickets import (
    TicketAcknowledger,
    TicketOpener,
    alert_reference,
    record_ticket_update,
)
from tests.support.worker_steps import handled, published


class Helpdesk(Ticketing):
    """Opens tickets and, like Zendesk with its tag, takes one acknowledgement per ticket."""

    slug = "fakedesk"

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []
        self.comments: dict[str, list[str]] = {}

    def open(
        self, title: str, body: str, labels: tuple[str, ...] = (), *, external_id: str = "",
        priority: str = "",
    ) -> str:  # fmt: skip
        self.opened.append(external_id)
        return str(9000 + len(self.opened) - 1)

    def acknowledge(self, ticket_id: str, comment: str) -> bool:
        if ticket_id in self.comments:
            return False
        self.comments[ticket_id] = [comment]
        return True


def an_alert_with_a_ticket(helpdesk: Helpdesk) -> tuple[InMemoryUnitOfWork, Alert]:
    uow = InMemoryUnitOfWork()
    with uow:
        alert = raise_alert(uow, rule="ops/late shipments", key="swift", severity="high",
                            message="6 late shipments for swift")  # fmt: skip
        uow.commit()
    handled(TicketOpener(helpdesk), uow, published(uow, "alert.raised"))
    return uow, alert


def test_an_alert_acknowledged_in_ordo_raises_alert_acknowledged_naming_who_and_when() -> None:
    uow, alert = an_alert_with_a_ticket(Helpdesk())

    acknowledged = acknowledge_alert(uow, alert.id, "user:ada@shop.example")

    [event] = [e for e in uow.committed_events if isinstance(e, AlertAcknowledged)]
    assert event.alert_id == alert.id and event.by == "user:ada@shop.example"
    assert event.helpdesk == "" and (event.rule, event.key) == ("ops/late shipments", "swift")
    assert acknowledged.acknowledged_at is not None
    assert datetime.fromisoformat(event.at) == acknowledged.acknowledged_at.astimezone(UTC)


def test_its_ticket_gets_one_comment_saying_who_acknowledged_it_however_often_it_comes() -> None:
    helpdesk = Helpdesk()
    uow, alert = an_alert_with_a_ticket(helpdesk)
    acknowledge_alert(uow, alert.id, "user:ada@shop.example")
    [message] = published(uow, AlertAcknowledged.name)
    acknowledger = TicketAcknowledger(helpdesk)

    handled(acknowledger, uow, [message, message])

    [comment] = helpdesk.comments["9000"]
    assert comment.startswith("Acknowledged in Ordo by user:ada@shop.example at ")
    assert f"Alert {alert.id} (rule: ops/late shipments)" in comment
    assert acknowledger.updated == 1


def test_an_acknowledgement_from_the_helpdesk_is_not_echoed_back_to_it() -> None:
    helpdesk = Helpdesk()
    uow, alert = an_alert_with_a_ticket(helpdesk)
    solved = TicketUpdate("9000", alert_reference(alert), "solved", datetime.now(UTC))

    assert record_ticket_update(lambda: uow, "fakedesk", solved).outcome == "kept"

    [message] = published(uow, AlertAcknowledged.name)
    assert message.payload["helpdesk"] == "fakedesk"
    assert message.payload["by"] == "connector:fakedesk"
    acknowledger = TicketAcknowledger(helpdesk)
    assert not acknowledger.wants(message)
    handled(acknowledger, uow, [message])
    assert helpdesk.comments == {}


def test_an_alert_without_a_ticket_or_with_another_helpdesks_ticket_updates_none() -> None:
    helpdesk = Helpdesk()
    uow = InMemoryUnitOfWork()
    with uow:
        alert = raise_alert(uow, rule="ops/low stock", key="SKU-1", severity="medium",
                            message="low")  # fmt: skip
        uow.commit()
    acknowledge_alert(uow, alert.id, "user:ada@shop.example")
    handled(TicketAcknowledger(helpdesk), uow, published(uow, AlertAcknowledged.name))
    assert helpdesk.comments == {}

    other = Helpdesk()
    other.slug = "otherdesk"  # the helpdesk configured now is not the one that opened it
    uow, alert = an_alert_with_a_ticket(helpdesk)
    acknowledge_alert(uow, alert.id, "user:ada@shop.example")
    handled(TicketAcknowledger(other), uow, published(uow, AlertAcknowledged.name))
    assert other.comments == {} and helpdesk.comments == {}


def test_an_alert_acknowledged_before_its_ticket_could_be_opened_opens_none() -> None:
    helpdesk, uow = Helpdesk(), InMemoryUnitOfWork()
    with uow:
        alert = raise_alert(uow, rule="ops/late shipments", key="swift", severity="high",
                            message="6 late shipments for swift")  # fmt: skip
        uow.commit()
    raised = published(uow, "alert.raised")  # its turn comes after the acknowledgement
    acknowledge_alert(uow, alert.id, "user:ada@shop.example")

    handled(TicketOpener(helpdesk), uow, raised)

    assert helpdesk.opened == []
    with uow:
        stored = uow.alerts.get(alert.id)
        assert stored is not None and stored.status is AlertStatus.ACKNOWLEDGED
        assert stored.ticket_id is None
