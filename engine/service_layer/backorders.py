"""Backorders: source what waits for stock once stock arrives, highest priority first.

Two kinds of order wait for stock: one wholly backordered (nothing allocated yet) and one
already on its way with some lines still backordered (its remainder). When stock of a SKU
arrives (`stock.adjusted` with a positive delta: adjustments, receipts, received transfers) or
an order gives reserved units back (`stock.released`: cancelled, modified, reservation
expired; orders about to be decided keep first claim on those), every order waiting for that
SKU is visited in priority order (`rank`):

- a wholly backordered order that can now be filled in full goes back to `received` and is
  decided again from the top, inside the pass (`release_if_filled`), so it reserves before
  anyone ranked after it is asked; one that cannot stays backordered rather than trickling
  out in partial shipments as units arrive. "In full" is the Decider's answer: the
  reservation rules (safety buffers, ring-fenced shares) hold back units that the stock
  rows call available, so only the Decider knows what the order would get.
- a remainder is decided on its own (`resource_remainder`): the Decider sees an order holding
  only the backordered lines with their remaining quantities, the allocations are reserved
  atomically (`handlers.reserve_all`), become new fulfilment orders with carriers, and the
  lines move from backordered to allocated. What stock does not cover stays backordered.
- a pickup order whose store is sent what it lacks (ship to store) is sent it when the
  units reach a warehouse, though nothing can be allocated at the store yet
  (`send_to_store`; why there, in `engine/service_layer/ship_to_store.py`).

Orders already in `received` that want the SKU are decided by their own events, after the
pass; with `deciding_first` the units the Decider would give them are set aside (`Budget`).
Every question the pass asks the Decider sees stock net of those and of what the pass has
reserved, so no order counts on units promised to one ranked before it.

The whole pass is one transaction; losing a reservation race rolls it back and runs it again
against fresh stock. Kept apart from `handlers.py` (the order path) because it grows with the
backorder and pre-order policies, not with the order path's persistence.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from enum import Enum
from typing import Any

from engine.domain import events
from engine.domain.errors import Conflict
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.domain.inventory import Stock
from engine.domain.operations import DecisionTrace
from engine.domain.orders import ON_ITS_WAY, LineStatus, Order, OrderLine, OrderStatus
from engine.pipeline.decide import Decider, Decision, backorder_promise
from engine.service_layer import ship_to_store
from engine.service_layer.handlers import (
    RELEASED_ALREADY,
    Clock,
    PipelineOptions,
    add_shipments,
    decide,
    decide_and_apply,
    first_ruleset,
    new_id,
    reserve_all,
)
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

S = OrderStatus
# Orders already allocated and on their way whose backordered lines can still be sourced:
# anything from reserved to partially shipped (shipped means nothing is left to send).
LIVE = ON_ITS_WAY
WAITING = LIVE | {S.BACKORDERED}
PAGE = 500


class Outcome(Enum):
    UNCHANGED = "unchanged"
    RESOURCED = "resourced"
    SENT = "sent"  # a pickup's shortfall sent to its store, nothing allocated yet
    LOST_RACE = "lost_race"


# --- who goes first ---------------------------------------------------------------------------


def latest_sourcing(uow: UnitOfWork, order_id: str) -> DecisionTrace | None:
    """The order's most recent sourcing decision (the first one, or a later re-sourcing)."""
    found = [t for t in uow.traces.for_order(order_id) if t.step == "sourcing"]
    return max(
        found, key=lambda t: (t.at, int(t.detail.get("order_version", 0)), t.id), default=None
    )


def rank(uow: UnitOfWork, order: Order, ruled: int | None = None) -> tuple[int, int, datetime, str]:
    """Sort key of waiting orders contending for the same stock: the priority the reservation
    rules gave the order (as recorded when it was decided, or `ruled` when the caller has
    just asked the rules), then the channel's priority on the order, then oldest first (the
    order id breaks a tie, so the answer never varies)."""
    trace = latest_sourcing(uow, order.id)
    recorded = int(trace.detail.get("reservation", {}).get("priority", 0)) if trace else 0
    priority = recorded if ruled is None else max(recorded, ruled)
    return (-priority, -order.priority, order.created_at, order.id)


