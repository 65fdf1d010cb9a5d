"""Order handlers: create an order and run it through the pipeline; the handler registry.

`process_order` asks the pure `Decider` what to do, then makes it so in one transaction:
reserve stock atomically (`uow.stock.try_reserve`, a conditional update in the database),
record reservations and fulfilment orders, store a decision trace per step and move the
order along its lifecycle. If a reservation loses a race with another order, the transaction
rolls back and the order is decided again against fresh stock, a bounded number of times.

Lifecycle handlers (cancel, modify, holds, shipments, consolidation) live in `lifecycle.py`,
stock handlers in `inventory.py`, returns in `returns.py`; the registry in `messagebus.py`
lists them all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.adapters.geo import postal_code_coordinates
from engine.domain import commands, events
from engine.domain.catalog import Product, Service
from engine.domain.errors import NotFound
from engine.domain.fulfilment import FulfillmentOrder, ShipmentLine, ShipmentStatus
from engine.domain.inventory import InboundSupply, Reservation, ReservationStatus, Stock
from engine.domain.operations import DecisionTrace, RulesetStatus
from engine.domain.orders import (
    Fulfilment,
    InvalidLine,
    KitShape,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    check_line_ids,
)
from engine.domain.values import Address, money
from engine.pipeline.decide import Decider, Decision
from engine.pipeline.stock_view import SnapshotStockView
from engine.service_layer import audit, channel_cancellations
from engine.service_layer.rulesets_service import ScenarioStore
from engine.service_layer.unit_of_work import EarlyCancellation, UnitOfWork

Clock = Callable[[], datetime]
# Orders the pipeline may (re)decide; anything else has been decided already.
DECIDABLE = frozenset({OrderStatus.RECEIVED})
STEP_ORDER = {"validation": 0, "sourcing": 1, "carrier": 2}


@dataclass(frozen=True)
class PipelineOptions:
    """How the service layer applies decisions (from `ordo.settings`)."""

    # Release fulfilment orders to their locations as soon as a carrier is assigned.
    auto_release: bool = True
    # Reservations of orders not yet released expire after this long (None: never).
    reservation_ttl: timedelta | None = None
    # Re-decisions after losing a reservation race before the order is held.
    max_attempts: int = 4
    # The channels whose shops may cancel an order before it reaches Ordo (those with a
    # webhook connector): only their new orders are looked up among the cancellations waiting
    # (`uow.early_cancellations`), a round trip each on PostgreSQL. None: every channel's.
    early_cancellation_channels: frozenset[str] | None = None


def new_id(prefix: str) -> str:
    # 64 random bits as 16 hex digits, as `uuid4().hex[:16]` gave (60 of them: one digit is
    # its version), at a quarter of the cost: an order takes about ten.
    return f"{prefix}_{secrets.token_hex(8)}"


def existing_order(uow: UnitOfWork, order_id: str) -> Order:
    """The order `order_id`, or NotFound (a 404) when there is none."""
    order = uow.orders.get(order_id)
    if order is None:
        raise NotFound("order", order_id)
    return order


def address_from(data: commands.AddressInput) -> Address:
    address = Address(
        postal_code=data.postal_code.strip(),
        country=data.country,
        line1=data.line1,
        city=data.city,
        state=data.state,
        name=data.name,
    )
    coordinates = postal_code_coordinates(address.postal_code, address.country)
    return address.with_coordinates(*coordinates) if coordinates else address


def order_lines(
    uow: UnitOfWork,
    lines: Sequence[commands.LineInput],
    start: int = 1,
    *,
    taken: Collection[str] = (),
    field: str = "lines",
    known_only: bool = False,
) -> list[OrderLine]:
    """Lines from input; a missing price is the catalogue price (0 for an unknown SKU, which
    validation then rejects by name). A line naming a kit becomes one line per component
    (`<line>.<n>`): a kit has no stock of its own, so sourcing, reservation and shipping
    work on what actually sits on the shelves.

    Every id is the order's own: a line without one is numbered by its position, or the next
    number free after it when that one is taken (`taken`: the order's lines; or named by
    another line of the request); an id named twice, or already taken, is refused at its
    path (`<field>[i].line_id`), since a second line under one id replaces the first when
    stored. `known_only` refuses a SKU the catalogue does not have at `<field>[i].sku`
    (a change to a live order, which validation would otherwise reject whole)."""
    check_line_ids([data.line_id or None for data in lines], taken, field)
    products = uow.products.read_many(data.sku for data in lines)
    # Ids in use: for numbering, a kit's `<line>.<n>` components use up `<line>` too.
    used = {*taken, *(data.line_id for data in lines if data.line_id)}
    used |= {line_id.split(".")[0] for line_id in used}
    built: list[OrderLine] = []
    seen: set[str] = set()
    for index, data in enumerate(lines):
        product = products.get(data.sku)
        if product is None and known_only:
            raise InvalidLine(
                (field, index, "sku"),
                f"SKU '{data.sku}' is not in the catalogue; nothing was changed: correct the "
                "SKU, or add the product to the catalogue first",
            )
        price = data.price
        if price is None:
            price = product.price if product else money(0)
        line_id = data.line_id
        if not line_id:
            number = start + index
            while str(number) in used:
                number += 1
            line_id = str(number)
            used.add(line_id)
        if product is not None and product.is_kit:
            new = _kit_lines(uow, line_id, product, data.quantity, money(price))
        else:
            new = [OrderLine(line_id, data.sku, data.quantity, money(price))]
        # A kit's components can meet a line named like one of them (`1.1`).
        clash = next((line.id for line in new if line.id in taken or line.id in seen), None)
        if clash is not None:
            raise InvalidLine(
                (field, index, "line_id" if data.line_id else "sku"),
                f"this line's id '{clash}' is already taken by another line; each line "
                "needs its own id",
            )
        built.extend(new)
        seen.update(line.id for line in new)
    return built


def _kit_lines(
    uow: UnitOfWork, line_id: str, kit: Product, quantity: int, price: Decimal
) -> list[OrderLine]:
    """The kit's components for `quantity` kits, its price shared out by the components'
    catalogue prices, so the order's total (which rules read) and refunds per line still
    add up to what the customer paid for the kit."""
    components = sorted(kit.kit_components.items())
    known = uow.products.read_many(sku for sku, _units in components)
    weights = {sku: known[sku].price if sku in known else Decimal(0) for sku, _ in components}
    if sum(weights.values()) <= 0:
        weights = {sku: Decimal(1) for sku, _ in components}  # no prices: share evenly
    whole = sum(weights[sku] * units for sku, units in components)
    unit_prices = {sku: money(price * weights[sku] / whole) for sku, _ in components}
    # Rounding to cents leaves a few cents over or short per kit: a component taken once
    # per kit absorbs them exactly; without one, the first absorbs them per unit (rounded).
    rest = price - sum(unit_prices[sku] * units for sku, units in components)
    absorber, units = next(((s, u) for s, u in components if u == 1), components[0])
    unit_prices[absorber] = money(unit_prices[absorber] + rest / units)
    # Each part keeps the kit's shape: the shop counts the line in kits, and its parts'
    # quantities alone cannot say how many (2 kits of A+B read like 1 kit of 2A+2B).
    return [
        OrderLine(
            f"{line_id}.{n}",
            sku,
            units * quantity,
            unit_prices[sku],
            kit=KitShape(kit.sku, units, quantity),
        )
        for n, (sku, units) in enumerate(components, start=1)
    ]


def create_order(
    cmd: commands.CreateOrder,
    uow: UnitOfWork,
    clock: Clock,
    decider: Decider | None = None,
    options: PipelineOptions | None = None,
    bus: Any = None,
) -> str:
    """Store a new order as `received`; the `order.received` event starts the pipeline.

    When the pipeline runs in this process (`bus` hands `order.received` to nothing but
    `on_order_received`), the order is decided in the same transaction as it is created:
    one transaction instead of two, and nothing read twice. The outbox carries the same
    events in the same order as the two transactions would have written. If a reservation
    loses a race, the order is stored `received` and the pipeline's retries take over."""
    inline = decider is not None and options is not None and _pipeline_in_process(bus)
    if inline:
        assert decider is not None
        # Compile the published rulesets (first use only) before the transaction opens.
        decider.registry.ensure_loaded()
    with uow:
        # A channel order id taken already is refused by `uow.orders` (the database's unique
        # constraint, at commit): asking first cost a round trip on every order to catch
        # the rare duplicate a little earlier.
        order = Order(
            id=cmd.order_id or new_id("ord"),
            channel=cmd.channel,
            channel_order_id=cmd.channel_order_id,
            customer_id=cmd.customer_id,
            ship_to=address_from(cmd.ship_to),
            lines=order_lines(uow, cmd.lines),
            created_at=clock(),
            email=cmd.email,
            currency=cmd.currency,
            service_level=cmd.service_level,
            requested_date=cmd.requested_date,
            priority=cmd.priority,
            fulfilment=fulfilment_from(cmd.fulfilment),
            pickup_location=cmd.pickup_location or None,
        )
        if order.pickup_location is not None:
            check_pickup_store(uow, order.pickup_location)
        received = events.OrderReceived(order.id, order.channel)
        order.events.append(received)
        uow.orders.add(order)
        early = _cancelled_early(uow, order, options)
        if early is not None:
            # Its shop cancelled it before it came: nothing to decide, nothing reserved.
            _audit_creation(uow, order)  # as it came, then its cancellation
            channel_cancellations.cancel_early(uow, order, early)
            return _created(uow, order, received if inline else None)
        if inline:
            assert decider is not None and options is not None
            if decide_and_apply(uow, order, decider, clock, options, attempt=1):
                _audit_creation(uow, order)
                return _created(uow, order, received)
            # Lost a race for stock: store the order undecided; `process_order` retries.
            uow.rollback()
            uow.orders.add(order)
        _audit_creation(uow, order)
        uow.commit()
        return order.id


