"""Domain events: facts that happened, appended by aggregates and published via the outbox.

Every event is a frozen dataclass with a stable `name` used on the bus and in the outbox.
Payloads hold plain data only (str, int, float, bool, None, lists and dicts of those) so they
serialise the same way in-process, in the database and on Redis.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, ClassVar

_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Event:
    name: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        # `asdict`, field by field and without its generic walk: payloads hold plain data
        # (see above), and an order writes a dozen events (a twentieth of an HTTP order's
        # CPU went to `asdict`). Anything else (a nested dataclass) still goes through it.
        return {name: _plain(value) for name, value in self.field_values().items()}

    def field_values(self) -> dict[str, Any]:
        """The payload's values as they are, not copied: for a caller that serialises them
        at once (the outbox row at commit), where copying every nested list first was a
        twentieth of what writing an order's events cost."""
        cls = type(self)
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(self))
        return {name: getattr(self, name) for name in names}


def _plain(value: Any) -> Any:
    """A copy of `value` as `asdict` makes it, for plain data: scalars as they are, lists,
    tuples and dicts copied all the way down."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        return kind(_plain(item) for item in value)
    if kind is dict:
        return {_plain(key): _plain(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return copy.deepcopy(value)


EVENT_TYPES: dict[str, type[Event]] = {}


def _register(cls: type[Event]) -> type[Event]:
    EVENT_TYPES[cls.name] = cls
    return cls


def event_from_payload(name: str, payload: dict[str, Any]) -> Event:
    return EVENT_TYPES[name](**payload)


@_register
@dataclass(frozen=True)
class OrderReceived(Event):
    name: ClassVar[str] = "order.received"
    order_id: str
    channel: str


@_register
@dataclass(frozen=True)
class OrderStatusChanged(Event):
    name: ClassVar[str] = "order.status_changed"
    order_id: str
    from_status: str
    to_status: str
    reason: str = ""


@_register
@dataclass(frozen=True)
class OrderHeld(Event):
    name: ClassVar[str] = "order.held"
    order_id: str
    code: str
    message: str = ""


@_register
@dataclass(frozen=True)
class OrderRejected(Event):
    name: ClassVar[str] = "order.rejected"
    order_id: str
    code: str
    message: str = ""


@_register
@dataclass(frozen=True)
class OrderCancelled(Event):
    name: ClassVar[str] = "order.cancelled"
    order_id: str
    reason: str = ""


@_register
@dataclass(frozen=True)
class OrderCancelRefused(Event):
    """A sales channel cancelled an order (`reason`, as the shop gave it) that Ordo could no
    longer cancel (`status`: released or further on); `message` says why. An alert asks a
    person to stop the parcel."""

    name: ClassVar[str] = "order.cancel_refused"
    order_id: str
    channel: str
    channel_order_id: str
    status: str
    reason: str = ""
    message: str = ""


@_register
@dataclass(frozen=True)
class OrderChannelChangeRefused(Event):
    """A sales channel cancelled some units of an order (`lines`: line id -> units; `reason`,
    as the shop gave it) that Ordo could no longer take off it (`status`: the order's, its
    units picked or further on); `message` says why. An alert asks a person to stop them."""

    name: ClassVar[str] = "order.channel_change_refused"
    order_id: str
    channel: str
    channel_order_id: str
    status: str
    lines: dict[str, int] = field(default_factory=dict)
    reason: str = ""
    message: str = ""


@_register
@dataclass(frozen=True)
class OrderCancelSentToChannel(Event):
    """An order cancelled in Ordo was cancelled in the shop it came from (`channel`, whose
    order `channel_order_id` it is): `outcome` is `cancelled`, or `already_cancelled` when
    the shop had it cancelled before Ordo asked."""

    name: ClassVar[str] = "order.cancel_sent_to_channel"
    order_id: str
    channel: str
    channel_order_id: str
    outcome: str


@_register
@dataclass(frozen=True)
class OrderChannelCancelFailed(Event):
    """The shop an order came from refused for good to cancel it after Ordo cancelled it
    (`message`: what the shop said), so the shop may still charge for it or show it as
    coming. An alert asks a person to cancel it there."""

    name: ClassVar[str] = "order.channel_cancel_failed"
    order_id: str
    channel: str
    channel_order_id: str
    message: str = ""


@_register
@dataclass(frozen=True)
class OrderUnitsCancelSentToChannel(Event):
    """Units of an order cancelled in Ordo (a line lowered or removed, or part of the
    backordered remainder cancelled) were cancelled, and their money refunded, in the shop it
    came from (`channel`, whose order `channel_order_id` it is): `lines` is units per shop
    line, `change` the id of Ordo's event that cancelled them, and `outcome` is `cancelled`,
    or `already_cancelled` when the shop held Ordo's refund of that change already."""

    name: ClassVar[str] = "order.units_cancel_sent_to_channel"
    order_id: str
    channel: str
    channel_order_id: str
    lines: dict[str, int] = field(default_factory=dict)
    change: str = ""
    outcome: str = ""


