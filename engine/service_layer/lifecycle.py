"""Exception management and the order's life after its decision.

Cancel and modify work until fulfilment starts, when a location picks: before release, and
after it while every shipment is still only released (modification, a switch between shipping
and collection at a store included, sends the order back to `received`, and the
`order.status_changed` event re-runs the pipeline); once picked only the backordered
remainder can still be cancelled, in whole or in part; a person releases holds; warehouses
report picks, shipments (consuming
reservations; an order with some shipments out is partially shipped) and deliveries; a
customer's open orders to one address are consolidated when the validation rules accept the
merged order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.domain import commands, events
from engine.domain.errors import Conflict, DomainError, IllegalTransition, NotFound
from engine.domain.fulfilment import (
    CANCELLED_WITH_ORDER,
    FulfillmentOrder,
    ShipmentStatus,
    check_changeable,
)
from engine.domain.inventory import ReservationStatus
from engine.domain.operations import DecisionTrace
from engine.domain.orders import (
    MODIFIABLE,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from engine.pipeline.decide import Decider
from engine.pipeline.ruling import run
from engine.pipeline.validation import validate
from engine.rules import facts as F
from engine.service_layer import audit, backorders, ship_to_store
from engine.service_layer.handlers import (
    Clock,
    address_from,
    check_pickup_store,
    existing_order,
    fulfilment_from,
    give_back,
    new_id,
    order_lines,
    release_shipments,
)
from engine.service_layer.unit_of_work import UnitOfWork


def release_reservations(uow: UnitOfWork, order: Order, status: ReservationStatus) -> int:
    """Give back every active reservation of an order; returns the units released."""
    units = 0
    for reservation in uow.reservations.for_order(order.id):
        if reservation.status is not ReservationStatus.ACTIVE:
            continue
        give_back(uow, reservation, status)
        units += reservation.quantity
        uow.record(
            events.StockReleased(
                order.id, reservation.sku, reservation.location_code, reservation.quantity
            )
        )
    return units


def _cancel_shipments(
    uow: UnitOfWork, order: Order, now: datetime, reason: str, actor: str
) -> None:
    """Cancel the order's shipments nothing was done with yet: pending ones, and released ones
    no location has picked (`check_changeable` made sure the order has no other live one).
    Each carries `reason` on its `shipment.status_changed`, which also tells the WMS holding
    a released one (`warehouse.WarehouseUpdater`). A released one was on its location's list,
    so it is audited too, as a location's report is (`shipment.status`): its own history says
    why it went. A label printed for one is void, its document dropped, and its carrier
    asked to void it (`shipment.label_voided`, `label_voids`)."""
    for shipment in uow.shipments.for_order(order.id):
        if shipment.status not in CANCELLED_WITH_ORDER:
            continue
        was = shipment.status
        if shipment.cancel_with_order(reason, now):
            uow.labels.delete("shipment", shipment.id)
        if was is ShipmentStatus.RELEASED:
            after = {"status": str(shipment.status), "reason": reason}
            audit.record(uow, actor, "shipment.status", "shipment", shipment.id,
                         {"status": str(was)}, after)  # fmt: skip


def _shipments_first(uow: UnitOfWork, order_id: str) -> list[FulfillmentOrder]:
    """The order's shipments, read before the order itself. A unit of work writes its
    repositories at commit in the order it first used them, and a location's status report
    (`update_shipment`) holds its shipment's row and then writes the order: a cancellation
    or modification writing them in the same order waits for the report's commit instead of
    deadlocking with it, and then finds the order changed (a Conflict) if the report won."""
    return list(uow.shipments.for_order(order_id))


def cancel_order(cmd: commands.CancelOrder, uow: UnitOfWork, clock: Clock) -> str:
    """Cancel before fulfilment starts (`check_changeable`): reservations go back to stock,
    pending and released shipments are cancelled, naming the order's cancellation."""
    with uow:
        shipments = _shipments_first(uow, cmd.order_id)
        ship_to_store.lock(uow, cmd.order_id)  # before its reservations: an arrival's claim
        order = existing_order(uow, cmd.order_id)
        check_changeable(order, shipments, OrderStatus.CANCELLED)
        reason = cmd.reason or f"cancelled by {cmd.actor}"
        release_reservations(uow, order, ReservationStatus.RELEASED)
        _cancel_shipments(uow, order, clock(), f"order {order.id} cancelled: {reason}", cmd.actor)
        ship_to_store.cancel_all(uow, order, f"order {order.id} cancelled")
        order.cancel(reason)
        uow.commit()
        return str(order.status)


