"""The unit of work and the repository interfaces the service layer depends on.

Handlers see only these abstractions. Two implementations live in `engine.adapters`: an
in-memory one (unit tests, simulation: it never touches live data) and the SQLAlchemy one
(SQLite by default, PostgreSQL in production).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

from engine.domain.access import IdempotencyRecord
from engine.domain.catalog import Customer, Location, Product
from engine.domain.edi import EdiPurchaseOrder, OutboundDocument, Pair
from engine.domain.errors import Conflict
from engine.domain.events import Event
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
    RulesetVersion,
    Ticket,
)
from engine.domain.orders import LineStatus, Order, OrderStatus
from engine.domain.packaging import BoxStock

T = TypeVar("T")
K = TypeVar("K")


class Repository(abc.ABC, Generic[K, T]):
    """Add and get by key; `seen` lets the unit of work collect events from loaded aggregates."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self._seen_objects: list[T] = []

    def _track(self, item: T) -> T:
        if id(item) not in self.seen:
            self.seen.add(id(item))
            self._seen_objects.append(item)
        return item

    def tracked(self) -> list[T]:
        return list(self._seen_objects)

    def clear_tracked(self) -> None:
        """Forget what this transaction loaded; adapters call it when a transaction ends, so a
        long-lived unit of work neither grows without bound nor mistakes a recycled id()."""
        self.seen.clear()
        self._seen_objects.clear()

    def add(self, item: T) -> None:
        self._add(item)
        self._track(item)

    def get(self, key: K) -> T | None:
        item = self._get(key)
        return None if item is None else self._track(item)

    def get_many(self, keys: Iterable[K]) -> dict[K, T]:
        """The entities of `keys` that exist, by key. Adapters answer it in one query: an
        order's products fetched one SKU at a time were a round trip per line."""
        found = {}
        for key in dict.fromkeys(keys):
            item = self.get(key)
            if item is not None:
                found[key] = item
        return found

    def read_many(self, keys: Iterable[K]) -> dict[K, T]:
        """As `get_many`, to read only: a store need not track what this returns for changes,
        so change entities got through `get` or `get_many` instead. For the catalogue and the
        network an order is decided against, which the pipeline never changes."""
        return self.get_many(keys)

    @abc.abstractmethod
    def _add(self, item: T) -> None: ...

    @abc.abstractmethod
    def _get(self, key: K) -> T | None: ...

    @abc.abstractmethod
    def list(self, limit: int = 100, offset: int = 0) -> Sequence[T]: ...


class ProductRepository(Repository[str, Product]):
    @abc.abstractmethod
    def released_between(self, after: date, until: date) -> Sequence[Product]:
        """Products whose pre-order release date is after `after` and on or before `until`,
        by SKU: the few a pre-order run needs, not the whole catalogue."""


def duplicate_order(channel: str, channel_order_id: str) -> Conflict:
    """The refusal of a second order with a channel's own order id: adding it (in memory)
    or committing it (the database's unique constraint) raises this."""
    return Conflict(f"order {channel_order_id} from channel {channel} already exists")


class OrderRepository(Repository[str, Order]):
    """`add` of an order whose (channel, channel_order_id) another order has raises
    `duplicate_order`, at the latest when the transaction commits."""

    @abc.abstractmethod
    def get_by_channel_id(self, channel: str, channel_order_id: str) -> Order | None: ...

    @abc.abstractmethod
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
        """Newest first; every filter given must match. `sku` and `line_status` must hold for
        the same line ("a backordered line of this SKU"); `statuses`: in any of them."""

    @abc.abstractmethod
    def count_with_line_status(
        self,
        line_status: LineStatus,
        *,
        statuses: Collection[OrderStatus],
        created_from: datetime,
        created_to: datetime,
    ) -> int:
        """How many orders created in [`created_from`, `created_to`) and standing in one of
        `statuses` have a line in `line_status`: counted, without building the orders."""

    @abc.abstractmethod
    def units_ordered(self, sku: str, since: datetime) -> list[tuple[datetime, int]]:
        """(created at, units) of every line of `sku` on an order created at or after `since`
        that was neither cancelled nor rejected, less the line's cancelled units (a remainder
        the customer would not wait for): the demand a forecast reads, every line of it,
        without building the orders. A line with every unit cancelled is left out."""