def by_rank(
    uow: UnitOfWork, orders: Iterable[Order], ruled: Callable[[Order], int] | None = None
) -> list[Order]:
    keyed = [(rank(uow, o, ruled(o) if ruled else None), o) for o in orders]
    return [order for _, order in sorted(keyed, key=lambda pair: pair[0])]


def waiting_orders(
    uow: UnitOfWork,
    skus: Iterable[str],
    statuses: Iterable[OrderStatus] = WAITING,
    *,
    backordered: bool = True,
) -> list[Order]:
    """Orders in `statuses` with a backordered line (any line if not `backordered`) of one of
    `skus`, each once."""
    found: dict[str, Order] = {}
    wanted = set(skus)
    # Asked of the database, so an arrival reads the orders waiting for the SKU, not every
    # open order holding it; checked again below for the same answer from any repository.
    line_status = LineStatus.BACKORDERED if backordered else None
    # One question per SKU for every status at once: every arrival of stock asks it, and a
    # count of thousands of SKUs raises thousands of arrivals.
    in_statuses = frozenset(statuses)
    for sku in sorted(wanted):
        offset = 0
        while True:
            page = uow.orders.search(
                statuses=in_statuses, sku=sku, line_status=line_status, limit=PAGE, offset=offset
            )
            for order in page:
                if any(
                    line.sku in wanted
                    and (line.status is LineStatus.BACKORDERED or not backordered)
                    for line in order.lines
                ):
                    found[order.id] = order
            if len(page) < PAGE:
                break
            offset += PAGE
    return list(found.values())