def cancel_backordered(cmd: commands.CancelBackordered, uow: UnitOfWork, clock: Clock) -> str:
    """Cancel units of the backordered remainder of an order on its way, which waits for stock
    (`backorders.remainder`). Nothing was placed for them, so nothing is reserved or given
    back; a later arrival sources only what still waits. An order left with nothing to send
    is shipped (delivered if every shipment arrived)."""
    with uow:
        order = existing_order(uow, cmd.order_id)
        reason = cmd.reason or f"remainder cancelled by {cmd.actor}"
        waiting = backorders.remainder(uow, order)
        cancelled = order.cancel_backordered(cmd.lines, waiting, reason)
        now = clock()
        live = [
            s for s in uow.shipments.for_order(order.id) if s.status is not ShipmentStatus.CANCELLED
        ]
        _record_remainder_cancelled(uow, order, live, waiting, cancelled, reason, now)
        still = {k: units - cancelled.get(k, 0) for k, units in waiting.items()}
        ship_to_store.settle(uow, order, still, f"remainder of order {order.id} cancelled")
        _follow_remainder(order, [s.status for s in live], reason)
        uow.commit()
        return str(order.status)


def _record_remainder_cancelled(
    uow: UnitOfWork,
    order: Order,
    live: Sequence[FulfillmentOrder],
    waiting: Mapping[str, int],
    cancelled: Mapping[str, int],
    reason: str,
    now: datetime,
) -> None:
    """Store the cancellation as the order's latest sourcing trace, its `backorders` being
    what still waits, so that trace goes on accounting for every unit (ordered = allocated +
    backordered + cancelled, docs/pipeline.md). What still waits waits as it did (a pre-order
    keeps its release), and the order keeps the priority it is ranked by."""
    previous = backorders.latest_sourcing(uow, order.id)
    before = previous.detail if previous is not None else {}
    how = {str(b["line"]): b for b in before.get("backorders", [])}
    still: list[dict[str, Any]] = []
    for line_id, units in waiting.items():
        left = units - cancelled.get(line_id, 0)
        if left > 0:
            known = how.get(line_id, {})
            still.append(
                {
                    "line": line_id,
                    "sku": order.line(line_id).sku,
                    "quantity": left,
                    "mode": known.get("mode", "backorder"),
                    "promised_date": known.get("promised_date"),
                }
            )
    # A new version: the trace must sort after the decision it amends even at the same instant.
    order.version += 1
    detail = {
        "outcome": "remainder_cancelled",
        "reason": reason,
        "remainder": dict(waiting),
        "cancelled": dict(cancelled),
        "reservation": before.get("reservation", {}),
        "allocations": [],
        "backorders": still,
        "order_version": order.version,
    }
    # No rule decided this: a person did (the audit log says who).
    uow.traces.add(
        DecisionTrace(
            new_id("trc"), order.id, "sourcing", "", 0, now, "remainder_cancelled", detail
        )
    )
    backorders.promise_whole(order, live, still)


