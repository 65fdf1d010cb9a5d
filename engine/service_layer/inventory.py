"""Stock handlers and queries: adjustments, receipts, transfers, expiry, ATP and reorders.

Every change goes through the stock repository's primitives (the same arithmetic as
`engine.domain.inventory.Stock`), records a `stock.adjusted` event, and refuses bad input
with a message naming the SKU, the location and the numbers.

A transfer on its way is followed, not counted: its sending location's report that it
shipped (and later reports revising its arrival day) and its carrier's scans
(`track_transfer`: a new estimate, its delivery at the store) change when it is expected
and what is known of it, never the stock; only its receipt books units.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.domain import commands, events
from engine.domain.errors import InsufficientStock, InvalidQuantity, NotFound
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import (
    InboundKind,
    InboundSupply,
    Reservation,
    ReservationStatus,
    Stock,
)
from engine.domain.orders import InvalidLine, OrderStatus
from engine.domain.tracking_codes import Milestone
from engine.domain.values import in_utc, utcnow
from engine.service_layer import audit, backorders, ship_to_store
from engine.service_layer.handlers import Clock, give_back
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def _location(uow: UnitOfWork, code: str) -> None:
    if uow.locations.get(code) is None:
        raise NotFound("location", code)


def _adjusted(uow: UnitOfWork, stock: Stock, delta: int, reason: str) -> None:
    uow.record(
        events.StockAdjusted(
            stock.sku, stock.location_code, delta, stock.on_hand, stock.available, reason
        )
    )


def _product(uow: UnitOfWork, sku: str) -> None:
    if uow.products.get(sku) is None:
        raise NotFound("product", sku)


def adjust_stock(cmd: commands.AdjustStock, uow: UnitOfWork) -> int:
    """A count correction (either sign); returns the new on-hand quantity."""
    if cmd.delta == 0:
        raise InvalidQuantity(f"adjustment of {cmd.sku} at {cmd.location_code} must not be 0")
    with uow:
        _location(uow, cmd.location_code)
        _product(uow, cmd.sku)
        stock = uow.stock.adjust(cmd.sku, cmd.location_code, cmd.delta)
        _adjusted(uow, stock, cmd.delta, cmd.reason)
        uow.commit()
        return stock.on_hand


def receive_stock(cmd: commands.ReceiveStock, uow: UnitOfWork) -> int:
    """Goods in (a WMS feed or a person). A `reference` naming inbound supply (a purchase
    order, a transfer) receives it, and must match it: its SKU, location and quantity, once
    (`InboundSupply.receive`); any other reference is the receipt's note."""
    if cmd.quantity <= 0:
        raise InvalidQuantity(f"received quantity must be positive, got {cmd.quantity}")
    with uow:
        _location(uow, cmd.location_code)
        _product(uow, cmd.sku)
        if cmd.reference:
            # Locked: two receipts of one transfer at the same moment must not both find it
            # still expected and both book its units.
            supply = uow.inbound.get_for_update(cmd.reference)
            if supply is not None:
                supply.receive(cmd.sku, cmd.location_code, cmd.quantity)
        stock = uow.stock.adjust(cmd.sku, cmd.location_code, cmd.quantity)
        _adjusted(uow, stock, cmd.quantity, f"received {cmd.reference}".strip())
        uow.commit()
        return stock.on_hand


def transfer_stock(cmd: commands.TransferStock, uow: UnitOfWork) -> str:
    """Send units to another location: they leave now and are in transit until received."""
    if cmd.quantity <= 0:
        raise InvalidQuantity(f"transfer quantity must be positive, got {cmd.quantity}")
    if cmd.from_location == cmd.to_location:
        raise InvalidQuantity(f"transfer of {cmd.sku} from {cmd.from_location} to itself")
    with uow:
        _location(uow, cmd.from_location)
        _location(uow, cmd.to_location)
        _product(uow, cmd.sku)  # else "only 0 of it available", as if it were merely out
        source = uow.stock.get((cmd.sku, cmd.from_location))
        free = source.available if source else 0
        if cmd.quantity > free:
            raise InsufficientStock(cmd.sku, cmd.from_location, cmd.quantity, free)
        uow.stock.adjust(cmd.sku, cmd.from_location, -cmd.quantity)
        transfer = ship_to_store.book_transfer(
            uow, cmd.sku, cmd.from_location, cmd.to_location, cmd.quantity, cmd.expected_on
        )
        uow.commit()
        return transfer.id


