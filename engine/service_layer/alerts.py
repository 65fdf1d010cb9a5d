"""Alerts: evaluate the published alert rulesets against every event, store what fires.

`AlertEvaluator` is a worker observer. For each message it runs every compiled alert ruleset
listening to that event name with the facts `{"event": ...}` and the window store (Redis when
several workers share the load, so they count together; in memory otherwise). Each `alert`
action becomes an `alert.triggered` event; `AlertRecorder` turns those into an `Alert`,
deduplicated by (rule, key) until it is closed: a repeat bumps the open (or acknowledged)
alert's occurrences instead of opening another, and a new alert records `alert.raised`, which
the notifiers turn into email and webhook posts. A repeat records `alert.repeated` once per
repeat window (the first repeat, then the first of each later window), which the alert's
helpdesk ticket is told of. A closed alert's rule and key firing again opens a new alert.

`AlertCloser` is a worker tick too: an acknowledged alert quiet for
ORDO_ALERT_CLOSE_AFTER_HOURS is closed (`alert.closed`), each in a transaction of its own
that reads the alert again under its row's lock. The alert rows are versioned, so a repeat
that read the alert before the close was written is refused at its commit and retried, and
then opens a new alert; a repeat written first leaves the alert no longer quiet.

`LatenessClock` is the worker's periodic tick: it turns the passage of time into events the
rules can see, `shipment.late` (past its promised date, not delivered) and
`order.held_too_long`, each emitted once per shipment or hold: a `FlagLedger` (the store's
`lateness_flags` table, engine.adapters.shipment_queries) remembers what was reported, and
each tick ends by purging the flags of finished shipments and orders, and stale ones.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol

from engine.adapters.bus.base import Message
from engine.domain.errors import NotFound
from engine.domain.events import (
    AlertAcknowledged,
    AlertClosed,
    AlertRaised,
    AlertRepeated,
    AlertTriggered,
    OrderHeldTooLong,
    ShipmentLate,
)
from engine.domain.fulfilment import FulfillmentOrder
from engine.domain.operations import Alert, AlertStatus
from engine.domain.orders import OrderStatus
from engine.domain.values import in_utc, utcnow
from engine.rules.facts import event_facts
from engine.service_layer import audit
from engine.service_layer.unit_of_work import ShipmentRepository, UnitOfWork

log = logging.getLogger(__name__)

# How long a repeat window is unless ORDO_ALERT_REPEAT_WINDOW_MINUTES says otherwise.
DEFAULT_REPEAT_WINDOW = timedelta(hours=1)
# Who closes the alerts the worker closes (a person's close names the person).
AUTO_CLOSER = "system"


class WindowStore(Protocol):
    def observe(
        self, rule: str, key: str, at: datetime, value: float, window: timedelta
    ) -> tuple[int, float]: ...


class AlertProgram(Protocol):
    """What this module needs of a compiled `dsl` ruleset (see docs/dev/dsl-contract.md)."""

    name: str
    kind: str
    event: str

    def evaluate(self, facts: Mapping[str, Any], *, now: datetime, windows: Any = None) -> Any: ...


class DedupingWindowStore:
    """Names each observation after its event so a redelivered event is not counted twice.
    Wraps the DSL's in-memory store for one process; the Redis store does this itself."""

    def __init__(self, inner: WindowStore) -> None:
        self.inner = inner
        self._seen: dict[tuple[str, str, str], tuple[int, float]] = {}
        self.event_id = ""

    def for_event(self, event_id: str) -> DedupingWindowStore:
        self.event_id = event_id
        return self

    def observe(
        self, rule: str, key: str, at: datetime, value: float, window: timedelta
    ) -> tuple[int, float]:
        marker = (self.event_id, rule, key)
        if self.event_id and marker in self._seen:
            return self._seen[marker]
        result = self.inner.observe(rule, key, at, value, window)
        if self.event_id:
            self._seen[marker] = result
            if len(self._seen) > 100_000:  # bounded: only recent redeliveries matter
                self._seen.pop(next(iter(self._seen)))
        return result


def default_key(payload: Mapping[str, Any]) -> str:
    """What an alert without `by` is about, so two SKUs running low are two alerts, not one."""
    if payload.get("sku") and payload.get("location_code"):
        return f"{payload['sku']}@{payload['location_code']}"
    for field in ("shipment_id", "order_id", "return_id", "carrier", "location_code"):
        if payload.get(field):
            return str(payload[field])
    return ""


