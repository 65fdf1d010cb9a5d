"""Tickets in a helpdesk: severe alerts open one, and support opens one about an order.

`TicketOpener` is a worker observer: each newly raised alert at or above `min_severity`
(ORDO_TICKET_MIN_SEVERITY) opens a ticket through the ticketing connector (ORDO_TICKETING),
and the ticket's id is kept on the alert and in the `tickets` table. It is a step of its own,
as `WebhookNotifier` is, so a helpdesk that is down is retried (and in the end dead-lettered)
without the alert's email being sent again.

Opening a ticket is an outside call made before the worker commits, so a crash in between
opens it again on redelivery. Two things keep that to one ticket: an alert that already has
a ticket opens none, and every ticket carries an external id (`alert_reference`) that the
connector looks up before it creates one, so a ticket opened by an attempt that never
committed is found and kept instead of being opened twice.

`open_order_ticket` is support's: a ticket about one order, with the subject and body a
person wrote and a footer naming the order. The helpdesk is called outside any transaction;
the ticket and its audit entry (`order.ticket`) are then written together.

`TicketAcknowledger` is the way there: an alert acknowledged in Ordo (`alert.acknowledged`)
updates its ticket through the connector, a comment saying who acknowledged it and when, and
the status the connector is configured with (solved by default). An acknowledgement that came
from the helpdesk (its ticket was solved there) is not told back to it. The alert's ticket
opener and its acknowledgement share the alert's partition, so the ticket is opened first;
an alert acknowledged before its ticket could be opened (the helpdesk was down) opens none.

`TicketCloser` tells an alert's ticket that the alert was closed in Ordo (`alert.closed`): an
internal note saying who closed it, when and why, and the ticket solved, once, through the
connector's `resolve`. Whether the alert was open or acknowledged before, the note is added
(an acknowledged alert's ticket may be solved already, but not told the alert is over); a
close that came from the helpdesk (its ticket was closed there) is not told back to it.

`TicketRepeatNoter` tells the ticket of an alert still open that it keeps firing
(`alert.repeated`): an internal note with how often, when last and its latest message. The
event comes once per repeat window (ORDO_ALERT_REPEAT_WINDOW_MINUTES), so a storm of repeats
adds one note per window, and the connector keeps it to one per window on redelivery. A
repeat never opens a second ticket: the open alert is the same alert, with its ticket. The
alert keeps what its ticket was told (`Alert.noted_occurrences`, `noted_window`).

`StormEndNoter` is a worker ticker for what that leaves out: the repeats after a window's note.
Once the last window with a note has ended and no repeat opened the next, the ticket gets
one last note: how many more times, the latest when, and quiet since the window's end. Each
alert is claimed first, in a transaction of its own that reads it holding its row and
writes it versioned (a conditional UPDATE): of two workers, or a worker and a repeat, one
wins and the other passes; the claim is handed back if the helpdesk cannot be reached.

`record_ticket_update` is the way back: what the helpdesk's webhook reports of a ticket (its
status, the helpdesk's time of it, the latest public comment) is kept on the ticket, with
`ticket.updated` and an audit entry (`ticket.status`), in one transaction. An alert whose
ticket is solved is acknowledged in it too, as `POST /v1/alerts/{id}/acknowledge` does, and
one whose ticket is closed is closed, as `POST /v1/alerts/{id}/close` does, by
`connector:<name>`.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from connectors.base import DeliveryError, Ticketing, TicketUpdate
from engine.adapters.bus.base import Message
from engine.domain.access import Principal
from engine.domain.errors import Conflict, DomainError, NotFound
from engine.domain.events import AlertAcknowledged, AlertClosed, AlertRepeated, TicketUpdated
from engine.domain.operations import TICKET_DONE, Alert, AlertStatus, Ticket, TicketStatus
from engine.domain.orders import Order
from engine.domain.values import in_utc, utcnow
from engine.service_layer import audit
from engine.service_layer.alerts import (
    DEFAULT_REPEAT_WINDOW,
    record_acknowledgement,
    record_close,
    repeat_window_end,
    repeat_window_of,
)
from engine.service_layer.auth import can_see_order
from engine.service_layer.handlers import new_id
from engine.service_layer.notifications import SEVERITIES
from engine.service_layer.unit_of_work import AlertRepository, UnitOfWork

log = logging.getLogger(__name__)

# The `tickets` table's subject column; a longer subject is cut there (Zendesk shows less).
MAX_SUBJECT = 200
# Who opened the tickets the worker opens for alerts (people's tickets name the person).
SYSTEM = "system"


class TicketingOff(Conflict):
    """No ticketing connector is configured: a 409 saying how to configure one."""

    code = "ticketing_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "no ticketing system is configured, so no ticket can be opened: set "
            "ORDO_TICKETING (zendesk) and its ORDO_ZENDESK_URL, ORDO_ZENDESK_EMAIL and "
            "ORDO_ZENDESK_TOKEN (docs/events.md#ticketing)"
        )


class TicketRefused(DomainError):
    """The ticketing system refused the ticket or could not be reached; the API answers 502
    with the system's own words (never its credentials)."""

    code = "ticketing_refused"