def _cancelled_early(
    uow: UnitOfWork, order: Order, options: PipelineOptions | None
) -> EarlyCancellation | None:
    """The cancellation its shop sent before `order` came, taken (`channel_cancellations`)."""
    channels = None if options is None else options.early_cancellation_channels
    if channels is not None and order.channel not in channels:
        return None  # no shop of this channel could have sent one
    return uow.early_cancellations.take(order.channel, order.channel_order_id)


def _created(uow: UnitOfWork, order: Order, acted_on: events.OrderReceived | None) -> str:
    """Commit an order settled as it was created, for the caller that keeps it
    (`keeping_created_orders`); `acted_on`: its `order.received`, when the in-process
    pipeline, its one subscriber, has nothing left to do for it."""
    uow.commit()
    if acted_on is not None:
        uow.acted_on(acted_on)
    kept = _kept_orders.get()
    if kept is not None:
        kept[order.id] = order
    return order.id


def fulfilment_from(value: str) -> Fulfilment:
    """The fulfilment a command names, or InvalidLine at `$.fulfilment` naming the two."""
    try:
        return Fulfilment(value)
    except ValueError:
        known = ", ".join(f"'{f.value}'" for f in Fulfilment)
        raise InvalidLine(("fulfilment",), f"'{value}' is not one of {known}") from None


