"""Stock, available-to-promise and stock movements as the API shows and accepts them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from api.schemas.common import Out, Strict
from api.schemas.patterns import CODE, SKU
from engine.domain.inventory import InboundSupply, Stock
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

    @classmethod
    def of(cls, supply: InboundSupply) -> TransferOut:
        origin = supply.reference[5:] if supply.reference.startswith("from ") else ""
        return cls(
            id=supply.id,
            sku=supply.sku,
            from_location=origin,
            to_location=supply.location_code,
            quantity=supply.quantity,
            expected_on=supply.expected_on,
            status=TransferStatus.RECEIVED if supply.received else TransferStatus.IN_TRANSIT,
            reference=supply.reference,
        )
