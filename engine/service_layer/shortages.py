"""Short picks: a location cannot find units of a shipment it was picking, and Ordo sources
them again.

`report_short_pick` does it in one transaction, so the units are never counted twice nor
lost between two steps:

1. the shipment's lines lose the missing units; a shipment left with none is cancelled
   (`FulfillmentOrder.short_pick`, the only way a released or picked shipment is cancelled).
   A packed one's boxes no longer hold what it carries: with a box catalogue, what is left
   is packed again into its location's boxes (`_pack_again`), and a label printed for the
   old boxes is void, to be printed again; without one it ships as one parcel. A label of
   a shipment cancelled, or packed again, raises `shipment.label_voided` for its carrier;
2. at its location, the order lines' reservations give the units up and the stock row loses
   them from both on-hand and reserved: they are not there (`stock.adjusted`, reason
   "short pick: <reason>");
3. the order's lines get them back as backordered, so they are the order's remainder
   (`backorders.remainder`);
4. the remainder is sourced again at once (`backorders.resource_remainder`): locations that
   have the stock get new shipments with carriers, released as the order's others were, and
   what no location has waits for stock like any remainder. The re-sourcing is stored as the
   order's latest sourcing trace either way, so it accounts for every unit.

In that one re-sourcing the Decider is not shown the short location's stock of the SKUs it
came up short of (`_Elsewhere`): those units were just looked for there and not found. Its
other SKUs, and later passes and new orders, see its stock as the counters say.

`COMMAND_HANDLERS` lists the handler for the message bus's registry (`messagebus._registry`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain import commands, events
from engine.domain.errors import Conflict, NotFound
from engine.domain.fulfilment import FulfillmentOrder, Shortfall, ShortLine
from engine.domain.inventory import ReservationStatus, Stock
from engine.domain.orders import LineStatus, Order
from engine.pipeline.decide import Decider
from engine.pipeline.decision import Allocation
from engine.service_layer import audit, backorders
from engine.service_layer.handlers import Clock, PipelineOptions, existing_order
from engine.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ShortPick:
    """What a short pick did: the units each line lost (`missing`, by order line id), the
    new shipments that carry them now and their units per line (`resourced`), and what of
    the order waits for stock after it (`backordered`, per line)."""

    shipment_id: str
    order_id: str
    missing: Mapping[str, int]
    new_shipments: tuple[str, ...]
    resourced: Mapping[str, int]
    backordered: Mapping[str, int]


class _Elsewhere(backorders.Budget):
    """The stock the re-sourcing of a short pick shows the Decider: the short location's
    rows of the SKUs it came up short of are left out, so the units are not sent straight
    back to the shelves where they were just looked for."""

    def __init__(self, uow: UnitOfWork, location_code: str, skus: Iterable[str]) -> None:
        super().__init__(uow)
        self.left_out = {(sku, location_code) for sku in skus}

    def rows(self, skus: Sequence[str]) -> list[Stock]:
        return [
            row for row in super().rows(skus) if (row.sku, row.location_code) not in self.left_out
        ]


def report_short_pick(
    cmd: commands.ReportShortPick,
    uow: UnitOfWork,
    decider: Decider,
    clock: Clock,
    options: PipelineOptions,
) -> ShortPick:
    """Take the missing units off the shipment and its location's stock, backorder them on
    the order and source them again, audited, in one transaction; run again on fresh stock
    when a reservation (or the order) lost a race to another transaction."""
    asked = [ShortLine(line.missing, line.order_line_id, line.sku) for line in cmd.lines]
    # Compile the published rulesets (first use only) before the transaction opens.
    decider.registry.ensure_loaded()
    for attempt in range(1, options.max_attempts + 1):
        with uow:
            done = _short_pick(uow, cmd, asked, decider, clock(), options, attempt)
            if done is None:
                uow.rollback()  # a reservation lost a race: run it again on fresh stock
                continue
            try:
                uow.commit()
            except Conflict:
                continue  # the order changed meanwhile (a backorder pass): read it again
            return done
    raise Conflict(
        f"the stock or the order of shipment {cmd.shipment_id} kept changing while its short "
        f"pick was recorded ({options.max_attempts} attempts); nothing was changed: report "
        "it again"
    )


def _short_pick(
    uow: UnitOfWork,
    cmd: commands.ReportShortPick,
    asked: Sequence[ShortLine],
    decider: Decider,
    now: datetime,
    options: PipelineOptions,
    attempt: int,
) -> ShortPick | None:
    """One attempt inside the caller's transaction; None when a reservation lost a race."""
    # Under a row lock: two reports about one shipment at once are decided one after the
    # other, so the second is checked against the lines the first left.
    shipment = uow.shipments.get_for_update(cmd.shipment_id)
    if shipment is None:
        raise NotFound("shipment", cmd.shipment_id)
    packed = bool(shipment.parcels)
    before = _summary(shipment, packed)
    order = existing_order(uow, shipment.order_id)
    printed = shipment.label_numbers  # the old boxes' numbers, which the short pick drops
    shortfalls = shipment.short_pick(asked, cmd.reason, now)
    if packed:
        _pack_again(uow, shipment, decider, printed)
    if printed and not shipment.label_format:
        # Void (cancelled, or its boxes packed again): the location cannot print it again.
        uow.labels.delete("shipment", shipment.id)
    for short in shortfalls:
        _write_off(uow, order.id, shipment.location_code, short, cmd.reason, cmd.actor)
        order.line(short.order_line_id).status = LineStatus.BACKORDERED
    known = {s.id for s in uow.shipments.for_order(order.id)}
    budget = _Elsewhere(uow, shipment.location_code, {short.sku for short in shortfalls})
    reason = f"short pick at {shipment.location_code}: {cmd.reason}"
    outcome = backorders.resource_remainder(
        uow, order, decider, now, options, budget, reason, attempt, record_unchanged=True
    )
    if outcome is backorders.Outcome.LOST_RACE:
        return None
    new = [s for s in uow.shipments.for_order(order.id) if s.id not in known]
    done = ShortPick(
        shipment_id=shipment.id,
        order_id=order.id,
        missing={short.order_line_id: short.missing for short in shortfalls},
        new_shipments=tuple(s.id for s in new),
        resourced=_units(new),
        backordered=backorders.remainder(uow, order),
    )
    _audit(uow, cmd, shipment, order, before, done, packed)
    return done