@dataclass(frozen=True, slots=True)
class CountApplied:
    """One SKU of a count as the store set it (`StockRepository.set_counts`): on-hand
    `before` (0 when the location had no row of the SKU), and `on_hand`, `reserved` and
    `available` as the row now stands."""

    sku: str
    before: int
    on_hand: int
    reserved: int
    available: int


class StockRepository(Repository[tuple[str, str], Stock]):
    """Stock rows, keyed (sku, location_code), with the one atomic reservation primitive."""

    @abc.abstractmethod
    def for_sku(self, sku: str) -> Sequence[Stock]: ...

    @abc.abstractmethod
    def for_skus(self, skus: Sequence[str]) -> Sequence[Stock]: ...

    def read_for_skus(self, skus: Sequence[str]) -> Sequence[Stock]:
        """Every row of these SKUs as it stands in this transaction, to read only: a store
        need not track what this returns for changes, so change rows got through `get` or
        `for_skus` instead. The pipeline's read of an order's stock, for the Decider's view."""
        return self.for_skus(skus)

    @abc.abstractmethod
    def for_location(self, location_code: str) -> Sequence[Stock]: ...

    @abc.abstractmethod
    def try_reserve(self, sku: str, location_code: str, quantity: int, channel: str | None) -> bool:
        """Reserve atomically if (and only if) the channel may still promise `quantity`.

        The check and the increment are one conditional update in the database, so no
        interleaving of processes can oversell.
        """

    def reserve(
        self, sku: str, location_code: str, quantity: int, channel: str | None
    ) -> int | None:
        """`try_reserve`, answering how many of the units came out of `channel`'s allocation
        at the row (the reservation records them, so that its release fences them again);
        None when refused. A store that keeps allocations overrides this."""
        return 0 if self.try_reserve(sku, location_code, quantity, channel) else None

    def try_reserve_all(self, moves: Sequence[tuple[str, str, int]], channel: str | None) -> bool:
        """`try_reserve` each (sku, location, quantity) in the order given; False when any
        is refused, and the caller then rolls back the transaction (some may have been
        reserved)."""
        return self.reserve_all(moves, channel) is not None

    def reserve_all(
        self, moves: Sequence[tuple[str, str, int]], channel: str | None
    ) -> dict[tuple[str, str], int] | None:
        """`try_reserve_all`, answering the units taken from `channel`'s allocations by
        (sku, location); None when any move is refused. A store that can send the moves
        together overrides this."""
        drawn: dict[tuple[str, str], int] = {}
        for sku, code, quantity in moves:
            taken = self.reserve(sku, code, quantity, channel)
            if taken is None:
                return None
            drawn[(sku, code)] = drawn.get((sku, code), 0) + taken
        return drawn

    @abc.abstractmethod
    def release(
        self,
        sku: str,
        location_code: str,
        quantity: int,
        channel: str | None = None,
        to_allocation: int = 0,
    ) -> None:
        """Give reserved units back; `to_allocation` of them (what the reservation took from
        `channel`'s allocation) are fenced for that channel again."""

    @abc.abstractmethod
    def consume(self, sku: str, location_code: str, quantity: int) -> None: ...

    @abc.abstractmethod
    def adjust(self, sku: str, location_code: str, delta: int) -> Stock: ...

    @abc.abstractmethod
    def set_counts(self, location_code: str, counts: Mapping[str, int]) -> dict[str, CountApplied]:
        """Set on-hand of each SKU at the location to its count (`counts`: units by SKU), or
        to what is reserved there when the count is below it; a SKU the location has no row
        of gets one with its count. The rows are held until the transaction ends, taken in
        SKU order (the order `reserve_all` takes an order's rows in, so the two wait for each
        other instead of deadlocking); each is set against what it holds once taken."""


class ReservationRepository(Repository[str, Reservation]):
    @abc.abstractmethod
    def for_order(self, order_id: str) -> Sequence[Reservation]: ...

    @abc.abstractmethod
    def expired(self, now: datetime, limit: int = 500) -> Sequence[Reservation]: ...


