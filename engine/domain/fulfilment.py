"""What leaves a location: fulfilment orders (shipments) and what comes back (returns)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from engine.domain import events
from engine.domain.errors import IllegalTransition
from engine.domain.values import in_utc


class ShipmentStatus(StrEnum):
    PENDING = "pending"
    RELEASED = "released"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


_SHIPMENT_MOVES: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    ShipmentStatus.PENDING: frozenset({ShipmentStatus.RELEASED, ShipmentStatus.CANCELLED}),
    ShipmentStatus.RELEASED: frozenset(
        {ShipmentStatus.PICKED, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED}
    ),
    ShipmentStatus.PICKED: frozenset({ShipmentStatus.PACKED, ShipmentStatus.SHIPPED}),
    ShipmentStatus.PACKED: frozenset({ShipmentStatus.SHIPPED}),
    ShipmentStatus.SHIPPED: frozenset({ShipmentStatus.DELIVERED}),
    ShipmentStatus.DELIVERED: frozenset(),
    ShipmentStatus.CANCELLED: frozenset(),
}


@dataclass(slots=True)
class ShipmentLine:
    order_line_id: str
    sku: str
    quantity: int


@dataclass(slots=True)
class TrackingEvent:
    """What a carrier reported about a parcel, and when (a time without a zone is UTC)."""

    at: datetime
    code: str
    description: str = ""
    location: str = ""

    def in_utc(self) -> TrackingEvent:
        """The same event with its time in UTC, so that equal moments compare and sort alike."""
        return replace(self, at=in_utc(self.at))


@dataclass(slots=True)
class FulfillmentOrder:
    """The lines one location ships for one order, with the carrier that takes them."""

    id: str
    order_id: str
    location_code: str
    lines: list[ShipmentLine]
    created_at: datetime
    status: ShipmentStatus = ShipmentStatus.PENDING
    carrier: str = ""
    service: str = ""
    rate: Decimal = Decimal("0.00")
    promised_date: date | None = None
    tracking_number: str = ""
    # The format of its printed label ("pdf" or "zpl"); empty until one is made. The label
    # itself is kept apart (`Label`).
    label_format: str = ""
    # The location's warehouse system's own id for it, once it was sent there (released
    # shipments go to the WMS configured for their location); empty until then.
    wms_reference: str = ""
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    tracking: list[TrackingEvent] = field(default_factory=list)
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def move(self, target: ShipmentStatus, at: datetime) -> None:
        if target not in _SHIPMENT_MOVES[self.status]:
            raise IllegalTransition("shipment", self.id, self.status, target)
        previous, self.status = self.status, target
        if target is ShipmentStatus.SHIPPED:
            self.shipped_at = at
        elif target is ShipmentStatus.DELIVERED:
            self.delivered_at = at
        self.events.append(
            events.ShipmentStatusChanged(
                self.id,
                self.order_id,
                self.location_code,
                previous,
                target,
                self.carrier,
                self.tracking_number,
            )
        )

    def track(self, event: TrackingEvent) -> bool:
        """Put a tracking event on the timeline in its place in time, after those of the same
        time (they came first). False, and nothing changes, for an event the timeline already
        has: carriers retry their webhooks, and a retry is not a second scan."""
        event = event.in_utc()
        if event in self.tracking:
            return False
        self.tracking.insert(bisect_right(self.tracking, event.at, key=_at), event)
        return True

    def is_late(self, today: date) -> bool:
        return (
            self.promised_date is not None
            and self.status not in (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)
            and today > self.promised_date
        )


def _at(event: TrackingEvent) -> datetime:
    return event.at


@dataclass(frozen=True, slots=True)
class Label:
    """A printed label, as the carrier made it: its format ("pdf" or "zpl") and the document.

    Kept apart from the shipment or return it is for (`UnitOfWork.labels`): a label is
    several KB that only its download reads, while the shipment is read by every listing,
    the pipeline and the lateness clock. The shipment (or return) says which format it has
    in `label_format`, empty while it has none."""

    format: str
    content: bytes = field(repr=False)


# A shipment is an alias readers expect: one fulfilment order becomes one parcel stream.
Shipment = FulfillmentOrder


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORISED = "authorised"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REJECTED = "rejected"


_RETURN_MOVES: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.AUTHORISED, ReturnStatus.REJECTED}),
    ReturnStatus.AUTHORISED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.REJECTED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.REFUNDED}),
    ReturnStatus.REFUNDED: frozenset(),
    ReturnStatus.REJECTED: frozenset(),
}


@dataclass(slots=True)
class ReturnLine:
    order_line_id: str
    sku: str
    quantity: int
    reason: str = ""
    restock: bool = True


@dataclass(slots=True)
class Return:
    id: str
    order_id: str
    lines: list[ReturnLine]
    created_at: datetime
    status: ReturnStatus = ReturnStatus.REQUESTED
    rma: str = ""
    location_code: str = ""
    refund_amount: Decimal = Decimal("0.00")
    # The return label (`LabelReturn`): who carries the parcel back, its tracking number,
    # and the format it was printed in ("pdf" or "zpl"); empty until one is made. The label
    # itself is kept apart (`Label`).
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    label_format: str = ""
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    def move(self, target: ReturnStatus) -> None:
        if target not in _RETURN_MOVES[self.status]:
            raise IllegalTransition("return", self.id, self.status, target)
        previous, self.status = self.status, target
        self.events.append(events.ReturnStatusChanged(self.id, self.order_id, previous, target))