@_register
@dataclass(frozen=True)
class OrderChannelUnitsCancelFailed(Event):
    """The shop an order came from refused for good to cancel and refund units Ordo
    cancelled (`lines`, `change` as in `OrderUnitsCancelSentToChannel`; `message`: what the
    shop said), so the customer may still be charged for them. An alert asks a person to
    refund them there."""

    name: ClassVar[str] = "order.channel_units_cancel_failed"
    order_id: str
    channel: str
    channel_order_id: str
    lines: dict[str, int] = field(default_factory=dict)
    change: str = ""
    message: str = ""


@_register
@dataclass(frozen=True)
class OrderModified(Event):
    name: ClassVar[str] = "order.modified"
    order_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@_register
@dataclass(frozen=True)
class OrderReleased(Event):
    name: ClassVar[str] = "order.released"
    order_id: str
    fulfillment_order_ids: list[str] = field(default_factory=list)


@_register
@dataclass(frozen=True)
class StockReserved(Event):
    name: ClassVar[str] = "stock.reserved"
    order_id: str
    sku: str
    location_code: str
    quantity: int


@_register
@dataclass(frozen=True)
class StockReleased(Event):
    name: ClassVar[str] = "stock.released"
    order_id: str
    sku: str
    location_code: str
    quantity: int


@_register
@dataclass(frozen=True)
class StockAdjusted(Event):
    name: ClassVar[str] = "stock.adjusted"
    sku: str
    location_code: str
    delta: int
    on_hand: int
    available: int
    reason: str = ""


@_register
@dataclass(frozen=True)
class StockCountShort(Event):
    """A count found fewer units of a SKU at a location than orders hold reserved there.
    On-hand was set to the reserved figure, not below it (nothing more is promised from
    there); the `short` units (reserved - counted) are for the location to report as short
    picks of `shipment_ids` (its open shipments holding reservations of the SKU), which take
    on-hand down to what is there and source the units elsewhere. `counted_at`: when the
    count was taken (ISO 8601), empty when not said."""

    name: ClassVar[str] = "stock.count_short"
    sku: str
    location_code: str
    counted: int
    reserved: int
    short: int
    shipment_ids: list[str] = field(default_factory=list)
    counted_at: str = ""


@_register
@dataclass(frozen=True)
class BoxesCounted(Event):
    """A location's people counted a box of the catalogue (docs/packaging.md#boxes-in-stock):
    its `on_hand` there is what they counted; `before` what Ordo had (None: not counted
    there before)."""

    name: ClassVar[str] = "boxes.counted"
    location_code: str
    box_code: str
    on_hand: int
    before: int | None = None
    actor: str = ""


@_register
@dataclass(frozen=True)
class BoxesReceived(Event):
    """`quantity` of a box were delivered to a location; `on_hand` is its level after."""

    name: ClassVar[str] = "boxes.received"
    location_code: str
    box_code: str
    quantity: int
    on_hand: int
    reference: str = ""
    actor: str = ""