class ShipmentRepository(Repository[str, FulfillmentOrder]):
    @abc.abstractmethod
    def get_for_update(self, key: str) -> FulfillmentOrder | None:
        """As `get`, holding the shipment's row until the transaction ends (PostgreSQL: a
        row lock that waits for any other holder's commit, and then reads what it wrote):
        for a change decided on what the shipment holds, such as whether a tracking event
        is new, which two transactions must not both decide on the same reading."""

    @abc.abstractmethod
    def for_order(self, order_id: str) -> Sequence[FulfillmentOrder]: ...

    @abc.abstractmethod
    def for_location(
        self, location_code: str, status: str | None = None
    ) -> Sequence[FulfillmentOrder]: ...

    @abc.abstractmethod
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
        """Oldest first, like `list`; every filter given must match, and is applied before
        the page is cut. `locations`: shipped from one of these (an empty collection: none);
        `customer_id`: shipments of that customer's orders; `tracking_number`: the shipment
        whose own number, or one of whose parcels' numbers, it is (exactly, case and all,
        once the whitespace around it is stripped: numbers are kept as their carrier issued
        them, and a rate card's begin with its code, which may differ from another's in
        case alone)."""

    @abc.abstractmethod
    def count_released_on(self, location_code: str, day: date) -> int: ...

    def count_released_on_many(self, location_codes: Iterable[str], day: date) -> dict[str, int]:
        """`count_released_on` for several locations (one grouped query in the adapters)."""
        return {code: self.count_released_on(code, day) for code in dict.fromkeys(location_codes)}


class ReturnRepository(Repository[str, Return]):
    @abc.abstractmethod
    def get_for_update(self, key: str) -> Return | None:
        """As `get`, holding the return's row until the transaction ends (see
        `ShipmentRepository`): whether a return has its label yet is decided on it, and two
        requests deciding on the same reading would both print one."""

    @abc.abstractmethod
    def for_order(self, order_id: str) -> Sequence[Return]: ...

    @abc.abstractmethod
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
        """Oldest first, like `list`; every filter given must match, and is applied before
        the page is cut. `customer_id`: returns of that customer's orders. `locations`: what
        a warehouse working these locations handles: every authorised return (it may arrive
        anywhere) and those received at one of them. `location_code`: the returns of that
        one location, those going back to it (named when authorised) and those received
        there; a return with no location yet is never one. `tracking_number`: the return
        whose label has that number (matched as `ShipmentRepository.search` matches it; a
        return with no label yet has none)."""


# What a label is for: a shipment (the parcel out) or a return (the parcel back).
LabelOf = Literal["shipment", "return"]


class LabelStore(abc.ABC):
    """The printed labels of shipments and returns, each under its shipment's or return's id.

    Kept apart from the shipment and return rows, which every listing, the pipeline and the
    lateness clock read, because only a label's download needs its bytes (several KB each);
    the entity's `label_format` says whether it has one. Written in the unit of work's
    transaction, so a label and its entity's tracking number commit or roll back together."""

    @abc.abstractmethod
    def get(self, of: LabelOf, key: str) -> Label | None:
        """The label kept for the shipment or return `key`; None when it has none."""

    @abc.abstractmethod
    def put(self, of: LabelOf, key: str, label: Label) -> None:
        """Keep `label` for `key`, in place of any label it had."""

    @abc.abstractmethod
    def delete(self, of: LabelOf, key: str) -> bool:
        """Forget `key`'s label; whether it had one."""


