"""Box stock's requests and answers (docs/api.md#boxes-in-stock)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import Out, Strict
from api.schemas.patterns import CODE, SKU
from engine.domain import commands
from engine.domain.packaging import Box, BoxCatalog, BoxStock
from engine.service_layer.box_stock import BoxLevel

# A box's code as the catalogue spells it; whether it is one is the service layer's to say.
BOX = SKU


class BoxCountLineIn(Strict):
    box: str = Field(pattern=BOX, examples=["MEDIUM"])
    on_hand: int = Field(ge=0, le=10_000_000, description="Boxes counted.", examples=[140])


class BoxCountIn(Strict):
    """What a location's people counted: each box once, with how many there are."""

    location_code: str = Field(pattern=CODE, examples=["EWR-01"])
    counts: list[BoxCountLineIn] = Field(min_length=1, max_length=500)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "location_code": "EWR-01",
                    "counts": [{"box": "MEDIUM", "on_hand": 140}, {"box": "SMALL", "on_hand": 60}],
                }
            ]
        },
    }

    def to_command(self, actor: str) -> commands.CountBoxes:
        lines = tuple(commands.BoxCountLine(line.box, line.on_hand) for line in self.counts)
        return commands.CountBoxes(self.location_code, lines, actor)


class BoxReceiptIn(Strict):
    location_code: str = Field(pattern=CODE, examples=["EWR-01"])
    box: str = Field(pattern=BOX, examples=["MEDIUM"])
    quantity: int = Field(gt=0, le=1_000_000, examples=[200])
    reference: str = Field(default="", max_length=200, examples=["PO-BOX-118"])


class BoxStockOut(Out):
    """One box's level at one location; a box the catalogue stocks there that has no level
    yet (never counted, received or shipped from there) has `tracked` false and `on_hand`
    and `updated_at` null."""

    location_code: str = Field(examples=["EWR-01"])
    box: str = Field(examples=["MEDIUM"])
    tracked: bool = Field(
        default=True,
        description="Whether the location has a level of the box: false for a box the "
        "catalogue stocks there that was never counted, received or shipped from there.",
    )
    on_hand: int | None = Field(
        description="Counted, plus received, less one per parcel shipped in it; below 0 when "
        "more left than were counted in; null when not tracked.",
        examples=[37],
    )
    reorder_point: int | None = Field(
        description="The catalogue's: at or below it the box is low; null when it has none."
    )
    low: bool = Field(description="At or below its reorder point (never when not tracked).")
    updated_at: datetime | None = Field(description="Its last change; null when not tracked.")

    @classmethod
    def of(cls, level: BoxStock, catalog: BoxCatalog | None) -> BoxStockOut:
        box = _box(catalog, level.box_code)
        return cls(
            location_code=level.location_code,
            box=level.box_code,
            on_hand=level.on_hand,
            reorder_point=box.reorder_point if box else None,
            low=level.low(box) if box else False,
            updated_at=level.updated_at,
        )

    @classmethod
    def listed(cls, found: BoxLevel, catalog: BoxCatalog | None) -> BoxStockOut:
        """A box as the levels list it: its level, or not tracked."""
        if found.level is not None:
            return cls.of(found.level, catalog)
        box = _box(catalog, found.box_code)
        return cls(
            location_code=found.location_code,
            box=found.box_code,
            tracked=False,
            on_hand=None,
            reorder_point=box.reorder_point if box else None,
            low=False,
            updated_at=None,
        )


def _box(catalog: BoxCatalog | None, code: str) -> Box | None:
    return next((b for b in catalog.boxes if b.code == code), None) if catalog else None