def receive_transfer(cmd: commands.ReceiveTransfer, uow: UnitOfWork, clock: Clock = utcnow) -> int:
    """A transfer arrives whole at its destination, once; returns the new on-hand there. A
    ship-to-store transfer's units are reserved at once for the order it was sent for, as far
    as that order still waits for them (`ship_to_store.claim`): the backorder pass its
    arrival starts releases that order, not the first waiting at the store."""
    with uow:
        transfer = uow.inbound.get_for_update(cmd.transfer_id)  # as in receive_stock
        if transfer is None or transfer.kind is not InboundKind.TRANSFER:
            raise NotFound("transfer", cmd.transfer_id)
        transfer.receive(transfer.sku, transfer.location_code, transfer.quantity)
        stock = uow.stock.adjust(transfer.sku, transfer.location_code, transfer.quantity)
        _adjusted(uow, stock, transfer.quantity, f"transfer {transfer.id} received")
        order = uow.orders.get(transfer.order_id) if transfer.order_id else None
        if order is not None and order.status in backorders.WAITING:
            waiting = backorders.remainder(uow, order)
            sku, store, units = transfer.sku, transfer.location_code, transfer.quantity
            ship_to_store.claim(uow, order, sku, store, units, waiting, clock())
        uow.commit()
        return stock.on_hand


def report_transfer_shipped(
    cmd: commands.ReportTransferShipped, uow: UnitOfWork, clock: Clock = utcnow
) -> bool:
    """The sending location reports a transfer shipped (`InboundSupply.report_shipped`):
    recorded on it, with `transfer.shipped` and an audit entry. Reported again with another
    arrival day, the day is revised instead (`transfer.arrival_revised`, audited). Returns
    whether anything was written: the same report again (a WMS retrying) writes nothing, not
    even an entry. A transfer Ordo cancelled while its WMS held it, reported shipped, left
    before the cancellation reached that WMS: the report is its answer "too late", so the
    transfer is reinstated (`ship_to_store.reinstate`) and then recorded shipped."""
    with uow:
        # Locked: two reports of one transfer at the same moment must not both find it
        # unreported and the second silently replace the first's tracking number (nor the
        # worker's reinstatement and this one both book its units off the source).
        transfer = _transfer_for_update(uow, cmd.transfer_id)
        if transfer.cancelled and transfer.wms_reference:
            said = f"{cmd.actor} reported it shipped after Ordo cancelled it"
            ship_to_store.reinstate(uow, transfer, said, cmd.actor)
        planned, first = transfer.expected_on, transfer.shipped_at is None
        shipped_at = in_utc(cmd.shipped_at) if cmd.shipped_at else None
        if not transfer.report_shipped(
            cmd.carrier, cmd.tracking_number, shipped_at, cmd.expected_on, in_utc(clock())
        ):
            return False
        if not first:
            _arrival_revised(uow, transfer, planned, cmd.actor)
            uow.commit()
            return True
        assert transfer.shipped_at is not None  # just reported
        facts = {
            "carrier": transfer.carrier,
            "tracking_number": transfer.tracking_number,
            "shipped_at": transfer.shipped_at.isoformat(),
            "expected_on": transfer.expected_on.isoformat(),
        }
        uow.record(
            events.TransferShipped(
                transfer.id, transfer.order_id, transfer.from_location,
                transfer.location_code, **facts,
            )
        )  # fmt: skip
        before = {"shipped_at": None, "expected_on": planned.isoformat()}
        audit.record(uow, cmd.actor, "transfer.shipped", "transfer", transfer.id, before, facts)
        uow.commit()
        return True