class Budget:
    """What this pass has promised to orders that reserve only when decided, after the pass,
    so later (lower-ranked) orders must not count on it.

    `hold` sets aside where the Decider's answer for an order takes units (an order in
    `received`, which reserves them when its own event decides it). Orders the pass decides
    itself reserve as they go, which the stock rows then show. `decide` asks the Decider
    against the stock that is left, so the reservation rules apply to that, as they will."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        # (sku, location, units, channel) of each allocation set aside, in the order held.
        self.held: list[tuple[str, str, int, str]] = []

    def rows(self, skus: Sequence[str]) -> list[Stock]:
        """Copies of the stock rows of `skus` with every held allocation reserved on them,
        through `Stock.reserve` (the database's arithmetic, channel allocations included)."""
        wanted = set(skus)
        rows = {
            (row.sku, row.location_code): replace(
                row, channel_allocations=dict(row.channel_allocations)
            )
            for row in self.uow.stock.read_for_skus(sorted(wanted))
        }
        for sku, code, units, channel in self.held:
            row = rows.get((sku, code))
            if row is None:
                continue
            fits = min(units, row.available_for(channel))
            if fits:
                row.reserve(fits, channel)
            # Each hold was allocated against these rows net of the holds before it, so it
            # fits; were it not to, what is short still counts as taken for later orders.
            row.reserved += units - fits
        return list(rows.values())

    def fillable(self, order: Order) -> bool:
        """Whether the stock rows could cover the order at all: a cheap first question, as
        the Decider never allocates from stock more than they show (the reservation rules
        only hold back), so an order this says no to need not be decided."""
        wanted = _wanted(order)
        on_shelves: dict[str, int] = defaultdict(int)
        for row in self.rows(list(wanted)):  # one read for all the order's SKUs
            on_shelves[row.sku] += row.available_for(order.channel)
        return all(on_shelves[sku] >= quantity for sku, quantity in wanted.items())

    def hold(self, order: Order, decision: Decision) -> None:
        """Set aside the units `decision` reserves for `order`, where it reserves them."""
        for allocation in decision.allocations:
            if allocation.reserve:
                self.held.append(
                    (allocation.sku, allocation.location_code, allocation.quantity, order.channel)
                )

    def decide(self, order: Order, decider: Decider, now: datetime, *, validated: bool) -> Decision:
        """The Decider's answer for `order` (`handlers.decide`, rules and all) against the
        stock this pass leaves it."""
        return decide(order, self.uow, decider, now, validated=validated, read_stock=self.rows)


def _wanted(order: Order) -> dict[str, int]:
    wanted: dict[str, int] = defaultdict(int)
    for line in order.lines:
        wanted[line.sku] += line.quantity - line.quantity_cancelled
    return wanted


def in_full(order: Order, decision: Decision) -> bool:
    """Whether `decision` allocates every unit of every line of `order` not cancelled, with
    nothing backordered: the order would go out whole."""
    if not _applicable(decision) or decision.backorders:
        return False
    got: dict[str, int] = defaultdict(int)
    for allocation in decision.allocations:
        got[allocation.line_id] += allocation.quantity
    return all(got[line.id] >= line.quantity - line.quantity_cancelled for line in order.lines)


# --- stock arrived ----------------------------------------------------------------------------


def on_stock_adjusted(
    event: events.StockAdjusted,
    uow: UnitOfWork,
    decider: Decider,
    clock: Clock,
    options: PipelineOptions,
) -> None:
    """Stock of a SKU arrived: serve the orders waiting for it, highest ranked first."""
    if event.delta <= 0 or event.available <= 0:
        return
    serve(uow, decider, clock, options, event.sku, f"{event.sku} arrived")


def on_stock_released(
    event: events.StockReleased,
    uow: UnitOfWork,
    decider: Decider,
    clock: Clock,
    options: PipelineOptions,
) -> None:
    """An order gave reserved units back (cancelled, consolidated away, modified, its
    reservation expired): they are free again, so serve the orders waiting for them, as an
    arrival would. Orders in `received` wanting the SKU (the modified order itself, an order
    others were merged into) are about to be decided, so they keep first claim: waiting orders
    are served only with what those leave over."""
    reason = f"{event.sku} given back by {event.order_id}"
    serve(uow, decider, clock, options, event.sku, reason, deciding_first=True)


def serve(
    uow: UnitOfWork,
    decider: Decider,
    clock: Clock,
    options: PipelineOptions,
    sku: str,
    reason: str,
    *,
    deciding_first: bool = False,
) -> None:
    """Run the pass over the orders waiting for `sku` in its own transaction, again on fresh
    stock (or fresh orders) when it lost a race. `deciding_first` sets aside the units orders
    in `received` will take when decided (what the Decider allocates them now), before anyone
    waiting is served."""
    # Compile the published rulesets (first use only) before the transaction opens.
    decider.registry.ensure_loaded()
    for attempt in range(1, options.max_attempts + 1):
        with uow:
            now = clock()
            budget = Budget(uow)
            if deciding_first:
                received = waiting_orders(uow, [sku], [S.RECEIVED], backordered=False)
                for order in by_rank(uow, received):
                    budget.hold(order, budget.decide(order, decider, now, validated=False))
            if serve_waiting(uow, decider, now, options, sku, reason, attempt, budget):
                try:
                    uow.commit()
                except Conflict:
                    continue  # another pass changed one of these orders meanwhile: read again
                return
            uow.rollback()  # lost a reservation race: run the pass again on fresh stock
    log.warning(
        "stock or orders of %s kept changing while serving its backorders (%d attempts); the next "
        "arrival serves them",
        sku,
        options.max_attempts,
    )


def serve_waiting(
    uow: UnitOfWork,
    decider: Decider,
    now: datetime,
    options: PipelineOptions,
    sku: str,
    reason: str,
    attempt: int,
    budget: Budget | None = None,
) -> bool:
    """One pass over the orders waiting for `sku`; False if a reservation lost a race."""
    budget = budget or Budget(uow)
    for order in by_rank(uow, waiting_orders(uow, [sku])):
        # Units a ship-to-store transfer brought for this order are its own to be decided
        # with; what it still waits for afterwards stays claimed, out of everyone else's reach.
        claims = ship_to_store.open_claims(uow, order)
        if order.status is S.BACKORDERED:
            outcome = release_if_filled(uow, order, budget, decider, now, options, reason, attempt)
        else:
            outcome = resource_remainder(uow, order, decider, now, options, budget, reason, attempt)
        if outcome is Outcome.LOST_RACE:
            return False
        if claims:
            ship_to_store.reclaim(uow, order, claims, remainder(uow, order), now)
    return True


def release_if_filled(
    uow: UnitOfWork,
    order: Order,
    budget: Budget,
    decider: Decider,
    now: datetime,
    options: PipelineOptions,
    reason: str,
    attempt: int,
) -> Outcome:
    """Decide a wholly backordered order again, here in the pass, if the Decider would now
    fill it in full; else leave it waiting.

    First asked as its remainder is (`validated`): whether stock covers it is the question.
    Then the order goes back to `received` and through the whole pipeline (its validation
    rules included) in this transaction, so it reserves before any order ranked after it is
    asked, and no order decided in between (a new one, or one on another worker) can take
    the units it was counted on. A pickup whose store is sent what it lacks, not filled in
    full, is sent it (`send_to_store`)."""
    if ship_to_store.supplied(uow, order):
        # Asked whatever the stock rows say: the warehouses may cover one SKU while another
        # still waits, and each SKU is sent on its own. Asked of its remainder, so units
        # cancelled meanwhile are not sent for.
        left = remainder(uow, order)
        if not left:
            return Outcome.UNCHANGED
        decision = budget.decide(remainder_view(order, left), decider, now, validated=True)
        if not in_full(order, decision):
            return send_to_store(uow, order, decision, left, now, reason, attempt)
    elif not (
        budget.fillable(order)
        and in_full(order, budget.decide(order, decider, now, validated=True))
    ):
        return Outcome.UNCHANGED
    order.transition(S.RECEIVED, reason)
    return decide_in_pass(uow, order, budget, decider, now, options, attempt)


def decide_in_pass(
    uow: UnitOfWork,
    order: Order,
    budget: Budget,
    decider: Decider,
    now: datetime,
    options: PipelineOptions,
    attempt: int,
) -> Outcome:
    """Decide and apply an order sent back to `received` inside the pass, against the stock
    the pass leaves it (`Budget.rows`). Its status-changed event then finds it decided."""
    decided = decide_and_apply(
        uow, order, decider, lambda: now, options, attempt, read_stock=budget.rows
    )
    return Outcome.RESOURCED if decided else Outcome.LOST_RACE


# --- re-sourcing a remainder ------------------------------------------------------------------


def remainder(uow: UnitOfWork, order: Order) -> dict[str, int]:
    """Units of each backordered line in no live fulfilment order and not cancelled."""
    placed: dict[str, int] = defaultdict(int)
    for shipment in uow.shipments.for_order(order.id):
        if shipment.status is not ShipmentStatus.CANCELLED:
            for item in shipment.lines:
                placed[item.order_line_id] += item.quantity
    left = {}
    for line in order.lines:
        units = line.quantity - line.quantity_cancelled - placed[line.id]
        if line.status is LineStatus.BACKORDERED and units > 0:
            left[line.id] = units
    return left


def remainder_view(order: Order, quantities: Mapping[str, int]) -> Order:
    """The order as the Decider should see it: only these lines, with these quantities."""
    return Order(
        id=order.id,
        channel=order.channel,
        channel_order_id=order.channel_order_id,
        customer_id=order.customer_id,
        ship_to=order.ship_to,
        lines=[
            OrderLine(line.id, line.sku, quantities[line.id], line.price, kit=line.kit)
            for line in order.lines
            if quantities.get(line.id, 0) > 0
        ],
        created_at=order.created_at,
        email=order.email,
        currency=order.currency,
        service_level=order.service_level,
        requested_date=order.requested_date,
        priority=order.priority,
        status=order.status,
        holds=list(order.holds),
        fulfilment=order.fulfilment,
        pickup_location=order.pickup_location,
    )


def resource_remainder(
    uow: UnitOfWork,
    order: Order,
    decider: Decider,
    now: datetime,
    options: PipelineOptions,
    budget: Budget,
    reason: str,
    attempt: int = 1,
    *,
    record_unchanged: bool = False,
) -> Outcome:
    """Decide an order's backordered remainder on its own and apply what the Decider allocates.

    The Decider's answer stands, fallbacks included: with the `backorder` fallback it
    allocates what stock covers and the rest stays backordered; `dropship` ships the rest
    from the vendor; `hold` leaves the whole remainder waiting, as the order is past the
    point where it could be held. Validation rules are not run again: the order was
    accepted as a whole.
    `record_unchanged` stores a trace even when nothing is allocated (a pre-order released
    with nothing in stock becomes an ordinary backorder, with its promise from inbound)."""
    left = remainder(uow, order)
    if not left:
        return Outcome.UNCHANGED
    # Units promised earlier in this pass to orders not yet decided are not this order's to
    # take: the Decider sees stock net of them where they were allocated (`Budget.decide`).
    view = remainder_view(order, left)
    # The order was accepted when first decided: its remainder is sourced, not judged again.
    decision = budget.decide(view, decider, now, validated=True)
    if decision.outcome in ("rejected", "held"):
        # Visible to an operator: a `hold` fallback (or the engine's own checks) keeps it waiting.
        log.info("remainder of %s not sourced: %s", order.id, decision.message or decision.code)
    if not _applicable(decision):
        sent = send_to_store(uow, order, decision, left, now, reason, attempt)
        if sent is Outcome.UNCHANGED and record_unchanged:
            _record(uow, order, None, left, {}, now, reason, attempt)
        return sent
    if not reserve_all(uow, view, decision, now, options):
        return Outcome.LOST_RACE
    # The transfers still on their way for the remainder, or sent for it now (ship to store).
    if not ship_to_store.apply(uow, order, decision, now):
        return Outcome.LOST_RACE
    got: dict[str, int] = defaultdict(int)
    for allocation in decision.allocations:
        got[allocation.line_id] += allocation.quantity
    shipments = _ship(uow, order, decision, now)
    for line_id, units in left.items():
        if got[line_id] >= units:
            order.line(line_id).status = LineStatus.ALLOCATED
    _record(uow, order, decision, left, got, now, reason, attempt)
    order.events.append(
        events.OrderResourced(order.id, [s.id for s in shipments], dict(got), reason)
    )
    return Outcome.RESOURCED


def send_to_store(
    uow: UnitOfWork,
    order: Order,
    decision: Decision,
    left: Mapping[str, int],
    now: datetime,
    reason: str,
    attempt: int,
) -> Outcome:
    """A pickup order its store cannot serve yet (`decision` is not applied: it allocates
    nothing, or not the whole of a wholly backordered order): request the new transfers it
    plans to the store (`ship_to_store.apply`) and record it as the order's latest sourcing,
    everything still waiting, promised for their arrival. UNCHANGED when it plans no new
    one: any other order, or the units are already on their way."""
    if decision.outcome in ("rejected", "held") or not ship_to_store.sends(decision):
        return Outcome.UNCHANGED
    if not ship_to_store.apply(uow, order, decision, now):
        return Outcome.LOST_RACE
    # What the store has stays unallocated (a wholly backordered order is not served in
    # parts): the record says the order waits, not what the Decider would have allocated.
    waits = replace(decision, outcome="backordered", allocations=(), shipments=())
    _record(uow, order, waits, left, {}, now, reason, attempt)
    return Outcome.SENT


def _applicable(decision: Decision) -> bool:
    return decision.outcome not in ("rejected", "held") and bool(decision.allocations)


def _ship(
    uow: UnitOfWork, order: Order, decision: Decision, now: datetime
) -> list[FulfillmentOrder]:
    """The decision's fulfilment orders, released at once if the order's already were."""
    shipments = add_shipments(uow, order, decision, now)
    if order.status in RELEASED_ALREADY and shipments:
        for shipment in shipments:
            shipment.move(ShipmentStatus.RELEASED, now)
        order.events.append(events.OrderReleased(order.id, [s.id for s in shipments]))
    return shipments


def _record(
    uow: UnitOfWork,
    order: Order,
    decision: Decision | None,
    left: Mapping[str, int],
    got: Mapping[str, int],
    now: datetime,
    reason: str,
    attempt: int,
) -> None:
    """Store the re-sourcing as the order's latest sourcing (and carrier) decision. Its
    backorders are every unit still waiting, so the latest sourcing trace always accounts
    for the whole order: ordered = allocated + backordered + cancelled."""
    previous = latest_sourcing(uow, order.id)
    # A new version: the trace must sort after the decision it amends even at the same instant.
    order.version += 1
    trace: Mapping[str, Any] = decision.trace if decision is not None else {}
    backorders = _still_waiting(uow, order, decision, left, got, previous, now)
    detail = {
        "outcome": decision.outcome if decision is not None else "unchanged",
        "resourced": True,
        "reason": reason,
        "attempt": attempt,
        "remainder": dict(left),
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
            for a in (decision.allocations if decision is not None else ())
        ],
        "backorders": backorders,
        "cost": decision.cost if decision is not None else 0.0,
        "order_version": order.version,
    }
    if "ship_to_store" in trace:
        # A pickup's shortfall sent to its store: from where, or why from nowhere.
        detail["ship_to_store"] = trace["ship_to_store"]
    if decision is None and previous is not None:
        # Nothing decided: the priority the order was ranked by stays on record.
        detail["reservation"] = previous.detail.get("reservation", {})
    ruleset, version = first_ruleset(trace, "sourcing")
    outcome = str(detail["outcome"])
    uow.traces.add(
        DecisionTrace(new_id("trc"), order.id, "sourcing", ruleset, version, now, outcome, detail)
    )
    if decision is not None and decision.shipments:
        ruleset, version = first_ruleset(trace, "carrier")
        uow.traces.add(
            DecisionTrace(
                new_id("trc"),
                order.id,
                "carrier",
                ruleset,
                version,
                now,
                "assigned",
                # The version sorts it after this re-sourcing's sourcing trace (same instant).
                {**trace.get("carriers", {}), "order_version": order.version},
            )
        )
    live = [
        s for s in uow.shipments.for_order(order.id) if s.status is not ShipmentStatus.CANCELLED
    ]
    promise_whole(order, live, backorders)