def raise_alert(
    uow: UnitOfWork,
    *,
    rule: str,
    key: str,
    severity: str,
    message: str,
    recipients: Sequence[str] = (),
    now: datetime | None = None,
    repeat_window: timedelta = DEFAULT_REPEAT_WINDOW,
) -> Alert:
    """Open an alert for (rule, key), or count one more occurrence of the open one: its first
    repeat, and the first in each later `repeat_window`, record `alert.repeated`."""
    at = now or utcnow()
    existing = uow.alerts.open_for(rule, key)
    if existing is not None:
        before = repeat_window_of(existing, existing.last_seen_at or existing.created_at,
                                  repeat_window)  # fmt: skip
        existing.seen_again(at)
        existing.message = message
        window = repeat_window_of(existing, at, repeat_window)
        if existing.occurrences == 2 or window > before:
            uow.record(
                AlertRepeated(
                    existing.id, existing.rule, existing.severity, existing.key, message,
                    existing.occurrences, in_utc(at).isoformat(), window,
                )
            )  # fmt: skip
        return existing
    alert = Alert(
        id=_next_alert_id(uow, rule, key),
        rule=rule,
        severity=severity,
        key=key,
        message=message,
        created_at=at,
        last_seen_at=at,
        recipients=list(recipients),
    )
    uow.alerts.add(alert)
    uow.record(AlertRaised(alert.id, rule, severity, key, message))
    return alert


