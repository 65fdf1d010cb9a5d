"""Stock, available-to-promise and stock movements as the API shows and accepts them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from api.schemas.common import IsoDate, Out, Strict, UtcDateTime
from api.schemas.patterns import CODE, SKU, TRACKING_NUMBER
from engine.domain import commands
from engine.domain.inventory import InboundSupply, Stock
from engine.service_layer.counts import CountedLine, StockCount
from engine.service_layer.inventory import ReorderSuggestion


class StockOut(Out):
    sku: str = Field(examples=["SHOE-42"])
    location_code: str = Field(examples=["DAL-01"])
    on_hand: int
    reserved: int
    safety_stock: int
    available: int = Field(description="on hand - reserved - safety stock, never negative")
    channel_allocations: dict[str, int]

    @classmethod
    def of(cls, stock: Stock) -> StockOut:
        return cls(
            sku=stock.sku,
            location_code=stock.location_code,
            on_hand=stock.on_hand,
            reserved=stock.reserved,
            safety_stock=stock.safety_stock,
            available=stock.available,
            channel_allocations=dict(stock.channel_allocations),
        )


class AtpLocation(Out):
    location_code: str
    available: int


class AtpOut(Out):
    """Available to promise for one SKU, per location and in total, for an optional channel."""

    sku: str
    channel: str | None
    total: int
    locations: list[AtpLocation]


class AdjustIn(Strict):
    sku: str = Field(pattern=SKU, examples=["SHOE-42"])
    location_code: str = Field(pattern=CODE, examples=["DAL-01"])
    delta: int = Field(ge=-1_000_000, le=1_000_000, examples=[-2])
    reason: str = Field(default="adjustment", max_length=200, examples=["cycle count"])


class CountLineIn(Strict):
    sku: str = Field(pattern=SKU, examples=["SHOE-42"])
    on_hand: int = Field(
        ge=0, le=10_000_000, description="Units counted on the shelves.", examples=[37]
    )


class CountIn(Strict):
    """What a location counted: each SKU once, with the units on its shelves."""

    location_code: str = Field(pattern=CODE, examples=["DAL-01"])
    counts: list[CountLineIn] = Field(min_length=1, max_length=5_000)
    reason: str = Field(default="count", max_length=200, examples=["cycle count"])
    counted_at: UtcDateTime | None = Field(
        default=None,
        strict=False,
        description=(
            "When the count was taken (a time without an offset is UTC). Recorded only: the "
            "count is applied as of when Ordo receives it."
        ),
        examples=["2026-11-22T02:00:00Z"],
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "location_code": "DAL-01",
                    "counts": [{"sku": "SHOE-42", "on_hand": 37}, {"sku": "BOOT-9", "on_hand": 0}],
                    "reason": "nightly count",
                    "counted_at": "2026-11-22T02:00:00Z",
                }
            ]
        },
    }

    def to_command(self, actor: str) -> commands.CountStock:
        return commands.CountStock(
            self.location_code,
            tuple(commands.CountLine(line.sku, line.on_hand) for line in self.counts),
            self.reason,
            self.counted_at,
            actor,
        )


class CountedLineOut(Out):
    sku: str = Field(examples=["SHOE-42"])
    before: int = Field(description="On hand before the count.", examples=[40])
    after: int = Field(description="On hand after it.", examples=[37])
    delta: int = Field(description="after - before.", examples=[-3])
    reserved: int = Field(description="Units orders hold reserved here.", examples=[5])
    short: int = Field(
        description=(
            "Reserved units the count did not find (reserved - counted), 0 when it covers "
            "them; on hand stays at what is reserved until they are reported as short picks."
        ),
        examples=[0],
    )

    @classmethod
    def of(cls, line: CountedLine) -> CountedLineOut:
        return cls(
            sku=line.sku,
            before=line.before,
            after=line.after,
            delta=line.delta,
            reserved=line.reserved,
            short=line.short,
        )


class CountTotalsOut(Out):
    lines: int = Field(examples=[2])
    changed: int = Field(description="Lines whose on hand moved.", examples=[1])
    rose: int = Field(examples=[0])
    fell: int = Field(examples=[1])
    came_up_short: int = Field(description="Lines counted below what is reserved.", examples=[0])
    net_delta: int = Field(description="The lines' deltas added up.", examples=[-3])


class StockCountOut(Out):
    """What a count did at a location, line by line in the order sent, and in total."""

    location_code: str = Field(examples=["DAL-01"])
    counted_at: datetime | None
    lines: list[CountedLineOut]
    totals: CountTotalsOut

    @classmethod
    def of(cls, done: StockCount, counted_at: datetime | None) -> StockCountOut:
        return cls(
            location_code=done.location_code,
            counted_at=counted_at,
            lines=[CountedLineOut.of(line) for line in done.lines],
            totals=CountTotalsOut(
                lines=len(done.lines),
                changed=done.changed,
                rose=done.rose,
                fell=done.fell,
                came_up_short=done.came_up_short,
                net_delta=sum(line.delta for line in done.lines),
            ),
        )


class ReceiveIn(Strict):
    sku: str = Field(pattern=SKU, examples=["SHOE-42"])
    location_code: str = Field(pattern=CODE, examples=["DAL-01"])
    quantity: int = Field(gt=0, le=1_000_000, examples=[120])
    reference: str = Field(default="", max_length=200, examples=["PO-7781"])


class TransferIn(Strict):
    sku: str = Field(pattern=SKU, examples=["SHOE-42"])
    from_location: str = Field(pattern=CODE, examples=["DAL-01"])
    to_location: str = Field(pattern=CODE, examples=["RNO-02"])
    quantity: int = Field(gt=0, le=1_000_000, examples=[10])
    expected_on: date = Field(strict=False, examples=["2026-12-01"])


class ReorderSuggestionOut(Out):
    """What to buy for one stocked (SKU, location), from its demand forecast."""

    sku: str = Field(examples=["SHOE-42"])
    location_code: str = Field(examples=["DAL-01"])
    daily_forecast: float = Field(description="Forecast units per day at this location.")
    reorder_point: int = Field(description="Lead-time demand plus safety stock.")
    position: int = Field(description="On hand - reserved + inbound not yet received.")
    suggested_quantity: int = Field(
        description="Units to order to cover lead time and the cover days; 0 above the point."
    )

    @classmethod
    def of(cls, s: ReorderSuggestion) -> ReorderSuggestionOut:
        return cls(
            sku=s.sku,
            location_code=s.location_code,
            daily_forecast=s.daily_forecast,
            reorder_point=s.reorder_point,
            position=s.position,
            suggested_quantity=s.suggested_quantity,
        )


class TransferStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    # A ship-to-store transfer its order no longer needed: the units stayed at the source.
    CANCELLED = "cancelled"


class TransferOut(Out):
    """Units sent between locations: inbound supply at `to_location` until received."""

    id: str = Field(examples=["trf_0c9d3b1a2e4f5a6b"])
    sku: str = Field(examples=["SHOE-42"])
    from_location: str = Field(description="Where it left; empty if not recorded.")
    to_location: str = Field(examples=["RNO-02"])
    quantity: int
    expected_on: date
    status: TransferStatus
    reference: str
    order_id: str = Field(
        default="",
        description="The pickup order a ship-to-store transfer was sent for (its units are "
        "that order's when they arrive); empty for any other transfer.",
    )
    wms_reference: str = Field(
        default="",
        description="The reference the sending location's warehouse system (WMS) gave the "
        "transfer when Ordo sent it there to pick and ship; empty while it has not (or the "
        "location has no WMS).",
        examples=["WMS-TO-000123"],
    )
    inbound_reference: str = Field(
        default="",
        description="The name the receiving location's warehouse system (WMS) knows the "
        "transfer's expected receipt by, kept when Ordo announced it there once it shipped "
        "(a revised arrival day is sent to it under this name); empty while it has not (or "
        "the location has no WMS, or one that takes no transfers).",
        examples=["ASN-000001"],
    )
    shipped_at: datetime | None = Field(
        default=None,
        description="When the sending location reported the transfer shipped "
        "(`POST /v1/inventory/transfers/{transfer_id}/shipped`); null while it has not.",
        examples=["2026-11-28T14:05:00Z"],
    )
    carrier: str = Field(
        default="", description="Who carries it, as reported shipped; empty before.",
        examples=["ups"],
    )  # fmt: skip
    tracking_number: str = Field(
        default="", description="The carrier's tracking number, as reported shipped; empty "
        "before.", examples=["1Z999AA10123456784"],
    )  # fmt: skip
    delivered_at: datetime | None = Field(
        default=None,
        description="When its carrier scanned it delivered at `to_location` (the carrier's "
        "tracking webhook); null before. Delivered is not received: its units count at "
        "`to_location` once it is received there.",
        examples=["2026-12-01T10:12:00Z"],
    )

    @classmethod
    def of(cls, supply: InboundSupply) -> TransferOut:
        origin = supply.from_location
        status = TransferStatus.RECEIVED if supply.received else TransferStatus.IN_TRANSIT
        return cls(
            id=supply.id,
            sku=supply.sku,
            from_location=origin,
            to_location=supply.location_code,
            quantity=supply.quantity,
            expected_on=supply.expected_on,
            status=TransferStatus.CANCELLED if supply.cancelled else status,
            reference=supply.reference,
            order_id=supply.order_id,
            wms_reference=supply.wms_reference,
            inbound_reference=supply.inbound_reference,
            shipped_at=supply.shipped_at,
            carrier=supply.carrier,
            tracking_number=supply.tracking_number,
            delivered_at=supply.delivered_at,
        )


class TransferShippedIn(Strict):
    """The sending location's report that a transfer left it."""

    carrier: str = Field(pattern=CODE, description="Who carries it.", examples=["ups"])
    tracking_number: str = Field(
        pattern=TRACKING_NUMBER,
        max_length=100,
        description="The carrier's number for it (spaces around it are ignored).",
        examples=["1Z999AA10123456784"],
    )
    shipped_at: UtcDateTime | None = Field(
        default=None,
        strict=False,
        description="When it left; now when left out. A time without an offset is UTC.",
        examples=["2026-11-28T14:05:00Z"],
    )
    expected_on: Annotated[date | None, IsoDate] = Field(
        default=None,
        strict=False,
        description="The day the carrier expects it at its destination, which becomes the "
        "transfer's `expected_on`; left out, the planned day stands. Not before the day it "
        "shipped. Reported again with another day (the carrier revised it), the transfer's "
        "`expected_on` moves to it.",
        examples=["2026-12-01"],
    )

    def to_command(self, transfer_id: str, actor: str) -> commands.ReportTransferShipped:
        return commands.ReportTransferShipped(
            transfer_id,
            self.carrier,
            self.tracking_number.strip(),
            self.shipped_at,
            self.expected_on,
            actor,
        )