def whole_promise(
    live: Sequence[FulfillmentOrder], backorders: Sequence[Mapping[str, Any]]
) -> date | None:
    """An order's promise: the last of its live shipments' promised dates and of what still
    waits (`backorders` as a sourcing trace records them); None when none has one."""
    dates = [s.promised_date for s in live if s.promised_date]
    dates += [date.fromisoformat(str(b["promised_date"])) for b in backorders if b["promised_date"]]
    return max(dates) if dates else None


def promise_whole(
    order: Order, live: Sequence[FulfillmentOrder], backorders: Sequence[Mapping[str, Any]]
) -> None:
    """The order's promised date made its `whole_promise`; left as it was when that is none."""
    promised = whole_promise(live, backorders)
    if promised is not None:
        order.promised_date = promised


def _still_waiting(
    uow: UnitOfWork,
    order: Order,
    decision: Decision | None,
    left: Mapping[str, int],
    got: Mapping[str, int],
    previous: DecisionTrace | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Every unit still backordered after this re-sourcing, with how it waits: as the Decider
    said for lines it saw, else as the previous decision said. A pre-order whose product is
    out by now waits as a backorder, promised from inbound supply."""
    decided = {b.line_id: b for b in decision.backorders} if decision is not None else {}
    before = {
        str(b["line"]): b for b in (previous.detail.get("backorders", []) if previous else [])
    }
    today = now.date()
    waiting = []
    for line_id, units in left.items():
        short = units - got.get(line_id, 0)
        if short <= 0:
            continue
        line = order.line(line_id)
        mode, promised = "backorder", None
        if line_id in decided:
            mode, promised = decided[line_id].mode, decided[line_id].promised_date
        elif line_id in before:
            mode = str(before[line_id].get("mode", "backorder"))
            stored = before[line_id].get("promised_date")
            promised = date.fromisoformat(str(stored)) if stored else None
        product = uow.products.get(line.sku)
        release = product.preorder_release if product is not None else None
        if mode == "preorder" and (release is None or release <= today):
            mode = "backorder"
            promised = backorder_promise(line.sku, short, uow.inbound.for_sku(line.sku), today)
        waiting.append(
            {
                "line": line_id,
                "sku": line.sku,
                "quantity": short,
                "mode": mode,
                "promised_date": promised.isoformat() if promised else None,
            }
        )
    return waiting
