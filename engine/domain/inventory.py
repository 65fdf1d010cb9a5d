"""Stock per SKU and location, inbound supply, and reservations against it.

Available-to-promise is always derived from the counters here, never stored a second time.
The arithmetic lives in this module so that the atomic database update (in the persistence
adapter) and every in-memory path agree on one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from engine.domain.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    InsufficientStock,
    InvalidQuantity,
)
from engine.domain.orders import InvalidLine


class InboundKind(StrEnum):
    PURCHASE_ORDER = "purchase_order"
    TRANSFER = "transfer"


@dataclass(slots=True)
class InboundSupply:
    """Units expected at a location on a date: a purchase order or a transfer in transit."""

    id: str
    sku: str
    location_code: str
    quantity: int
    expected_on: date
    kind: InboundKind = InboundKind.PURCHASE_ORDER
    reference: str = ""
    received: bool = False
    # The pickup order a ship-to-store transfer was sent for (docs/pipeline.md): its units
    # are that order's when they arrive, not the first waiting at the store. "" for any other.
    order_id: str = ""
    # A ship-to-store transfer its order no longer needs: its units went back to the source.
    cancelled: bool = False
    # A transfer out of a location a warehouse system runs: that WMS's reference for it once
    # it took it (engine.service_layer.wms_transfers), so it is never sent twice. "" before.
    wms_reference: str = ""
    # When Ordo first set out to send it to that WMS, kept before the WMS is called (migration
    # 0044): one with none was never sent, so cancelling it asks no WMS whether it holds it.
    wms_attempted_at: datetime | None = None
    # A transfer its sending location reported shipped (`report_shipped`): when, with which
    # carrier, under which tracking number. None and "" while nobody has.
    shipped_at: datetime | None = None
    carrier: str = ""
    tracking_number: str = ""
    # When its carrier scanned it delivered at the destination (`mark_delivered`): it is at
    # the store's door, not yet counted in (that is `receive`). None before.
    delivered_at: datetime | None = None
    # A shipped transfer to a location a warehouse system runs: the name under which that
    # (receiving) WMS expects it (engine.service_layer.wms_transfers), so its dock is told
    # once. "" before, and for a destination no WMS runs.
    inbound_reference: str = ""

    @property
    def pending(self) -> bool:
        """Still to arrive: neither received nor cancelled."""
        return not (self.received or self.cancelled)

    @property
    def from_location(self) -> str:
        """Where a transfer left from (its `reference` says so, `from <code>`); "" for a
        purchase order."""
        if self.kind is not InboundKind.TRANSFER:
            return ""
        return self.reference.removeprefix("from ") if self.reference.startswith("from ") else ""

    def cancel(self) -> None:
        """Call off a transfer not yet received (its units stay at, or go back to, where it
        was sent from: the caller books that)."""
        if not self.pending:
            state = "received" if self.received else "cancelled"
            raise Conflict(f"transfer {self.id} was already {state}: it cannot be cancelled")
        self.cancelled = True

    def release_from_order(self) -> str:
        """A ship-to-store transfer its order no longer needs, but which left already (its
        sending location reported it shipped): it cannot be called back, so it keeps going,
        and its units arrive as the destination's own stock, claimed by no order. Returns
        the order it was sent for."""
        if not self.pending:
            state = "received" if self.received else "cancelled"
            raise Conflict(f"transfer {self.id} was already {state}: it has no order to leave")
        order_id, self.order_id = self.order_id, ""
        return order_id

    def reinstate(self) -> str:
        """A transfer cancelled in Ordo that left all the same (its WMS answered that it was
        too late, or reported it shipped): it is on its way again, released from its order
        as a shipped transfer its order no longer needs is (`release_from_order`), so its
        units arrive as the destination's own stock. Returns the order it was sent for. The
        caller takes its units off the source again."""
        if not self.cancelled:
            state = "received" if self.received else "on its way"
            raise Conflict(f"transfer {self.id} is {state}, not cancelled: nothing to reinstate")
        self.cancelled = False
        return self.release_from_order()

    def report_shipped(
        self,
        carrier: str,
        tracking_number: str,
        shipped_at: datetime | None,
        expected_on: date | None,
        now: datetime,
    ) -> bool:
        """The sending location says this transfer left: at `shipped_at` (None: `now`), with
        `carrier` under `tracking_number`, due on `expected_on` (None: as planned). Returns
        whether anything changed: the same report again (a WMS retrying) changes nothing, one
        with another arrival day revises it (`revise_arrival`), and one with another carrier,
        tracking number or moment is refused, so a tracking number is never silently
        replaced. A moment or day left out of the repeat is not a difference."""
        if not self.pending:
            state = "received" if self.received else "cancelled"
            raise Conflict(f"transfer {self.id} was already {state}: it cannot be reported shipped")
        if self.shipped_at is not None:
            reported = (
                ("carrier", carrier, self.carrier),
                ("tracking_number", tracking_number, self.tracking_number),
                ("shipped_at", shipped_at, self.shipped_at),
            )
            differs = [
                f"{name} {_text(given)} (reported {_text(kept)})"
                for name, given, kept in reported
                if given is not None and given != kept
            ]
            if differs:
                raise Conflict(
                    f"transfer {self.id} was already reported shipped with {self.carrier} "
                    f"under {self.tracking_number}; this report has {', '.join(differs)}. "
                    "Nothing was changed: a transfer ships once, under one tracking number "
                    "(only its arrival day, expected_on, may be reported again)"
                )
            # The same shipment, reported again: a later estimate from its carrier is news,
            # the day it already has (a WMS retrying) is not.
            return expected_on is not None and self.revise_arrival(expected_on) is not None
        when = shipped_at or now
        if expected_on is not None and expected_on < when.date():
            # Named by its field, as a bad field of the request is (`InvalidLine`).
            raise InvalidLine(
                ("expected_on",),
                f"{expected_on} is before the day transfer {self.id} shipped "
                f"({when.date()}); nothing was changed",
            )
        self.shipped_at, self.carrier, self.tracking_number = when, carrier, tracking_number
        if expected_on is not None:
            # The carrier's estimate replaces the planned day: promises and the transfer
            # list read inbound supply by `expected_on`, so they count on the new one.
            self.expected_on = expected_on
        return True

    def revise_arrival(self, expected_on: date) -> date | None:
        """The transfer's carrier now expects it at its destination on `expected_on` (its
        sending location reporting again, or the carrier's own scan): that day replaces the
        one it had, which is returned; None when it had that day already, so a repeated
        estimate changes nothing. Only a transfer on its way, reported shipped, not yet
        scanned delivered; never before the day it shipped."""
        self.ensure_pending("have its arrival day revised")
        if self.shipped_at is None:
            raise Conflict(
                f"transfer {self.id} was not reported shipped: its arrival day is given with "
                "that report (POST /v1/inventory/transfers/{id}/shipped)"
            )
        if expected_on == self.expected_on:
            return None
        if expected_on < self.shipped_at.date():
            raise InvalidLine(
                ("expected_on",),
                f"{expected_on} is before the day transfer {self.id} shipped "
                f"({self.shipped_at.date()}); nothing was changed",
            )
        if self.delivered_at is not None:
            # At the store's door already: a day to come would make promises wait for units
            # that are there.
            raise Conflict(
                f"transfer {self.id} was delivered at {self.location_code} at "
                f"{_text(self.delivered_at)}: its arrival day is no longer revised"
            )
        # Promises and the transfer list read inbound supply by `expected_on`, so they count
        # on the new day from now on.
        previous, self.expected_on = self.expected_on, expected_on
        return previous

    def mark_delivered(self, at: datetime) -> bool:
        """Its carrier scanned it delivered at the destination at `at`. That is not a receipt:
        the units are counted in when the destination receives the transfer (`receive`),
        saying what actually came. Returns whether this is news: the first delivery scan is
        kept, a repeated or later one changes nothing."""
        self.ensure_pending("be delivered")
        if self.shipped_at is None:
            raise Conflict(
                f"transfer {self.id} was not reported shipped: no carrier has it to deliver"
            )
        if self.delivered_at is not None:
            return False
        self.delivered_at = at
        return True

    def ensure_pending(self, doing: str) -> None:
        """Refuse (Conflict) to `doing` a transfer no longer on its way: received or
        cancelled."""
        if not self.pending:
            state = "received" if self.received else "cancelled"
            raise Conflict(f"transfer {self.id} was already {state}: it cannot {doing}")

    def receive(self, sku: str, location_code: str, quantity: int) -> None:
        """Book the arrival of these units, which must be of this supply's SKU at its
        location, and come once: the units of a transfer already left its source, so a
        receipt that named it twice would create units, and one of another SKU or location
        would mark it arrived while its own units vanished. A transfer arrives whole (a
        different count is a discrepancy to adjust, not a receipt); a purchase order may
        arrive in parts, and stays expected for what is still to come."""
        noun = "transfer" if self.kind is InboundKind.TRANSFER else "purchase order"
        if self.cancelled:
            raise Conflict(
                f"{noun} {self.id} was cancelled (the order it was sent for no longer needs "
                "it) and its units stayed at their source; nothing was booked: units that "
                "arrived anyway are a receipt without this reference"
            )
        if self.received:
            raise Conflict(
                f"{noun} {self.id} was already received; nothing was booked: units that "
                "arrived beyond it are a receipt without this reference"
            )
        expected = (self.sku, self.location_code, self.quantity)
        differs = [
            f"{name} {given} (expected {wanted})"
            for name, given, wanted in zip(
                ("SKU", "location", "quantity"),
                (sku, location_code, quantity),
                expected,
                strict=True,
            )
            if given != wanted and (name != "quantity" or self.kind is InboundKind.TRANSFER)
        ]
        if differs:
            how = (
                f"receive it whole (POST /v1/inventory/transfers/{self.id}/receive), adjust "
                "the count if fewer or more arrived"
                if self.kind is InboundKind.TRANSFER
                else "correct the receipt"
            )
            raise DomainError(
                f"{noun} {self.id} is {self.quantity} of {self.sku} into "
                f"{self.location_code}; this receipt has {', '.join(differs)}. Nothing was "
                f"booked: {how}, or book other units without this reference"
            )
        if self.kind is InboundKind.PURCHASE_ORDER and quantity < self.quantity:
            self.quantity -= quantity  # the rest is still on its way
        else:
            self.received = True


@dataclass(slots=True)
class Stock:
    """On-hand, reserved and protected units of one SKU at one location."""

    sku: str
    location_code: str
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0
    # Units ring-fenced for a channel: other channels cannot promise them.
    channel_allocations: dict[str, int] = field(default_factory=dict)
    reorder_point: int = 0
    version: int = 0

    @property
    def available(self) -> int:
        """Available to promise to anyone: on hand - reserved - safety stock, never negative."""
        return max(0, self.on_hand - self.reserved - self.safety_stock)

    def available_for(self, channel: str | None) -> int:
        """What a channel may promise: the free pool plus its own allocation, not others'."""
        # `available` written out (no property call, no `max`): sourcing asks this of every
        # stocked location of every order.
        free = self.on_hand - self.reserved - self.safety_stock
        if free < 0:
            free = 0
        if not self.channel_allocations:
            # Most rows fence nothing.
            return free
        fenced_for_others = sum(
            units for name, units in self.channel_allocations.items() if name != channel
        )
        return max(0, free - fenced_for_others)

    def reserve(self, quantity: int, channel: str | None = None) -> int:
        """Reserve for `channel`, using up its own allocation first; returns the units taken
        from that allocation (the reservation keeps them, to give them back on release)."""
        _positive(quantity)
        can = self.available_for(channel)
        if quantity > can:
            raise InsufficientStock(self.sku, self.location_code, quantity, can)
        self.reserved += quantity
        used = 0
        if channel and self.channel_allocations.get(channel):
            used = min(quantity, self.channel_allocations[channel])
            self.channel_allocations[channel] -= used
        return used

    def release(self, quantity: int, channel: str | None = None, to_allocation: int = 0) -> None:
        """Give reserved units back; `to_allocation` of them (what the reservation took from
        `channel`'s allocation) are ring-fenced for that channel again, if it still has an
        allocation here. A shipment consumes instead: its units left, fenced or not."""
        _positive(quantity)
        if quantity > self.reserved:
            raise InvalidQuantity(
                f"cannot release {quantity} of {self.sku} at {self.location_code}: "
                f"only {self.reserved} reserved"
            )
        self.reserved -= quantity
        if channel and to_allocation > 0 and channel in self.channel_allocations:
            self.channel_allocations[channel] += min(to_allocation, quantity)

    def consume(self, quantity: int) -> None:
        """A shipment leaves: reserved units leave the building."""
        self.release(quantity)
        self.on_hand -= quantity

    def adjust(self, delta: int) -> None:
        """A count correction or receipt; on hand can never fall below what is reserved."""
        if self.on_hand + delta < self.reserved:
            raise InvalidQuantity(
                f"adjusting {self.sku} at {self.location_code} by {delta} would leave "
                f"{self.on_hand + delta} on hand with {self.reserved} reserved"
            )
        self.on_hand += delta

    @property
    def below_reorder_point(self) -> bool:
        return self.available <= self.reorder_point


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    CONSUMED = "consumed"
    EXPIRED = "expired"


