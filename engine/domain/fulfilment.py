"""What leaves a location: fulfilment orders (shipments) and what comes back (returns)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from engine.domain import events
from engine.domain.errors import Conflict, IllegalTransition
from engine.domain.orders import MODIFIABLE, ON_ITS_WAY, InvalidLine, LineStatus, Order
from engine.domain.tracking_codes import Milestone, milestone_of
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

# A pickup shipment (click and collect) travels with no carrier: the Decider gives it these.
PICKUP_CARRIER = "pickup"
PICKUP_SERVICE = "in_store"
# The one move only a pickup shipment makes: packed at the counter, the customer collects it
# (`move` allows it for those alone; a parcel always leaves through `shipped`).
_COLLECTED = (ShipmentStatus.PACKED, ShipmentStatus.DELIVERED)

# Where a location may report units it cannot find: the shipment is on its pick list. Pending,
# nothing was asked of it yet; packed or later, its units were found. A shipment a short pick
# leaves with no units is cancelled (`short_pick`), the only way from these statuses to
# `cancelled`: `_SHIPMENT_MOVES` does not offer it, so no status report or other `move` can
# cancel a shipment its location is working.
SHORT_PICKABLE = frozenset({ShipmentStatus.RELEASED, ShipmentStatus.PICKED})

# Fulfilment starts with the pick: a shipment its location has picked (or packed, shipped,
# delivered) is being worked, and holds its order to what it carries. One pending or released
# is only on a list yet, and goes with its order when that is cancelled or modified.
WORKED = frozenset(
    {ShipmentStatus.PICKED, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED}
)
CANCELLED_WITH_ORDER = frozenset({ShipmentStatus.PENDING, ShipmentStatus.RELEASED})


@dataclass(slots=True)
class ShipmentLine:
    order_line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShortLine:
    """Units of one shipment line a location could not find, the line named by its order
    line id or, when the shipment carries the SKU on one line only, by its SKU."""

    missing: int
    order_line_id: str = ""
    sku: str = ""


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What a short pick took off one shipment line."""

    order_line_id: str
    sku: str
    missing: int


@dataclass(slots=True)
class TrackingEvent:
    """What a carrier reported about a parcel, and when (a time without a zone is UTC).

    `milestone` is what the carrier's post said the scan means, when it said (None: read it
    from `code`), and `estimated_delivery` the day the carrier expected the parcel to arrive
    as of this scan. Neither makes two events different: a carrier's retry of a scan is the
    same scan, whatever else it repeats (and the store's unique key is over the other five).

    `tracking_number` names the parcel the scan is of (one of the shipment's `parcels`, or
    its own number); empty, the scan is of the whole shipment. It does make two scans
    different: three boxes delivered together are three `delivered` scans alike but for it."""

    at: datetime
    code: str
    description: str = ""
    location: str = ""
    milestone: Milestone | None = field(default=None, compare=False)
    estimated_delivery: date | None = field(default=None, compare=False)
    tracking_number: str = ""

    def in_utc(self) -> TrackingEvent:
        """The same event with its time in UTC, so that equal moments compare and sort alike."""
        return replace(self, at=in_utc(self.at))

    @property
    def meaning(self) -> Milestone | None:
        """What the scan means: the milestone the carrier said, else what its code stands for."""
        return self.milestone or milestone_of(self.code)