def modify_order(cmd: commands.ModifyOrder, uow: UnitOfWork, clock: Clock) -> str:
    """Change quantities (a kit line's by whole kits), address, lines, or shipping against
    collection at a store before
    fulfilment starts (`check_changeable`); its pending and released shipments are cancelled,
    naming the modification, and the order is decided again (and its open holds with it:
    `handlers._apply` keeps those the new decision still places)."""
    with uow:
        shipments = _shipments_first(uow, cmd.order_id)
        order = existing_order(uow, cmd.order_id)
        fulfilment = fulfilment_from(cmd.fulfilment) if cmd.fulfilment is not None else None
        store = cmd.pickup_location or None
        # What was asked is checked before what state the order is in: a request that says
        # nothing, or two contradictory things, is refused alike for every order.
        order.check_modification(
            quantities=cmd.quantities,
            ship_to=cmd.ship_to,
            add_lines=cmd.add_lines,
            remove_lines=cmd.remove_lines,
            fulfilment=fulfilment,
            pickup_location=store,
            kits=cmd.kits,
        )
        # So is a store named to collect at, as on creation: one Ordo does not know, or one
        # offering no pickup, could never hand the order over.
        if store is not None:
            check_pickup_store(uow, store)
        # So are the added lines, before anything changes: an id the order already has
        # (which would replace that line) and a SKU the catalogue does not know (which would
        # get the whole live order rejected, for good) are refused at their path.
        added = order_lines(
            uow,
            cmd.add_lines,
            start=_next_line_number(order),
            taken=[line.id for line in order.lines],
            field="add_lines",
            known_only=True,
        )
        check_changeable(order, shipments, "modified")
        release_reservations(uow, order, ReservationStatus.RELEASED)
        reason = f"order {order.id} modified by {cmd.actor}: decided again"
        _cancel_shipments(uow, order, clock(), reason, cmd.actor)
        collected_at = (order.fulfilment, order.pickup_location)
        order.modify(
            quantities=dict(cmd.quantities) or None,
            ship_to=address_from(cmd.ship_to) if cmd.ship_to else None,
            add_lines=added or None,
            remove_lines=list(cmd.remove_lines) or None,
            fulfilment=fulfilment,
            pickup_location=store,
            kits=cmd.kits,
        )
        # Shipped now, or collected at another store: nothing on its way to the old one is
        # needed. Still collected there, its new decision keeps what it still needs of it.
        if (order.fulfilment, order.pickup_location) != collected_at:
            ship_to_store.cancel_all(uow, order, f"order {order.id} no longer collected there")
        uow.commit()
        return str(order.status)


def _next_line_number(order: Order) -> int:
    # Kit components are numbered `<line>.<n>` after the line that named the kit.
    heads = [line.id.split(".")[0] for line in order.lines]
    numbers = [int(head) for head in heads if head.isdigit()]
    return max(numbers, default=0) + 1


def release_hold(cmd: commands.ReleaseHold, uow: UnitOfWork, clock: Clock) -> str:
    """A person clears the holds; the order is decided again with those holds waived."""
    with uow:
        order = existing_order(uow, cmd.order_id)
        order.release_holds(cmd.actor, clock())
        uow.commit()
        return str(order.status)


def release_order(cmd: commands.ReleaseOrder, uow: UnitOfWork, clock: Clock) -> str:
    """Release an order whose carrier is assigned to its locations (manual release mode)."""
    with uow:
        order = existing_order(uow, cmd.order_id)
        if order.status is not OrderStatus.CARRIER_ASSIGNED:
            raise IllegalTransition("order", order.id, order.status, OrderStatus.RELEASED)
        # A released order's reservations are its locations' to consume as they ship: a
        # time-to-live (ORDO_RESERVATION_TTL_MINUTES) only covers the wait for release.
        for reservation in uow.reservations.for_order(order.id):
            if reservation.status is ReservationStatus.ACTIVE:
                reservation.expires_at = None
        release_shipments(order, list(uow.shipments.for_order(order.id)), clock())
        uow.commit()
        return str(order.status)


_SHIPMENT_STATUS = {s.value: s for s in ShipmentStatus}


def update_shipment(cmd: commands.UpdateShipment, uow: UnitOfWork, clock: Clock) -> str:
    """Pick, pack, ship (consumes reservations) or deliver one fulfilment order."""
    target = _SHIPMENT_STATUS.get(cmd.status)
    if target is None or target in (ShipmentStatus.PENDING, ShipmentStatus.RELEASED):
        allowed = "picked, packed, shipped, delivered"
        raise DomainError(f"unknown shipment status '{cmd.status}', expected one of {allowed}")
    with uow:
        # Under a row lock, taken before the order is read: a cancellation or modification of
        # the order racing this report waits for it, or this report for that, so either the
        # pick or the cancellation wins, never both (`_shipments_first`).
        shipment = uow.shipments.get_for_update(cmd.shipment_id)
        if shipment is None:
            raise NotFound("shipment", cmd.shipment_id)
        if target is ShipmentStatus.CANCELLED:
            # A shipment is cancelled with its order (cancel, or modify, before it is picked),
            # which gives its reservations back and accounts for its lines; cancelled alone,
            # its units would be neither shipped, waiting nor cancelled on the order.
            raise Conflict(
                f"shipment {shipment.id} ('{shipment.status}') cannot be cancelled on its own: "
                f"cancel its order {shipment.order_id} instead, which cancels its pending "
                "and released shipments and gives their stock back"
            )
        if shipment.status is ShipmentStatus.PENDING:
            # In manual-release mode a location sees shipments that are not its to work yet:
            # say what would make them so, not only that the move is illegal.
            raise Conflict(
                f"shipment {shipment.id} cannot go from 'pending' to '{target}': its order "
                f"{shipment.order_id} is not released yet; release the order first"
            )
        if shipment.label_format and cmd.tracking_number not in ("", shipment.tracking_number):
            # The number is printed on the parcel's label (labels.label_shipment).
            raise Conflict(
                f"shipment {shipment.id} has a label with tracking number "
                f"{shipment.tracking_number}, which stays its number: report the status "
                "without a tracking_number, or with that one"
            )
        order = existing_order(uow, shipment.order_id)
        now = clock()
        if cmd.tracking_number:
            shipment.tracking_number = cmd.tracking_number
        # A pickup collected at the counter leaves and arrives at once (packed -> delivered):
        # its units leave the store's stock then, and the order passes through shipped.
        collected = target is ShipmentStatus.DELIVERED and shipment.status is ShipmentStatus.PACKED
        shipment.move(target, now)
        if target is ShipmentStatus.SHIPPED or collected:
            _consume(uow, order, shipment)
        shipments = list(uow.shipments.for_order(order.id))
        if collected:
            follow_order(order, shipments, shipment, ShipmentStatus.SHIPPED)
        follow_order(order, shipments, shipment, target)
        uow.commit()
        return str(shipment.status)