class EdiStore(abc.ABC):
    """EDI with trading partners (docs/edi.md): the control numbers of the interchanges Ordo
    sends, what each 850 said that its order does not keep, and the documents waiting for
    a partner's gateway. Written in the unit of work's transaction."""

    @abc.abstractmethod
    def next_control_number(self, pair: Pair) -> int:
        """The next control number for `pair` (1 the first time, and after 999999999),
        taken now: another transaction asking for the same pair waits for this one to end,
        so no two that commit get the same number."""

    @abc.abstractmethod
    def keep_purchase_order(self, purchase_order: EdiPurchaseOrder) -> None:
        """Keep what an 850 said, in place of what an earlier one of the same number said."""

    @abc.abstractmethod
    def purchase_order(self, channel: str, po_number: str) -> EdiPurchaseOrder | None: ...

    @abc.abstractmethod
    def add_document(self, document: OutboundDocument) -> None:
        """Keep a new document; one of the same kind and reference already kept, or another
        that `replaces` the same document, is a `Conflict` (the database's unique
        constraints, by the time the transaction commits)."""

    @abc.abstractmethod
    def document(self, document_id: str) -> OutboundDocument | None: ...

    @abc.abstractmethod
    def document_about(self, kind: str, reference: str) -> OutboundDocument | None: ...

    @abc.abstractmethod
    def documents(
        self, channel: str, *, pending: bool | None = True, limit: int = 100, offset: int = 0
    ) -> Sequence[OutboundDocument]:
        """The channel's documents, oldest first: those not acknowledged yet (`pending`),
        those acknowledged (False), or all (None)."""

    @abc.abstractmethod
    def acknowledge(self, document_id: str, by: str, at: datetime) -> None:
        """Mark the document collected, unless it was already (the first time stands)."""

    @abc.abstractmethod
    def documents_about_orders(self, order_ids: Sequence[str]) -> Sequence[OutboundDocument]:
        """Every document about these orders, collected or not, oldest first."""

    @abc.abstractmethod
    def rewrite(self, document_id: str, content: str) -> None:
        """Replace a document's text (an erasure's redaction); nothing else of it changes."""

    @abc.abstractmethod
    def documents_numbered(
        self, channel: str, control_numbers: Collection[int]
    ) -> Sequence[OutboundDocument]:
        """The channel's documents sent under these control numbers (ISA13, GS06), oldest
        first: a partner's 997 names them so (several, when the counter wrapped or the
        channel has several sender/receiver pairs)."""

    @abc.abstractmethod
    def record_functional_ack(
        self, document_id: str, status: str, codes: Sequence[str], at: datetime
    ) -> None:
        """What the partner's 997 said of the document, in place of what an earlier one
        said (`OutboundDocument.functional_ack`)."""

    @abc.abstractmethod
    def mark_replaced(self, document_id: str, replacement_id: str) -> None:
        """The document was written again as `replacement_id` (`OutboundDocument.replaced_by`);
        the replacement names it in its `replaces` when added."""


class InboundRepository(Repository[str, InboundSupply]):
    @abc.abstractmethod
    def get_for_update(self, key: str) -> InboundSupply | None:
        """As `get`, holding the row until the transaction ends (see `ShipmentRepository`):
        whether a purchase order or transfer is still to be received is decided on it."""

    @abc.abstractmethod
    def for_sku(self, sku: str) -> Sequence[InboundSupply]: ...

    @abc.abstractmethod
    def for_order(self, order_id: str) -> Sequence[InboundSupply]:
        """The ship-to-store transfers sent for a pickup order, by expected arrival."""

    @abc.abstractmethod
    def for_order_for_update(self, order_id: str) -> Sequence[InboundSupply]:
        """As `for_order`, holding their rows until the transaction ends (as
        `get_for_update`): a cancellation decides on them as an arrival or reinstatement
        racing it left them, not as they were before."""

    @abc.abstractmethod
    def with_tracking_number(self, number: str, limit: int = 10) -> Sequence[InboundSupply]:
        """Transfers reported shipped under this tracking number (exactly; whatever their
        state or carrier), by expected arrival: a carrier's scan finds its transfer by it."""