def check_pickup_store(uow: UnitOfWork, code: str) -> None:
    """Refuse, at `$.pickup_location`, a store Ordo does not know or one that does not offer
    pickup: the order could never be collected there."""
    location = uow.locations.get(code)
    if location is None:
        raise InvalidLine(
            ("pickup_location",),
            f"location '{code}' is not known to Ordo: give the code of a store that offers "
            "pickup (GET /v1/locations)",
        )
    if Service.PICKUP not in location.services:
        offered = ", ".join(sorted(str(s) for s in location.services)) or "none"
        raise InvalidLine(
            ("pickup_location",),
            f"location '{code}' does not offer pickup (its services: {offered}): choose a "
            "store that does",
        )


def _audit_creation(uow: UnitOfWork, order: Order) -> None:
    """The audit entry of an order created for someone (`audit.acting_as`), as it stands
    when this transaction commits."""
    actor = audit.current_actor()
    if actor is None:
        return
    summary = {
        "channel": order.channel,
        "channel_order_id": order.channel_order_id,
        "lines": len(order.lines),
        "status": str(order.status),
    }
    audit.record(uow, actor, "order.create", "order", order.id, {}, summary)


# Where `create_order` leaves the orders it decided, as committed, for a caller that asked
# (`keeping_created_orders`): per request, like `audit.acting_as`, not per process.
_kept_orders: ContextVar[dict[str, Order] | None] = ContextVar("ordo_kept_orders", default=None)