def _consume(uow: UnitOfWork, order: Order, shipment: FulfillmentOrder) -> None:
    """The shipped units leave the building, taken from the line's reservations there, oldest
    first; dropshipped lines had nothing reserved.

    Only as many as this shipment carries: a line may have units reserved at the same
    location for another shipment (one released as stock came in, another later), and those
    stay reserved until their own shipment leaves."""
    reservations = [
        r
        for r in uow.reservations.for_order(order.id)
        if r.location_code == shipment.location_code and r.status is ReservationStatus.ACTIVE
    ]
    for item in shipment.lines:
        left = item.quantity
        for reservation in reservations:
            if left <= 0:
                break
            if (
                reservation.line_id != item.order_line_id
                or reservation.status is not ReservationStatus.ACTIVE
            ):
                continue
            taken = min(left, reservation.quantity)
            uow.stock.consume(reservation.sku, reservation.location_code, taken)
            if taken == reservation.quantity:
                reservation.move(ReservationStatus.CONSUMED)
            else:
                reservation.quantity -= taken  # the rest waits for the line's other shipment
            left -= taken
        line = order.line(item.order_line_id)
        line.quantity_shipped = min(line.quantity, line.quantity_shipped + item.quantity)
        # Units cancelled (a remainder no longer wanted) will never ship.
        if line.quantity_shipped >= line.quantity - line.quantity_cancelled:
            line.status = LineStatus.SHIPPED


def follow_order(
    order: Order,
    shipments: Sequence[FulfillmentOrder],
    changed: FulfillmentOrder,
    target: ShipmentStatus,
) -> None:
    """Move the order along with its shipments (the one just changed included)."""
    live = [s for s in shipments if s.status is not ShipmentStatus.CANCELLED]
    statuses = [changed.status if s.id == changed.id else s.status for s in live]
    if target is ShipmentStatus.DELIVERED:
        if all(s is ShipmentStatus.DELIVERED for s in statuses) and order.can_move_to(
            OrderStatus.DELIVERED
        ):
            order.transition(OrderStatus.DELIVERED)
        return
    if target is ShipmentStatus.SHIPPED:
        wanted = OrderStatus.SHIPPED if _all_out(order, statuses) else OrderStatus.PARTIALLY_SHIPPED
        if order.can_move_to(wanted):
            order.transition(wanted)
        return
    step = {ShipmentStatus.PICKED: OrderStatus.PICKED, ShipmentStatus.PACKED: OrderStatus.PACKED}
    if order.can_move_to(step[target]):
        order.transition(step[target])


_OUT = frozenset({ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED})


def _all_out(order: Order, statuses: Sequence[ShipmentStatus]) -> bool:
    """Nothing left to send: every live shipment has left, and no line waits for stock."""
    return (
        bool(statuses)
        and all(s in _OUT for s in statuses)
        and not any(line.status is LineStatus.BACKORDERED for line in order.lines)
    )