def alert_reference(alert: Alert) -> str:
    """Ordo's external id for an alert's ticket. The moment the alert was raised is part of
    it: a database started afresh gives its first alert of a rule and key the same id again,
    and that alert must not find the old one's ticket."""
    return f"ordo:alert:{alert.id}:{in_utc(alert.created_at):%Y%m%dT%H%M%SZ}"


def alert_ticket_text(alert: Alert, api_url: str = "") -> tuple[str, str]:
    """The subject and body of an alert's ticket."""
    subject = f"[Ordo {alert.severity}] {' '.join(alert.message.split()) or alert.rule}"
    lines = [
        "Ordo raised an alert that needs a person.",
        "",
        f"Rule: {alert.rule}",
        f"Severity: {alert.severity}",
        f"About: {alert.key}",
        f"Message: {alert.message}",
        f"Raised at: {in_utc(alert.created_at).isoformat()}",
        f"Alert id: {alert.id}",
    ]
    if api_url:
        lines += [
            "",
            f"In Ordo: GET {api_url}/v1/alerts?status=open lists it, and "
            f"POST {api_url}/v1/alerts/{alert.id}/acknowledge acknowledges it "
            "(or the console's Alerts page).",
        ]
    return subject[:MAX_SUBJECT], "\n".join(lines)


def severe_enough(severity: str, min_severity: str) -> bool:
    # A severity the rule language does not know opens a ticket, as the webhook posts it:
    # better a ticket too many than an alert nobody sees.
    if severity not in SEVERITIES:
        return True
    return SEVERITIES.index(severity) >= SEVERITIES.index(min_severity)


class TicketOpener:
    """Worker observer: a newly raised alert at or above `min_severity` opens a ticket.

    A failed call raises the connector's `DeliveryError`, so the worker retries the message
    and dead-letters it after the bus's last delivery, like any failed handler."""

    name = "alert-tickets"

    def __init__(self, ticketing: Ticketing, min_severity: str = "high", api_url: str = "") -> None:
        if min_severity not in SEVERITIES:
            raise ValueError(f"min_severity must be one of {', '.join(SEVERITIES)}")
        self.ticketing = ticketing
        self.min_severity = min_severity
        self.api_url = api_url
        self.opened = 0

    def wants(self, message: Message) -> bool:
        if message.name != "alert.raised":
            return False
        return severe_enough(str(message.payload.get("severity", "")), self.min_severity)

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        alert = uow.alerts.get(str(message.payload["alert_id"]))
        if alert is None:
            log.warning("%s: alert %s not found; no ticket opened", self.name,
                        message.payload["alert_id"])  # fmt: skip
            return
        if alert.ticket_id:
            return  # opened before: a redriven event, say, after its record was purged
        if alert.status is not AlertStatus.OPEN:
            # Seen to while the helpdesk could not be reached: no ticket left open for nobody.
            log.info("%s: alert %s is %s already; no ticket opened", self.name, alert.id,
                     alert.status)  # fmt: skip
            return
        subject, body = alert_ticket_text(alert, self.api_url)
        ticket_id = self.ticketing.open(
            subject, body, ("alert", f"severity_{alert.severity}"),
            external_id=alert_reference(alert), priority=alert.severity,
        )  # fmt: skip
        alert.ticket_id = ticket_id
        uow.tickets.add(
            Ticket(
                id=new_id("tkt"), system=self.ticketing.slug, external_ticket_id=ticket_id,
                entity="alert", entity_id=alert.id, subject=subject, created_at=utcnow(),
                created_by=SYSTEM,
            )
        )  # fmt: skip
        self.opened += 1