@contextmanager
def keeping_created_orders() -> Iterator[dict[str, Order]]:
    """Orders created and decided inside this block, by id, as their transaction committed
    them: the API answers with the order it just made without reading it back (a second
    transaction and three round trips on PostgreSQL). An order left `received` for the
    pipeline's retries is not kept: what the caller sees of it is decided later."""
    kept: dict[str, Order] = {}
    token = _kept_orders.set(kept)
    try:
        yield kept
    finally:
        _kept_orders.reset(token)


def _pipeline_in_process(bus: Any) -> bool:
    """Whether `order.received` is handled here and only by the pipeline (not left to a
    worker, and no other subscriber that deciding at creation would skip)."""
    subscribers = getattr(bus, "event_handlers", {}).get(events.OrderReceived, [])
    return list(subscribers) == [on_order_received]


# --- process_order ----------------------------------------------------------------------------


class _ReleasedToday(Mapping[str, int]):
    """Shipments released today per location, counted only for locations the Decider asks
    about (it asks for the locations a plan uses, not all of them). The first question
    counts every location in `likely` at once: one grouped query instead of one per
    location."""

    def __init__(self, uow: UnitOfWork, day: date, likely: Sequence[str] = ()) -> None:
        self.uow, self.day, self.cache = uow, day, dict[str, int]()
        self.likely = likely

    def __getitem__(self, code: str) -> int:
        if code not in self.cache:
            wanted = [code, *(c for c in self.likely if c not in self.cache)]
            self.cache.update(self.uow.shipments.count_released_on_many(wanted, self.day))
        return self.cache[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.cache)

    def __len__(self) -> int:
        return len(self.cache)


def decide(
    order: Order,
    uow: UnitOfWork,
    decider: Decider,
    now: datetime,
    *,
    validated: bool = False,
    read_stock: Callable[[Sequence[str]], Sequence[Stock]] | None = None,
) -> Decision:
    """Load what the Decider needs for one order and ask it (no writes). `validated`: the
    order was accepted before and this is its remainder (see `Decider.decide`). `read_stock`
    reads the stock rows of the order's SKUs instead of the store (the backorder pass shows
    the Decider stock net of what it has already promised)."""
    skus = sorted({line.sku for line in order.lines})
    products = uow.products.read_many(skus)

    def inbound() -> list[InboundSupply]:
        return [supply for sku in skus for supply in uow.inbound.for_sku(sku)]

    stock = (read_stock or uow.stock.read_for_skus)(skus)
    stocked = sorted({row.location_code for row in stock})
    # The Decider looks a location up only to screen one that stocks a line, or to drop-ship
    # from a product's vendor: load those, not the whole network (every location was read
    # and translated on every order).
    vendors = {p.dropship_vendor for p in products.values() if p.dropship_vendor}
    # A pickup order's store is read even where it stocks none of the lines: it is the one
    # place the order can be collected at (what it lacks waits there).
    store = (order.pickup_location,) if order.pickup_location else ()
    locations = uow.locations.read_many(sorted({*stocked, *vendors, *store}))
    return decider.decide(
        order,
        uow.customers.get(order.customer_id),
        products,
        list(locations.values()),
        SnapshotStockView(stock),
        now,
        inbound=inbound,
        shipments_today=_ReleasedToday(uow, now.date(), stocked),
        waived_holds=frozenset(h.code for h in order.holds if h.waived),
        validated=validated,
    )


