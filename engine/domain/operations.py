"""Entities about running the business rather than selling: alerts, audit, rulesets, traces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.domain.errors import IllegalTransition
from engine.domain.values import in_utc


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


@dataclass(slots=True)
class Alert:
    """Something a person should look at; deduplicated by (rule, key) until it is closed.
    Its life is open -> acknowledged (a person has seen it) -> closed (it is over: the same
    rule and key firing again opens a new alert, with a new id)."""

    id: str
    rule: str
    severity: str
    key: str
    message: str
    created_at: datetime
    status: AlertStatus = AlertStatus.OPEN
    occurrences: int = 1
    last_seen_at: datetime | None = None
    recipients: list[str] = field(default_factory=list)
    acknowledged_by: str = ""
    acknowledged_at: datetime | None = None
    # The ticket opened for it in the helpdesk (ORDO_TICKETING), by that system's id.
    ticket_id: str | None = None
    closed_by: str = ""
    closed_at: datetime | None = None
    # Bumped by every write: a repeat and a close of the same alert cannot both be written.
    version: int = 0
    # What its ticket has been told of its repeats (migration 0042): the occurrences counted
    # by the last note (1: none but the raising), and that note's repeat window (None: no
    # note yet). Repeats past them, once their window ends quiet, get one last note.
    noted_occurrences: int = 1
    noted_window: int | None = None

    def acknowledge(self, by: str, at: datetime) -> None:
        if self.status is not AlertStatus.OPEN:
            raise IllegalTransition("alert", self.id, self.status, AlertStatus.ACKNOWLEDGED)
        self.status = AlertStatus.ACKNOWLEDGED
        self.acknowledged_by = by
        self.acknowledged_at = at

    def close(self, by: str, at: datetime) -> AlertStatus:
        """End the alert; the status it was closed from. An open one is acknowledged by the
        same person at the same moment: closing it says it was seen to."""
        if self.status is AlertStatus.CLOSED:
            closed = f" by {self.closed_by}" if self.closed_by else ""
            raise IllegalTransition(
                "alert", self.id, self.status, AlertStatus.CLOSED,
                f"it was closed already{closed}; the same rule and key firing again opens a "
                "new alert",
            )  # fmt: skip
        was = self.status
        if was is AlertStatus.OPEN:
            self.acknowledged_by, self.acknowledged_at = by, at
        self.status = AlertStatus.CLOSED
        self.closed_by, self.closed_at = by, at
        return was

    def seen_again(self, at: datetime) -> None:
        self.occurrences += 1
        self.last_seen_at = at

    def repeats_told(self, window: int) -> None:
        """Its ticket was told of its repeats so far, in repeat `window` (a late or
        redelivered note never takes back what a later one told)."""
        self.noted_occurrences = max(self.noted_occurrences, self.occurrences)
        self.noted_window = max(window, self.noted_window if self.noted_window is not None else -1)

    def quiet_since(self) -> datetime:
        """Since when nothing happened to it: the later of its last firing and its
        acknowledgement (a person who has just acknowledged it is given the whole quiet
        time before it closes by itself)."""
        moments = [in_utc(self.last_seen_at or self.created_at)]
        if self.acknowledged_at is not None:
            moments.append(in_utc(self.acknowledged_at))
        return max(moments)


class TicketStatus(StrEnum):
    """A ticket's status as its helpdesk reports it: Zendesk's six, which other helpdesks'
    connectors map theirs to, and `unknown` until the helpdesk has reported one."""

    UNKNOWN = "unknown"
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


# What an alert's ticket in either of these says: someone saw to it, so the alert is too.
TICKET_DONE = frozenset({TicketStatus.SOLVED, TicketStatus.CLOSED})
# The excerpt of a ticket's latest public comment Ordo keeps: enough to tell what was said.
MAX_COMMENT_EXCERPT = 500
MAX_COMMENT_AUTHOR = 200


@dataclass(slots=True)
class Ticket:
    """A ticket Ordo opened in a ticketing system (a helpdesk) about one of its entities: an
    alert the worker raised, or an order support asked about. The helpdesk tracks it; what it
    reports back (its webhook) is kept here: the status, the helpdesk's time of it, and its
    latest public comment's author and the start of what they wrote."""

    id: str
    system: str  # the ticketing connector's slug, e.g. "zendesk"
    external_ticket_id: str  # the ticket's id in that system
    entity: str  # "order" or "alert"
    entity_id: str
    subject: str
    created_at: datetime
    created_by: str
    status: TicketStatus = TicketStatus.UNKNOWN
    updated_at: datetime | None = None  # the helpdesk's time of `status`; None: never reported
    comment_author: str = ""
    comment_excerpt: str = ""
    version: int = 0

    def report(
        self, status: TicketStatus, at: datetime, comment_author: str = "", comment: str = ""
    ) -> bool:
        """Keep what the helpdesk says of the ticket at `at`; a report without a comment
        leaves the comment kept before. False, keeping nothing, for a report older than the
        one kept (webhooks arrive out of order) or the same one again (a redelivery). One of
        the same moment that says something else is kept: the helpdesk's times may be to the
        minute, and two changes may share one."""
        author = " ".join(comment_author.split())[:MAX_COMMENT_AUTHOR]
        excerpt = comment.strip()[:MAX_COMMENT_EXCERPT]
        if not excerpt:  # a report without a comment leaves the last one as it was
            author, excerpt = self.comment_author, self.comment_excerpt
        if self.updated_at is not None:
            if at < self.updated_at:
                return False
            kept = (self.status, self.comment_author, self.comment_excerpt)
            if at == self.updated_at and kept == (status, author, excerpt):
                return False
        self.status = status
        self.updated_at = at
        self.comment_author = author
        self.comment_excerpt = excerpt
        return True


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One mutation: who did what to which entity, with a before/after summary. Append-only."""

    id: str
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


class RulesetStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


_RULESET_MOVES = {
    RulesetStatus.DRAFT: {RulesetStatus.PUBLISHED},
    RulesetStatus.PUBLISHED: {RulesetStatus.RETIRED},
    # Rolling back re-publishes an earlier version.
    RulesetStatus.RETIRED: {RulesetStatus.PUBLISHED},
}


@dataclass(slots=True)
class RulesetVersion:
    """One immutable text of a named ruleset; at most one version per name is published."""

    id: str
    name: str
    kind: str
    version: int
    source: str
    author: str
    created_at: datetime
    status: RulesetStatus = RulesetStatus.DRAFT
    published_at: datetime | None = None
    published_by: str = ""

    def move(self, target: RulesetStatus, by: str, at: datetime) -> None:
        if target not in _RULESET_MOVES[self.status]:
            raise IllegalTransition("ruleset", f"{self.name} v{self.version}", self.status, target)
        self.status = target
        if target is RulesetStatus.PUBLISHED:
            self.published_at = at
            self.published_by = by


@dataclass(slots=True)
class DecisionTrace:
    """Why one pipeline step decided what it did for one order, under which ruleset version."""

    id: str
    order_id: str
    step: str
    ruleset: str
    ruleset_version: int
    at: datetime
    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)