def repeat_window_of(alert: Alert, at: datetime, length: timedelta) -> int:
    """Which repeat window of `alert` `at` falls in: 0 from its raising for `length`, and so
    on. Counted from the alert, not the clock, so the answer is the same on every worker and
    on a redelivery; a time before the raising (clocks apart) is in window 0."""
    return max(0, (in_utc(at) - in_utc(alert.created_at)) // length)


def repeat_window_end(alert: Alert, window: int, length: timedelta) -> datetime:
    """When repeat window `window` of `alert` ends (`repeat_window_of`)."""
    return in_utc(alert.created_at) + (window + 1) * length


def _next_alert_id(uow: UnitOfWork, rule: str, key: str) -> str:
    """`alr_<digest of rule and key>_<n>`, n counting the alerts (rule, key) has had. Two
    workers opening the same alert at once pick the same id, so the database refuses the
    second insert and its event is retried, finding the first alert open: one alert, not two.

    An id is never given twice, not even once its alert is deleted (ORDO_ALERT_RETENTION_DAYS):
    its audit entries, its ticket and the e-mails about it still name it. The store deletes
    only closed and acknowledged alerts, and both are audited in the transaction that makes
    them so (`record_close`, `record_acknowledgement`), while the audit log is never deleted
    from: so n is taken while it has an alert or audit entries about one. Ids are handed out
    in order, which makes the taken ones 1 to the last, found by doubling then halving: a
    few indexed lookups, however many alerts (rule, key) has had."""
    digest = hashlib.sha1(f"{rule}\x00{key}".encode()).hexdigest()[:20]

    def taken(n: int) -> bool:
        alert_id = f"alr_{digest}_{n}"
        return uow.alerts.get(alert_id) is not None or bool(
            uow.audit.list(entity="alert", entity_id=alert_id, limit=1)
        )

    if not taken(1):
        return f"alr_{digest}_1"
    last, free = 1, 2  # taken, and the first n to look at that may not be
    while taken(free):
        last, free = free, free * 2
    while free - last > 1:  # the first free n is in (last, free]
        middle = (last + free) // 2
        last, free = (middle, free) if taken(middle) else (last, middle)
    return f"alr_{digest}_{free}"


def acknowledge_alert(uow: UnitOfWork, alert_id: str, actor: str) -> Alert:
    """A person has seen it: still open for deduplication, no longer shouting."""
    with uow:
        alert = uow.alerts.get(alert_id)
        if alert is None:
            raise NotFound("alert", alert_id)
        record_acknowledgement(uow, alert, actor)
        uow.commit()
        return alert


def record_acknowledgement(
    uow: UnitOfWork, alert: Alert, actor: str, *, helpdesk: str = ""
) -> None:
    """`actor` acknowledges `alert`, audited, with `alert.acknowledged`, in `uow`'s open
    transaction: a person through the API, or `helpdesk` (its connector's name) whose ticket
    about it was solved, which is not told of it again."""
    at = utcnow()
    alert.acknowledge(actor, at)
    audit.record(
        uow, actor, "alert.acknowledge", "alert", alert.id, {"status": "open"},
        {"status": "acknowledged"},
    )  # fmt: skip
    uow.record(
        AlertAcknowledged(
            alert.id, alert.rule, alert.severity, alert.key, actor, in_utc(at).isoformat(),
            helpdesk,
        )
    )  # fmt: skip


def close_alert(uow: UnitOfWork, alert_id: str, actor: str, note: str = "") -> Alert:
    """It is over: the same rule and key firing again opens a new alert."""
    with uow:
        alert = uow.alerts.get_for_update(alert_id)
        if alert is None:
            raise NotFound("alert", alert_id)
        record_close(uow, alert, actor, note=note)
        uow.commit()
        return alert


def record_close(
    uow: UnitOfWork,
    alert: Alert,
    actor: str,
    *,
    note: str = "",
    helpdesk: str = "",
    at: datetime | None = None,
    quiet_for: timedelta | None = None,
) -> None:
    """`actor` closes `alert` (acknowledging it too if it was open), audited, with
    `alert.closed`, in `uow`'s open transaction: a person through the API with their `note`,
    the worker (`AUTO_CLOSER`) once it was quiet `quiet_for`, or `helpdesk` (its connector's
    name) whose ticket about it was closed, which is not told of it again."""
    when = at or utcnow()
    was = alert.close(actor, when)
    after: dict[str, Any] = {"status": str(AlertStatus.CLOSED)}
    if note:
        after["note"] = note
    if quiet_for is not None:
        after["quiet_hours"] = quiet_for / timedelta(hours=1)
    audit.record(uow, actor, "alert.close", "alert", alert.id, {"status": str(was)}, after)
    uow.record(
        AlertClosed(
            alert.id, alert.rule, alert.severity, alert.key, actor, in_utc(when).isoformat(),
            str(was), note, helpdesk,
        )
    )  # fmt: skip


class AlertCloser:
    """The worker's tick: close the acknowledged alerts quiet for `after` (neither fired nor
    acknowledged since), at most `batch` per run and a run at most once per `every`. An
    open alert is never closed by time: it waits for a person to see it."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        after: timedelta,
        batch: int = 100,
        every: timedelta = timedelta(0),
    ) -> None:
        if after <= timedelta(0):
            raise ValueError(f"alerts close after a positive time, got {after}")
        self.uow_factory = uow_factory
        self.after = after
        self.batch = batch
        self.every = every
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        since = now - self.after
        with self.uow_factory() as uow:
            quiet = [alert.id for alert in uow.alerts.quiet_acknowledged(since, self.batch)]
        closed = sum(self._close(alert_id, since, now) for alert_id in quiet)
        self._last = now  # after the run: a failed one (database restarting) is tried again
        if closed:
            log.info("alerts: closed %d acknowledged alerts quiet for %s", closed, self.after)
        return closed

    def _close(self, alert_id: str, since: datetime, now: datetime) -> bool:
        """One alert in its own transaction, so a refusal closes the others still."""
        with self.uow_factory() as uow:
            # Read again holding the row: a repeat written since the list was read (or a
            # person closing it) has its say before this decides.
            alert = uow.alerts.get_for_update(alert_id)
            if (
                alert is None
                or alert.status is not AlertStatus.ACKNOWLEDGED
                or alert.quiet_since() > since
            ):
                return False
            hours = self.after / timedelta(hours=1)
            said = f"acknowledged, and quiet for {hours:g} hours (ORDO_ALERT_CLOSE_AFTER_HOURS)"
            record_close(uow, alert, AUTO_CLOSER, note=said, at=now, quiet_for=self.after)
            uow.commit()
        return True


class AlertEvaluator:
    """Worker observer: every message through every alert ruleset listening to its name.

    A match is recorded as an `alert.triggered` event rather than written to the alert at once:
    it commits with this message's processed-event record (so a redelivery cannot trigger
    twice) and reaches `AlertRecorder` on the partition of its (rule, key), where one worker at
    a time reads and updates the alert. Written here directly, two workers counting the same
    burst would both read the open alert and one increment would be lost."""

    name = "alerts"

    def __init__(
        self,
        programs: Callable[[], Iterable[AlertProgram]],
        windows: Any,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.programs = programs
        self.windows = windows
        self.clock = clock
        self.fired = 0

    def wants(self, message: Message) -> bool:
        if message.name.startswith("alert."):
            return False  # alerts about alerts would feed on themselves
        return any(
            p.kind == "alert" and p.event in (message.name, "any", "*") for p in self.programs()
        )

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        now = self.clock()
        for program in self.programs():
            if program.kind != "alert" or program.event not in (message.name, "any", "*"):
                continue
            windows = self.windows
            if hasattr(windows, "for_event"):
                windows = windows.for_event(message.event_id)
            facts = {"event": enriched_event_facts(message, uow, now)}
            evaluation = program.evaluate(facts, now=now, windows=windows)
            for match in evaluation.matches:
                for action in match.actions:
                    if action.kind != "alert":
                        continue
                    args = action.args
                    uow.record(
                        AlertTriggered(
                            rule=f"{program.name}/{match.rule}",
                            key=str(args.get("key") or default_key(message.payload)),
                            severity=str(args.get("severity", "warning")),
                            message=str(args.get("message", match.rule)),
                            recipients=[str(r) for r in args.get("recipients") or ()],
                            at=now.isoformat(),
                        )
                    )
                    self.fired += 1


def enriched_event_facts(message: Message, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """The `event` facts, completed from current state where the event itself is silent: the
    stock row's available units and reorder point, the location's released backlog today and
    its daily capacity, and for a scan naming a parcel, which of its shipment's parcels it is
    and how many there are. Only fields the engine schema declares are looked up (a rule can
    name nothing else), so an undeclared one costs no query."""
    from engine.rules.schema import SCHEMA_SPEC

    facts = event_facts(message.name, message.payload)
    declared = SCHEMA_SPEC["roots"]["event"]
    sku, location = facts.get("sku"), facts.get("location_code")
    if sku and location and {"available", "reorder_point"} & declared.keys():
        stock = uow.stock.get((str(sku), str(location)))
        if stock is not None:
            for field, value in (("available", stock.available),
                                 ("reorder_point", stock.reorder_point)):  # fmt: skip
                if field in declared and facts.get(field) is None:
                    facts[field] = value
    if location and {"backlog", "capacity"} & declared.keys():
        if "backlog" in declared and facts.get("backlog") is None:
            facts["backlog"] = uow.shipments.count_released_on(str(location), now.date())
        site = uow.locations.get(str(location))
        if site is not None and "capacity" in declared and facts.get("capacity") is None:
            facts["capacity"] = site.daily_capacity
    if "parcel_tracking_number" in declared:
        _complete_parcel_facts(facts, uow, declared)
    return facts


def _complete_parcel_facts(
    facts: dict[str, Any], uow: UnitOfWork, declared: Mapping[str, Any]
) -> None:
    """`parcel_index` and `parcels` of the parcel a scan named, from its shipment as it is now.
    The events say "" for a scan of the whole shipment: a rule reads that as no parcel (none),
    not as a parcel with an empty number. A parcel the shipment no longer has (packed again
    after a short pick) keeps its number, with the count but no index."""
    number = str(facts.get("parcel_tracking_number") or "")
    if not number:
        facts["parcel_tracking_number"] = None
        return
    wanted = {"parcel_index", "parcels"} & declared.keys()
    if not wanted or not facts.get("shipment_id") or all(facts.get(f) is not None for f in wanted):
        return
    shipment = uow.shipments.get(str(facts["shipment_id"]))
    if shipment is None:
        return
    # An unpacked shipment ships as one parcel, numbered with the shipment's own number.
    numbers = [p.tracking_number for p in shipment.parcels] or [shipment.tracking_number]
    found = {"parcels": len(numbers)}
    if number in numbers:
        found["parcel_index"] = numbers.index(number) + 1
    for field, value in found.items():
        if field in declared and facts.get(field) is None:
            facts[field] = value


class AlertRecorder:
    """Worker observer: `alert.triggered` opens the (rule, key) alert or counts a repeat,
    `repeat_window` (ORDO_ALERT_REPEAT_WINDOW_MINUTES) long windows apart for `alert.repeated`."""

    name = "alert-recorder"

    def __init__(self, repeat_window: timedelta = DEFAULT_REPEAT_WINDOW) -> None:
        self.repeat_window = repeat_window

    def wants(self, message: Message) -> bool:
        return message.name == AlertTriggered.name

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if message.name != AlertTriggered.name:
            return
        p = message.payload
        raise_alert(
            uow,
            rule=p["rule"],
            key=p["key"],
            severity=p["severity"],
            message=p["message"],
            recipients=p.get("recipients") or (),
            now=datetime.fromisoformat(p["at"]) if p.get("at") else None,
            repeat_window=self.repeat_window,
        )


def registry_programs(
    registry: Any, shipped: Sequence[AlertProgram] = ()
) -> Callable[[], list[AlertProgram]]:
    """The published alert programs of an `engine.rules.registry.RulesetRegistry`, read per
    call so a publish takes effect on the next event; the shipped ones while none is published."""

    def programs() -> list[AlertProgram]:
        published = [compiled.program for compiled in registry.snapshot.of("alert")]
        return published or list(shipped)

    return programs


# (shipments, today, limit, offset) -> open shipments promised before today
PastPromise = Callable[[ShipmentRepository, date, int, int], Sequence[FulfillmentOrder]]


class FlagLedger(Protocol):
    """What the clock has already reported, claimed inside the clock's own transaction."""

    def claim(self, uow: UnitOfWork, entity: str, entity_id: str, flag: str, at: datetime) -> bool:
        """Record the flag in `uow`'s open transaction; False if it was recorded before."""
        ...

    def committed(self, uow: UnitOfWork) -> None: ...

    def discarded(self, uow: UnitOfWork) -> None: ...

    def purge(self, uow: UnitOfWork, now: datetime) -> int:
        """Forget, in `uow`'s open transaction, the flags no report can need any more (those
        of finished shipments and orders, and old ones that stop no report); how many."""
        ...