def _when(at: str) -> str:
    """An event's ISO time as a ticket's note gives it."""
    try:
        return f"{in_utc(datetime.fromisoformat(at)):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return at or "a moment Ordo did not record"


def acknowledgement_comment(alert_id: str, rule: str, by: str, at: str) -> str:
    """The comment an alert's ticket gets when the alert is acknowledged in Ordo."""
    return f"Acknowledged in Ordo by {by} at {_when(at)}.\n\nAlert {alert_id} (rule: {rule})."


def closing_comment(alert_id: str, rule: str, by: str, at: str, note: str = "") -> str:
    """The note an alert's ticket gets when the alert is closed in Ordo."""
    said = f"\nNote: {note}" if note else ""
    return (
        f"Closed in Ordo by {by} at {_when(at)}.{said}\n\nIf its rule fires again for the same "
        f"key, Ordo raises a new alert.\n\nAlert {alert_id} (rule: {rule})."
    )


class _AlertTicketStep(abc.ABC):
    """Worker observer: an alert event raised in Ordo (`event`) tells the alert's ticket
    (`_tell`), when it has one of this helpdesk's. One the helpdesk reported itself (its
    `helpdesk` set) is not sent back to it. A failed call raises the connector's
    `DeliveryError`: retried, then dead-lettered; the connector makes a repeat change
    nothing. `updated` counts the tickets changed."""

    name: str
    event: str

    def __init__(self, ticketing: Ticketing) -> None:
        self.ticketing = ticketing
        self.updated = 0

    def wants(self, message: Message) -> bool:
        return message.name == self.event and not message.payload.get("helpdesk")

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        alert = uow.alerts.get(str(message.payload["alert_id"]))
        if alert is None or not alert.ticket_id:
            return  # no ticket opened for it: below the severity, or tickets were off
        if not _its_ticket(uow, self.ticketing, alert, self.name):
            return
        payload = message.payload
        by, at = str(payload.get("by", "")), str(payload.get("at", ""))
        if self._tell(alert.ticket_id, alert, by, at, payload):
            self.updated += 1

    @abc.abstractmethod
    def _tell(
        self, ticket_id: str, alert: Alert, by: str, at: str, payload: Mapping[str, Any]
    ) -> bool:
        """Tell the ticket what `by` did at `at`; whether the ticket changed."""


class TicketAcknowledger(_AlertTicketStep):
    """An alert acknowledged in Ordo updates its ticket (see the module's doc)."""

    name, event = "alert-ticket-acknowledgements", AlertAcknowledged.name

    def _tell(
        self, ticket_id: str, alert: Alert, by: str, at: str, payload: Mapping[str, Any]
    ) -> bool:
        return self.ticketing.acknowledge(
            ticket_id, acknowledgement_comment(alert.id, alert.rule, by, at)
        )


class TicketCloser(_AlertTicketStep):
    """An alert closed in Ordo notes and solves its ticket (see the module's doc)."""

    name, event = "alert-ticket-closings", AlertClosed.name

    def _tell(
        self, ticket_id: str, alert: Alert, by: str, at: str, payload: Mapping[str, Any]
    ) -> bool:
        note = closing_comment(alert.id, alert.rule, by, at, str(payload.get("note", "")))
        return self.ticketing.resolve(ticket_id, note)


def _its_ticket(uow: UnitOfWork, ticketing: Ticketing, alert: Alert, step: str) -> bool:
    """Whether `alert`'s ticket is one `ticketing` opened: a helpdesk configured since is
    not asked about another's ticket."""
    if any(
        ticket.system == ticketing.slug and ticket.external_ticket_id == alert.ticket_id
        for ticket in uow.tickets.about("alert", alert.id)
    ):
        return True
    log.info("%s: alert %s's ticket %s is not one of %s's; left as it is", step, alert.id,
             alert.ticket_id, ticketing.slug)  # fmt: skip
    return False