@_register
@dataclass(frozen=True)
class BoxesUsed(Event):
    """A packed shipment shipped: one box per parcel in a box was counted out of its
    location's stock, once per shipment. `boxes`: box code -> parcels; `on_hand`: box code
    -> the level left (below 0 when more left than were counted in)."""

    name: ClassVar[str] = "boxes.used"
    shipment_id: str
    order_id: str
    location_code: str
    boxes: dict[str, int] = field(default_factory=dict)
    on_hand: dict[str, int] = field(default_factory=dict)


@_register
@dataclass(frozen=True)
class ShipmentStatusChanged(Event):
    name: ClassVar[str] = "shipment.status_changed"
    shipment_id: str
    order_id: str
    location_code: str
    from_status: str
    to_status: str
    carrier: str = ""
    tracking_number: str = ""
    # Why, when a person's change to its order moved it (cancelled with the order); else "".
    reason: str = ""


@_register
@dataclass(frozen=True)
class ShipmentLabelled(Event):
    """A shipment's label was printed (first, or again in the other format) through its
    carrier; `tracking_number` is the one it carries from now on."""

    name: ClassVar[str] = "shipment.labelled"
    shipment_id: str
    order_id: str
    location_code: str
    carrier: str
    service: str
    tracking_number: str
    format: str


@_register
@dataclass(frozen=True)
class ShipmentLabelVoided(Event):
    """A label bought for a shipment will not be used: the shipment was cancelled (with its
    order, or by a short pick that took its last units) or packed again into new boxes
    (`reason` says which). `tracking_numbers` are the label's, the shipment's own first,
    then each parcel's. The worker asks the carrier to void it, so that it is not charged
    for (`engine.service_layer.label_voids`)."""

    name: ClassVar[str] = "shipment.label_voided"
    shipment_id: str
    order_id: str
    location_code: str
    carrier: str
    tracking_numbers: list[str] = field(default_factory=list)
    reason: str = ""


@_register
@dataclass(frozen=True)
class ShipmentLabelVoidFailed(Event):
    """The carrier refused for good to void a label Ordo made void (`message`: what it
    said; a parcel scanned already, its void window past), so it may charge for it. An
    alert asks a person to claim the refund."""

    name: ClassVar[str] = "shipment.label_void_failed"
    shipment_id: str
    order_id: str
    location_code: str
    carrier: str
    tracking_numbers: list[str] = field(default_factory=list)
    message: str = ""


@_register
@dataclass(frozen=True)
class ShipmentShortPicked(Event):
    """A location could not find units of a shipment it was picking (released or picked):
    `lines` names each line that came up short (`sku`, `order_line_id`, `missing`). The
    shipment no longer carries those units (cancelled when none are left, which its
    `shipment.status_changed` says), the location's stock lost them (`stock.adjusted`), and
    the order's lines wait for them again, until sourced elsewhere (`order.resourced`)."""

    name: ClassVar[str] = "shipment.short_picked"
    shipment_id: str
    order_id: str
    location_code: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""


@_register
@dataclass(frozen=True)
class ShipmentLate(Event):
    name: ClassVar[str] = "shipment.late"
    shipment_id: str
    order_id: str
    carrier: str
    location_code: str
    hours_late: float


@_register
@dataclass(frozen=True)
class ShipmentTracked(Event):
    """A carrier's scan joined a shipment's timeline (a new one: a retried post raises
    nothing). `at` is when the carrier saw it (ISO 8601, UTC); `milestone` what it means
    (`engine.domain.tracking_codes`), empty for a code Ordo does not know."""

    name: ClassVar[str] = "shipment.tracked"
    shipment_id: str
    order_id: str
    at: str
    code: str
    description: str = ""
    location: str = ""
    milestone: str = ""
    # The parcel the scan named by its tracking number; empty for the whole shipment.
    parcel_tracking_number: str = ""