class LatenessClock:
    """The worker's tick: emit `shipment.late` and `order.held_too_long` once each."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        flags: FlagLedger,
        held_limit: timedelta = timedelta(hours=24),
        page_size: int = 500,
        every: timedelta = timedelta(0),
        past_promise: PastPromise | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.flags = flags
        self.held_limit = held_limit
        self.page_size = page_size
        # The store's own query for open shipments past their promise (see
        # engine.adapters.shipment_queries); without one, every shipment is read and checked.
        self.past_promise = past_promise
        # Scanning every shipment is not free: the worker ticks often, this may run less often.
        self.every = every
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        self._last = now
        with self.uow_factory() as uow:
            try:
                emitted = self._late_shipments(uow, now) + self._held_orders(uow, now)
                uow.commit()
            except BaseException:
                self.flags.discarded(uow)
                raise
            self.flags.committed(uow)
        if emitted:
            log.info("clock: %d lateness events", emitted)
        # Its own short transaction, after the reports are in: on PostgreSQL a DELETE in the
        # claiming transaction could deadlock with another worker's claims.
        with self.uow_factory() as uow:
            purged = self.flags.purge(uow, now)
            uow.commit()
        if purged:
            log.debug("clock: forgot %d lateness flags", purged)
        return emitted

    def _late_shipments(self, uow: UnitOfWork, now: datetime) -> int:
        emitted = 0
        offset = 0
        while True:
            if self.past_promise is not None:
                page = self.past_promise(uow.shipments, now.date(), self.page_size, offset)
            else:
                page = uow.shipments.list(limit=self.page_size, offset=offset)
            for shipment in page:
                if shipment.is_late(now.date()) and self.flags.claim(
                    uow, "shipment", shipment.id, "late", now
                ):
                    uow.record(
                        ShipmentLate(
                            shipment_id=shipment.id,
                            order_id=shipment.order_id,
                            carrier=shipment.carrier,
                            location_code=shipment.location_code,
                            hours_late=round(hours_late(shipment, now), 2),
                        )
                    )
                    emitted += 1
            if len(page) < self.page_size:
                return emitted
            offset += self.page_size

    def _held_orders(self, uow: UnitOfWork, now: datetime) -> int:
        emitted = 0
        for order in uow.orders.search(status=OrderStatus.HELD, limit=10_000):
            holds = [h for h in order.active_holds if h.placed_at is not None]
            if not holds:
                continue
            hold = holds[-1]
            assert hold.placed_at is not None
            held = now - hold.placed_at
            marker = f"held:{hold.placed_at.isoformat()}"
            if held > self.held_limit and self.flags.claim(uow, "order", order.id, marker, now):
                hours = round(held / timedelta(hours=1), 2)
                uow.record(OrderHeldTooLong(order.id, hold.code, hours))
                emitted += 1
        return emitted


def hours_late(shipment: FulfillmentOrder, now: datetime) -> float:
    """Hours since the end of the promised day (a promise is kept if delivered that day)."""
    assert shipment.promised_date is not None
    deadline = datetime.combine(shipment.promised_date + timedelta(days=1), time(0), tzinfo=UTC)
    return max(0.0, (now - deadline) / timedelta(hours=1))


def shipped_alert_programs(directory: Path) -> list[AlertProgram]:
    """Compile the alert rulesets shipped as `*.ordo` files (used until rulesets are published
    through the registry). A shipped ruleset that does not compile stops the worker at start."""
    from engine.rules.registry import compile_source

    programs: list[AlertProgram] = []
    for path in sorted(directory.glob("*.ordo")):
        source = path.read_text(encoding="utf-8")
        if not re.search(r"^\s*alert\s+ruleset\b", source, re.MULTILINE):
            continue  # another kind: the pipeline loads those
        programs.append(compile_source(source, path.stem, 1).program)
    return programs