def repeat_comment(alert: Alert) -> str:
    """The note an alert's ticket gets when the alert keeps firing: how often, when last, and
    what its latest firing said (the rule's message, with the facts it names)."""
    last = alert.last_seen_at or alert.created_at
    repeats = alert.occurrences - 1
    return (
        f"Repeated in Ordo {repeats} time{'s' if repeats != 1 else ''} since it was raised "
        f"({alert.occurrences} occurrences), the latest at {in_utc(last):%Y-%m-%d %H:%M} UTC.\n"
        + _latest(alert)
    )


def _latest(alert: Alert) -> str:
    """The end of a repeat's note: the alert's latest message and what it is."""
    return f"Latest: {alert.message}\n\nAlert {alert.id} (rule: {alert.rule}, about: {alert.key})."


class TicketRepeatNoter:
    """Worker observer: an open alert that keeps firing (`alert.repeated`, once per repeat
    window) adds a note to its ticket (see the module's doc). A failed call raises the
    connector's `DeliveryError`: retried, then dead-lettered; the connector adds one note per
    window however often the event comes."""

    name = "alert-ticket-repeats"

    def __init__(self, ticketing: Ticketing) -> None:
        self.ticketing = ticketing
        self.noted = 0

    def wants(self, message: Message) -> bool:
        return message.name == AlertRepeated.name

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        alert = uow.alerts.get(str(message.payload["alert_id"]))
        if alert is None or not alert.ticket_id:
            return  # no ticket opened for it: below the severity, or tickets were off
        if alert.status is not AlertStatus.OPEN:
            return  # acknowledged: someone has it in hand, and its ticket is solved
        if not _its_ticket(uow, self.ticketing, alert, self.name):
            return
        # The alert as it is now, not as the event saw it: repeats counted since come too.
        window = int(message.payload["window"])
        if self.ticketing.note_repeat(alert.ticket_id, repeat_comment(alert), window):
            self.noted += 1
        # Told, or found told (a redelivery) or seen to: either way nothing more for this
        # window until its storm ends (`StormEndNoter`).
        alert.repeats_told(window)


# The store's query for the alerts that may have a storm to end: (alerts, now, at most) ->
# open alerts with a ticket and repeats past their last note, last seen before now, the
# longest quiet first (`engine.adapters.alert_storms.untold_repeats`).
StormQuery = Callable[[AlertRepository, datetime, int], Sequence[Alert]]
# Open alerts read at a time by the slow way of finding them (no store query).
_PAGE = 500


def _last_seen(alert: Alert) -> datetime:
    return in_utc(alert.last_seen_at or alert.created_at)


def has_untold_repeats(alert: Alert) -> bool:
    """Open, with a ticket, a repeat note written, and repeats counted since."""
    return (
        alert.status is AlertStatus.OPEN
        and bool(alert.ticket_id)
        and alert.noted_window is not None
        and alert.occurrences > alert.noted_occurrences
    )


def untold_repeats_the_slow_way(
    alerts: AlertRepository, now: datetime, limit: int
) -> Sequence[Alert]:
    """`StormQuery` for a store with no query of its own: every open alert read and checked."""
    found: list[Alert] = []
    offset = 0
    while True:
        page = alerts.search(status=AlertStatus.OPEN, limit=_PAGE, offset=offset)
        found.extend(a for a in page if has_untold_repeats(a) and _last_seen(a) <= in_utc(now))
        if len(page) < _PAGE:
            break
        offset += _PAGE
    found.sort(key=lambda alert: (_last_seen(alert), alert.id))
    return found[:limit]


def storm_ended(alert: Alert, now: datetime, length: timedelta) -> int | None:
    """The repeat window whose storm `alert` ended by `now`: its last note's window, over
    with repeats after the note and none since; None while the storm goes on, or while the
    note of its latest repeat's window is still to be written (that note tells them)."""
    if not has_untold_repeats(alert) or alert.noted_window is None:
        return None
    if repeat_window_of(alert, _last_seen(alert), length) > alert.noted_window:
        return None
    if in_utc(now) < repeat_window_end(alert, alert.noted_window, length):
        return None
    return alert.noted_window