@_register
@dataclass(frozen=True)
class ShipmentDeliveryException(Event):
    """The carrier could not deliver a shipment it has: a failed attempt (`milestone`
    "attempted": nobody home, no access) or another problem ("exception": damaged, an address
    problem, held, weather). Raised for the shipment's latest milestone only, while shipped."""

    name: ClassVar[str] = "shipment.delivery_exception"
    shipment_id: str
    order_id: str
    milestone: str
    code: str
    description: str = ""
    at: str = ""
    location: str = ""
    # The parcel the scan named by its tracking number; empty for the whole shipment.
    parcel_tracking_number: str = ""


@_register
@dataclass(frozen=True)
class ShipmentReadyForPickup(Event):
    """A pickup shipment (click and collect) was packed at its store: it waits at the counter
    for the customer, who is told so (`ready_for_pickup`). The store posts `delivered` when
    the customer collects it."""

    name: ClassVar[str] = "shipment.ready_for_pickup"
    shipment_id: str
    order_id: str
    location_code: str


@_register
@dataclass(frozen=True)
class ShipmentDeliveryEstimateSlipped(Event):
    """The carrier's estimate of a shipment's delivery day went past its promised date (from
    on time, or from no estimate): raised once per slip, not with every scan repeating it.
    Dates are ISO 8601 days; `previous_estimate` is empty when no scan had estimated one;
    `days_late` is the estimate less the promised date, in days."""

    name: ClassVar[str] = "shipment.delivery_estimate_slipped"
    shipment_id: str
    order_id: str
    carrier: str
    location_code: str
    promised_date: str
    estimated_delivery: str
    previous_estimate: str
    days_late: int
    # The parcel whose scan moved the estimate, by its tracking number; empty when unnamed.
    parcel_tracking_number: str = ""


@_register
@dataclass(frozen=True)
class OrderHeldTooLong(Event):
    """Emitted once per hold by the worker's clock when an order stays held past the limit."""

    name: ClassVar[str] = "order.held_too_long"
    order_id: str
    code: str
    hours_held: float


@_register
@dataclass(frozen=True)
class ReturnStatusChanged(Event):
    name: ClassVar[str] = "return.status_changed"
    return_id: str
    order_id: str
    from_status: str
    to_status: str


@_register
@dataclass(frozen=True)
class AlertTriggered(Event):
    """An alert rule matched. Recorded with the evaluation and published partitioned by
    (rule, key), so one worker at a time opens or updates the alert it leads to."""

    name: ClassVar[str] = "alert.triggered"
    rule: str
    key: str
    severity: str
    message: str
    recipients: list[str] = field(default_factory=list)
    at: str = ""


@_register
@dataclass(frozen=True)
class AlertRaised(Event):
    name: ClassVar[str] = "alert.raised"
    alert_id: str
    rule: str
    severity: str
    key: str
    message: str


@_register
@dataclass(frozen=True)
class AlertAcknowledged(Event):
    """A person acknowledged an open alert: `by` (the actor), `at` (ISO 8601, UTC). In Ordo
    (`helpdesk` empty), or by solving its ticket in a helpdesk (`helpdesk`, the ticketing
    connector's name): the alert's ticket is updated for the former only, never echoed."""

    name: ClassVar[str] = "alert.acknowledged"
    alert_id: str
    rule: str
    severity: str
    key: str
    by: str
    at: str
    helpdesk: str = ""


@_register
@dataclass(frozen=True)
class AlertRepeated(Event):
    """An open alert fired again, at `at` (ISO 8601, UTC), with `occurrences` counted so far
    and its latest `message`. Raised for the first repeat and then for the first repeat of
    each later `window` (numbered from 0 at the alert's raising, each as long as
    ORDO_ALERT_REPEAT_WINDOW_MINUTES), so a storm raises one per window, not one per repeat."""

    name: ClassVar[str] = "alert.repeated"
    alert_id: str
    rule: str
    severity: str
    key: str
    message: str
    occurrences: int
    at: str
    window: int


