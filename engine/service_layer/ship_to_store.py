"""Ship to store: the transfers that bring a pickup order's shortfall to its store.

The Decider plans them (`engine.pipeline.ship_to_store`: the nearest warehouses holding the
units, arrival as the cheapest carrier quote says); this module makes them so, inside the
transaction that applies the decision (`apply`):

- each new transfer takes its units out of the warehouse atomically (a conditional
  reservation consumed at once, so no order there can have counted on them; losing that
  race rolls the decision back and it is decided again), becomes inbound supply at the store
  carrying the order's id (`InboundSupply.order_id`), and raises `stock.adjusted` at the
  warehouse, `transfer.requested` (which the warehouse's WMS is sent, if it has one:
  `engine.service_layer.wms_transfers`) and `order.awaiting_transfer`;
- a transfer already on its way for the order that the decision no longer counts on (the
  order changed, or was served from elsewhere first) is cancelled: its units go back to the
  warehouse (`transfer.cancelled`, `stock.adjusted`). So are all of them when the order is
  cancelled or stops being collected at that store (`cancel_all`). One that left all the
  same (its WMS answers the cancellation "too late", or reports it shipped) is put back on
  its way, released from its order, and its units come off the warehouse again
  (`reinstate`, `transfer.reinstated`).

When a transfer arrives (`inventory.receive_transfer`), its units are at once reserved for
its order, as far as the order still waits for them (`claim`): a *claim*, a reservation with
no fulfilment order yet (id `clm_...`). No other order can take them, in the backorder pass
or as a new order, whatever ranks first. The backorder pass gives an order its own claims
back just before deciding it (`open_claims`) and claims again what it still waits for after
(`claim`): an order waiting for two transfers is released when the second arrives, with the
first one's units kept for it meanwhile. Cancelling or modifying the order gives its claims
back like any reservation.

Stock reaching a warehouse later sends a waiting order its transfers through the same
planner: the backorder pass already visits every order waiting for the arriving SKU wherever
it arrived, and asks the Decider about its remainder, whose plan (`plan_transfers`) now finds
the units. What the pass did not do was act on a plan that allocates nothing at the store;
it now sends that plan's new transfers (`sends`, `backorders.send_to_store`). So there is one
planner, one way a transfer is requested (`apply`), and the pass's ranking, stock budget,
retries and optimistic locking for free: the Decider keeps the transfers already on their way
(`PlannedTransfer.transfer_id`), so a second arrival or a redelivered event sends nothing
more, and two passes that both sent for one order cannot both commit (each records a new
sourcing decision, a new order version; the second is refused and runs again). A wholly
backordered pickup at such a store (`supplied`) is asked whatever the stock rows say, as a
warehouse may cover one SKU while another still waits; any other order is asked as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from engine.domain import events
from engine.domain.catalog import Service
from engine.domain.inventory import InboundKind, InboundSupply, Reservation, ReservationStatus
from engine.domain.orders import Fulfilment, Order
from engine.domain.values import utcnow
from engine.pipeline.decision import Decision, PlannedTransfer
from engine.service_layer import audit
from engine.service_layer.handlers import give_back, new_id
from engine.service_layer.unit_of_work import UnitOfWork
from engine.service_layer.warehouse import REFUSED_RULE, REFUSED_SEVERITY

# Reservations holding a received transfer's units for its order, before any fulfilment order.
CLAIM = "clm"


def apply(uow: UnitOfWork, order: Order, decision: Decision, now: datetime) -> bool:
    """Request the decision's new transfers and cancel the order's open ones it no longer
    counts on; False when a warehouse's units went to someone else meanwhile (the caller
    rolls back and decides again). Only a pickup order ever has transfers to look at."""
    if order.fulfilment is not Fulfilment.PICKUP and not decision.transfers:
        return True
    kept = {t.transfer_id for t in decision.transfers if t.transfer_id}
    for supply in uow.inbound.for_order(order.id):
        if supply.pending and supply.id not in kept:
            cancel(uow, supply, "its order no longer needs it")
    for planned in decision.transfers:
        if not planned.transfer_id and not _send(uow, order, planned):
            return False
    return True


def supplied(uow: UnitOfWork, order: Order) -> bool:
    """Whether `order` is collected at a store that is sent what it lacks (`ship_to_store`)."""
    if order.fulfilment is not Fulfilment.PICKUP or not order.pickup_location:
        return False
    store = uow.locations.get(order.pickup_location)
    return store is not None and Service.SHIP_TO_STORE in store.services


def sends(decision: Decision) -> bool:
    """Whether `decision` requests a transfer not already on its way."""
    return any(not planned.transfer_id for planned in decision.transfers)


def _send(uow: UnitOfWork, order: Order, planned: PlannedTransfer) -> bool:
    """Take the units out of the warehouse and put them in transit to the store."""
    sku, origin, units = planned.sku, planned.from_location, planned.quantity
    # Reserved then consumed: the database's conditional update refuses units reserved or
    # fenced since the Decider read them, as for an order's own reservation.
    if uow.stock.reserve(sku, origin, units, order.channel) is None:
        return False
    uow.stock.consume(sku, origin, units)
    supply = book_transfer(
        uow, sku, origin, planned.to_location, units, planned.expected_on, order.id
    )
    order.events.append(
        events.OrderAwaitingTransfer(
            order.id,
            supply.id,
            sku,
            origin,
            supply.location_code,
            units,
            supply.expected_on.isoformat(),
        )
    )
    return True


def book_transfer(
    uow: UnitOfWork,
    sku: str,
    origin: str,
    destination: str,
    quantity: int,
    expected_on: date,
    order_id: str = "",
) -> InboundSupply:
    """Units that just left `origin` (already taken off its stock): `stock.adjusted` there,
    inbound supply at `destination` until received, and `transfer.requested` (for the WMS
    of `origin`, if it has one). Any transfer, ship to store or not."""
    stock = uow.stock.get((sku, origin))
    assert stock is not None  # the units were just taken from it
    transfer = InboundSupply(
        id=new_id("trf"),
        sku=sku,
        location_code=destination,
        quantity=quantity,
        expected_on=expected_on,
        kind=InboundKind.TRANSFER,
        reference=f"from {origin}",
        order_id=order_id,
    )
    why = f"transfer {transfer.id} to {destination}"
    if order_id:
        why += f" for order {order_id}"
    uow.record(events.StockAdjusted(sku, origin, -quantity, stock.on_hand, stock.available, why))
    uow.inbound.add(transfer)
    uow.record(
        events.TransferRequested(
            transfer.id, order_id, sku, origin, destination, quantity, expected_on.isoformat()
        )
    )
    return transfer


def cancel(uow: UnitOfWork, supply: InboundSupply, reason: str) -> None:
    """Call off a transfer not yet received: its units are back at the warehouse. One its
    sending location reported shipped is on a truck and cannot be called back: it keeps
    going, released from its order, and its units arrive as the store's own stock
    (`transfer.released`); nothing is booked back at the warehouse, nor cancelled at its
    WMS."""
    if supply.shipped_at is not None:
        order_id = supply.release_from_order()
        uow.record(
            events.TransferReleased(
                supply.id, order_id, supply.sku, supply.from_location, supply.location_code,
                supply.quantity, reason,
            )
        )  # fmt: skip
        return
    supply.cancel()
    origin = supply.reference.removeprefix("from ")
    stock = uow.stock.adjust(supply.sku, origin, supply.quantity)
    uow.record(
        events.StockAdjusted(
            supply.sku,
            origin,
            supply.quantity,
            stock.on_hand,
            stock.available,
            f"transfer {supply.id} cancelled: {reason}",
        )
    )
    uow.record(
        events.TransferCancelled(
            supply.id, supply.order_id, supply.sku, origin, supply.quantity, reason
        )
    )


def reinstate(uow: UnitOfWork, supply: InboundSupply, said: str, actor: str) -> int:
    """A transfer `cancel` called off left its source all the same (`said`: its WMS's
    answer "too late", or the report that it shipped): it is on its way again, released
    from its order (`InboundSupply.reinstate`), and its units come off the source's stock
    again, which `cancel` had booked them back on; audited for `actor`. Returns the units
    that could not come off, orders there having reserved them since (the order itself,
    decided again, among them): Ordo keeps them on the source's stock, and a high alert
    asks a person to see those orders' shipments short-picked and the stock corrected."""
    order_id = supply.reinstate()
    origin, units = supply.from_location, supply.quantity
    row = uow.stock.get((supply.sku, origin))
    taken = min(units, max(0, row.on_hand - row.reserved)) if row is not None else 0
    if taken:
        stock = uow.stock.adjust(supply.sku, origin, -taken)
        why = f"transfer {supply.id} left after its cancellation"
        uow.record(
            events.StockAdjusted(supply.sku, origin, -taken, stock.on_hand, stock.available, why)
        )
    short = units - taken
    uow.record(
        events.TransferReinstated(
            supply.id, order_id, supply.sku, origin, supply.location_code, units, short, said
        )
    )
    before = {"status": "cancelled", "order_id": order_id}
    after = {"status": "in_transit", "order_id": "", "taken_off": taken, "message": said}
    audit.record(uow, actor, events.TransferReinstated.name, "transfer", supply.id, before, after)
    if short:
        _reinstated_short(uow, supply, short, said)
    return short