def process_order(
    cmd: commands.ProcessOrder,
    uow: UnitOfWork,
    decider: Decider,
    clock: Clock,
    options: PipelineOptions,
) -> str:
    """Decide and apply; returns the order's new status. Idempotent: an order already decided
    is left alone (the event that triggers this may be delivered twice)."""
    # Compile the published rulesets (first use only) before this order's transaction opens.
    decider.registry.ensure_loaded()
    for attempt in range(1, options.max_attempts + 1):
        with uow:
            order = uow.orders.get(cmd.order_id)
            if order is None:
                raise NotFound("order", cmd.order_id)
            if order.status not in DECIDABLE:
                return str(order.status)
            if decide_and_apply(uow, order, decider, clock, options, attempt):
                uow.commit()
                return str(order.status)
            # Lost a race for stock: roll back what this attempt reserved and decide again.
            uow.rollback()
    with uow:
        order = uow.orders.get(cmd.order_id)
        assert order is not None
        order.hold(
            "reservation_contention",
            f"stock kept changing while reserving ({options.max_attempts} attempts)",
            clock(),
        )
        uow.commit()
        return str(order.status)


def decide_and_apply(
    uow: UnitOfWork,
    order: Order,
    decider: Decider,
    clock: Clock,
    options: PipelineOptions,
    attempt: int,
    *,
    read_stock: Callable[[Sequence[str]], Sequence[Stock]] | None = None,
) -> bool:
    """Decide, reserve and record one attempt inside the caller's transaction; False when a
    reservation lost a race (the caller rolls back). Public because the backorder pass
    decides the orders it can now fill in its own transaction, in rank order, showing the
    Decider stock net of what it has set aside (`read_stock`, as in `decide`)."""
    # Here, not at the top: ship_to_store builds on this module (`new_id`).
    from engine.service_layer import ship_to_store

    now = clock()
    decision = decide(order, uow, decider, now, read_stock=read_stock)
    if not reserve_all(uow, order, decision, now, options):
        return False
    _apply(uow, order, decision, now, attempt, options)
    # A pickup order's shortfall sent to its store, in the same transaction (a warehouse's
    # units taken meanwhile lose the race as a reservation would).
    return ship_to_store.apply(uow, order, decision, now)


# Orders whose fulfilment orders have gone to their locations (manual release acts on
# `carrier_assigned` only): a remainder sourced later follows them at once.
RELEASED_ALREADY = frozenset(
    {OrderStatus.RELEASED, OrderStatus.PICKED, OrderStatus.PACKED, OrderStatus.PARTIALLY_SHIPPED}
)


def reserve_all(
    uow: UnitOfWork, order: Order, decision: Decision, now: datetime, options: PipelineOptions
) -> bool:
    """Reserve every reservable allocation of `decision` atomically, recording each
    reservation; False as soon as one loses a race (the caller rolls back). Public because
    re-sourcing a backordered remainder (`backorders.py`) reserves the same way."""
    expires = None
    # The time-to-live covers the wait for a manual release; a released order's remainder,
    # sourced later, goes to its locations at once, so its units are theirs to ship.
    waits = order.status not in RELEASED_ALREADY
    if options.reservation_ttl is not None and not options.auto_release and waits:
        expires = now + options.reservation_ttl
    # One global lock order for every transaction: two orders taking the same SKUs in
    # opposite decision order would otherwise each hold a row the other waits for, and
    # PostgreSQL would break that cycle by failing one of them.
    reservable = sorted(
        (a for a in decision.allocations if a.reserve), key=lambda a: (a.sku, a.location_code)
    )
    moves = [(a.sku, a.location_code, a.quantity) for a in reservable]
    drawn = uow.stock.reserve_all(moves, order.channel)
    if drawn is None:
        return False
    for allocation in reservable:
        # What a row's allocation gave goes to that row's reservations in turn: each
        # records its share, which its release fences for the channel again.
        key = (allocation.sku, allocation.location_code)
        from_allocation = min(allocation.quantity, drawn.get(key, 0))
        if from_allocation:
            drawn[key] -= from_allocation
        uow.reservations.add(
            Reservation(
                id=new_id("res"),
                order_id=order.id,
                line_id=allocation.line_id,
                sku=allocation.sku,
                location_code=allocation.location_code,
                quantity=allocation.quantity,
                created_at=now,
                channel=order.channel,
                expires_at=expires,
                from_allocation=from_allocation,
            )
        )
        uow.record(
            events.StockReserved(
                order.id, allocation.sku, allocation.location_code, allocation.quantity
            )
        )
    return True