_RESERVATION_MOVES = {
    ReservationStatus.ACTIVE: {
        ReservationStatus.RELEASED,
        ReservationStatus.CONSUMED,
        ReservationStatus.EXPIRED,
    },
}


@dataclass(slots=True)
class Reservation:
    id: str
    order_id: str
    line_id: str
    sku: str
    location_code: str
    quantity: int
    created_at: datetime
    channel: str | None = None
    status: ReservationStatus = ReservationStatus.ACTIVE
    expires_at: datetime | None = None
    # Units of `quantity` taken from `channel`'s allocation at the location when reserved:
    # a release or expiry fences them for the channel again (`Stock.release`); the rest came
    # from the shared pool and go back there.
    from_allocation: int = 0

    def move(self, target: ReservationStatus) -> None:
        if target not in _RESERVATION_MOVES.get(self.status, set()):
            raise IllegalTransition("reservation", self.id, self.status, target)
        self.status = target

    def is_expired(self, now: datetime) -> bool:
        return (
            self.status is ReservationStatus.ACTIVE
            and self.expires_at is not None
            and now >= self.expires_at
        )


def _text(value: object) -> str:
    """A reported fact as a refusal quotes it: a moment in ISO form, anything else as is."""
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise InvalidQuantity(f"quantity must be positive, got {quantity}")