@dataclass(frozen=True, slots=True)
class Parcel:
    """One box of a packed shipment (docs/packaging.md), as the Decider packed and priced it:
    its box's code ("" for a unit that ships alone, in its own packaging), its outer sides in
    cm (longest first), its gross weight (units and box), the weight its carrier service
    bills it at (None when no service could take the shipment) and the units of each SKU in
    it. `tracking_number` is its own, issued with the shipment's label; the first parcel's
    is the shipment's `tracking_number` (the master), empty until a label is made."""

    box: str
    length_cm: float
    width_cm: float
    height_cm: float
    weight_kg: float
    billable_weight_kg: float | None
    units: dict[str, int]
    tracking_number: str = ""

    @property
    def dimensions_cm(self) -> tuple[float, float, float]:
        return self.length_cm, self.width_cm, self.height_cm


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
    # The day its location is to ship it, as the decision that planned it said (the
    # location's cut-off and handling time): what an 855 tells a trading partner of its
    # accepted units and what a label prints. None for shipments planned before Ordo kept
    # it (migration 0040), and for a decision that planned no day.
    planned_ship_date: date | None = None
    tracking_number: str = ""
    # The format of its printed label ("pdf" or "zpl"); empty until one is made. The label
    # itself is kept apart (`Label`).
    label_format: str = ""
    # The location's warehouse system's own id for it, once it was sent there (released
    # shipments go to the WMS configured for their location); empty until then.
    wms_reference: str = ""
    # When the worker first set out to send it to that WMS, kept before the WMS is called
    # (migration 0043): one with none was never sent, so cancelling it asks no WMS whether
    # it holds it (engine.service_layer.warehouse). None for one not released to a WMS.
    wms_attempted_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    # When the worker's tracking poll last asked its carrier about it (None: never). Kept
    # with it, not in a worker's memory, so worker processes share whom they asked
    # (engine.service_layer.carrier_polls).
    tracking_polled_at: datetime | None = None
    tracking: list[TrackingEvent] = field(default_factory=list)
    # The boxes it was packed into, in the order they were opened; empty when it was not
    # packed (no box catalogue, or none stocked at its location): it ships as one parcel.
    parcels: list[Parcel] = field(default_factory=list)
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_pickup(self) -> bool:
        return self.carrier == PICKUP_CARRIER

    def move(self, target: ShipmentStatus, at: datetime) -> None:
        if target not in _SHIPMENT_MOVES[self.status] and not (
            self.is_pickup and (self.status, target) == _COLLECTED
        ):
            raise IllegalTransition("shipment", self.id, self.status, target)
        printed = self.label_numbers
        self._enter(target, at)
        if target is ShipmentStatus.CANCELLED:  # a pending one, its order decided again
            self._void_label(printed, "cancelled: its order is decided again")

    def cancel_with_order(self, reason: str, at: datetime) -> bool:
        """Cancelled with its order, which is cancelled or modified (`reason` says which, on
        the `shipment.status_changed` it raises): only while pending or released, nothing of
        it picked (`check_changeable`); `_SHIPMENT_MOVES` leaves this move out so that no
        status report can make it. A label printed for it is void (`_void_label`): True
        tells the caller to drop the document, so the location cannot print it again. The
        tracking number it issued stays on the shipment, for the record."""
        if self.status not in CANCELLED_WITH_ORDER:
            raise IllegalTransition("shipment", self.id, self.status, ShipmentStatus.CANCELLED)
        printed = self.label_numbers
        self._enter(ShipmentStatus.CANCELLED, at, reason)
        return self._void_label(printed, reason)

    @property
    def label_numbers(self) -> list[str]:
        """The tracking numbers its label carries: its own, then each parcel's that is
        another (a one-parcel shipment's is its own); none while it has no label."""
        if not self.label_format:
            return []
        numbers = (self.tracking_number, *(parcel.tracking_number for parcel in self.parcels))
        return list(dict.fromkeys(number for number in numbers if number))

    def _void_label(self, printed: Sequence[str], reason: str) -> bool:
        """Its label will not be used: `label_format` is cleared and `shipment.label_voided`
        names the numbers it carried (`printed`, read before they changed), so the carrier
        is asked to void it and does not charge for it. False when it had no label."""
        if not self.label_format:
            return False
        self.label_format = ""
        self.events.append(
            events.ShipmentLabelVoided(
                self.id, self.order_id, self.location_code, self.carrier, list(printed), reason
            )
        )
        return True

    def _enter(self, target: ShipmentStatus, at: datetime, reason: str = "") -> None:
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
                reason,
            )
        )
        if target is ShipmentStatus.PACKED and self.is_pickup:
            self.events.append(
                events.ShipmentReadyForPickup(self.id, self.order_id, self.location_code)
            )

    def short_pick(self, asked: Sequence[ShortLine], reason: str, at: datetime) -> list[Shortfall]:
        """The location could not find the `asked` units: each line named loses them (a line
        left with none goes), and a shipment left with no units is cancelled. Only while it
        is released or picked (`SHORT_PICKABLE`); nothing changes unless every line asked
        for can lose its units. Returns what each line lost, in the order asked."""
        self._check_short_pickable()
        shortfalls = self._shortfalls(asked)
        printed = self.label_numbers  # before its parcels, and their numbers, go
        by_line = {short.order_line_id: short.missing for short in shortfalls}
        for line in self.lines:
            line.quantity -= by_line.get(line.order_line_id, 0)
        self.lines = [line for line in self.lines if line.quantity > 0]
        # Its boxes were packed for the units planned: with some missing that packing no
        # longer holds. Packing again needs the box catalogue, which is the pipeline's: the
        # service layer does it (`pack_again`); without one, what is left goes as an
        # unpacked shipment does: one parcel, packed by the location.
        self.parcels = []
        self.events.append(
            events.ShipmentShortPicked(
                self.id,
                self.order_id,
                self.location_code,
                [
                    {"sku": s.sku, "order_line_id": s.order_line_id, "missing": s.missing}
                    for s in shortfalls
                ],
                reason,
            )
        )
        if not self.lines:
            # Nothing of it will ship: a label printed for it is void, as when cancelled with
            # its order (the caller drops the document).
            self._enter(ShipmentStatus.CANCELLED, at)
            self._void_label(printed, f"cancelled by a short pick: {reason}")
        return shortfalls

    def pack_again(self, parcels: Sequence[Parcel], printed: Sequence[str] | None = None) -> bool:
        """Keep `parcels`: what a short pick left, packed again into the location's boxes
        (by the service layer, as the box catalogue is the Decider's). A label printed for
        the boxes before fits them no more: it is void (`_void_label`; True tells the caller
        to drop the document), to be printed again, which numbers the new boxes. `printed`:
        the numbers the label carried, read before the short pick dropped the old boxes
        (`label_numbers`); by default the shipment's as they are. The shipment keeps its own
        tracking number, issued for it by its carrier: the label printed again carries it,
        as one printed in the other format does."""
        numbers = self.label_numbers if printed is None else printed
        self.parcels = list(parcels)
        return self._void_label(numbers, "packed again into new boxes after a short pick")

    def _check_short_pickable(self) -> None:
        if self.status in SHORT_PICKABLE:
            return
        if self.status is ShipmentStatus.PENDING:
            why = (
                f"its order {self.order_id} is not released yet, so nothing was asked of "
                f"{self.location_code}: there is nothing to come up short of"
            )
        elif self.status is ShipmentStatus.CANCELLED:
            why = "it is cancelled: nothing is to be picked"
        else:
            why = (
                "once packed its units were found; units missing from the shelves now are a "
                "stock count to send (POST /v1/inventory/counts)"
            )
        raise Conflict(
            f"shipment {self.id} is '{self.status}': only a released or picked shipment can "
            f"come up short; {why}"
        )

    def _shortfalls(self, asked: Sequence[ShortLine]) -> list[Shortfall]:
        """Each asked line as the shipment line it names and the units it loses; InvalidLine
        at `lines[i]` for one that names no line, or a line twice, or units it cannot lose."""
        if not asked:
            raise InvalidLine(
                ("lines",),
                "names no line: give each line the location could not find in full, with "
                "its missing units",
            )
        named: dict[str, int] = {}
        shortfalls = []
        for index, item in enumerate(asked):
            line = self._named_line(index, item)
            first = named.get(line.order_line_id)
            if first is not None:
                raise InvalidLine(
                    ("lines", index),
                    f"line '{line.order_line_id}' is already named by lines[{first}]: give "
                    "its missing units once",
                )
            named[line.order_line_id] = index
            where = ("lines", index, "missing")
            if item.missing < 1:
                raise InvalidLine(
                    where,
                    f"missing units of line '{line.order_line_id}' ({line.sku}) must be at "
                    f"least 1, got {item.missing}",
                )
            if item.missing > line.quantity:
                raise InvalidLine(
                    where,
                    f"line '{line.order_line_id}' ({line.sku}) of shipment {self.id} carries "
                    f"{line.quantity} unit(s), so {item.missing} cannot be missing from it: "
                    f"report at most {line.quantity}, the whole line",
                )
            shortfalls.append(Shortfall(line.order_line_id, line.sku, item.missing))
        return shortfalls

    def _named_line(self, index: int, item: ShortLine) -> ShipmentLine:
        carried = ", ".join(
            f"'{line.order_line_id}' ({line.sku} x {line.quantity})" for line in self.lines
        )
        if item.order_line_id:
            line = next((ln for ln in self.lines if ln.order_line_id == item.order_line_id), None)
            if line is None:
                raise InvalidLine(
                    ("lines", index, "order_line_id"),
                    f"shipment {self.id} carries no line '{item.order_line_id}'; it carries "
                    f"{carried}",
                )
            if item.sku and item.sku != line.sku:
                raise InvalidLine(
                    ("lines", index, "sku"),
                    f"line '{line.order_line_id}' of shipment {self.id} is {line.sku}, not "
                    f"{item.sku}: name the line by one or the other",
                )
            return line
        if not item.sku:
            raise InvalidLine(
                ("lines", index),
                f"names no line: give its order_line_id or its sku (shipment {self.id} "
                f"carries {carried})",
            )
        lines = [ln for ln in self.lines if ln.sku == item.sku]
        if not lines:
            raise InvalidLine(
                ("lines", index, "sku"),
                f"shipment {self.id} carries no {item.sku}; it carries {carried}",
            )
        if len(lines) > 1:
            ids = ", ".join(f"'{ln.order_line_id}'" for ln in lines)
            raise InvalidLine(
                ("lines", index, "sku"),
                f"shipment {self.id} carries {item.sku} on lines {ids}: name the line by its "
                "order_line_id",
            )
        return lines[0]

    @property
    def estimated_delivery(self) -> date | None:
        """The day the carrier expects to deliver: the estimate of the latest scan that
        brought one (in the timeline's order, so a scan posted late does not undo a newer
        estimate), or None while no scan brought one. A shipment tracked parcel by parcel
        (`_streams`) arrives with its last parcel: its estimate is the latest of its
        parcels', each read from that parcel's scans and the whole shipment's."""
        days = [day for number in self._streams() if (day := self._estimate_of(number))]
        return max(days, default=None)

    def parcel_milestones(self) -> list[TrackingEvent | None]:
        """The latest scan that means something (`TrackingEvent.meaning`) of each parcel, in
        the parcels' order; None for a parcel with none yet. A shipment tracked as one (one
        parcel, or its parcels not numbered yet) has one latest scan, its parcels' alike."""
        streams = self._streams()
        if len(streams) == 1:
            return [self._latest_of(streams[0])] * len(self.parcels)
        return [self._latest_of(number) for number in streams]

    def track(self, event: TrackingEvent, milestone: Milestone | None = None) -> bool:
        """Put a tracking event on the timeline in its place in time, after those of the same
        time (they came first), and act on what it means: `milestone` when the carrier said
        (kept with the event), else what its code stands for (`TrackingEvent.meaning`).
        False, and nothing changes, for an event the timeline already has: carriers retry
        their webhooks, and a retry is not a second scan. A scan naming a parcel the shipment
        does not have (`event.tracking_number`) is refused (`InvalidLine`), changing nothing.

        Every new scan raises `shipment.tracked`. Only the latest milestone moves the
        shipment: carriers post late, and an `out_for_delivery` arriving after the
        `delivered` that followed it must neither undo nor repeat anything. A shipment of
        two parcels or more, each with its tracking number, is followed parcel by parcel
        (`_streams`): a scan is overtaken only by later ones of its parcel (or of the whole
        shipment), and the shipment is delivered once every parcel's latest milestone is
        `delivered`. A scan's estimate of the delivery day may move `estimated_delivery`
        past the promised date: see `_follow_estimate`."""
        event = event.in_utc()
        if milestone is not None:
            event = replace(event, milestone=milestone)
        self._check_parcel(event.tracking_number)
        if event in self.tracking:
            return False
        expected = self.estimated_delivery
        meaning = event.meaning
        place = bisect_right(self.tracking, event.at, key=_at)
        overtaken = self._overtaken(event, self.tracking[place:])
        self.tracking.insert(place, event)
        at = event.at.isoformat()
        parcel = event.tracking_number
        self.events.append(
            events.ShipmentTracked(
                self.id, self.order_id, at, event.code, event.description, event.location,
                meaning.value if meaning else "", parcel,
            )
        )  # fmt: skip
        if meaning is not None and not overtaken and self._with_the_carrier_at(event.at):
            if meaning is Milestone.DELIVERED:
                delivered_at = self._delivered_at()
                if delivered_at is not None:
                    self.move(ShipmentStatus.DELIVERED, delivered_at)
            elif meaning in (Milestone.ATTEMPTED, Milestone.EXCEPTION):
                self.events.append(
                    events.ShipmentDeliveryException(
                        self.id, self.order_id, meaning.value, event.code, event.description,
                        at, event.location, parcel,
                    )
                )  # fmt: skip
        self._follow_estimate(expected, parcel)
        return True

    def _check_parcel(self, number: str) -> None:
        """Refuse a scan that names (`tracking_number`) neither one of the shipment's parcels
        nor the shipment itself: it is another shipment's, and would count for a parcel here."""
        if not number:
            return
        numbers = (self.tracking_number, *(parcel.tracking_number for parcel in self.parcels))
        known = list(dict.fromkeys(n for n in numbers if n))
        if number in known:
            return
        if not known:
            why = (
                f"shipment {self.id} has no tracking number yet (no label was made for it), "
                "so no scan can name one of its parcels: post the scan without tracking_number"
            )
        else:
            theirs = (
                f"its tracking number is {known[0]}"
                if len(known) == 1
                else f"its parcels' are {', '.join(known)}"
            )
            why = f"shipment {self.id} has no parcel with tracking number '{number}': {theirs}"
        raise InvalidLine(("tracking_number",), why)

    def _streams(self) -> tuple[str, ...]:
        """The timelines the shipment is followed on, by tracking number: a parcel each for a
        shipment of two parcels or more, all numbered (its label made); else one, "", for the
        whole shipment, as a shipment not packed always was."""
        numbers = tuple(parcel.tracking_number for parcel in self.parcels)
        return numbers if len(numbers) > 1 and all(numbers) else ("",)

    def _overtaken(self, scan: TrackingEvent, later: Sequence[TrackingEvent]) -> bool:
        """Whether a scan that means something came after `scan` on a timeline it is on."""
        streams = [number for number in self._streams() if _tells_of(scan, number)]
        return any(t.meaning and any(_tells_of(t, n) for n in streams) for t in later)

    def _latest_of(self, number: str) -> TrackingEvent | None:
        """The latest scan that means something on the timeline of `number` (`_streams`)."""
        return next(
            (t for t in reversed(self.tracking) if t.meaning and _tells_of(t, number)), None
        )

    def _estimate_of(self, number: str) -> date | None:
        return next(
            (
                t.estimated_delivery
                for t in reversed(self.tracking)
                if t.estimated_delivery and _tells_of(t, number)
            ),
            None,
        )

    def _delivered_at(self) -> datetime | None:
        """When its last parcel was delivered, once the latest milestone of each is
        `delivered` by a scan of its trip with the carrier; None while one is not."""
        times = []
        for number in self._streams():
            latest = self._latest_of(number)
            if latest is None or latest.meaning is not Milestone.DELIVERED:
                return None
            if not self._with_the_carrier_at(latest.at):
                return None
            times.append(latest.at)
        return max(times)

    def _follow_estimate(self, before: date | None, parcel: str) -> None:
        """Raise `shipment.delivery_estimate_slipped` when the carrier's estimate has just
        gone past the promised date: the customer is to hear the new day. Once per slip, not
        per scan: not when the estimate `before` was past it already (carriers repeat their
        estimate with every scan), but again after an estimate back within the promise. Not
        for a shipment delivered (by this scan too: the delivered email says it all). The
        event names the `parcel` whose scan moved the estimate, when the scan named one."""
        now, promised = self.estimated_delivery, self.promised_date
        if now is None or promised is None or now <= promised:
            return
        if (before is not None and before > promised) or self.status is ShipmentStatus.DELIVERED:
            return
        self.events.append(
            events.ShipmentDeliveryEstimateSlipped(
                self.id, self.order_id, self.carrier, self.location_code, promised.isoformat(),
                now.isoformat(), before.isoformat() if before else "", (now - promised).days,
                parcel,
            )
        )  # fmt: skip

    def _with_the_carrier_at(self, at: datetime) -> bool:
        """Whether a scan seen at `at` is of this shipment's trip with its carrier.

        Not before it is shipped: until then the location reports it (shipping is what takes
        its units out of stock), so a carrier's "delivered" cannot skip that step. Not once
        delivered (or cancelled): there is nothing left to deliver. Not for a scan older than
        the shipping: that is of an earlier parcel under the same tracking number, or a
        carrier's clock gone wrong, and would make the shipment delivered before it left."""
        if self.status is not ShipmentStatus.SHIPPED:
            return False
        return self.shipped_at is None or at >= in_utc(self.shipped_at)

    def is_late(self, today: date) -> bool:
        """Past its promised date and not there yet. A packed pickup is there: it waits at
        the counter for the customer, who was told so, and is not late whenever they come."""
        if self.is_pickup and self.status is ShipmentStatus.PACKED:
            return False
        return (
            self.promised_date is not None
            and self.status not in (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)
            and today > self.promised_date
        )