def quiet_comment(alert: Alert, quiet_since: datetime) -> str:
    """The last note of a storm: the repeats after the last note, the latest when, and since
    when there were none."""
    more = alert.occurrences - alert.noted_occurrences
    return (
        f"Repeated in Ordo {more} more time{'s' if more != 1 else ''} after the last note "
        f"({alert.occurrences} occurrences), the latest at {_last_seen(alert):%Y-%m-%d %H:%M} "
        f"UTC; no repeats since {in_utc(quiet_since):%Y-%m-%d %H:%M} UTC.\n" + _latest(alert)
    )


@dataclass(frozen=True, slots=True)
class _Claim:
    """A storm's end claimed for its note: what to write, and what to hand back."""

    alert_id: str
    ticket_id: str
    comment: str
    window: int
    told_before: int
    told_now: int


class StormEndNoter:
    """Worker ticker, at most once per `every`: the last note of each storm of repeats that
    has ended (see the module's doc), at most `batch` per run. `tick` returns how many
    tickets were noted. A helpdesk that takes no notes (`Ticketing.note_quiet` as the base
    class has it) is given none, and the storm is taken as told, as its repeats are."""

    name = "alert-ticket-storm-ends"

    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        ticketing: Ticketing,
        repeat_window: timedelta = DEFAULT_REPEAT_WINDOW,
        *,
        every: timedelta = timedelta(minutes=1),
        batch: int = 100,
        untold: StormQuery = untold_repeats_the_slow_way,
    ) -> None:
        self.uows, self.ticketing = uows, ticketing
        self.repeat_window, self.every = repeat_window, every
        self.batch, self.untold = batch, untold
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        with self.uows() as uow:
            due = [
                alert.id
                for alert in self.untold(uow.alerts, now, self.batch)
                if storm_ended(alert, now, self.repeat_window) is not None
            ]
        noted = sum(self._end(alert_id, now) for alert_id in due)
        self._last = now  # after the run: a failed one (database restarting) is tried again
        if noted:
            log.info("%s: %d tickets told a storm of repeats ended", self.name, noted)
        return noted

    def _end(self, alert_id: str, now: datetime) -> bool:
        claim = self._claim(alert_id, now)
        if claim is None:
            return False
        try:
            return self.ticketing.note_quiet(claim.ticket_id, claim.comment, claim.window)
        except DeliveryError as error:
            log.warning("%s: alert %s's ticket %s not noted (%s); tried again next run",
                        self.name, alert_id, claim.ticket_id, error)  # fmt: skip
            self._hand_back(claim)
            return False

    def _claim(self, alert_id: str, now: datetime) -> _Claim | None:
        """The storm's end, claimed and committed before the helpdesk is told, so a worker
        deciding at the same moment passes over it; None when there is nothing to claim."""
        try:
            with self.uows() as uow:
                # Read again holding the row: a repeat written since the list was read (or
                # another worker's claim) has its say before this decides.
                alert = uow.alerts.get_for_update(alert_id)
                window = None if alert is None else storm_ended(alert, now, self.repeat_window)
                if alert is None or window is None or alert.ticket_id is None:
                    return None
                ours = _its_ticket(uow, self.ticketing, alert, self.name)
                end = repeat_window_end(alert, window, self.repeat_window)
                claim = _Claim(alert.id, alert.ticket_id, quiet_comment(alert, end), window,
                               alert.noted_occurrences, alert.occurrences)  # fmt: skip
                alert.repeats_told(window)  # another helpdesk's ticket: not looked at again
                uow.commit()
        except Conflict:
            return None  # written by another since it was read: a claim, or a repeat
        return claim if ours else None

    def _hand_back(self, claim: _Claim) -> None:
        """The claim undone, unless the alert was told more since (a repeat's note)."""
        try:
            with self.uows() as uow:
                alert = uow.alerts.get_for_update(claim.alert_id)
                if alert is not None and alert.noted_occurrences == claim.told_now:
                    alert.noted_occurrences = claim.told_before
                    uow.commit()
        except Conflict:
            log.info("%s: alert %s changed meanwhile; its claim is left", self.name,
                     claim.alert_id)  # fmt: skip