def _reinstated_short(uow: UnitOfWork, supply: InboundSupply, short: int, said: str) -> None:
    """A reinstated transfer's units reserved at its source since its cancellation: they
    are gone, yet orders count on them there. Only a person can sort that out."""
    origin, sku = supply.from_location, supply.sku
    uow.record(
        events.AlertTriggered(
            rule=REFUSED_RULE,
            key=supply.id,
            severity=REFUSED_SEVERITY,
            message=(
                f"Transfer {supply.id} of {supply.quantity} {sku} from {origin} to "
                f"{supply.location_code} left after Ordo cancelled it, and is on its way "
                f"again; {short} of its units were reserved at {origin} since, so Ordo still "
                f"counts them there. See the shipments holding them reported short when "
                f"{origin} picks them (POST /v1/shipments/{{id}}/short): that sources them "
                f"elsewhere and takes the {short} {sku} off {origin}'s stock. {said}"
            ),
            at=utcnow().isoformat(),
        )
    )


def lock(uow: UnitOfWork, order_id: str) -> list[InboundSupply]:
    """The order's transfers, their rows locked until the transaction ends, as an arrival
    (`inventory.receive_transfer`) and a reinstatement (`reinstate`'s callers) lock theirs:
    a cancellation racing either waits for it and then sees what it did (received: nothing
    to cancel, its claim on the order's reservations; on its way again: released from the
    order), instead of cancelling a transfer as it stood before. A cancellation that gives
    the order's reservations back locks them before reading those, so a claim an arrival
    made meanwhile is given back with them."""
    return list(uow.inbound.for_order_for_update(order_id))


