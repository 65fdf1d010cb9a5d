"""Stock per SKU and location, inbound supply, and reservations against it.

Available-to-promise is always derived from the counters here, never stored a second time.
The arithmetic lives in this module so that the atomic database update (in the persistence
adapter) and every in-memory path agree on one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from engine.domain.errors import IllegalTransition, InsufficientStock, InvalidQuantity


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

    def reserve(self, quantity: int, channel: str | None = None) -> None:
        _positive(quantity)
        can = self.available_for(channel)
        if quantity > can:
            raise InsufficientStock(self.sku, self.location_code, quantity, can)
        self.reserved += quantity
        if channel and self.channel_allocations.get(channel):
            used = min(quantity, self.channel_allocations[channel])
            self.channel_allocations[channel] -= used

    def release(self, quantity: int) -> None:
        _positive(quantity)
        if quantity > self.reserved:
            raise InvalidQuantity(
                f"cannot release {quantity} of {self.sku} at {self.location_code}: "
                f"only {self.reserved} reserved"
            )
        self.reserved -= quantity

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


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise InvalidQuantity(f"quantity must be positive, got {quantity}")