def give_back(uow: UnitOfWork, reservation: Reservation, status: ReservationStatus) -> None:
    """Put a reservation's units back on sale at its location (fenced for its channel again,
    as far as its allocation gave them) and close it as `status`."""
    uow.stock.release(
        reservation.sku,
        reservation.location_code,
        reservation.quantity,
        reservation.channel,
        reservation.from_allocation,
    )
    reservation.move(status)


def _apply(
    uow: UnitOfWork,
    order: Order,
    decision: Decision,
    now: datetime,
    attempt: int,
    options: PipelineOptions,
) -> None:
    trace = decision.trace
    validation = dict(trace.get("validation", {}))
    # Every trace of this decision records the version the order had when it was decided:
    # the steps change the order (and its version) as they go, and `trace_order` must keep
    # them together, in the pipeline's order, before any later re-decision's.
    version = order.version
    # A changed order comes back with the holds of its last decision still open: those this
    # decision does not place any more are released (and said so in the trace), so an order
    # never goes on with an open hold; one it places again is kept, not placed twice.
    released = order.release_holds_not_placed(holds_placed(decision), now)
    if released:
        validation["holds_released"] = sorted({hold.code for hold in released})
    uow.traces.add(
        DecisionTrace(
            new_id("trc"),
            order.id,
            "validation",
            *first_ruleset(decision.trace, "validation"),
            now,
            str(validation.get("outcome", "pass")),
            # The order's version orders decisions that share a timestamp (a re-decision).
            {**validation, "order_version": version},
        )
    )
    if decision.outcome == "rejected":
        order.reject(decision.code, decision.message)
        return
    if decision.outcome == "held":
        if "sourcing" in trace:
            _store_sourcing(uow, order, decision, now, attempt, version)
        order.hold(decision.code, decision.message, now)
        return
    order.transition(OrderStatus.VALIDATED)
    _store_sourcing(uow, order, decision, now, attempt, version)
    backordered = {b.line_id for b in decision.backorders}
    for line in order.lines:
        line.status = LineStatus.BACKORDERED if line.id in backordered else LineStatus.ALLOCATED
    order.promised_date = decision.promised_date
    if not decision.allocations:
        order.transition(
            OrderStatus.PREORDERED if decision.outcome == "preordered" else OrderStatus.BACKORDERED,
            decision.outcome,
        )
        return
    order.transition(OrderStatus.SOURCED, decision.outcome)
    order.transition(OrderStatus.RESERVED)
    shipments = add_shipments(uow, order, decision, now)
    uow.traces.add(
        DecisionTrace(
            new_id("trc"),
            order.id,
            "carrier",
            *first_ruleset(decision.trace, "carrier"),
            now,
            "assigned",
            {**trace.get("carriers", {}), "order_version": version},
        )
    )
    order.transition(OrderStatus.CARRIER_ASSIGNED)
    if options.auto_release:
        release_shipments(order, shipments, now)