def _pack_again(
    uow: UnitOfWork, shipment: FulfillmentOrder, decider: Decider, printed: Sequence[str]
) -> None:
    """What a short pick left of a packed shipment, packed again into its location's boxes
    and billed by its carrier service (`Decider.packed_again`). A label printed for the old
    boxes (`printed`: its numbers) is void: the caller drops its document, the carrier is
    asked to void it, and the shipment is labelled again when asked, its new boxes numbered
    then (`FulfillmentOrder.pack_again`). Nothing for a shipment the short pick cancelled
    (whose label the short pick voided), nor without a box catalogue (or boxes at its
    location): it ships as one parcel, and its label stays."""
    if not shipment.lines:
        return
    products = uow.products.get_many(line.sku for line in shipment.lines)
    parcels = decider.packed_again(
        shipment.location_code,
        [
            Allocation(line.order_line_id, line.sku, shipment.location_code, line.quantity)
            for line in shipment.lines
        ],
        [products.get(line.sku) for line in shipment.lines],
        shipment.carrier,
        shipment.service,
    )
    if parcels:
        shipment.pack_again(parcels, printed)


def _write_off(
    uow: UnitOfWork, order_id: str, location: str, short: Shortfall, reason: str, actor: str
) -> None:
    """The units are not at `location`: the line's reservations there give them up, oldest
    first as a shipment consumes them, and the stock row loses them from on-hand and
    reserved at once (`consume`: a count correction could not take on-hand below what is
    reserved). A dropshipped line reserved nothing, and changes no stock of ours."""
    left = short.missing
    for reservation in uow.reservations.for_order(order_id):
        if left <= 0:
            break
        if (
            reservation.line_id != short.order_line_id
            or reservation.location_code != location
            or reservation.status is not ReservationStatus.ACTIVE
        ):
            continue
        taken = min(left, reservation.quantity)
        if taken == reservation.quantity:
            # Its units left the counters as a shipment's do, only not in a parcel.
            reservation.move(ReservationStatus.CONSUMED)
        else:
            reservation.quantity -= taken  # the rest is still on the shelf for the shipment
        left -= taken
    units = short.missing - left
    if units <= 0:
        return
    uow.stock.consume(short.sku, location, units)
    stock = uow.stock.get((short.sku, location))
    assert stock is not None  # `consume` refuses a row that does not exist
    why = f"short pick: {reason}"
    uow.record(
        events.StockAdjusted(short.sku, location, -units, stock.on_hand, stock.available, why)
    )
    # As an adjustment is audited, so the stock row's history says where the units went.
    audit.record(
        uow,
        actor,
        "stock.short_pick",
        "stock",
        f"{short.sku}@{location}",
        {"on_hand": stock.on_hand + units, "reserved": stock.reserved + units},
        {"on_hand": stock.on_hand, "reserved": stock.reserved, "delta": -units, "reason": why},
    )


def _units(shipments: Iterable[FulfillmentOrder]) -> dict[str, int]:
    """Units per order line id across `shipments`."""
    units: dict[str, int] = defaultdict(int)
    for shipment in shipments:
        for line in shipment.lines:
            units[line.order_line_id] += line.quantity
    return dict(units)


def _summary(shipment: FulfillmentOrder, packed: bool) -> dict[str, Any]:
    """The shipment as its short pick's audit shows it; a packed one's (`packed`: before
    the short pick) with its parcels and its label's format, which a short pick changes."""
    summary: dict[str, Any] = {
        "status": str(shipment.status),
        "lines": {line.order_line_id: line.quantity for line in shipment.lines},
    }
    if packed:
        summary["parcels"] = len(shipment.parcels)
        summary["label_format"] = shipment.label_format
    return summary


def _audit(
    uow: UnitOfWork,
    cmd: commands.ReportShortPick,
    shipment: FulfillmentOrder,
    order: Order,
    before: Mapping[str, Any],
    done: ShortPick,
    packed: bool,
) -> None:
    after = {
        **_summary(shipment, packed),
        "missing": dict(done.missing),
        "reason": cmd.reason,
        "order_id": order.id,
        "new_shipments": list(done.new_shipments),
        "backordered": dict(done.backordered),
    }
    audit.record(uow, cmd.actor, "shipment.short_pick", "shipment", shipment.id, before, after)


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.ReportShortPick: report_short_pick,
}