def cancel_all(uow: UnitOfWork, order: Order, reason: str) -> None:
    """Cancel every transfer still on its way for `order` (cancelled, or no longer collected
    at the store they go to), locked first (`lock`)."""
    for supply in lock(uow, order.id):
        if supply.pending:
            cancel(uow, supply, reason)


def settle(uow: UnitOfWork, order: Order, waiting: Mapping[str, int], reason: str) -> None:
    """After part of an order's remainder was cancelled (`waiting`: what still waits, per
    line): transfers of a SKU it no longer waits for are cancelled, and claimed units beyond
    what a line still waits for are given back (`stock.released`: others may have them)."""
    wanted: dict[str, int] = {}
    for line in order.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + waiting.get(line.id, 0)
    for supply in lock(uow, order.id):
        if supply.pending and wanted.get(supply.sku, 0) <= 0:
            cancel(uow, supply, reason)
    for reservation in uow.reservations.for_order(order.id):
        if not reservation.id.startswith(f"{CLAIM}_"):
            continue
        if reservation.status is not ReservationStatus.ACTIVE:
            continue
        surplus = reservation.quantity - waiting.get(reservation.line_id, 0)
        if surplus <= 0:
            continue
        uow.stock.release(reservation.sku, reservation.location_code, surplus, reservation.channel)
        if surplus == reservation.quantity:
            reservation.move(ReservationStatus.RELEASED)
        else:
            reservation.quantity -= surplus
        uow.record(
            events.StockReleased(order.id, reservation.sku, reservation.location_code, surplus)
        )