@_register
@dataclass(frozen=True)
class AlertClosed(Event):
    """An alert ended: `by` (the actor; `system` when the worker closed it, acknowledged and
    quiet for ORDO_ALERT_CLOSE_AFTER_HOURS), `at` (ISO 8601, UTC), `from_status` (`open`: it
    was acknowledged in the same stroke, or `acknowledged`), a person's `note`. In Ordo
    (`helpdesk` empty), or by closing its ticket in a helpdesk (`helpdesk`, the ticketing
    connector's name): its ticket is told of the former only. The same rule and key firing
    again opens a new alert."""

    name: ClassVar[str] = "alert.closed"
    alert_id: str
    rule: str
    severity: str
    key: str
    by: str
    at: str
    from_status: str
    note: str = ""
    helpdesk: str = ""


@_register
@dataclass(frozen=True)
class RulesetPublished(Event):
    """A ruleset version went live (published or rolled back to). Every process holding a
    compiled registry (other API processes, workers) should load that version."""

    name: ClassVar[str] = "ruleset.published"
    ruleset: str
    version: int
    kind: str
    version_id: str
    by: str = ""


@_register
@dataclass(frozen=True)
class OrderResourced(Event):
    """Part of an order's backordered remainder was sourced after the order went on: stock
    arrived, or a pre-order's release date came. `lines` is units allocated per line now;
    the new fulfilment orders follow as `shipment.status_changed` once released."""

    name: ClassVar[str] = "order.resourced"
    order_id: str
    fulfillment_order_ids: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    reason: str = ""


@_register
@dataclass(frozen=True)
class OrderAwaitingTransfer(Event):
    """A pickup order waits for units its store lacked, sent there from a warehouse (ship to
    store): transfer `transfer_id` of `quantity` `sku` from `from_location`, due at the
    store on `expected_on`. Its arrival releases them to this order."""

    name: ClassVar[str] = "order.awaiting_transfer"
    order_id: str
    transfer_id: str
    sku: str
    from_location: str
    to_location: str
    quantity: int
    expected_on: str


@_register
@dataclass(frozen=True)
class OrderPickupDelayed(Event):
    """A pickup order waiting for a ship-to-store transfer will be ready later than it was
    promised: the transfer's arrival day moved (`transfer.shipped` with the carrier's day,
    `transfer.arrival_revised`) and with it the order's ready day, now `ready_date`, past
    `promised_date` (the day its decision promised) by `days_late` days; it was expected on
    `previous_ready_date`. Once per slip: again only for a later day still (ISO days)."""

    name: ClassVar[str] = "order.pickup_delayed"
    order_id: str
    transfer_id: str
    pickup_location: str
    promised_date: str
    ready_date: str
    previous_ready_date: str
    days_late: int


@_register
@dataclass(frozen=True)
class TransferCancelled(Event):
    """A ship-to-store transfer its order no longer needs was called off before it arrived
    (the order cancelled, changed, or served from elsewhere): its units are back at
    `from_location` (which raises `stock.adjusted` there too)."""

    name: ClassVar[str] = "transfer.cancelled"
    transfer_id: str
    order_id: str
    sku: str
    from_location: str
    quantity: int
    reason: str = ""


@_register
@dataclass(frozen=True)
class TransferRequested(Event):
    """Units left `from_location` for `to_location`, due there on `expected_on` (ISO date):
    a transfer made by hand (`order_id` empty) or for a pickup order (ship to store). The
    sending location's WMS, if it has one, is told to pick and ship it."""

    name: ClassVar[str] = "transfer.requested"
    transfer_id: str
    order_id: str
    sku: str
    from_location: str
    to_location: str
    quantity: int
    expected_on: str


@_register
@dataclass(frozen=True)
class TransferShipped(Event):
    """The location a transfer leaves reported it shipped at `shipped_at` (ISO moment), with
    `carrier` under `tracking_number`; due at `to_location` on `expected_on` (ISO date: the
    carrier's estimate when the report gave one, else the planned day)."""

    name: ClassVar[str] = "transfer.shipped"
    transfer_id: str
    order_id: str
    from_location: str
    to_location: str
    carrier: str
    tracking_number: str
    shipped_at: str
    expected_on: str


