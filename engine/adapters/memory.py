"""An in-memory unit of work with the same behaviour as the database one, and no I/O.

Used by unit tests everywhere, by ruleset scenario runs and wherever a replay needs a store
without I/O. Two modes:

- `InMemoryUnitOfWork()` (snapshots on, the default) behaves like a database session: `get`,
  `list` and searches hand out private copies, `commit` stores copies of what the transaction
  touched, and `rollback` (or leaving `with uow:` without committing) discards every change
  since the last commit. Adding a key that already exists raises `AlreadyExists`.
- `InMemoryUnitOfWork(snapshots=False)` skips every copy: callers get the stored objects and
  their changes are live at once, so `rollback` cannot undo anything. Use it only where the
  caller never rolls back and speed matters (replaying many orders).

Either way `try_reserve` obeys the same arithmetic as `Stock.available_for`, because it calls
the domain's own `Stock.reserve`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from engine.adapters.box_stock_memory import MemoryBoxStock
from engine.adapters.edi_memory import MemoryEdi
from engine.domain.access import IdempotencyRecord
from engine.domain.catalog import Customer, Location, Product
from engine.domain.errors import AlreadyExists, InsufficientStock, NotFound
from engine.domain.events import AlertRaised, AlertTriggered, Event
from engine.domain.fulfilment import (
    FulfillmentOrder,
    Label,
    Return,
    ReturnStatus,
    ShipmentStatus,
)
from engine.domain.inventory import InboundSupply, Reservation, Stock
from engine.domain.operations import (
    Alert,
    AlertStatus,
    AuditEntry,
    DecisionTrace,
    RulesetStatus,
    RulesetVersion,
    Ticket,
)
from engine.domain.orders import NEVER_SHIPS, LineStatus, Order, OrderStatus
from engine.domain.values import in_utc
from engine.service_layer import unit_of_work as uow_api
from engine.service_layer.analytics import ReportQueries

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class _Table(Generic[K, T]):
    """Committed rows plus this transaction's working copies, with optional secondary indexes.

    Index entries are only ever added; lookups drop keys that no longer exist, so a rolled-back
    insert leaves nothing visible behind.
    """

    def __init__(
        self,
        entity: str,
        key: Callable[[T], K],
        snapshots: bool,
        indexes: dict[str, Callable[[T], Hashable]] | None = None,
    ) -> None:
        self.entity = entity
        self.key = key
        self.snapshots = snapshots
        self.committed: dict[K, T] = {}
        self.working: dict[K, T] = {}
        self.index_fns = indexes or {}
        self.indexes: dict[str, dict[Hashable, dict[K, None]]] = {n: {} for n in self.index_fns}

    def _index(self, item: T) -> None:
        key = self.key(item)
        for name, fn in self.index_fns.items():
            self.indexes[name].setdefault(fn(item), {})[key] = None

    def exists(self, key: K) -> bool:
        return key in self.working or key in self.committed

    def add(self, item: T) -> None:
        key = self.key(item)
        current = self.working.get(key, self.committed.get(key))
        if current is not None and current is not item:
            raise AlreadyExists(f"{self.entity} '{_show(key)}' already exists", self.entity, [key])
        if self.snapshots:
            self.working[key] = item
        else:
            self.committed[key] = item
        self._index(item)

    def put(self, item: T) -> None:
        """Replace the row of `item`'s key, in this transaction: for a frozen record that is
        changed by replacing it (a ticket's subject redacted on erasure)."""
        if self.snapshots:
            self.working[self.key(item)] = item
        else:
            self.committed[self.key(item)] = item

    def load(self, key: K) -> T | None:
        """The transaction's copy of a row: made on first access when snapshots are on."""
        item = self.working.get(key)
        if item is not None:
            return item
        stored = self.committed.get(key)
        if stored is None or not self.snapshots:
            return stored
        item = copy.deepcopy(stored)
        self.working[key] = item
        return item

    def keys(self) -> Iterable[K]:
        if not self.working:
            return self.committed.keys()
        return {**self.committed, **self.working}.keys()

    def peek(self, key: K) -> T:
        """Read without copying, for sorting and filtering before deciding what to load."""
        return self.working[key] if key in self.working else self.committed[key]

    def by_index(self, name: str, value: Hashable) -> list[K]:
        return [key for key in self.indexes[name].get(value, {}) if self.exists(key)]

    def select(
        self,
        keys: Iterable[K],
        where: Callable[[T], bool] | None = None,
        order: Callable[[T], Any] | None = None,
        reverse: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[T]:
        rows = [self.peek(key) for key in keys]
        if where is not None:
            rows = [row for row in rows if where(row)]
        if order is not None:
            rows.sort(key=order, reverse=reverse)
        if limit is not None or offset:
            rows = rows[offset : None if limit is None else offset + limit]
        return [self.load(self.key(row)) for row in rows]  # type: ignore[misc]

    def commit(self) -> None:
        for key, item in self.working.items():
            self.committed[key] = copy.deepcopy(item)
        self.working.clear()

    def rollback(self) -> None:
        self.working.clear()


def _show(key: object) -> str:
    return "/".join(key) if isinstance(key, tuple) else str(key)


class _MemoryRepository(uow_api.Repository[K, T]):
    def __init__(self, table: _Table[K, T], order: Callable[[T], Any], newest_first: bool) -> None:
        super().__init__()
        self.table = table
        self._order = order
        self._newest_first = newest_first

    def _add(self, item: T) -> None:
        self.table.add(item)

    def _get(self, key: K) -> T | None:
        return self.table.load(key)

    def _select(
        self,
        keys: Iterable[K] | None = None,
        where: Callable[[T], bool] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[T]:
        rows = self.table.select(
            self.table.keys() if keys is None else keys,
            where,
            self._order,
            self._newest_first,
            limit,
            offset,
        )
        for row in rows:
            self._track(row)
        return rows

    def list(self, limit: int = 100, offset: int = 0) -> Sequence[T]:
        return self._select(limit=limit, offset=offset)


class MemoryOrders(_MemoryRepository[str, Order], uow_api.OrderRepository):
    """Newest first, like the database repository."""

    def _add(self, item: Order) -> None:
        # What the database's unique constraint does for the SQL repository.
        held = self.table.by_index("channel_id", (item.channel, item.channel_order_id))
        if held and held[0] != item.id:
            raise uow_api.duplicate_order(item.channel, item.channel_order_id)
        super()._add(item)

    def get_by_channel_id(self, channel: str, channel_order_id: str) -> Order | None:
        keys = self.table.by_index("channel_id", (channel, channel_order_id))
        return self._track(self.table.load(keys[0])) if keys else None  # type: ignore[arg-type]

    def search(
        self,
        *,
        customer_id: str | None = None,
        email: str | None = None,
        status: OrderStatus | None = None,
        sku: str | None = None,
        line_status: LineStatus | None = None,
        channel: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        statuses: Collection[OrderStatus] | None = None,
    ) -> Sequence[Order]:
        # `email` ignores case; `created_to` is exclusive, so consecutive ranges never overlap.
        def where(order: Order) -> bool:
            return (
                (customer_id is None or order.customer_id == customer_id)
                and (email is None or order.email.lower() == email.lower())
                and (status is None or order.status == status)
                and (statuses is None or order.status in statuses)
                and (channel is None or order.channel == channel)
                and (created_from is None or order.created_at >= created_from)
                and (created_to is None or order.created_at < created_to)
                and (
                    (sku is None and line_status is None)
                    or any(
                        (sku is None or line.sku == sku)
                        and (line_status is None or line.status == line_status)
                        for line in order.lines
                    )
                )
            )

        return self._select(where=where, limit=limit, offset=offset)

    def count_with_line_status(
        self,
        line_status: LineStatus,
        *,
        statuses: Collection[OrderStatus],
        created_from: datetime,
        created_to: datetime,
    ) -> int:
        def counted(order: Order) -> bool:
            return (
                created_from <= order.created_at < created_to
                and order.status in statuses
                and any(line.status == line_status for line in order.lines)
            )

        return len(self._select(where=counted))

    def units_ordered(self, sku: str, since: datetime) -> list[tuple[datetime, int]]:
        def demand(order: Order) -> bool:
            return in_utc(order.created_at) >= since and order.status not in NEVER_SHIPS

        return [
            (order.created_at, line.quantity - line.quantity_cancelled)
            for order in self._select(where=demand)
            for line in order.lines
            if line.sku == sku and line.quantity > line.quantity_cancelled
        ]


class MemoryStock(_MemoryRepository[tuple[str, str], Stock], uow_api.StockRepository):
    def for_sku(self, sku: str) -> Sequence[Stock]:
        return self._select(self.table.by_index("sku", sku))

    def for_skus(self, skus: Sequence[str]) -> Sequence[Stock]:
        keys = [key for sku in dict.fromkeys(skus) for key in self.table.by_index("sku", sku)]
        return self._select(keys)

    def for_location(self, location_code: str) -> Sequence[Stock]:
        return self._select(self.table.by_index("location", location_code))

    def _row(self, sku: str, location_code: str) -> Stock:
        stock = self.get((sku, location_code))
        if stock is None:
            raise NotFound("stock", f"{sku}@{location_code}")
        return stock

    def try_reserve(self, sku: str, location_code: str, quantity: int, channel: str | None) -> bool:
        return self.reserve(sku, location_code, quantity, channel) is not None

    def reserve(
        self, sku: str, location_code: str, quantity: int, channel: str | None
    ) -> int | None:
        stock = self.get((sku, location_code))
        if stock is None:
            return None
        try:
            return stock.reserve(quantity, channel)
        except InsufficientStock:
            return None

    def release(
        self,
        sku: str,
        location_code: str,
        quantity: int,
        channel: str | None = None,
        to_allocation: int = 0,
    ) -> None:
        self._row(sku, location_code).release(quantity, channel, to_allocation)

    def consume(self, sku: str, location_code: str, quantity: int) -> None:
        self._row(sku, location_code).consume(quantity)

    def adjust(self, sku: str, location_code: str, delta: int) -> Stock:
        """Count corrections and receipts; a receipt at a new location creates the row."""
        stock = self.get((sku, location_code))
        if stock is None:
            stock = Stock(sku=sku, location_code=location_code)
            stock.adjust(delta)
            self.add(stock)
            return stock
        stock.adjust(delta)
        return stock

    def set_counts(
        self, location_code: str, counts: Mapping[str, int]
    ) -> dict[str, uow_api.CountApplied]:
        applied = {}
        for sku in sorted(counts):
            stock = self.get((sku, location_code))
            if stock is None:
                stock = Stock(sku=sku, location_code=location_code, on_hand=counts[sku])
                self.add(stock)
                before = 0
            else:
                before = stock.on_hand
                stock.adjust(max(counts[sku], stock.reserved) - before)
            applied[sku] = uow_api.CountApplied(
                sku, before, stock.on_hand, stock.reserved, stock.available
            )
        return applied


class MemoryReservations(_MemoryRepository[str, Reservation], uow_api.ReservationRepository):
    def for_order(self, order_id: str) -> Sequence[Reservation]:
        return self._select(self.table.by_index("order", order_id))

    def expired(self, now: datetime, limit: int = 500) -> Sequence[Reservation]:
        return self._select(where=lambda r: r.is_expired(now), limit=limit)


class _OrderRows(_MemoryRepository[str, T]):
    """Rows that belong to an order (shipments, returns), with the orders table beside them to
    find a customer's, as the database does with an IN over the orders' ids."""

    def __init__(
        self,
        table: _Table[str, T],
        order: Callable[[T], Any],
        newest_first: bool,
        orders: _Table[str, Order],
    ) -> None:
        super().__init__(table, order, newest_first)
        self.orders = orders

    def _ordered_by(self, order_id: str, customer_id: str) -> bool:
        return (
            self.orders.exists(order_id) and self.orders.peek(order_id).customer_id == customer_id
        )


class MemoryShipments(_OrderRows[FulfillmentOrder], uow_api.ShipmentRepository):
    def get_for_update(self, key: str) -> FulfillmentOrder | None:
        # Nothing to lock: this store serves one thread at a time (unit tests, scenario runs,
        # replays), so no other transaction can read the shipment between this read and commit.
        return self.get(key)

    def for_order(self, order_id: str) -> Sequence[FulfillmentOrder]:
        return self._select(self.table.by_index("order", order_id))

    def for_location(
        self, location_code: str, status: str | None = None
    ) -> Sequence[FulfillmentOrder]:
        return self._select(
            self.table.by_index("location", location_code),
            where=None if status is None else (lambda s: s.status == status),
        )

    def search(
        self,
        *,
        status: ShipmentStatus | None = None,
        locations: Collection[str] | None = None,
        customer_id: str | None = None,
        tracking_number: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[FulfillmentOrder]:
        codes = None if locations is None else frozenset(locations)
        keys = None
        if codes is not None:
            keys = list(dict.fromkeys(k for c in codes for k in self.table.by_index("location", c)))
        number = None if tracking_number is None else tracking_number.strip()

        def where(s: FulfillmentOrder) -> bool:
            return (
                (status is None or s.status == status)
                and (codes is None or s.location_code in codes)
                and (customer_id is None or self._ordered_by(s.order_id, customer_id))
                and (number is None or _numbered(s, number))
            )

        return self._select(keys, where, limit, offset)

    def count_released_on(self, location_code: str, day: date) -> int:
        """Fulfilment orders created that day at the location and not cancelled or pending."""
        not_released = (ShipmentStatus.PENDING, ShipmentStatus.CANCELLED)
        return sum(
            1
            for key in self.table.by_index("location", location_code)
            if (s := self.table.peek(key)).created_at.date() == day and s.status not in not_released
        )


def _numbered(shipment: FulfillmentOrder, number: str) -> bool:
    """Whether `number` is the shipment's own tracking number or one of its parcels' (the
    database finds it by `shipment_parcel_numbers`; here the parcels are scanned)."""
    if not number:
        return False  # an unlabelled shipment's "" or parcel's "" numbers nothing
    return shipment.tracking_number == number or any(
        parcel.tracking_number == number for parcel in shipment.parcels
    )


class MemoryReturns(_OrderRows[Return], uow_api.ReturnRepository):
    def get_for_update(self, key: str) -> Return | None:
        return self.get(key)  # one thread at a time here: nothing to lock (MemoryShipments)

    def for_order(self, order_id: str) -> Sequence[Return]:
        return self._select(self.table.by_index("order", order_id))

    def search(
        self,
        *,
        status: ReturnStatus | None = None,
        rma: str | None = None,
        customer_id: str | None = None,
        locations: Collection[str] | None = None,
        location_code: str | None = None,
        tracking_number: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Return]:
        codes = None if locations is None else frozenset(locations)
        number = None if tracking_number is None else tracking_number.strip()

        def where(r: Return) -> bool:
            return (
                (status is None or r.status == status)
                and (rma is None or r.rma == rma)
                and (number is None or (number != "" and r.tracking_number == number))
                and (
                    location_code is None
                    or (r.location_code != "" and r.location_code == location_code)
                )
                and (customer_id is None or self._ordered_by(r.order_id, customer_id))
                and (
                    codes is None
                    or r.status == ReturnStatus.AUTHORISED
                    or (r.location_code != "" and r.location_code in codes)
                )
            )

        return self._select(where=where, limit=limit, offset=offset)


class MemoryLabels(uow_api.LabelStore):
    """Labels by (what for, id). Labels are frozen, so they are kept as given, never copied;
    with snapshots on, a transaction's changes wait for its commit as rows do."""

    def __init__(self, snapshots: bool) -> None:
        self.snapshots = snapshots
        self.committed: dict[tuple[str, str], Label] = {}
        self._changes: dict[tuple[str, str], Label | None] = {}  # None: deleted

    def get(self, of: uow_api.LabelOf, key: str) -> Label | None:
        if (of, key) in self._changes:
            return self._changes[(of, key)]
        return self.committed.get((of, key))

    def put(self, of: uow_api.LabelOf, key: str, label: Label) -> None:
        if self.snapshots:
            self._changes[(of, key)] = label
        else:
            self.committed[(of, key)] = label

    def delete(self, of: uow_api.LabelOf, key: str) -> bool:
        had = self.get(of, key) is not None
        if self.snapshots:
            self._changes[(of, key)] = None
        else:
            self.committed.pop((of, key), None)
        return had

    def commit(self) -> None:
        for key, label in self._changes.items():
            if label is None:
                self.committed.pop(key, None)
            else:
                self.committed[key] = label
        self.rollback()  # applied: nothing is pending any more

    def rollback(self) -> None:
        self._changes.clear()


class MemoryInbound(_MemoryRepository[str, InboundSupply], uow_api.InboundRepository):
    def get_for_update(self, key: str) -> InboundSupply | None:
        return self.get(key)  # one thread at a time here: nothing to lock (MemoryShipments)

    def for_sku(self, sku: str) -> Sequence[InboundSupply]:
        return self._select(self.table.by_index("sku", sku))

    def for_order(self, order_id: str) -> Sequence[InboundSupply]:
        return self._select(self.table.by_index("order", order_id))

    def for_order_for_update(self, order_id: str) -> Sequence[InboundSupply]:
        return self.for_order(order_id)  # one thread at a time here (MemoryShipments)

    def with_tracking_number(self, number: str, limit: int = 10) -> Sequence[InboundSupply]:
        # A scan, not an index: the number is set after the transfer is added, and this
        # table's indexes are only ever added to (`_Table`).
        return self._select(where=lambda i: i.tracking_number == number, limit=limit)


class MemoryAlerts(_MemoryRepository[str, Alert], uow_api.AlertRepository):
    def open_for(self, rule: str, key: str) -> Alert | None:
        """The alert for (rule, key) that is not closed yet: acknowledged ones still count."""
        found = self._select(
            self.table.by_index("rule_key", (rule, key)),
            where=lambda a: a.status is not AlertStatus.CLOSED,
            limit=1,
        )
        return found[0] if found else None

    def search(
        self, *, status: AlertStatus | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[Alert]:
        where = None if status is None else (lambda a: a.status == status)
        return self._select(where=where, limit=limit, offset=offset)

    def get_for_update(self, key: str) -> Alert | None:
        return self.get(key)  # one thread at a time here: nothing to lock (MemoryShipments)

    def quiet_acknowledged(self, since: datetime, limit: int = 100) -> Sequence[Alert]:
        return self._select(
            where=lambda a: a.status is AlertStatus.ACKNOWLEDGED and a.quiet_since() <= since,
            limit=limit,
        )


class MemoryRulesets(_MemoryRepository[str, RulesetVersion], uow_api.RulesetRepository):
    def versions(self, name: str) -> Sequence[RulesetVersion]:
        return self._select(self.table.by_index("name", name))

    def published(self) -> Sequence[RulesetVersion]:
        return self._select(where=lambda r: r.status is RulesetStatus.PUBLISHED)


class MemoryTraces(_MemoryRepository[str, DecisionTrace], uow_api.TraceRepository):
    def for_order(self, order_id: str) -> Sequence[DecisionTrace]:
        return self._select(self.table.by_index("order", order_id))


class MemoryTickets(_MemoryRepository[str, Ticket], uow_api.TicketRepository):
    def about(self, entity: str, entity_id: str) -> Sequence[Ticket]:
        return self._select(self.table.by_index("about", (entity, entity_id)))


class MemoryCatalog(_MemoryRepository[K, T]):
    """Products, locations and customers: add, get and list by key."""


class MemoryProducts(MemoryCatalog[str, Product], uow_api.ProductRepository):
    def released_between(self, after: date, until: date) -> Sequence[Product]:
        def due(p: Product) -> bool:
            return p.preorder_release is not None and after < p.preorder_release <= until

        return self._select(where=due)


class MemoryAuditLog(uow_api.AuditLog):
    """Append-only, newest first when listed; entries are frozen so they are never copied."""

    def __init__(self) -> None:
        self.committed: list[AuditEntry] = []
        self.working: list[AuditEntry] = []
        self.snapshots = True

    def append(self, entry: AuditEntry) -> None:
        (self.working if self.snapshots else self.committed).append(entry)

    def list(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[AuditEntry]:
        rows = [
            e
            for e in self.committed + self.working
            if (entity is None or e.entity == entity)
            and (entity_id is None or e.entity_id == entity_id)
        ]
        rows.sort(key=lambda e: (e.at, e.id), reverse=True)
        return rows[offset : offset + limit]

    def commit(self) -> None:
        self.committed.extend(self.working)
        self.working.clear()

    def rollback(self) -> None:
        self.working.clear()


class MemoryPersonalCopies(uow_api.PersonalCopies):
    """The copies this store keeps of a customer's details: its audit entries, decision
    traces, alerts, tickets and committed events (its outbox). It keeps no dead letters,
    idempotency answers or API keys (their in-memory stores stand on their own), so those
    count 0 and it has no answers to export. Redacted entries and events replace the
    originals when the transaction commits, as rows do."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self.uow = uow
        self._entries: dict[int, AuditEntry] = {}  # position in `audit.committed` -> redacted
        self._events: dict[int, Event] = {}  # position in `committed_events` -> redacted

    def redact(self, copies: uow_api.CustomerCopies) -> dict[str, int]:
        counts = dict.fromkeys(uow_api.COPY_KINDS, 0)
        for order_id in copies.order_ids:
            for trace in self.uow.traces.for_order(order_id):  # copies, committed with the rest
                detail = copies.scrub(trace.detail, True)
                if detail != trace.detail:
                    trace.detail = detail
                    counts["decision_traces"] += 1
        alerts = self._alerts(copies)
        tickets = [
            *(("order", key) for key in copies.order_ids),
            *(("alert", alert.id) for alert in alerts),
        ]
        for entity, entity_id in tickets:
            for ticket in self.uow.tickets.about(entity, entity_id):
                scrubbed = replace(
                    ticket,
                    subject=copies.scrub(ticket.subject, True),
                    comment_author=copies.scrub(ticket.comment_author, True),
                    comment_excerpt=copies.scrub(ticket.comment_excerpt, True),
                )
                if scrubbed != ticket:  # the redacted copy replaces it
                    self.uow.tickets.table.put(scrubbed)
                    counts["tickets"] += 1
        for alert in alerts:  # copies, committed with the rest
            message = copies.scrub_text(alert.message)
            if message != alert.message:
                alert.message = message
                counts["alerts"] += 1
        about = {
            ("customer", copies.customer_id),
            *(("order", key) for key in copies.order_ids),
            *(("shipment", key) for key in copies.shipment_ids),
            *(("return", key) for key in copies.return_ids),
        }
        for index, entry in enumerate(self.uow.audit.committed):
            # A key's name may name the customer whoever holds the key: by content only.
            theirs = (entry.entity, entry.entity_id) in about
            if theirs or entry.entity == "api_key":
                redacted = replace(
                    entry,
                    before=copies.scrub(entry.before, theirs),
                    after=copies.scrub(entry.after, theirs),
                )
                if redacted != entry:
                    self._entries[index] = redacted
        orders = set(copies.order_ids)
        for index, event in enumerate(self.uow.committed_events):
            # An alert's events carry its message and no order's id: by content only.
            theirs = getattr(event, "order_id", None) in orders
            if theirs or event.name in _ALERT_EVENTS:
                payload = event.payload()
                scrubbed = copies.scrub(payload, theirs)
                if scrubbed != payload:
                    self._events[index] = replace(event, **scrubbed)
        counts["audit_entries"] = len(self._entries)
        counts["outbox_events"] = len(self._events)
        if not self.uow.snapshots:
            self.commit()  # nothing here rolls back (see the module docstring)
        return counts

    def alerts(self, copies: uow_api.CustomerCopies) -> Sequence[Alert]:
        return sorted(self._alerts(copies), key=lambda alert: (alert.created_at, alert.id))

    def answers(self, copies: uow_api.CustomerCopies) -> Sequence[IdempotencyRecord]:
        return []

    def _alerts(self, copies: uow_api.CustomerCopies) -> list[Alert]:
        """Keyed by an id of theirs, or with a message naming them (as the SQL store finds
        them)."""
        ids = {*copies.order_ids, *copies.shipment_ids, *copies.return_ids}
        return self.uow.alerts._select(
            where=lambda a: a.key in ids or copies.scrub_text(a.message) != a.message
        )

    def commit(self) -> None:
        for index, entry in self._entries.items():
            self.uow.audit.committed[index] = entry
        for index, event in self._events.items():
            self.uow.committed_events[index] = event
        self.rollback()  # applied: nothing is pending any more

    def rollback(self) -> None:
        self._entries.clear()
        self._events.clear()


class MemoryEarlyCancellations(uow_api.EarlyCancellations):
    """By (channel, channel order id); entries are frozen, so kept as given. With snapshots
    on, a transaction's first change saves the collection, and a rollback puts it back (as
    `MemoryEdi` does). `orders`: the orders' table, which `arrived` joins with."""

    def __init__(self, snapshots: bool, orders: _Table[str, Order]) -> None:
        self.snapshots = snapshots
        self.orders = orders
        self.kept: dict[tuple[str, str], uow_api.EarlyCancellation] = {}
        self._saved: dict[tuple[str, str], uow_api.EarlyCancellation] | None = None

    def _changing(self) -> None:
        if self.snapshots and self._saved is None:
            self._saved = dict(self.kept)

    def commit(self) -> None:
        self._saved = None

    def rollback(self) -> None:
        if self._saved is not None:
            self.kept, self._saved = self._saved, None

    def remember(self, cancellation: uow_api.EarlyCancellation) -> None:
        key = (cancellation.channel, cancellation.channel_order_id)
        if key not in self.kept:
            self._changing()
            self.kept[key] = cancellation

    def take(self, channel: str, channel_order_id: str) -> uow_api.EarlyCancellation | None:
        if (channel, channel_order_id) not in self.kept:
            return None
        self._changing()
        return self.kept.pop((channel, channel_order_id))

    def arrived(self, limit: int = 100) -> Sequence[uow_api.EarlyCancellation]:
        found = [c for key, c in self.kept.items() if self.orders.by_index("channel_id", key)]
        return sorted(found, key=lambda c: (c.noted_at, c.channel, c.channel_order_id))[:limit]

    def purge(self, before: datetime) -> int:
        gone = [key for key, c in self.kept.items() if c.noted_at < before]
        if gone:
            self._changing()
            for key in gone:
                del self.kept[key]
        return len(gone)


# Events that carry an alert's message (and no order's id to find them by).
_ALERT_EVENTS = (AlertTriggered.name, AlertRaised.name)


class InMemoryUnitOfWork(uow_api.UnitOfWork):
    """See the module docstring for the two modes; `committed_events` keeps what was committed
    (tests assert on it) unless `keep_events=False`, which the simulation uses."""

    alerts: MemoryAlerts
    audit: MemoryAuditLog
    box_stock: MemoryBoxStock
    early_cancellations: MemoryEarlyCancellations
    edi: MemoryEdi
    labels: MemoryLabels
    personal_copies: MemoryPersonalCopies
    tickets: MemoryTickets

    def __init__(self, snapshots: bool = True, keep_events: bool = True) -> None:
        super().__init__()
        self.snapshots = snapshots
        self.keep_events = keep_events
        self.committed_events: list[Event] = []
        self.commits = 0

        def table(entity: str, key: Callable[[Any], Any], **indexes: Any) -> _Table[Any, Any]:
            return _Table(entity, key, snapshots, indexes)

        self._tables = {
            "orders": table(
                "order", lambda o: o.id, channel_id=lambda o: (o.channel, o.channel_order_id)
            ),
            "products": table("product", lambda p: p.sku),
            "locations": table("location", lambda loc: loc.code),
            "customers": table("customer", lambda c: c.id),
            "stock": table(
                "stock",
                lambda s: (s.sku, s.location_code),
                sku=lambda s: s.sku,
                location=lambda s: s.location_code,
            ),
            "reservations": table("reservation", lambda r: r.id, order=lambda r: r.order_id),
            "shipments": table(
                "shipment",
                lambda s: s.id,
                order=lambda s: s.order_id,
                location=lambda s: s.location_code,
            ),
            "returns": table("return", lambda r: r.id, order=lambda r: r.order_id),
            "inbound": table(
                "inbound supply", lambda i: i.id, sku=lambda i: i.sku, order=lambda i: i.order_id
            ),
            "alerts": table("alert", lambda a: a.id, rule_key=lambda a: (a.rule, a.key)),
            "rulesets": table("ruleset version", lambda r: r.id, name=lambda r: r.name),
            "traces": table("decision trace", lambda t: t.id, order=lambda t: t.order_id),
            "tickets": table("ticket", lambda t: t.id, about=lambda t: (t.entity, t.entity_id)),
        }
        t = self._tables
        self.orders = MemoryOrders(t["orders"], lambda o: (o.created_at, o.id), True)
        self.products = MemoryProducts(t["products"], lambda p: p.sku, False)
        self.locations = MemoryCatalog[str, Location](t["locations"], lambda x: x.code, False)
        self.customers = MemoryCatalog[str, Customer](t["customers"], lambda c: c.id, False)
        self.stock = MemoryStock(t["stock"], lambda s: (s.sku, s.location_code), False)
        self.reservations = MemoryReservations(
            t["reservations"], lambda r: (r.created_at, r.id), False
        )
        self.shipments = MemoryShipments(
            t["shipments"], lambda s: (s.created_at, s.id), False, t["orders"]
        )
        self.returns = MemoryReturns(
            t["returns"], lambda r: (r.created_at, r.id), False, t["orders"]
        )
        self.inbound = MemoryInbound(t["inbound"], lambda i: (i.expected_on, i.id), False)
        self.alerts = MemoryAlerts(t["alerts"], lambda a: (a.created_at, a.id), True)
        self.rulesets = MemoryRulesets(t["rulesets"], lambda r: (r.name, r.version), False)
        self.traces = MemoryTraces(t["traces"], lambda t: (t.at, t.id), False)
        self.tickets = MemoryTickets(t["tickets"], lambda t: (t.created_at, t.id), False)
        self.labels = MemoryLabels(snapshots)
        self.edi = MemoryEdi(snapshots)
        self.early_cancellations = MemoryEarlyCancellations(snapshots, t["orders"])
        self.box_stock = MemoryBoxStock(snapshots)
        self.audit = MemoryAuditLog()
        self.audit.snapshots = snapshots
        self.personal_copies = MemoryPersonalCopies(self)
        self._repositories: list[uow_api.Repository[Any, Any]] = [
            self.orders, self.products, self.locations, self.customers, self.stock,
            self.reservations, self.shipments, self.returns, self.inbound, self.alerts,
            self.rulesets, self.traces, self.tickets,
        ]  # fmt: skip

    @property
    def reports(self) -> ReportQueries:
        """The reports' aggregate queries over these rows (engine.service_layer.analytics);
        imported here, on use, as that module also holds the SQL side."""
        from engine.adapters.report_queries import MemoryReportQueries

        return MemoryReportQueries(self)

    def _commit(self, events: list[Event]) -> None:
        if self.snapshots:
            for table in self._tables.values():
                table.commit()
            self.labels.commit()
            self.edi.commit()
            self.early_cancellations.commit()
            self.box_stock.commit()
            self.audit.commit()
        self.personal_copies.commit()
        self._forget()
        if self.keep_events:
            self.committed_events.extend(events)
        self.commits += 1

    def rollback(self) -> None:
        if self.snapshots:
            for table in self._tables.values():
                table.rollback()
            self.labels.rollback()
            self.edi.rollback()
            self.early_cancellations.rollback()
            self.box_stock.rollback()
            self.audit.rollback()
        self.personal_copies.rollback()
        self._forget()
        self._recorded.clear()

    def _forget(self) -> None:
        for repo in self._repositories:
            # Most transactions touch two or three repositories; skip the untouched ones.
            if repo.seen:
                repo.clear_tracked()
