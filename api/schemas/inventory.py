"""Stock, available-to-promise and stock movements as the API shows and accepts them."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from api.schemas.catalog import CODE, SKU
from api.schemas.common import Out, Strict
from engine.domain.inventory import Stock


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