@_register
@dataclass(frozen=True)
class TransferReleased(Event):
    """A ship-to-store transfer its order no longer needs (`reason`: the order cancelled,
    changed, or served from elsewhere) had left already (reported shipped), so it was not
    called back: it keeps going to `to_location`, where its units arrive as the store's own
    stock, claimed by no order. Nothing was booked back at `from_location`."""

    name: ClassVar[str] = "transfer.released"
    transfer_id: str
    order_id: str
    sku: str
    from_location: str
    to_location: str
    quantity: int
    reason: str = ""


@_register
@dataclass(frozen=True)
class TransferArrivalRevised(Event):
    """A transfer in transit is now expected at `to_location` on `expected_on` instead of
    `previous_expected_on` (ISO dates): its sending location reported shipped again with
    another day, or its carrier's scan estimated one. `by`: who said so (the audit's actor:
    `warehouse:<key>`, `admin:<key>`, `carrier:<code>`). Once per change of day."""

    name: ClassVar[str] = "transfer.arrival_revised"
    transfer_id: str
    order_id: str
    from_location: str
    to_location: str
    previous_expected_on: str
    expected_on: str
    by: str


@_register
@dataclass(frozen=True)
class TransferDelivered(Event):
    """The carrier of a transfer scanned it delivered at `to_location` at `delivered_at` (ISO
    moment). Its units are not counted in by this: they are when the destination receives
    the transfer, saying what came (`stock.adjusted` follows that receipt). Once per
    transfer."""

    name: ClassVar[str] = "transfer.delivered"
    transfer_id: str
    order_id: str
    from_location: str
    to_location: str
    carrier: str
    tracking_number: str
    delivered_at: str


@_register
@dataclass(frozen=True)
class TransferSentToWms(Event):
    """A transfer was handed to the warehouse system (WMS) of the location it leaves, which
    answered with its own reference for it (`wms_reference`, kept on the transfer)."""

    name: ClassVar[str] = "transfer.sent_to_wms"
    transfer_id: str
    order_id: str
    from_location: str
    to_location: str
    wms_reference: str


@_register
@dataclass(frozen=True)
class TransferWmsCancelled(Event):
    """The warehouse system holding a transfer (`wms_reference`) took its cancellation: it
    will not ship it."""

    name: ClassVar[str] = "transfer.wms_cancelled"
    transfer_id: str
    order_id: str
    from_location: str
    wms_reference: str


@_register
@dataclass(frozen=True)
class TransferWmsRefused(Event):
    """The warehouse system holding a transfer refused its cancellation for good (409: it
    shipped it already; `message` is what it said): `transfer.reinstated` follows, the
    transfer on its way again."""

    name: ClassVar[str] = "transfer.wms_refused"
    transfer_id: str
    order_id: str
    from_location: str
    wms_reference: str
    message: str = ""


@_register
@dataclass(frozen=True)
class TransferReinstated(Event):
    """A transfer Ordo had cancelled left `from_location` all the same (its WMS answered
    the cancellation too late, or reported it shipped; `message` says which): it is on its
    way to `to_location` again, released from `order_id` (the order it was sent for), its
    units arriving as the store's own stock, and its units were taken off `from_location`
    again (`stock.adjusted`). `short`: units that could not be, orders there having reserved
    them since (then a high alert asks a person to step in); 0 normally."""

    name: ClassVar[str] = "transfer.reinstated"
    transfer_id: str
    order_id: str
    sku: str
    from_location: str
    to_location: str
    quantity: int
    short: int = 0
    message: str = ""


@_register
@dataclass(frozen=True)
class TransferInboundSentToWms(Event):
    """The warehouse system (WMS) of the location a shipped transfer goes to took its
    expected receipt, so its dock expects it; `inbound_reference` is the name it knows the
    receipt by (its own, else the key Ordo sent), kept on the transfer."""

    name: ClassVar[str] = "transfer.inbound_sent_to_wms"
    transfer_id: str
    order_id: str
    from_location: str
    to_location: str
    inbound_reference: str