def order_ticket_body(order: Order, body: str, actor: str, api_url: str = "") -> str:
    """What support wrote, and a footer naming the order (ids only: the helpdesk gets no
    more of the customer's details than the person put in the body)."""
    number = f"{order.channel} order {order.channel_order_id}" if order.channel_order_id else ""
    footer = [
        "--",
        f"Order {order.id}{f' ({number})' if number else ''}, customer {order.customer_id}, "
        f"status {order.status}.",
        f"Opened from Ordo by {actor}.",
    ]
    if api_url:
        footer.append(f"In Ordo: GET {api_url}/v1/orders/{order.id}")
    return f"{body.rstrip()}\n\n" + "\n".join(footer)


def open_order_ticket(
    uows: Callable[[], UnitOfWork],
    ticketing: Ticketing | None,
    who: Principal,
    order_id: str,
    subject: str,
    body: str,
    *,
    api_url: str = "",
) -> Ticket:
    """Open a ticket about an order `who` may see, keep it and audit it (`order.ticket`).

    Raises `TicketingOff` when no ticketing system is configured, `NotFound` for an order
    `who` may not see, and `TicketRefused` when the system refuses or cannot be reached."""
    if ticketing is None:
        raise TicketingOff()
    with uows() as uow:
        order = uow.orders.get(order_id)
        if order is None or not can_see_order(who, order.channel, order.customer_id):
            raise NotFound("order", order_id)
        text = order_ticket_body(order, body, who.actor, api_url)
        labels = ("order", f"channel_{order.channel}")
    ticket_id = new_id("tkt")
    try:
        # Outside any transaction: a slow helpdesk holds no database lock. The external id
        # is this ticket's own, so a second request opens a second ticket, as asked.
        opened = ticketing.open(
            subject, text, labels, external_id=f"ordo:order:{order_id}:{ticket_id}"
        )
    except DeliveryError as error:
        name = ticketing.title or ticketing.slug
        raise TicketRefused(f"{name} did not open the ticket: {error}") from None
    ticket = Ticket(
        id=ticket_id, system=ticketing.slug, external_ticket_id=opened, entity="order",
        entity_id=order_id, subject=subject[:MAX_SUBJECT], created_at=utcnow(),
        created_by=who.actor,
    )  # fmt: skip
    with uows() as uow:
        uow.tickets.add(ticket)
        after = {"ticket": ticket.id, "system": ticket.system,
                 "external_ticket_id": opened, "subject": ticket.subject}  # fmt: skip
        audit.record(uow, who.actor, "order.ticket", "order", order_id, {}, after)
        uow.commit()
    return ticket


# How many times a report is read and written again when another report of the same ticket
# was written in between (the ticket's version moved): more than two racing is unheard of.
REPORT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Reported:
    """What became of a helpdesk's report: `kept` on `ticket`; `stale`, older than (or the
    same as) what `ticket` keeps; or `unknown`, about no ticket Ordo opened."""

    outcome: Literal["kept", "stale", "unknown"]
    ticket: Ticket | None = None


def referenced(reference: str) -> tuple[str, str] | None:
    """What Ordo's external id on a ticket names, as (entity, entity id): `ordo:alert:<alert
    id>:<raised at>` (`alert_reference`) or `ordo:order:<order id>:<ticket id>`
    (`open_order_ticket`); None for any other (a ticket Ordo did not open)."""
    head, _, rest = reference.partition(":")
    entity, _, rest = rest.partition(":")
    entity_id, _, tail = rest.rpartition(":")
    if head != "ordo" or entity not in ("alert", "order") or not entity_id or not tail:
        return None
    return entity, entity_id


def ticket_of(uow: UnitOfWork, system: str, update: TicketUpdate) -> Ticket | None:
    """The ticket of `system` that `update` is about: among the tickets of the entity its
    external id names, the one with the helpdesk's id. Both must match: a ticket whose
    external id an agent copied onto another finds nothing."""
    about = referenced(update.reference)
    if about is None:
        return None
    for ticket in uow.tickets.about(*about):
        if ticket.system == system and ticket.external_ticket_id == update.external_ticket_id:
            return ticket
    return None