def awaited(uow: UnitOfWork, order_id: str) -> list[InboundSupply]:
    """The transfers sent for an order, by expected arrival (what the order's page shows)."""
    return sorted(uow.inbound.for_order(order_id), key=lambda s: (s.expected_on, s.id))


# --- claims -----------------------------------------------------------------------------------


def claim(
    uow: UnitOfWork,
    order: Order,
    sku: str,
    location: str,
    units: int,
    waiting: Mapping[str, int],
    now: datetime,
    *,
    announce: bool = True,
) -> int:
    """Reserve for `order` up to `units` of `sku` at `location`, for its lines of that SKU
    still waiting (`waiting`: units per line, `backorders.remainder`), as far as the stock
    row has them free; returns the units claimed. `announce` raises `stock.reserved` (not
    when claiming again units the order held a moment before)."""
    if order.pickup_location != location:
        return 0  # moved to another store since: the units are anyone's
    claimed = 0
    row = uow.stock.get((sku, location))
    free = row.available_for(order.channel) if row is not None else 0
    for line in order.lines:
        want = min(units - claimed, waiting.get(line.id, 0), free - claimed)
        if line.sku != sku or want <= 0:
            continue
        drawn = uow.stock.reserve(sku, location, want, order.channel)
        if drawn is None:
            break
        uow.reservations.add(
            Reservation(
                id=new_id(CLAIM),
                order_id=order.id,
                line_id=line.id,
                sku=sku,
                location_code=location,
                quantity=want,
                created_at=now,
                channel=order.channel,
                from_allocation=drawn,
            )
        )
        if announce:
            uow.record(events.StockReserved(order.id, sku, location, want))
        claimed += want
    return claimed


def open_claims(uow: UnitOfWork, order: Order) -> list[Reservation]:
    """Give `order` its claimed units back, to be decided with them (the backorder pass,
    just before it decides the order); returns the claims released, for `reclaim`."""
    if order.fulfilment is not Fulfilment.PICKUP:
        return []
    opened = []
    for reservation in uow.reservations.for_order(order.id):
        if (
            reservation.id.startswith(f"{CLAIM}_")
            and reservation.status is ReservationStatus.ACTIVE
        ):
            give_back(uow, reservation, ReservationStatus.RELEASED)
            opened.append(reservation)
    return opened


def reclaim(
    uow: UnitOfWork,
    order: Order,
    opened: Sequence[Reservation],
    waiting: Mapping[str, int],
    now: datetime,
) -> None:
    """Claim again, of the units `open_claims` gave the order, what it still waits for once
    decided (`waiting`, per line): the rest it has just reserved for its fulfilment orders."""
    by_place: dict[tuple[str, str], int] = {}
    for reservation in opened:
        key = (reservation.sku, reservation.location_code)
        by_place[key] = by_place.get(key, 0) + reservation.quantity
    for (sku, location), units in sorted(by_place.items()):
        claim(uow, order, sku, location, units, waiting, now, announce=False)
