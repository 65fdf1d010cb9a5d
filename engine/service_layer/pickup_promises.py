"""A pickup order waiting for a ship-to-store transfer keeps its ready day with the transfer.

The Decider promises a pickup's units sent from a warehouse for the day the order's transfers
of the SKU are all at the store: the arrival day of the last of them it counts on, in order
of arrival (`engine.pipeline.ship_to_store.plan_transfers`, `TransferPlan.ready`), with no
days added; units its transfers do not cover wait for the store's own inbound supply
(`backorder_promise`, never before today). The order's promised date is the last day of its
live shipments and of what still waits (`backorders.promise_whole`).

A transfer's arrival day moves after it was planned: its sending location reports it
shipped with the carrier's day (`transfer.shipped`), reports again with another one, or the
carrier's scan estimates one (`transfer.arrival_revised`). `follow_transfer` then works the
order's ready day out again the same way, from its transfers as they now are and the lines
its latest sourcing decision left waiting, and the order's `promised_date` (what its page
and its emails say) becomes that day. The decision's own dates stay in its trace: they are
what the customer was promised. A day past that promise, and later than the order was
expected before, raises `order.pickup_delayed` and the customer is told the new day
(`pickup_delayed` email); an earlier day, or one still within the promise, is taken
silently; either way the order's audit trail gets an entry (`order.pickup_promise`, by
`system`: the day before and after, and the transfer that moved it). So the customer hears
once per slip: a redelivered event finds the day already taken and does nothing; unlike a
carrier's estimate, repeated with every scan and so told only when it first goes past the
promise, a transfer's day is revised only when it changes, and a customer on their way to the
counter must hear each later day. An order no longer
waiting (cancelled, collected, moved to another store) or a transfer released from it, already
received or cancelled is left as it is.

Why an event handler in the bus (`messagebus._registry`) and not a worker observer: this
changes Ordo's own state, the order, in its own transaction after the transfer's commit, as
`stock.adjusted` serves backorders; worker observers carry what happened to the outside
world (the email: `CustomerNotifier` reads `order.pickup_delayed`). Registered there, it runs
in the API's process, or in a worker through the outbox when the pipeline does.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from engine.domain import events
from engine.domain.errors import Conflict
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import InboundSupply, ReservationStatus
from engine.domain.orders import Fulfilment, Order
from engine.pipeline.decide import backorder_promise
from engine.service_layer import audit, backorders, ship_to_store, shop_calls
from engine.service_layer.handlers import Clock, PipelineOptions
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The events that move a transfer's arrival day.
Moved = events.TransferShipped | events.TransferArrivalRevised
# The audit entry of an order's ready day moved with its transfer.
PROMISE_ACTION = "order.pickup_promise"


def follow_transfer(event: Moved, uow: UnitOfWork, clock: Clock, options: PipelineOptions) -> None:
    """The transfer of `event` is due on another day: its order's ready day follows it (see
    the module's docstring). Run again on a conflict, as another change to the order (a
    backorder pass, a cancellation) may have committed meanwhile."""
    if not event.order_id:
        return  # a transfer made by hand: no order counts on it
    for _ in range(options.max_attempts):
        with uow:
            if not _follow(uow, event.transfer_id, event.order_id, clock().date()):
                return
            try:
                uow.commit()
            except Conflict:
                continue
            return
    log.warning(
        "order %s kept changing while following transfer %s; its ready day is taken at its "
        "next decision",
        event.order_id,
        event.transfer_id,
    )


def _follow(uow: UnitOfWork, transfer_id: str, order_id: str, today: date) -> bool:
    """Move the order's promised date with its transfers; whether it changed."""
    order = uow.orders.get(order_id)
    transfer = uow.inbound.get(transfer_id)
    if order is None or transfer is None or not _waits_for(order, transfer):
        return False
    left = backorders.remainder(uow, order)
    decision = backorders.latest_sourcing(uow, order.id)
    if not left or decision is None:
        return False
    waiting = [b for b in decision.detail.get("backorders", []) if str(b["line"]) in left]
    live = [
        s for s in uow.shipments.for_order(order.id) if s.status is not ShipmentStatus.CANCELLED
    ]
    promised = backorders.whole_promise(live, waiting) or order.promised_date
    before = order.promised_date
    backorders.promise_whole(order, live, _ready_again(uow, order, waiting, left, today))
    after = order.promised_date
    if after is None or after == before:
        return False
    was = before.isoformat() if before else ""
    late = promised is not None and after > promised and (before is None or after > before)
    if late and promised is not None:
        order.events.append(
            events.OrderPickupDelayed(
                order.id, transfer.id, transfer.location_code, promised.isoformat(),
                after.isoformat(), was, (after - promised).days,
            )
        )  # fmt: skip
    # On the order's timeline, as a person's change to it would be: the day its page and
    # emails say moved, and which transfer moved it (Ordo did, for whoever moved that).
    moved = {"promised_date": after.isoformat(), "transfer_id": transfer.id,
             "expected_on": transfer.expected_on.isoformat(), "delayed": late}  # fmt: skip
    audit.record(uow, shop_calls.ACTOR, PROMISE_ACTION, "order", order.id,
                 {"promised_date": was or None}, moved)  # fmt: skip
    return True