def record_ticket_update(
    uows: Callable[[], UnitOfWork], system: str, update: TicketUpdate
) -> Reported:
    """Keep what `system`'s webhook reports of one of its tickets (see the module's doc).

    A report about no ticket Ordo opened is `unknown`, and one older than the ticket's is
    `stale`: both are logged and change nothing. Raises `DomainError` for a status that is
    not one of Ordo's (a connector's mistake, not the helpdesk's)."""
    try:
        status = TicketStatus(update.status)
    except ValueError:
        status = TicketStatus.UNKNOWN
    if status is TicketStatus.UNKNOWN:
        raise DomainError(
            f"status: {update.status[:40]!r} is not a ticket status Ordo knows "
            f"({', '.join(s for s in TicketStatus if s is not TicketStatus.UNKNOWN)})"
        )
    attempt = 1
    while True:
        try:
            return _record(uows, system, update, status)
        except Conflict:
            # Another report of this ticket was written since this one read it: read what it
            # wrote and decide again, so the older of the two never overwrites the newer.
            if attempt == REPORT_ATTEMPTS:
                raise
            attempt += 1
            log.info("ticket %s of %s changed while its update was kept; reading it again",
                     update.external_ticket_id, system)  # fmt: skip


def _record(
    uows: Callable[[], UnitOfWork], system: str, update: TicketUpdate, status: TicketStatus
) -> Reported:
    actor = f"connector:{system}"
    with uows() as uow:
        ticket = ticket_of(uow, system, update)
        if ticket is None:
            # The helpdesk holds tickets Ordo did not open, and its trigger reports them all.
            log.info("%s ticket %s is not one Ordo opened; its update (%s) is ignored",
                     system, update.external_ticket_id, status)  # fmt: skip
            return Reported("unknown")
        was, was_at = ticket.status, ticket.updated_at
        if not ticket.report(status, update.at, update.comment_author, update.comment):
            log.info("%s ticket %s: the update of %s (%s) is not newer than the one kept (%s); "
                     "ignored", system, update.external_ticket_id, _iso(update.at), status,
                     _iso(was_at))  # fmt: skip
            return Reported("stale", ticket)
        uow.record(
            TicketUpdated(
                ticket_id=ticket.id, system=system, external_ticket_id=ticket.external_ticket_id,
                entity=ticket.entity, entity_id=ticket.entity_id, status=str(status),
                from_status=str(was),
            )
        )  # fmt: skip
        before = {"status": str(was), "updated_at": _iso(was_at)}
        after = {"status": str(status), "updated_at": _iso(update.at)}
        audit.record(uow, actor, "ticket.status", "ticket", ticket.id, before, after)
        if ticket.entity == "alert" and status is TicketStatus.CLOSED:
            _close(uow, ticket.entity_id, system)
        elif ticket.entity == "alert" and status in TICKET_DONE:
            _acknowledge(uow, ticket.entity_id, system)
        uow.commit()
        return Reported("kept", ticket)


def _acknowledge(uow: UnitOfWork, alert_id: str, system: str) -> None:
    """What `POST /v1/alerts/{id}/acknowledge` does, by `connector:<system>`, to an alert
    still open: one acknowledged already (or closed) is left as the person who did it left
    it. The helpdesk is named on `alert.acknowledged`, so its ticket is not updated back."""
    actor = f"connector:{system}"
    alert = uow.alerts.get(alert_id)
    if alert is None or alert.status is not AlertStatus.OPEN:
        return
    record_acknowledgement(uow, alert, actor, helpdesk=system)


def _close(uow: UnitOfWork, alert_id: str, system: str) -> None:
    """What `POST /v1/alerts/{id}/close` does, by `connector:<system>`, to an alert not closed
    yet (an open one is acknowledged in the same stroke). The helpdesk is named on
    `alert.closed`, so its ticket is not updated back."""
    alert = uow.alerts.get(alert_id)
    if alert is None or alert.status is AlertStatus.CLOSED:
        return
    record_close(uow, alert, f"connector:{system}", helpdesk=system)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else in_utc(at).isoformat()