def _follow_remainder(order: Order, statuses: Sequence[ShipmentStatus], reason: str) -> None:
    """Move the order on once its remainder is cancelled, as its last shipment would have:
    shipped when all its shipments are out, and delivered too if they all arrived."""
    if not _all_out(order, statuses) or not order.can_move_to(OrderStatus.SHIPPED):
        return
    order.transition(OrderStatus.SHIPPED, reason)
    if all(s is ShipmentStatus.DELIVERED for s in statuses):
        order.transition(OrderStatus.DELIVERED, reason)


# --- consolidation ----------------------------------------------------------------------------

# Released orders are with their locations already: merging them would take back their
# shipments for a new decision, which is a person's call (modify), not consolidation's.
CONSOLIDATABLE = frozenset(MODIFIABLE - {OrderStatus.HELD, OrderStatus.RELEASED})


def consolidate_orders(
    cmd: commands.ConsolidateOrders, uow: UnitOfWork, decider: Decider, clock: Clock
) -> str | None:
    """Merge a customer's open orders that ship to the same address into the oldest one.

    The merged order must pass the validation rules (a rule may, say, hold large orders or
    forbid mixing channels); otherwise nothing changes. Returns the surviving order's id, or
    None when there was nothing to merge or the rules refused.
    """
    # Compile the published rulesets (first use only) before the transaction opens.
    decider.registry.ensure_loaded()
    with uow:
        open_orders = [
            o
            for o in uow.orders.search(customer_id=cmd.customer_id, limit=1000)
            if o.status in CONSOLIDATABLE
        ]
        groups: dict[tuple[str, ...], list[Order]] = {}
        for o in sorted(open_orders, key=lambda o: (o.created_at, o.id)):
            # A pickup merges only with pickups at the same store: merged into a shipped
            # order, the customer would wait at the counter for a parcel sent home.
            key = (
                o.ship_to.postal_code,
                o.ship_to.line1.strip().lower(),
                o.currency,
                str(o.fulfilment),
                o.pickup_location or "",
            )
            groups.setdefault(key, []).append(o)
        mergeable = [g for g in groups.values() if len(g) > 1]
        if not mergeable:
            return None
        primary, *others = mergeable[0]
        merged_lines = _merged_lines(primary, others)
        if not _rules_allow(uow, decider, primary, merged_lines, clock()):
            raise Conflict(
                f"orders {', '.join(o.id for o in (primary, *others))} cannot be consolidated: "
                "the validation rules do not accept the merged order"
            )
        now = clock()
        for other in others:
            release_reservations(uow, other, ReservationStatus.RELEASED)
            merged = f"order {other.id} consolidated into {primary.id}"
            _cancel_shipments(uow, other, now, merged, cmd.actor)
            ship_to_store.cancel_all(uow, other, f"order consolidated into {primary.id}")
            other.cancel(f"consolidated into {primary.id}")
        release_reservations(uow, primary, ReservationStatus.RELEASED)
        merged = f"order {primary.id} took in {', '.join(o.id for o in others)}: decided again"
        _cancel_shipments(uow, primary, now, merged, cmd.actor)
        new_lines = merged_lines[len(primary.lines) :]
        primary.modify(add_lines=new_lines)
        uow.commit()
        return primary.id


def _merged_lines(primary: Order, others: Sequence[Order]) -> list[OrderLine]:
    lines = [OrderLine(line.id, line.sku, line.quantity, line.price, kit=line.kit)
             for line in primary.lines]  # fmt: skip
    for other in others:
        for line in other.lines:
            lines.append(OrderLine(f"{other.id}:{line.id}", line.sku, line.quantity, line.price,
                                   kit=line.kit))  # fmt: skip
    return lines


def _rules_allow(
    uow: UnitOfWork, decider: Decider, primary: Order, lines: list[OrderLine], now: datetime
) -> bool:
    merged = Order(
        primary.id,
        primary.channel,
        primary.channel_order_id,
        primary.customer_id,
        primary.ship_to,
        lines,
        primary.created_at,
        primary.email,
        primary.currency,
        primary.service_level,
        primary.requested_date,
        priority=primary.priority,
    )
    products = {sku: p for sku in {ln.sku for ln in lines} if (p := uow.products.get(sku))}
    facts = {
        "order": F.order_facts(merged, products),
        "customer": F.customer_facts(uow.customers.get(primary.customer_id), primary.customer_id),
    }
    verdict = validate(
        facts["order"], run(decider.registry.snapshot, "validation", facts, now, trace=False)
    )
    return verdict.outcome == "pass"