def _waits_for(order: Order, transfer: InboundSupply) -> bool:
    """Whether `order` still counts on `transfer`: a pickup waiting at the transfer's store,
    the transfer still on its way for it (not received, cancelled or released from it)."""
    return (
        transfer.pending
        and transfer.order_id == order.id
        and order.fulfilment is Fulfilment.PICKUP
        and order.pickup_location == transfer.location_code
        and order.status in backorders.WAITING
    )


def _ready_again(
    uow: UnitOfWork,
    order: Order,
    waiting: Sequence[Mapping[str, Any]],
    left: Mapping[str, int],
    today: date,
) -> list[dict[str, Any]]:
    """The decision's waiting lines (`waiting`, as its trace records them) with the day each
    backordered one is ready worked out again from the order's transfers as they are now, as
    the Decider works it out; a pre-order keeps its release day."""
    store = str(order.pickup_location)
    need = _still_to_come(uow, order, left)
    again = []
    for entry in waiting:
        sku = str(entry["sku"])
        if entry.get("mode") != "backorder" or need.get(sku, 0) <= 0:
            again.append(dict(entry))
            continue
        day = _all_there(uow, order.id, sku, store, need[sku])
        if day is None:
            # The transfers do not cover the SKU: the line waits for the store's own inbound
            # supply (the order's transfers among it), as the Decider's fallback promises.
            arriving = [s for s in uow.inbound.for_sku(sku) if s.location_code == store and
                        s.order_id in ("", order.id)]  # fmt: skip
            day = backorder_promise(sku, int(entry["quantity"]), arriving, today)
        again.append({**entry, "promised_date": day.isoformat() if day else None})
    return again


def _still_to_come(uow: UnitOfWork, order: Order, left: Mapping[str, int]) -> dict[str, int]:
    """Units per SKU the order waits for beyond what it already holds at the store (units
    of a received transfer, claimed for it): what its transfers must still bring."""
    need: dict[str, int] = defaultdict(int)
    for line in order.lines:
        need[line.sku] += left.get(line.id, 0)
    for claim in uow.reservations.for_order(order.id):
        if claim.id.startswith(f"{ship_to_store.CLAIM}_") and (
            claim.status is ReservationStatus.ACTIVE
        ):
            need[claim.sku] -= claim.quantity
    return need


def _all_there(uow: UnitOfWork, order_id: str, sku: str, store: str, need: int) -> date | None:
    """The day the order's transfers of `sku` on their way to `store` have brought `need`
    units, first to arrive first (the Decider's `TransferPlan.ready`); None if they never
    do."""
    brought = 0
    for supply in ship_to_store.awaited(uow, order_id):
        if supply.pending and supply.sku == sku and supply.location_code == store:
            brought += supply.quantity
            if brought >= need:
                return supply.expected_on
    return None