@_register
@dataclass(frozen=True)
class TransferInboundUpdatedAtWms(Event):
    """The warehouse system of `to_location` took a shipped transfer's revised expected
    receipt (`inbound_reference`), so its dock expects it on `expected_on` (ISO date) now."""

    name: ClassVar[str] = "transfer.inbound_updated_at_wms"
    transfer_id: str
    order_id: str
    from_location: str
    to_location: str
    inbound_reference: str
    expected_on: str


@_register
@dataclass(frozen=True)
class TransferInboundWmsRefused(Event):
    """The warehouse system of `to_location` refused a shipped transfer's expected receipt
    for good (409; `message` is what it said): its dock may not expect the transfer. An
    alert asks a person to see it received."""

    name: ClassVar[str] = "transfer.inbound_wms_refused"
    transfer_id: str
    order_id: str
    to_location: str
    message: str = ""


@_register
@dataclass(frozen=True)
class OrderRemainderCancelled(Event):
    """Units of an order's backordered remainder were cancelled while the order was on its
    way (the customer would not wait for the stock). `lines` is units cancelled per line;
    the order's `order.status_changed` follows if that left nothing to send."""

    name: ClassVar[str] = "order.remainder_cancelled"
    order_id: str
    lines: dict[str, int] = field(default_factory=dict)
    reason: str = ""


@_register
@dataclass(frozen=True)
class ReturnLabelled(Event):
    """An authorised return's label was printed: the parcel goes from the customer to
    `location_code` with `carrier` and `service`, carrying `rma` and `tracking_number`."""

    name: ClassVar[str] = "return.labelled"
    return_id: str
    order_id: str
    rma: str
    location_code: str
    carrier: str
    service: str
    tracking_number: str
    format: str


@_register
@dataclass(frozen=True)
class ReturnRefundSentToChannel(Event):
    """A return refunded in Ordo was refunded in the shop its order came from (`channel`,
    whose order `channel_order_id` it is): `amount` in `currency`; `outcome` is `refunded`, or
    `already_refunded` when the shop held a refund marked with the return's RMA."""

    name: ClassVar[str] = "return.refund_sent_to_channel"
    return_id: str
    order_id: str
    channel: str
    channel_order_id: str
    amount: str
    currency: str
    outcome: str


@_register
@dataclass(frozen=True)
class ReturnChannelRefundFailed(Event):
    """The shop a returned order came from refused for good to refund what Ordo refunded
    (`message`: what the shop said, or the amounts when it has less left to refund), so the
    customer has not had the money back. An alert asks a person to refund it there."""

    name: ClassVar[str] = "return.channel_refund_failed"
    return_id: str
    order_id: str
    channel: str
    channel_order_id: str
    amount: str
    currency: str
    message: str = ""


@_register
@dataclass(frozen=True)
class CustomerErased(Event):
    """A customer's personal data was erased. Systems that keep copies of it (ERP, CRM, a
    mailing list) erase theirs on it; the payload is the customer's id and nothing else."""

    name: ClassVar[str] = "customer.erased"
    customer_id: str


@_register
@dataclass(frozen=True)
class ShipmentSentToWms(Event):
    """A released shipment was handed to its location's warehouse system (WMS), which answered
    with its own reference for it (`wms_reference`, kept on the shipment from now on)."""

    name: ClassVar[str] = "shipment.sent_to_wms"
    shipment_id: str
    order_id: str
    location_code: str
    wms_reference: str


@_register
@dataclass(frozen=True)
class ShipmentWmsUpdated(Event):
    """The warehouse system holding a shipment (`wms_reference`) took a change Ordo made to
    it after its release: `change` is `update` (its lines as they are now, after a short
    pick) or `cancel` (Ordo no longer wants it shipped)."""

    name: ClassVar[str] = "shipment.wms_updated"
    shipment_id: str
    order_id: str
    location_code: str
    wms_reference: str
    change: str