class AlertRepository(Repository[str, Alert]):
    """Newest first (by creation, then id)."""

    @abc.abstractmethod
    def open_for(self, rule: str, key: str) -> Alert | None: ...

    @abc.abstractmethod
    def search(
        self, *, status: AlertStatus | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[Alert]:
        """Newest first; `status` is applied before the page is cut."""

    @abc.abstractmethod
    def get_for_update(self, key: str) -> Alert | None:
        """As `get`, holding the alert's row until the transaction ends (see
        `ShipmentRepository`): a close is decided on the alert as the last repeat left it."""

    @abc.abstractmethod
    def quiet_acknowledged(self, since: datetime, limit: int = 100) -> Sequence[Alert]:
        """Up to `limit` acknowledged alerts that neither fired nor were acknowledged after
        `since` (`Alert.quiet_since`): the ones the worker closes."""


class RulesetRepository(Repository[str, RulesetVersion]):
    @abc.abstractmethod
    def versions(self, name: str) -> Sequence[RulesetVersion]: ...

    @abc.abstractmethod
    def published(self) -> Sequence[RulesetVersion]: ...


class TraceRepository(Repository[str, DecisionTrace]):
    @abc.abstractmethod
    def for_order(self, order_id: str) -> Sequence[DecisionTrace]: ...


class TicketRepository(Repository[str, Ticket]):
    """Tickets opened in a helpdesk: added when opened, then changed only by what the
    helpdesk reports of them (status, latest reply)."""

    @abc.abstractmethod
    def about(self, entity: str, entity_id: str) -> Sequence[Ticket]:
        """The tickets about one entity ("order", "alert"), oldest first."""


@dataclass(frozen=True, slots=True)
class EarlyCancellation:
    """A shop's cancellation of an order Ordo has not seen yet (webhooks come in any order):
    remembered, so the order is cancelled the moment it arrives. `actor` is who delivered the
    news (the audit's name for the channel's caller); `delivery_id` the channel's id of that
    delivery ("" when it gave none)."""

    channel: str
    channel_order_id: str
    reason: str
    actor: str
    delivery_id: str
    noted_at: datetime


class EarlyCancellations(abc.ABC):
    """The shops' cancellations still waiting for their orders, one per (channel, channel
    order id), kept for a retention. Written in the unit of work's transaction."""

    @abc.abstractmethod
    def remember(self, cancellation: EarlyCancellation) -> None:
        """Keep `cancellation`, unless one for the same order is kept already (the first
        stands: a retry of the news changes nothing)."""

    @abc.abstractmethod
    def take(self, channel: str, channel_order_id: str) -> EarlyCancellation | None:
        """The cancellation kept for this order, forgotten now; None (the common case, asked
        once per order created) when there is none."""

    @abc.abstractmethod
    def arrived(self, limit: int = 100) -> Sequence[EarlyCancellation]:
        """Cancellations whose order is here after all (it arrived while the news was being
        remembered, past the check at its creation), oldest first."""

    @abc.abstractmethod
    def purge(self, before: datetime) -> int:
        """Forget the cancellations noted before `before`; how many went."""


class BoxStockStore(abc.ABC):
    """How many of each box each location has (docs/packaging.md#boxes-in-stock), and the
    shipments whose boxes were counted out. Written at once, in the unit of work's
    transaction; a level changed is held until the transaction ends, so two changes of one
    (location, box) follow each other. A change answers the on-hand before it (None: the box
    was not counted there yet, and is tracked from 0 now) and the level after it."""

    @abc.abstractmethod
    def levels(self, location_code: str | None = None) -> Sequence[BoxStock]:
        """The levels at a location (every location's when None), by location and box code."""

    @abc.abstractmethod
    def add(
        self, location_code: str, box_code: str, delta: int, at: datetime
    ) -> tuple[int | None, BoxStock]:
        """`delta` more (or fewer, below 0) of the box at the location."""

    @abc.abstractmethod
    def set(
        self, location_code: str, box_code: str, on_hand: int, at: datetime
    ) -> tuple[int | None, BoxStock]:
        """The box's on-hand at the location is `on_hand` (what was counted)."""

    @abc.abstractmethod
    def mark_used(
        self, shipment_id: str, location_code: str, boxes: Mapping[str, int], at: datetime
    ) -> bool:
        """Note that `shipment_id` took `boxes` (box code -> parcels); False, noting nothing,
        when it was noted before: its boxes are counted out once."""


class AuditLog(abc.ABC):
    """Append-only: there is deliberately no update or delete."""

    @abc.abstractmethod
    def append(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def list(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[AuditEntry]: ...

    def about(self, entity: str, entity_ids: Collection[str]) -> Sequence[AuditEntry]:
        """Every entry about these entities of one kind, oldest first (a customer's
        personal-data export reads those of all their orders). Adapters answer it in a few
        queries; this reads entity by entity, a page at a time."""
        found: list[AuditEntry] = []
        for entity_id in dict.fromkeys(entity_ids):
            offset = 0
            while page := self.list(entity=entity, entity_id=entity_id, limit=500, offset=offset):
                found.extend(page)
                offset += len(page)
        return sorted(found, key=lambda e: (e.at, e.id))


# What `PersonalCopies.redact` counts, by kind of record changed.
COPY_KINDS = (
    "audit_entries",
    "decision_traces",
    "outbox_events",
    "dead_letters",
    "idempotency_records",
    "api_keys",
    "tickets",
    "alerts",
)


@dataclass(frozen=True)
class CustomerCopies:
    """A customer's personal data as copies of it are found and redacted: the records that
    are theirs by id, the texts that are theirs by content (`needles`: emails, names, street
    lines, as given), and `scrub(value, theirs)`, which returns a JSON value with the
    customer's details replaced (`theirs`: the whole value is about the customer, not a
    document that may also hold other people's, such as a batch's answer)."""

    customer_id: str
    order_ids: tuple[str, ...]
    shipment_ids: tuple[str, ...]
    return_ids: tuple[str, ...]
    needles: tuple[str, ...]
    scrub: Callable[[Any, bool], Any]
    scrub_text: Callable[[str], str]


class PersonalCopies(abc.ABC):
    """Where a customer's personal data is copied outside the entities: the JSON of audit
    entries, decision traces, events (outbox and dead letters) and idempotency answers, the
    names of API keys (and of the entries auditing them), alert messages, and the subjects of
    helpdesk tickets about their orders and alerts. Erasure
    redacts those copies in place, in the unit of work's transaction; this is the one change
    the append-only audit log (and the tickets' record) ever takes."""

    @abc.abstractmethod
    def redact(self, copies: CustomerCopies) -> dict[str, int]:
        """Redact every copy of `copies`' data; the records changed, by `COPY_KINDS`. A
        customer's API keys are revoked: no one is left for them to act as."""

    @abc.abstractmethod
    def alerts(self, copies: CustomerCopies) -> Sequence[Alert]:
        """The alerts about the customer, oldest first: keyed by one of their orders,
        shipments or returns, or with a message naming them."""

    @abc.abstractmethod
    def answers(self, copies: CustomerCopies) -> Sequence[IdempotencyRecord]:
        """The answers kept under an Idempotency-Key that hold the customer's details, oldest
        first (a store that keeps none answers none)."""


class UnitOfWork(abc.ABC):
    """One business transaction: `with uow: ...; uow.commit()`.

    Leaving the block without a commit rolls back.
    """

    orders: OrderRepository
    products: ProductRepository
    locations: Repository[str, Location]
    customers: Repository[str, Customer]
    stock: StockRepository
    reservations: ReservationRepository
    shipments: ShipmentRepository
    returns: ReturnRepository
    inbound: InboundRepository
    alerts: AlertRepository
    rulesets: RulesetRepository
    traces: TraceRepository
    tickets: TicketRepository
    labels: LabelStore
    edi: EdiStore
    audit: AuditLog
    personal_copies: PersonalCopies
    early_cancellations: EarlyCancellations
    box_stock: BoxStockStore

    def __init__(self) -> None:
        self._recorded: list[Event] = []
        self._committed: list[Event] = []
        self._acted_on: list[Event] = []
        self._before_commit: list[Callable[[UnitOfWork], None]] = []

    def __enter__(self) -> UnitOfWork:
        self._recorded.clear()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def record(self, event: Event) -> None:
        """Add an event that no aggregate owns (stock moved, alert raised) to this transaction."""
        self._recorded.append(event)

    def before_commit(self, hook: Callable[[UnitOfWork], None]) -> None:
        """Run `hook` with this unit of work inside its next commit, before anything is
        written: the API's audit entry of a command, in the command's own transaction, so a
        change is never committed unaudited nor an entry written for a change rolled back."""
        self._before_commit.append(hook)

    def drop_before_commit(self) -> None:
        """Forget the hooks no commit ran: they belong to the command that registered them,
        not to the next transaction of a unit of work that outlives it."""
        self._before_commit.clear()

    def commit(self) -> None:
        """Commit state and its events together: the adapter writes `events` to its outbox
        in the same transaction, so nothing is published for a change that rolled back."""
        while self._before_commit:
            self._before_commit.pop(0)(self)
        events = list(self._drain())
        self._commit(events)
        self._committed.extend(events)

    @abc.abstractmethod
    def _commit(self, events: list[Event]) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    def _aggregate_repositories(self) -> Sequence[Repository[str, Any]]:
        """The repositories whose entities carry events (adapters may leave out ones this
        transaction never touched)."""
        return (self.orders, self.shipments, self.returns)

    def _drain(self) -> Iterator[Event]:
        for repo in self._aggregate_repositories():
            for aggregate in repo.tracked():
                pending: list[Event] = getattr(aggregate, "events", [])
                while pending:
                    yield pending.pop(0)
        while self._recorded:
            yield self._recorded.pop(0)

    def acted_on(self, event: Event) -> None:
        """The handler already did, in this same transaction, what the in-process subscriber
        of `event` would do next (an order decided as it was created): the event is in the
        outbox like any other, for subscribers elsewhere, but is not handed back to the
        in-process bus. Call it after `commit`."""
        self._acted_on.append(event)

    def collect_new_events(self) -> Iterator[Event]:
        """Events of committed transactions, for the in-process bus to dispatch."""
        while self._committed:
            event = self._committed.pop(0)
            if any(event is done for done in self._acted_on):
                continue
            yield event
        self._acted_on.clear()