def holds_placed(decision: Decision) -> frozenset[str]:
    """The hold codes a decision places: the one it holds the order with, and every other
    hold action of a matched validation rule (the verdict names only the first, but the
    others apply all the same). None unless the order is held."""
    if decision.outcome != "held":
        return frozenset()
    codes = {decision.code}
    for ruleset in decision.trace.get("validation", {}).get("rulesets", ()):
        for rule in ruleset.get("rules", ()):
            if rule.get("status") != "matched":
                continue
            for action in rule.get("actions", ()):
                if action.get("kind") == "hold":
                    codes.add(str(action.get("args", {}).get("code", "hold")))
    return frozenset(codes)


def add_shipments(
    uow: UnitOfWork, order: Order, decision: Decision, now: datetime
) -> list[FulfillmentOrder]:
    """A pending fulfilment order per planned shipment of `decision`, added to the store,
    keeping the day it is planned to ship (`planned_ship_date`) and to be delivered. Public
    because re-sourcing a backordered remainder (`backorders.py`) ships the same way."""
    shipments = []
    for planned in decision.shipments:
        shipment = FulfillmentOrder(
            id=new_id("ful"),
            order_id=order.id,
            location_code=planned.location_code,
            lines=[ShipmentLine(a.line_id, a.sku, a.quantity) for a in planned.lines],
            created_at=now,
            carrier=planned.carrier,
            service=planned.service,
            rate=money(planned.rate),
            promised_date=planned.promised_date,
            planned_ship_date=planned.ship_date,
            parcels=list(planned.parcels),
        )
        uow.shipments.add(shipment)
        shipments.append(shipment)
    return shipments


def release_shipments(order: Order, shipments: Sequence[FulfillmentOrder], now: datetime) -> None:
    for shipment in shipments:
        if shipment.status is ShipmentStatus.PENDING:
            shipment.move(ShipmentStatus.RELEASED, now)
    order.transition(OrderStatus.RELEASED)
    order.events.append(events.OrderReleased(order.id, [s.id for s in shipments]))


def _store_sourcing(
    uow: UnitOfWork, order: Order, decision: Decision, now: datetime, attempt: int, version: int
) -> None:
    trace = decision.trace
    detail = {
        "outcome": decision.outcome,
        "attempt": attempt,
        "reservation": trace.get("reservation", {}),
        "sourcing": trace.get("sourcing", {}),
        "optimiser": trace.get("optimiser", {}),
        "fallback": trace.get("fallback", {}),
        "allocations": [
            {
                "line": a.line_id,
                "sku": a.sku,
                "location": a.location_code,
                "quantity": a.quantity,
                "reserved": a.reserve,
            }
            for a in decision.allocations
        ],
        "backorders": [
            {
                "line": b.line_id,
                "sku": b.sku,
                "quantity": b.quantity,
                "mode": b.mode,
                "promised_date": b.promised_date.isoformat() if b.promised_date else None,
            }
            for b in decision.backorders
        ],
        "cost": decision.cost,
        "order_version": version,
    }
    if "ship_to_store" in trace:
        # A pickup's shortfall sent to its store: from where, or why from nowhere.
        detail["ship_to_store"] = trace["ship_to_store"]
    uow.traces.add(
        DecisionTrace(
            new_id("trc"),
            order.id,
            "sourcing",
            *first_ruleset(decision.trace, "sourcing"),
            now,
            decision.outcome,
            detail,
        )
    )


def first_ruleset(trace: Mapping[str, Any], section: str) -> tuple[str, int]:
    """The first ruleset a step of a decision's trace ran, with its version (for the trace
    row); the carrier step's rulesets are per shipment."""
    rulesets = (
        trace.get(section, {}).get("rulesets", [])
        if section != "carrier"
        else [
            rs
            for shipment in trace.get("carriers", {}).values()
            for rs in shipment.get("rulesets", [])
        ]
    )
    if rulesets:
        return str(rulesets[0].get("ruleset", "")), int(rulesets[0].get("version", 0))
    return "", 0


