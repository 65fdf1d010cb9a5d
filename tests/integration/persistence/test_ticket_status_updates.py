"""What a helpdesk reports of its tickets, kept on every backend (memory, SQLite, PostgreSQL):
the status, its time and the latest comment, with `ticket.updated` and a `ticket.status`
audit entry; older reports and the helpdesk's other tickets change nothing; an alert whose
ticket is solved is acknowledged by the connector; and two reports racing on a database
keep the newer, whichever commits first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from connectors.base import TicketUpdate
from engine.domain.errors import DomainError
from engine.domain.events import AlertAcknowledged, AlertClosed, Event, TicketUpdated
from engine.domain.operations import Alert, AlertStatus, Ticket, TicketStatus
from engine.service_layer import tickets
from engine.service_layer.tickets import record_ticket_update
from engine.service_layer.unit_of_work import UnitOfWork
from tests.integration.persistence.conftest import UowFactory
from tests.support.engines import an_engine, uow_factory_on

OPENED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
ORDER_REFERENCE = "ordo:order:ord_1:tkt_order"
ALERT_REFERENCE = "ordo:alert:alr_1:20261124T093000Z"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 27, hour, minute, tzinfo=UTC)


def update(
    status: str, when: datetime, external_ticket_id: str = "35436",
    reference: str = ORDER_REFERENCE, author: str = "", comment: str = "",
) -> TicketUpdate:  # fmt: skip
    return TicketUpdate(external_ticket_id, reference, status, when, author, comment)


class Recorder:
    """The factory under test, keeping every unit of work it made to read their events."""

    def __init__(self, factory: UowFactory) -> None:
        self.factory = factory
        self.made: list[UnitOfWork] = []

    def __call__(self) -> UnitOfWork:
        uow = self.factory()
        self.made.append(uow)
        return uow

    def events(self) -> list[Event]:
        return [event for uow in self.made for event in uow.collect_new_events()]


@pytest.fixture
def uows(uow_factory: UowFactory) -> Recorder:
    with uow_factory() as uow:
        uow.tickets.add(
            Ticket(
                id="tkt_order", system="zendesk", external_ticket_id="35436", entity="order",
                entity_id="ord_1", subject="Parcel damaged", created_at=OPENED,
                created_by="support:desk-7",
            )
        )  # fmt: skip
        uow.tickets.add(
            Ticket(
                id="tkt_alert", system="zendesk", external_ticket_id="35501", entity="alert",
                entity_id="alr_1", subject="[Ordo high] 6 late", created_at=OPENED,
                created_by="system",
            )
        )  # fmt: skip
        uow.alerts.add(
            Alert(
                id="alr_1", rule="ops/late", severity="high", key="swift",
                message="6 late shipments", created_at=OPENED, ticket_id="35501",
            )
        )  # fmt: skip
        uow.commit()
    return Recorder(uow_factory)


def stored(uows: Callable[[], UnitOfWork], ticket_id: str) -> Ticket:
    with uows() as uow:
        found = uow.tickets.get(ticket_id)
        assert found is not None
        return found


def test_a_reported_status_is_kept_with_its_time_and_comment_evented_and_audited(
    uows: Recorder,
) -> None:
    reported = record_ticket_update(
        uows, "zendesk", update("Pending".lower(), at(10, 15), author="Dana", comment="Sent.")
    )

    assert reported.outcome == "kept"
    ticket = stored(uows, "tkt_order")
    assert (ticket.status, ticket.updated_at) == (TicketStatus.PENDING, at(10, 15))
    assert (ticket.comment_author, ticket.comment_excerpt) == ("Dana", "Sent.")
    assert uows.events() == [
        TicketUpdated(
            ticket_id="tkt_order", system="zendesk", external_ticket_id="35436",
            entity="order", entity_id="ord_1", status="pending", from_status="unknown",
        )
    ]  # fmt: skip
    with uows() as uow:
        [entry] = uow.audit.list(entity="ticket", entity_id="tkt_order")
    assert (entry.actor, entry.action) == ("connector:zendesk", "ticket.status")
    assert entry.before == {"status": "unknown", "updated_at": None}
    assert entry.after == {"status": "pending", "updated_at": "2026-11-27T10:15:00+00:00"}


def test_an_update_older_than_the_one_kept_changes_nothing(uows: Recorder) -> None:
    record_ticket_update(uows, "zendesk", update("solved", at(11), comment="Done."))
    uows.events()

    late = record_ticket_update(uows, "zendesk", update("open", at(10), comment="Looking."))

    assert late.outcome == "stale"
    ticket = stored(uows, "tkt_order")
    assert (ticket.status, ticket.updated_at, ticket.comment_excerpt) == (
        TicketStatus.SOLVED, at(11), "Done.",
    )  # fmt: skip
    assert uows.events() == []
    with uows() as uow:
        assert len(uow.audit.list(entity="ticket", entity_id="tkt_order")) == 1


def test_the_same_update_delivered_twice_is_kept_once(uows: Recorder) -> None:
    first = record_ticket_update(uows, "zendesk", update("open", at(10), comment="Hi."))
    again = record_ticket_update(uows, "zendesk", update("open", at(10), comment="Hi."))

    assert (first.outcome, again.outcome) == ("kept", "stale")
    assert len(uows.events()) == 1


def test_a_second_change_of_the_same_minute_is_kept(uows: Recorder) -> None:
    record_ticket_update(uows, "zendesk", update("open", at(10)))

    reported = record_ticket_update(uows, "zendesk", update("pending", at(10), comment="Hi."))

    assert reported.outcome == "kept"
    assert stored(uows, "tkt_order").status is TicketStatus.PENDING


def test_an_update_without_a_comment_keeps_the_last_comment(uows: Recorder) -> None:
    record_ticket_update(uows, "zendesk", update("pending", at(10), author="Dana", comment="Hi."))

    record_ticket_update(uows, "zendesk", update("solved", at(11)))

    ticket = stored(uows, "tkt_order")
    assert (ticket.status, ticket.comment_author, ticket.comment_excerpt) == (
        TicketStatus.SOLVED, "Dana", "Hi.",
    )  # fmt: skip


def test_a_long_comment_is_kept_as_its_first_500_characters(uows: Recorder) -> None:
    record_ticket_update(uows, "zendesk", update("open", at(10), comment="x" * 2_000))

    assert stored(uows, "tkt_order").comment_excerpt == "x" * 500


@pytest.mark.parametrize(
    ("external_ticket_id", "reference", "system"),
    [
        ("99999", ORDER_REFERENCE, "zendesk"),  # the helpdesk's id of another ticket
        ("35436", "", "zendesk"),  # a ticket Ordo did not open carries no reference
        ("35436", "crm:case:77", "zendesk"),
        ("35436", ORDER_REFERENCE, "freshdesk"),  # another system's ticket of that id
    ],
)
def test_a_ticket_ordo_did_not_open_is_ignored(
    uows: Recorder, external_ticket_id: str, reference: str, system: str
) -> None:
    reported = record_ticket_update(
        uows, system, update("solved", at(10), external_ticket_id, reference)
    )

    assert (reported.outcome, reported.ticket) == ("unknown", None)
    assert stored(uows, "tkt_order").status is TicketStatus.UNKNOWN
    assert uows.events() == []


def test_an_alert_whose_ticket_is_solved_is_acknowledged_by_the_connector(
    uows: Recorder,
) -> None:
    record_ticket_update(
        uows, "zendesk", update("solved", at(10), "35501", ALERT_REFERENCE, "Dana", "Fixed.")
    )

    with uows() as uow:
        alert = uow.alerts.get("alr_1")
        assert alert is not None
        assert (alert.status, alert.acknowledged_by) == (
            AlertStatus.ACKNOWLEDGED, "connector:zendesk",
        )  # fmt: skip
        [entry] = uow.audit.list(entity="alert", entity_id="alr_1")
    assert (entry.actor, entry.action) == ("connector:zendesk", "alert.acknowledge")
    assert (entry.before, entry.after) == ({"status": "open"}, {"status": "acknowledged"})


def test_an_alert_whose_ticket_is_closed_is_closed_by_the_connector_naming_the_helpdesk(
    uows: Recorder,
) -> None:
    record_ticket_update(uows, "zendesk", update("closed", at(10), "35501", ALERT_REFERENCE))

    with uows() as uow:
        alert = uow.alerts.get("alr_1")
        assert alert is not None
        assert (alert.status, alert.closed_by, alert.acknowledged_by) == (
            AlertStatus.CLOSED, "connector:zendesk", "connector:zendesk",
        )  # fmt: skip
        [entry] = uow.audit.list(entity="alert", entity_id="alr_1")
    assert (entry.actor, entry.action) == ("connector:zendesk", "alert.close")
    assert (entry.before, entry.after) == ({"status": "open"}, {"status": "closed"})
    [event] = [e for e in uows.events() if isinstance(e, AlertClosed)]
    assert (event.alert_id, event.by, event.helpdesk) == ("alr_1", "connector:zendesk", "zendesk")


def test_an_acknowledgement_from_the_helpdesk_is_evented_naming_it_so_it_is_not_sent_back(
    uows: Recorder,
) -> None:
    record_ticket_update(uows, "zendesk", update("solved", at(10), "35501", ALERT_REFERENCE))

    [event] = [e for e in uows.events() if isinstance(e, AlertAcknowledged)]
    assert (event.alert_id, event.by, event.helpdesk) == ("alr_1", "connector:zendesk", "zendesk")


def test_an_alert_whose_ticket_is_only_pending_stays_open(uows: Recorder) -> None:
    record_ticket_update(uows, "zendesk", update("pending", at(10), "35501", ALERT_REFERENCE))

    with uows() as uow:
        alert = uow.alerts.get("alr_1")
        assert alert is not None and alert.status is AlertStatus.OPEN


def test_an_alert_a_person_acknowledged_keeps_its_acknowledger(uows: Recorder) -> None:
    with uows() as uow:
        alert = uow.alerts.get("alr_1")
        assert alert is not None
        alert.acknowledge("support:desk-7", at(9))
        uow.commit()

    record_ticket_update(uows, "zendesk", update("solved", at(10), "35501", ALERT_REFERENCE))

    with uows() as uow:
        again = uow.alerts.get("alr_1")
        assert again is not None and again.acknowledged_by == "support:desk-7"
        assert uow.audit.list(entity="alert", entity_id="alr_1") == []
    assert stored(uows, "tkt_alert").status is TicketStatus.SOLVED


def test_a_status_that_is_not_ordos_is_refused_naming_it(uows: Recorder) -> None:
    with pytest.raises(DomainError, match="'escalated' is not a ticket status Ordo knows"):
        record_ticket_update(uows, "zendesk", update("escalated", at(10)))


def test_two_reports_read_at_once_keep_the_newer_whichever_commits_first(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL only: on SQLite the first transaction holds the one writer from its start,
    # so the second reads after the first committed and the two never race.
    with an_engine(postgres_url) as engine:
        sql_uows = uow_factory_on(engine)
        with sql_uows() as uow:
            uow.tickets.add(
                Ticket(
                    id="tkt_order", system="zendesk", external_ticket_id="35436",
                    entity="order", entity_id="ord_1", subject="Parcel damaged",
                    created_at=OPENED, created_by="support:desk-7",
                )
            )  # fmt: skip
            uow.commit()
        # Both reports find the ticket before either writes; the newer then commits first,
        # and the older, written over it unchecked, would put the ticket back to open.
        both_read, newer_committed = threading.Barrier(2, timeout=10), threading.Event()
        finds, waited = tickets.ticket_of, set()

        def found_together(uow: UnitOfWork, system: str, report: TicketUpdate) -> Ticket | None:
            ticket = finds(uow, system, report)
            if report.status not in waited:  # a retry's read goes straight through
                waited.add(report.status)
                both_read.wait()
                if report.status == "open":
                    newer_committed.wait(timeout=10)
            return ticket

        monkeypatch.setattr(tickets, "ticket_of", found_together)
        outcomes: dict[str, str] = {}

        def older() -> None:
            reported = record_ticket_update(sql_uows, "zendesk", update("open", at(10)))
            outcomes["older"] = reported.outcome

        thread = threading.Thread(target=older)
        thread.start()
        outcomes["newer"] = record_ticket_update(
            sql_uows, "zendesk", update("solved", at(11))
        ).outcome
        newer_committed.set()
        thread.join(timeout=20)

        assert outcomes == {"newer": "kept", "older": "stale"}
        ticket = stored(sql_uows, "tkt_order")
        assert (ticket.status, ticket.updated_at) == (TicketStatus.SOLVED, at(11))