def track_transfer(cmd: commands.TrackTransfer, uow: UnitOfWork) -> bool:
    """A carrier's scan of a transfer it carries: a `delivered` one records the delivery at
    the destination (`InboundSupply.mark_delivered`, `transfer.delivered`, audited), any
    other with an estimate revises the arrival day as a repeated shipped report does
    (`transfer.arrival_revised`). Returns whether anything was written: a repeated scan, one
    that says nothing new, and an estimate after the delivery write nothing. A transfer
    received or cancelled is a Conflict: no carrier has it."""
    with uow:
        transfer = _transfer_for_update(uow, cmd.transfer_id)
        transfer.ensure_pending("take a carrier's scan")
        if cmd.milestone is Milestone.DELIVERED:
            if not transfer.mark_delivered(in_utc(cmd.at)):
                return False
            assert transfer.delivered_at is not None  # just marked
            facts = {
                "carrier": transfer.carrier,
                "tracking_number": transfer.tracking_number,
                "delivered_at": transfer.delivered_at.isoformat(),
            }
            uow.record(
                events.TransferDelivered(
                    transfer.id, transfer.order_id, transfer.from_location,
                    transfer.location_code, **facts,
                )
            )  # fmt: skip
            audit.record(uow, cmd.actor, "transfer.delivered", "transfer", transfer.id,
                         {"delivered_at": None}, facts)  # fmt: skip
            uow.commit()
            return True
        # Scans come out of order and are retried: one after the delivery says nothing new.
        if cmd.estimated_delivery is None or transfer.delivered_at is not None:
            return False
        planned = transfer.expected_on
        try:
            if transfer.revise_arrival(cmd.estimated_delivery) is None:
                return False
        except InvalidLine as refused:
            # The carrier's mistake (a day before it shipped): a webhook is never refused,
            # so the day is not taken and the transfer keeps the one it had.
            log.warning("carrier scan of transfer %s not taken: %s", transfer.id, refused)
            return False
        _arrival_revised(uow, transfer, planned, cmd.actor)
        uow.commit()
        return True


def _transfer_for_update(uow: UnitOfWork, transfer_id: str) -> InboundSupply:
    """The transfer, locked until the transaction ends: reports and scans of one transfer
    at the same moment are decided one after the other. NotFound for a purchase order."""
    transfer = uow.inbound.get_for_update(transfer_id)
    if transfer is None or transfer.kind is not InboundKind.TRANSFER:
        raise NotFound("transfer", transfer_id)
    return transfer


def _arrival_revised(uow: UnitOfWork, transfer: InboundSupply, previous: date, by: str) -> None:
    """Raise and audit a transfer's new arrival day (it was `previous`)."""
    before, after = previous.isoformat(), transfer.expected_on.isoformat()
    uow.record(
        events.TransferArrivalRevised(
            transfer.id, transfer.order_id, transfer.from_location, transfer.location_code,
            before, after, by,
        )
    )  # fmt: skip
    audit.record(uow, by, "transfer.arrival_revised", "transfer", transfer.id,
                 {"expected_on": before}, {"expected_on": after})  # fmt: skip


def expire_reservations(cmd: commands.ExpireReservations, uow: UnitOfWork, clock: Clock) -> int:
    """Release reservations past their expiry; their unreleased orders go on hold."""
    with uow:
        now = clock()
        expired = 0
        for reservation in uow.reservations.expired(now, cmd.limit):
            if not reservation.is_expired(now):
                continue
            _give_back(uow, reservation, ReservationStatus.EXPIRED)
            expired += 1
            order = uow.orders.get(reservation.order_id)
            if (
                order is not None
                and order.can_move_to(OrderStatus.HELD)
                and (order.status is not OrderStatus.HELD)
            ):
                order.hold("reservation_expired", "stock reservation expired before release", now)
                _void_allocation(uow, order.id, now)
        uow.commit()
        return expired


class ReservationExpirer:
    """Worker ticker: expire reservations past their time-to-live, at most once per `every`
    (a minute late is nothing next to a time-to-live of minutes or hours)."""

    def __init__(
        self,
        handle: Callable[[commands.Command], Any],
        every: timedelta = timedelta(minutes=1),
        limit: int = commands.ExpireReservations.limit,
    ) -> None:
        self.handle = handle
        self.every = every
        self.limit = limit
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        expired = self.handle(commands.ExpireReservations(limit=self.limit))
        count = int(expired) if isinstance(expired, int) else 0
        # After the run: a failed one (database restarting) is tried again at the next tick,
        # and so is a full batch, whose rest is already due.
        self._last = None if count >= self.limit else now
        return count


def _give_back(uow: UnitOfWork, reservation: Reservation, status: ReservationStatus) -> None:
    give_back(uow, reservation, status)
    uow.record(
        events.StockReleased(
            reservation.order_id, reservation.sku, reservation.location_code, reservation.quantity
        )
    )


