"""Commands: requests to change state, one dataclass each, handled by the service layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from engine.domain.tracking_codes import Milestone


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    price: Decimal | None = None
    line_id: str | None = None


@dataclass(frozen=True)
class AddressInput:
    postal_code: str
    country: str = "US"
    line1: str = ""
    city: str = ""
    state: str = ""
    name: str = ""


@dataclass(frozen=True)
class CreateOrder(Command):
    channel: str
    channel_order_id: str
    customer_id: str
    ship_to: AddressInput
    lines: tuple[LineInput, ...]
    email: str = ""
    currency: str = "USD"
    service_level: str = "standard"
    requested_date: date | None = None
    priority: int = 0
    order_id: str | None = None
    # "ship" or "pickup"; a pickup order names the store it is collected at.
    fulfilment: str = "ship"
    pickup_location: str | None = None


@dataclass(frozen=True)
class CancelOrder(Command):
    order_id: str
    reason: str
    actor: str = "system"


@dataclass(frozen=True)
class CancelBackordered(Command):
    """Cancel units of the backordered remainder of an order on its way (past release, so
    `CancelOrder` is refused): `lines` maps line ids to units, None cancels every unit that
    waits for stock."""

    order_id: str
    reason: str
    lines: dict[str, int] | None = None
    actor: str = "system"


@dataclass(frozen=True)
class ModifyOrder(Command):
    order_id: str
    quantities: dict[str, int] = field(default_factory=dict)
    ship_to: AddressInput | None = None
    add_lines: tuple[LineInput, ...] = ()
    remove_lines: tuple[str, ...] = ()
    actor: str = "system"
    # Switch between shipping and click and collect: "ship" or "pickup" (None: as it is),
    # and the store a pickup is collected at (None: a pickup's own store stays).
    fulfilment: str | None = None
    pickup_location: str | None = None
    # A kit's line (`7`, filed as its parts `7.1`, `7.2`) -> the kits it is to order, more
    # than it did: each part gains its units per kit for each kit added, and the kit's shape
    # the kits, which the parts' quantities alone cannot say.
    kits: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleaseHold(Command):
    order_id: str
    actor: str


@dataclass(frozen=True)
class AdjustStock(Command):
    sku: str
    location_code: str
    delta: int
    reason: str = "adjustment"
    actor: str = "system"


@dataclass(frozen=True)
class CountLine:
    """What a location counted of one SKU: the units on its shelves."""

    sku: str
    on_hand: int


@dataclass(frozen=True)
class CountStock(Command):
    """A location says what is on its shelves (a WMS's levels, a cycle count): each SKU's
    on-hand becomes what was counted, as of when Ordo receives the count, never below what
    orders hold reserved there. `counted_at`, when the count was taken, is recorded only."""

    location_code: str
    counts: tuple[CountLine, ...]
    reason: str = "count"
    counted_at: datetime | None = None
    actor: str = "system"


@dataclass(frozen=True)
class BoxCountLine:
    """What a location counted of one box of the catalogue."""

    box: str
    on_hand: int


@dataclass(frozen=True)
class CountBoxes(Command):
    """A location's people say how many of each box they have: each one's on-hand there
    becomes its count (docs/packaging.md#boxes-in-stock)."""

    location_code: str
    counts: tuple[BoxCountLine, ...]
    actor: str = "system"


@dataclass(frozen=True)
class ReceiveBoxes(Command):
    """`quantity` of a box were delivered to a location: its on-hand there rises by that."""

    location_code: str
    box: str
    quantity: int
    reference: str = ""
    actor: str = "system"


@dataclass(frozen=True)
class ReceiveStock(Command):
    sku: str
    location_code: str
    quantity: int
    reference: str = ""
    actor: str = "system"


@dataclass(frozen=True)
class TransferStock(Command):
    sku: str
    from_location: str
    to_location: str
    quantity: int
    expected_on: date
    actor: str = "system"


@dataclass(frozen=True)
class UpdateShipment(Command):
    shipment_id: str
    status: str
    tracking_number: str = ""
    actor: str = "system"


@dataclass(frozen=True)
class ShortLineInput:
    """Units of one shipment line the location could not find: the line named by its
    `order_line_id`, or by its `sku` when the shipment carries that SKU on one line only."""

    missing: int
    order_line_id: str = ""
    sku: str = ""


@dataclass(frozen=True)
class ReportShortPick(Command):
    """A location could not find units of a released or picked shipment (damaged,
    mis-slotted, stolen): the shipment and the location's stock lose them, and the order's
    lines get them back as backordered, sourced again at once where stock allows."""

    shipment_id: str
    lines: tuple[ShortLineInput, ...]
    reason: str
    actor: str = "system"


@dataclass(frozen=True)
class TrackShipment(Command):
    """Put a carrier's tracking event on a shipment's timeline; an event it already has (a
    carrier's retried post) is not recorded again. `milestone`: what the scan means, when the
    carrier says; else it is read from `code` (`engine.domain.tracking_codes`).
    `estimated_delivery`: the day the carrier expects to deliver, when the scan says.
    `tracking_number`: the parcel the scan is of, when the carrier names it (one of the
    shipment's parcels' numbers, or its own); empty for the whole shipment."""

    shipment_id: str
    at: datetime
    code: str
    description: str = ""
    location: str = ""
    actor: str = "system"
    milestone: Milestone | None = None
    estimated_delivery: date | None = None
    tracking_number: str = ""


@dataclass(frozen=True)
class LabelShipment(Command):
    """Print a shipment's label (`format`: "pdf" or "zpl") through its carrier. The tracking
    number it gets is the shipment's for good: asked again, the same label comes back, and
    in the other format the same number is printed again."""

    shipment_id: str
    format: str
    actor: str = "system"


@dataclass(frozen=True)
class AcknowledgeAlert(Command):
    alert_id: str
    actor: str


# --- the order pipeline (issue 4) -----------------------------------------------------------


@dataclass(frozen=True)
class ProcessOrder(Command):
    """Run validation, sourcing, reservation and carrier selection for a received order."""

    order_id: str


@dataclass(frozen=True)
class ReleaseOrder(Command):
    """Release an order whose carrier is assigned (when releases are not automatic)."""

    order_id: str
    actor: str = "system"


@dataclass(frozen=True)
class ReceiveTransfer(Command):
    """Stock sent between locations arrives: the inbound transfer becomes on-hand stock."""

    transfer_id: str
    actor: str = "system"


@dataclass(frozen=True)
class ReportTransferShipped(Command):
    """The location a transfer leaves (its WMS, or a person there) reports it shipped:
    when (`shipped_at`, None: now), with which carrier and tracking number, and the day the
    carrier expects it to arrive (`expected_on`, None: as planned)."""

    transfer_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime | None = None
    expected_on: date | None = None
    actor: str = "system"


@dataclass(frozen=True)
class TrackTransfer(Command):
    """A carrier's scan of a transfer it carries (its tracking webhook): `estimated_delivery`
    revises the day the transfer is expected, and a `delivered` milestone records that it
    reached its destination (not a receipt). `milestone`: what the scan means, as the
    carrier said or as Ordo read it from its code; None when neither knows."""

    transfer_id: str
    at: datetime
    code: str
    milestone: Milestone | None = None
    estimated_delivery: date | None = None
    actor: str = "system"


@dataclass(frozen=True)
class ExpireReservations(Command):
    """Release reservations whose time-to-live has passed (run by the worker on a timer)."""

    limit: int = 500


@dataclass(frozen=True)
class ConsolidateOrders(Command):
    """Merge a customer's open orders to the same address into one, when the rules allow."""

    customer_id: str
    actor: str = "system"


# --- returns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLineInput:
    order_line_id: str
    quantity: int
    reason: str = ""
    restock: bool = True


@dataclass(frozen=True)
class RequestReturn(Command):
    """A customer (or support for them) asks to send back shipped units of an order."""

    order_id: str
    lines: tuple[ReturnLineInput, ...]
    actor: str = "system"
    return_id: str | None = None


@dataclass(frozen=True)
class AuthoriseReturn(Command):
    """Support accepts a requested return and issues its RMA number; `location_code`, when
    given, is where the parcel goes back to (its label's destination)."""

    return_id: str
    actor: str = "system"
    location_code: str = ""


@dataclass(frozen=True)
class ReceiveReturn(Command):
    """The parcel arrives at a location; lines marked for restock go back on hand there,
    except those the location found unfit to sell again on inspection (`not_restocked`,
    order line ids)."""

    return_id: str
    location_code: str
    actor: str = "system"
    not_restocked: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefundReturn(Command):
    """Pay back a received return: price x quantity, or less (`amount`), never more than paid."""

    return_id: str
    amount: Decimal | None = None
    actor: str = "system"


@dataclass(frozen=True)
class RejectReturn(Command):
    """Refuse a return that is requested or authorised (not yet received)."""

    return_id: str
    reason: str
    actor: str = "system"


@dataclass(frozen=True)
class LabelReturn(Command):
    """Print an authorised return's label, from the customer back to `location_code` (or,
    when that is empty, to the location the return names already), carrying its RMA."""

    return_id: str
    format: str
    location_code: str = ""
    actor: str = "system"


@dataclass(frozen=True)
class ReleaseDuePreorders(Command):
    """Source the pre-orders whose product's release date has come (the worker runs it on a
    schedule, `ordo preorders release` by hand). `today` defaults to the clock's date."""

    today: date | None = None


# --- personal data --------------------------------------------------------------------------


@dataclass(frozen=True)
class EraseCustomer(Command):
    """Erase a customer's personal data (the right to be forgotten): refused while one of
    their orders is not finished; `reason` is kept in the audit log."""

    customer_id: str
    reason: str
    actor: str = "system"