@_register
@dataclass(frozen=True)
class ShipmentWmsRefused(Event):
    """The warehouse system holding a shipment refused a change for good (409: it shipped or
    packed it already), so the WMS ships what Ordo no longer wants: `change` (`update` or
    `cancel`) and what the WMS said (`message`). An alert asks a person to step in."""

    name: ClassVar[str] = "shipment.wms_refused"
    shipment_id: str
    order_id: str
    location_code: str
    wms_reference: str
    change: str
    message: str = ""


@_register
@dataclass(frozen=True)
class CustomerUpdated(Event):
    """A customer record was created (`created`) or replaced with different details; storing
    the same record again raises nothing. Like `customer.erased`, the payload is the id and
    nothing personal: receivers read the record's current state."""

    name: ClassVar[str] = "customer.updated"
    customer_id: str
    created: bool = False


@_register
@dataclass(frozen=True)
class TicketUpdated(Event):
    """A helpdesk reported a newer state of a ticket Ordo opened (its webhook): `status` as
    the helpdesk says it (Zendesk's new, open, pending, hold, solved, closed) and the one
    kept before (`from_status`, `unknown` until a first report). Nothing of the comment is
    in it: what a customer wrote stays on the ticket."""

    name: ClassVar[str] = "ticket.updated"
    ticket_id: str
    system: str
    external_ticket_id: str
    entity: str
    entity_id: str
    status: str
    from_status: str


@_register
@dataclass(frozen=True)
class EdiDocumentRejected(Event):
    """A trading partner's 997 rejected a document Ordo sent them (`kind` 855 or 856, about
    `reference`, of order `order_id`, under `control_number`): their translator did not take
    it, so they do not know what it said. `codes` are the partner's error codes (`AK502=5`,
    `AK304=8 (TD5, segment 5 of the set)`). A high alert asks a person to look."""

    name: ClassVar[str] = "edi.document_rejected"
    document_id: str
    channel: str
    kind: str
    reference: str
    order_id: str
    control_number: int
    codes: list[str] = field(default_factory=list)


@_register
@dataclass(frozen=True)
class EdiPoChangeReceived(Event):
    """A trading partner's 860 changed (or cancelled) its purchase order `po_number`, Ordo's
    order `order_id`: `purpose` is BCH01 (`01` cancellation, `04` change), `change` the
    860's key (`860:<BCH05>`, or `860:<ISA13>/<GS06>/<ST02>` without BCH05), `accepted` and
    `rejected` the PO1 line numbers (POC01) Ordo took and refused (for a cancellation
    without POC, `*` for the whole order)."""

    name: ClassVar[str] = "edi.po_change_received"
    order_id: str
    channel: str
    po_number: str
    purpose: str
    change: str
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


@_register
@dataclass(frozen=True)
class EdiPoChangeAcknowledged(Event):
    """The 865 answering an 860 (`change`, as in `edi.po_change_received`) is in the
    partner's mailbox as `document_id`, under `control_number`: `acknowledgement_type` is
    its BCA02 (`AT` all accepted, `RJ` none, `AC` some)."""

    name: ClassVar[str] = "edi.po_change_acknowledged"
    document_id: str
    order_id: str
    channel: str
    po_number: str
    change: str
    acknowledgement_type: str
    control_number: int


@_register
@dataclass(frozen=True)
class EdiDocumentResent(Event):
    """A document the trading partner rejected (`replaces`) was written again, as
    `document_id` (`kind` 855 or 856, about `reference`, of order `order_id`), from Ordo's
    data as it stands now, under a new `control_number`, for the partner's gateway to
    collect. `by`: who asked (the audit's actor)."""

    name: ClassVar[str] = "edi.document_resent"
    document_id: str
    replaces: str
    channel: str
    kind: str
    reference: str
    order_id: str
    control_number: int
    by: str