def _void_allocation(uow: UnitOfWork, order_id: str, now: datetime) -> None:
    """A held order is decided again from the top once released, so nothing of its earlier
    allocation may survive: reservations that have not expired yet (a re-sourced remainder's
    are younger than the order's first ones) and its pending fulfilment orders would
    otherwise stand beside the new ones, reserving and shipping the same units twice."""
    for reservation in uow.reservations.for_order(order_id):
        if reservation.status is ReservationStatus.ACTIVE:
            _give_back(uow, reservation, ReservationStatus.RELEASED)
    for shipment in uow.shipments.for_order(order_id):
        if shipment.status is ShipmentStatus.PENDING:
            labelled = bool(shipment.label_format)
            shipment.move(ShipmentStatus.CANCELLED, now)
            if labelled:  # a label made before the hold is void (`shipment.label_voided`)
                uow.labels.delete("shipment", shipment.id)


# --- queries ----------------------------------------------------------------------------------


def available_to_promise(uow: UnitOfWork, sku: str, channel: str | None = None) -> dict[str, Any]:
    """ATP of a SKU across every location, or as one channel sees it."""
    with uow:
        rows = uow.stock.for_sku(sku)
        by_location = {
            row.location_code: row.available_for(channel) if channel else row.available
            for row in sorted(rows, key=lambda r: r.location_code)
        }
        return {
            "sku": sku,
            "channel": channel,
            "total": sum(by_location.values()),
            "by_location": by_location,
        }


def daily_demand(uow: UnitOfWork, sku: str, days: int, today: date) -> list[int]:
    """Units of `sku` ordered per day (UTC) over the last `days` days (oldest first), on
    orders neither cancelled nor rejected: every line, however many (a cap on orders read
    would drop the oldest days of a best-seller and understate its demand)."""
    start = today - timedelta(days=days - 1)
    per_day: dict[date, int] = defaultdict(int)
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    for created_at, units in uow.orders.units_ordered(sku, since):
        day = in_utc(created_at).date()
        if start <= day <= today:
            per_day[day] += units
    return [per_day[start + timedelta(days=i)] for i in range(days)]


def moving_average(series: list[int], window: int) -> float:
    recent = series[-window:] if window > 0 else series
    return sum(recent) / len(recent) if recent else 0.0


def exponential_smoothing(series: list[int], alpha: float) -> float:
    if not 0 < alpha <= 1:
        raise InvalidQuantity(f"smoothing factor must be in (0, 1], got {alpha}")
    level = float(series[0]) if series else 0.0
    for value in series[1:]:
        level = alpha * value + (1 - alpha) * level
    return level


@dataclass(frozen=True)
class ReorderSuggestion:
    sku: str
    location_code: str
    daily_forecast: float
    reorder_point: int
    position: int  # on hand - reserved + inbound not yet received
    suggested_quantity: int


def reorder_suggestions(
    uow: UnitOfWork,
    today: date,
    *,
    history_days: int = 28,
    lead_time_days: int = 7,
    cover_days: int = 14,
    method: str = "moving_average",
    alpha: float = 0.3,
) -> list[ReorderSuggestion]:
    """Per stocked (SKU, location): forecast daily demand from order history (shared across
    the locations holding the SKU), the reorder point (lead-time demand + safety stock) and
    how much to buy to cover lead time plus `cover_days` when at or below it."""
    if method not in ("moving_average", "exponential_smoothing"):
        raise InvalidQuantity(f"unknown forecast method '{method}'")
    suggestions = []
    with uow:
        rows_by_sku: dict[str, list[Stock]] = defaultdict(list)
        for product in uow.products.list(limit=100_000):
            rows_by_sku[product.sku].extend(uow.stock.for_sku(product.sku))
        for sku, rows in sorted(rows_by_sku.items()):
            if not rows:
                continue
            series = daily_demand(uow, sku, history_days, today)
            total = (
                moving_average(series, history_days)
                if method == "moving_average"
                else exponential_smoothing(series, alpha)
            )
            share = total / len(rows)
            inbound: dict[str, int] = defaultdict(int)
            for supply in uow.inbound.for_sku(sku):
                if supply.pending:
                    inbound[supply.location_code] += supply.quantity
            for row in sorted(rows, key=lambda r: r.location_code):
                point = math.ceil(share * lead_time_days) + row.safety_stock
                point = max(point, row.reorder_point)
                position = row.on_hand - row.reserved + inbound[row.location_code]
                target = math.ceil(share * (lead_time_days + cover_days)) + row.safety_stock
                qty = max(0, target - position) if position <= point else 0
                suggestions.append(
                    ReorderSuggestion(sku, row.location_code, round(share, 3), point, position, qty)
                )
    return suggestions