def traces_for(uow: UnitOfWork, order_id: str) -> list[DecisionTrace]:
    """Every decision trace of an order, oldest first (the API's trace endpoint)."""
    with uow:
        if uow.orders.get(order_id) is None:
            raise NotFound("order", order_id)
        return sorted(uow.traces.for_order(order_id), key=trace_order)


def trace_order(trace: DecisionTrace) -> tuple[datetime, int, int, str]:
    """Sort key of an order's traces, oldest first. Steps of one decision share a timestamp,
    and a re-sourcing can share it with the decision it amends: the order's version (recorded
    in each trace) puts the later decision after, the step rank orders steps as the pipeline
    ran them, and the id makes the answer never vary."""
    version = trace.detail.get("order_version", 0)
    return (
        trace.at,
        version if isinstance(version, int) else 0,
        STEP_ORDER.get(trace.step, len(STEP_ORDER)),
        trace.id,
    )


# --- event handlers ---------------------------------------------------------------------------


def on_order_received(event: events.OrderReceived, uow: UnitOfWork) -> commands.Command:
    return commands.ProcessOrder(event.order_id)


def on_status_changed(event: events.OrderStatusChanged, uow: UnitOfWork) -> list[commands.Command]:
    """An order sent back to `received` (modified, hold released) is decided again."""
    if event.to_status == OrderStatus.RECEIVED and event.from_status != OrderStatus.RECEIVED:
        return [commands.ProcessOrder(event.order_id)]
    return []


def on_ruleset_published(event: events.RulesetPublished, uow: UnitOfWork, decider: Decider) -> None:
    """Another process published (or rolled back) a ruleset: swap in the version the database
    now calls live. Read from the database rather than trusting the event's version, so a
    late or redelivered event cannot bring back a version that was superseded since."""
    decider.registry.ensure_loaded()  # outside the transaction, as in `process_order`
    with uow:
        live = [
            v for v in uow.rulesets.versions(event.ruleset) if v.status is RulesetStatus.PUBLISHED
        ]
    if live:
        decider.registry.replace_one(live[0])


# --- batch entry points (the demo, a backlog after an outage) ---------------------------------


def process_received_orders(
    bus: Any, uow_factory: Callable[[], UnitOfWork], limit: int = 10_000
) -> dict[str, int]:
    """Run every order still `received` through the pipeline, oldest first; returns how many
    ended in each status."""
    with uow_factory() as uow:
        waiting = sorted(
            uow.orders.search(status=OrderStatus.RECEIVED, limit=limit),
            key=lambda o: (o.created_at, o.id),
        )
        ids = [order.id for order in waiting]
    outcome: dict[str, int] = {}
    for order_id in ids:
        status = str(bus.handle(commands.ProcessOrder(order_id)))
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


def publish_shipped_rulesets(
    uow_factory: Callable[[], UnitOfWork],
    registry: Any,
    by: str = "ordo-demo",
    *,
    scenarios: ScenarioStore | None = None,
) -> list[str]:
    """Publish the shipped `rulesets/*.ordo` as version 1 of each ruleset that has never been
    published; returns the names published. Each must pass its shipped scenarios
    (`<name>.scenarios.yaml`, rule-level) to go live, and they are saved with the version in
    `scenarios`, so a draft edited from it in the console is gated by them too."""
    from engine.rules.registry import shipped_dir, shipped_versions
    from engine.service_layer import rulesets_service

    with uow_factory() as uow:
        live = {version.name for version in uow.rulesets.published()}
    done = []
    for shipped in shipped_versions():
        if shipped.name in live:
            continue
        path = shipped_dir() / f"{shipped.id.removeprefix('shipped:')}.scenarios.yaml"
        text = path.read_text(encoding="utf-8") if path.is_file() else None
        draft = rulesets_service.create_draft(uow_factory(), shipped.source, by)
        if text is not None and scenarios is not None:
            scenarios.put(draft.id, text)
        rulesets_service.publish(
            uow_factory(),
            registry,
            draft.id,
            by,
            runner=rulesets_service.scenario_runner,
            scenarios=text,
        )
        done.append(shipped.name)
    return done
