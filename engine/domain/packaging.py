"""Boxes a shipment can be packed into: the box catalogue of `rulesets/packaging/boxes.yaml`.

A box has inner dimensions, the most it may hold, its own (tare) weight and what it costs;
it may be stocked at some locations only, and may be barred from dangerous goods. The
catalogue says how dangerous goods share parcels (`HazmatMode`). `engine.pipeline.packing`
reads the catalogue and packs shipments into these boxes (docs/packaging.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from engine.domain.errors import DomainError


class PackagingError(DomainError):
    """A box catalogue that cannot be used, naming its file, the box and the field."""

    code = "invalid_box_catalogue"


class HazmatMode(StrEnum):
    """How dangerous goods (`Product.hazmat`) share parcels: the catalogue's `hazmat`.

    Carriers charge their hazmat fee per parcel holding dangerous goods, and some forbid
    packing them with anything else, so a catalogue may keep them apart."""

    MIXED = "mixed"  # with anything that fits: packing as it was before the setting
    APART = "apart"  # never with goods that are not dangerous; dangerous SKUs together
    ALONE = "alone"  # each dangerous SKU in parcels holding that SKU only


@dataclass(frozen=True, slots=True)
class Box:
    code: str
    length_cm: float
    width_cm: float
    height_cm: float
    max_weight_kg: float  # what the box may hold, its tare not counted
    tare_kg: float
    cost: float  # in the catalogue's currency
    # Location codes that stock it; empty: every location.
    locations: frozenset[str] = frozenset()
    # False: the box may not carry dangerous goods (a poly mailer, say).
    hazmat: bool = True
    # At or below this many at a location, a medium alert asks for more (`BoxStock`); None:
    # never. Read by box stock only, never by packing: the Decider assumes a stocked box is there.
    reorder_point: int | None = None
    # Its sides longest first, and its volume: what every fit test reads, worked out once.
    sides: tuple[float, float, float] = field(init=False, repr=False, compare=False)
    volume_cm3: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sides = sorted((self.length_cm, self.width_cm, self.height_cm), reverse=True)
        object.__setattr__(self, "sides", (sides[0], sides[1], sides[2]))
        object.__setattr__(self, "volume_cm3", self.length_cm * self.width_cm * self.height_cm)

    def stocked_at(self, location_code: str) -> bool:
        return not self.locations or location_code in self.locations


@dataclass(frozen=True, slots=True)
class BoxCatalog:
    """Every box, and how full a box may be packed (a share of its volume: goods are not
    liquid, and a box packed to 100% of its volume on paper does not close)."""

    boxes: tuple[Box, ...]
    fill_factor: float = 0.8
    currency: str = "USD"
    hazmat: HazmatMode = HazmatMode.MIXED
    # A location's boxes, smallest first: worked out once per location, on first use.
    _at: dict[str, tuple[Box, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def at(self, location_code: str) -> tuple[Box, ...]:
        """The boxes stocked at a location, smallest first (by volume, then cost, then code:
        the order `pack` opens them in)."""
        found = self._at.get(location_code)
        if found is None:
            stocked = [box for box in self.boxes if box.stocked_at(location_code)]
            stocked.sort(key=lambda box: (box.volume_cm3, box.cost, box.code))
            found = self._at[location_code] = tuple(stocked)
        return found


@dataclass(slots=True)
class BoxStock:
    """How many of a box a location has (docs/packaging.md#boxes-in-stock): what its people
    last counted, plus what was received since, less one for each parcel shipped in it.
    `on_hand` may be below 0: shipments leave in boxes nobody counted in, and the level says
    so until a count sets it right. `version` counts its changes."""

    location_code: str
    box_code: str
    on_hand: int
    updated_at: datetime
    version: int = 1

    def low(self, box: Box) -> bool:
        """At or below `box`'s reorder point (never when it has none)."""
        return box.reorder_point is not None and self.on_hand <= box.reorder_point