def check_changeable(order: Order, shipments: Sequence[FulfillmentOrder], change: str) -> None:
    """Refuse to cancel or modify `order` (`change`, the target the refusal names: `cancelled`
    or `modified`) once its fulfilment has started. Before release nothing was asked of its
    locations (`orders.MODIFIABLE`); released, it is changed as before release while none of
    its `shipments` is picked or further on (`WORKED`). The refusal (IllegalTransition, a 409)
    names the shipments already worked and says what can still be done: cancel what waits
    for stock, or, once delivered, return what the customer does not want."""
    worked = [s for s in shipments if s.status in WORKED]
    if order.status in MODIFIABLE and not worked:
        return
    raise IllegalTransition("order", order.id, order.status, change, _still_possible(order, worked))


def _still_possible(order: Order, worked: Sequence[FulfillmentOrder]) -> str:
    """Why an order cannot be changed any more, and what can be done instead ("" for one
    finished without shipping: nothing can)."""
    options = []
    if order.status in ON_ITS_WAY and any(
        line.status is LineStatus.BACKORDERED for line in order.lines
    ):
        options.append(
            "the units of its backordered lines that wait for stock can still be cancelled "
            f"(POST /v1/orders/{order.id}/cancel-backordered)"
        )
    if not worked:
        return f"it is on its way, but {options[0]}" if options else ""
    options.append(
        "what the customer no longer wants comes back as a return once delivered "
        f"(POST /v1/orders/{order.id}/returns)"
    )
    started = ", ".join(
        f"shipment {s.id} at {s.location_code} is already {s.status}" for s in worked
    )
    return f"{started}, so its fulfilment has started: {'; '.join(options)}"


def _at(event: TrackingEvent) -> datetime:
    return event.at


def _tells_of(scan: TrackingEvent, number: str) -> bool:
    """Whether `scan` is on the timeline of the parcel numbered `number` ("" the whole
    shipment's, which every scan is on): a scan of that parcel, or of the whole shipment."""
    return not number or not scan.tracking_number or scan.tracking_number == number


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
