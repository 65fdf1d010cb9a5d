"""Cartonization: a shipment's units packed into the boxes of its location (docs/packaging.md).

`pack` is pure and deterministic: first fit decreasing by volume. Units go largest first into
the first open box with room for them; when none has room, the smallest box (by volume, then
cost, then code) the unit fits is opened; a unit no box takes ships alone, in its own
packaging. Units of one SKU are placed by the count at once, never one object per unit.
The catalogue's `hazmat` mode narrows which open boxes a dangerous unit (or a unit beside
dangerous ones) may join, and a box marked `hazmat: false` takes no dangerous unit at all.

`box_catalog_from_dict` checks a box catalogue field by field as it is read, with the rate
cards' checks, so its errors read like theirs; `load_packaging` reads the file at start-up
(`ORDO_PACKAGING_FILE`), never at import.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.domain.catalog import Product
from engine.domain.fulfilment import Parcel
from engine.domain.packaging import Box, BoxCatalog, HazmatMode, PackagingError

# The rate cards' field checks: a box catalogue is edited by hand like a card, and its
# errors should read the same way (`boxes.M.length_cm: expected ...`).
from engine.pipeline.ratecards import (
    _fields,
    _flag,
    _Invalid,
    _list,
    _number,
    _required,
    _shown,
    _text,
    _whole,
)

__all__ = [
    "Item",
    "PackedParcel",
    "Packing",
    "box_catalog_from_dict",
    "load_packaging",
    "pack",
]

# Room left that rounding of sums of volumes and weights may eat: a box filled exactly to its
# limit on paper must not be refused for the last ulp.
_EPS = 1e-9


@dataclass(slots=True)
class Item:
    """`count` units of one SKU, as packing sees them: sides longest first, volume, weight."""

    sku: str
    count: int
    weight_kg: float
    sides: tuple[float, float, float]
    hazmat: bool = False

    @property
    def volume_cm3(self) -> float:
        return self.sides[0] * self.sides[1] * self.sides[2]

    @classmethod
    def of(cls, sku: str, count: int, product: Product | None) -> Item:
        """An order line's units; an unknown product weighs nothing and takes no room."""
        if product is None:
            return cls(sku, count, 0.0, (0.0, 0.0, 0.0))
        dims = product.dimensions
        sides = sorted((dims.length_cm, dims.width_cm, dims.height_cm), reverse=True)
        return cls(sku, count, product.weight_kg, (sides[0], sides[1], sides[2]), product.hazmat)


# Not frozen, like the pipeline's other per-order records; treat it as read-only once packed.
@dataclass(slots=True)
class PackedParcel:
    """One parcel: a box (None: a unit in its own packaging) and the units in it."""

    box: Box | None
    units: dict[str, int]
    weight_kg: float  # the units', without the box
    volume_cm3: float  # the units' (the box's fill)
    hazmat: bool
    # Outer sides, longest first: the box's (its walls are not counted), or the unit's own.
    sides: tuple[float, float, float]

    @property
    def gross_weight_kg(self) -> float:
        return self.weight_kg + (self.box.tare_kg if self.box else 0.0)

    @property
    def outer_volume_cm3(self) -> float:
        """What dimensional weight is worked out from."""
        return self.sides[0] * self.sides[1] * self.sides[2]

    @property
    def longest_side_cm(self) -> float:
        return self.sides[0]

    @property
    def fill(self) -> float | None:
        """The share of the box's volume its units take (None without a box)."""
        if self.box is None or not self.box.volume_cm3:
            return None
        return self.volume_cm3 / self.box.volume_cm3

    def to_trace(self) -> dict[str, Any]:
        fill = self.fill
        return {
            "box": self.box.code if self.box else None,
            "units": dict(self.units),
            "fill": None if fill is None else round(fill, 3),
            "gross_weight_kg": round(self.gross_weight_kg, 3),
            "dimensions_cm": [round(side, 1) for side in self.sides],
        }

    def stored(self, billable_kg: float | None) -> Parcel:
        """The parcel as its shipment keeps it, rounded as the trace shows it, with the
        weight the chosen service bills it at (None: no service could take it)."""
        length, width, height = (round(side, 1) for side in self.sides)
        return Parcel(
            box=self.box.code if self.box else "",
            length_cm=length,
            width_cm=width,
            height_cm=height,
            weight_kg=round(self.gross_weight_kg, 3),
            billable_weight_kg=None if billable_kg is None else round(billable_kg, 3),
            # By SKU: PostgreSQL's JSONB keeps no key order, so the stored order is this one.
            units=dict(sorted(self.units.items())),
        )


@dataclass(slots=True)
class Packing:
    """A shipment packed: its parcels in the order they were opened."""

    parcels: tuple[PackedParcel, ...]

    @property
    def box_cost(self) -> float:
        return round(sum(p.box.cost for p in self.parcels if p.box), 2)

    @property
    def gross_weight_kg(self) -> float:
        return sum(p.gross_weight_kg for p in self.parcels)

    @property
    def hazmat(self) -> bool:
        return any(p.hazmat for p in self.parcels)

    def to_trace(self) -> dict[str, Any]:
        return {
            "parcels": [parcel.to_trace() for parcel in self.parcels],
            "box_cost": self.box_cost,
        }


def _fits(item: Item, sides: tuple[float, float, float]) -> bool:
    """Whether the unit goes into a box of these sides, turned any way square to them."""
    a, b, c = item.sides
    return a <= sides[0] and b <= sides[1] and c <= sides[2]


def _how_many(room: float, each: float, wanted: int) -> int:
    """How many of `wanted` units of `each` (kg or cm³) fit in `room`: all, when a unit
    takes none of it (a product without dimensions takes no volume)."""
    if each <= 0.0:
        return wanted
    fit = int((room + _EPS) / each)
    return wanted if fit > wanted else max(fit, 0)


def _room(parcel: PackedParcel, item: Item, wanted: int, fill_factor: float) -> int:
    """How many of the item's `wanted` units the box of `parcel` still takes."""
    box = parcel.box
    if box is None or (item.hazmat and not box.hazmat) or not _fits(item, box.sides):
        return 0
    by_volume = _how_many(box.volume_cm3 * fill_factor - parcel.volume_cm3, item.volume_cm3, wanted)
    if not by_volume:
        return 0
    return _how_many(box.max_weight_kg - parcel.weight_kg, item.weight_kg, by_volume)


def _put(parcel: PackedParcel, item: Item, count: int) -> None:
    parcel.units[item.sku] = parcel.units.get(item.sku, 0) + count
    parcel.weight_kg += item.weight_kg * count
    parcel.volume_cm3 += item.volume_cm3 * count
    parcel.hazmat = parcel.hazmat or item.hazmat


def _may_share(parcel: PackedParcel, item: Item, hazmat: HazmatMode) -> bool:
    """Whether the item's units may join the parcel's units under a mode other than MIXED."""
    if parcel.hazmat != item.hazmat:
        return False
    # Dangerous with dangerous: any SKU when apart; alone, a parcel holds one dangerous SKU.
    return hazmat == HazmatMode.APART or not item.hazmat or item.sku in parcel.units


def pack(
    items: Sequence[Item],
    boxes: Sequence[Box],
    fill_factor: float = 0.8,
    hazmat: HazmatMode = HazmatMode.MIXED,
) -> Packing:
    """The items packed into `boxes` (a location's, smallest first: `BoxCatalog.at`), with
    dangerous goods kept as the catalogue's `hazmat` says."""
    # Largest first; then heaviest, then by SKU, so equal inputs always pack alike.
    ordered = sorted(items, key=lambda item: (-item.volume_cm3, -item.weight_kg, item.sku))
    # Mixed (the default) asks nothing more of an open box than room, as before the mode.
    separate = hazmat != HazmatMode.MIXED
    parcels: list[PackedParcel] = []
    for item in ordered:
        left = item.count
        # First fit: a unit that did not fit an open box will not fit it later either (it
        # only fills up), so each open box is offered the item's remaining units once. A
        # box it may not share stays so: what it holds decides, and that only grows.
        for parcel in parcels:
            if left <= 0:
                break
            if separate and not _may_share(parcel, item, hazmat):
                continue
            taken = _room(parcel, item, left, fill_factor)
            if taken:
                _put(parcel, item, taken)
                left -= taken
        while left > 0:
            opened = _opened(item, boxes, fill_factor)
            if opened is None:
                # No box takes it: each unit ships alone, as it came from its maker.
                parcels.extend(_alone(item) for _ in range(left))
                break
            taken = _room(opened, item, left, fill_factor)
            _put(opened, item, taken)
            parcels.append(opened)
            left -= taken
    return Packing(tuple(parcels))


def _opened(item: Item, boxes: Sequence[Box], fill_factor: float) -> PackedParcel | None:
    """An empty parcel in the first (smallest) box that takes one unit of the item."""
    for box in boxes:
        parcel = PackedParcel(box, {}, 0.0, 0.0, False, box.sides)
        if _room(parcel, item, 1, fill_factor):
            return parcel
    return None


def _alone(item: Item) -> PackedParcel:
    return PackedParcel(
        None, {item.sku: 1}, item.weight_kg, item.volume_cm3, item.hazmat, item.sides
    )


# --- reading the catalogue --------------------------------------------------------------------

_CATALOG_FIELDS = ("currency", "fill_factor", "hazmat", "boxes")
_BOX_FIELDS = (
    "code", "length_cm", "width_cm", "height_cm", "max_weight_kg", "tare_kg", "cost", "locations",
    "hazmat", "reorder_point",
)  # fmt: skip
_HAZMAT_MODES = tuple(mode.value for mode in HazmatMode)
_REORDER_POINT = "the boxes left at a location that ask for more"
# Box costs are added to rate-card prices, which are in USD (docs/carriers.md).
_CURRENCY = "USD"


def _above_zero(value: Any, path: str, what: str) -> float:
    try:
        number = _number(value, path, what)
    except _Invalid:
        number = 0.0
    if number == 0:
        raise _Invalid(path, f"expected {what} above 0, got {_shown(value)}")
    return number


def _locations(value: Any, path: str) -> frozenset[str]:
    codes = _list(value, path, "location codes")
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        text = _text(code, f"{path}[{i}]")
        if text in seen:
            raise _Invalid(f"{path}[{i}]", f"'{text}' is already listed at [{seen[text]}]")
        seen[text] = i
    return frozenset(seen)


def _box(data: Any, path: str) -> Box:
    data = _fields(data, path, _BOX_FIELDS, "a box (a mapping with code, length_cm, ...)")
    code = _text(_required(data, "code", f"{path}.code"), f"{path}.code")
    path = f"boxes.{code}"

    def measure(name: str, what: str, least_above_zero: bool = True) -> float:
        at = f"{path}.{name}"
        value = _required(data, name, at)
        return _above_zero(value, at, what) if least_above_zero else _number(value, at, what)

    return Box(
        code=code,
        length_cm=measure("length_cm", "a length in cm"),
        width_cm=measure("width_cm", "a length in cm"),
        height_cm=measure("height_cm", "a length in cm"),
        max_weight_kg=measure("max_weight_kg", "a weight in kg"),
        tare_kg=measure("tare_kg", "a weight in kg", least_above_zero=False),
        cost=round(measure("cost", f"an amount of {_CURRENCY}", least_above_zero=False), 2),
        locations=(
            _locations(data["locations"], f"{path}.locations")
            if "locations" in data
            else frozenset()
        ),
        hazmat=_flag(data.get("hazmat", True), f"{path}.hazmat"),
        reorder_point=(
            _whole(data["reorder_point"], f"{path}.reorder_point", _REORDER_POINT, 0)
            if data.get("reorder_point") is not None
            else None
        ),
    )


def _hazmat_mode(value: Any) -> HazmatMode:
    """The catalogue's `hazmat`: one of the modes' names, the nearest suggested when misspelt."""
    if isinstance(value, str) and value in _HAZMAT_MODES:
        return HazmatMode(value)
    close = difflib.get_close_matches(value, _HAZMAT_MODES, n=1) if isinstance(value, str) else []
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise _Invalid(
        "hazmat",
        f"expected mixed, apart or alone (how dangerous goods share parcels), "
        f"got {_shown(value)}{hint}",
    )


def _catalog(data: Any) -> BoxCatalog:
    data = _fields(data, "", _CATALOG_FIELDS, "a box catalogue (a mapping with boxes, ...)")
    currency = data.get("currency", _CURRENCY)
    if currency != _CURRENCY:
        raise _Invalid(
            "currency",
            f"expected {_CURRENCY} (box costs are added to the rate cards' prices, which are "
            f"in {_CURRENCY}), got {_shown(currency)}",
        )
    given = data.get("fill_factor", 0.8)
    what = "a share of the box's volume above 0 and at most 1 (such as 0.8)"
    fill_factor = _number(given, "fill_factor", what)
    if not 0 < fill_factor <= 1:
        raise _Invalid("fill_factor", f"expected {what}, got {_shown(given)}")
    hazmat = _hazmat_mode(data.get("hazmat", HazmatMode.MIXED.value))
    listed = _list(_required(data, "boxes", "boxes"), "boxes", "boxes")
    boxes: dict[str, tuple[Box, int]] = {}
    for i, item in enumerate(listed):
        box = _box(item, f"boxes[{i}]")
        if box.code in boxes:
            raise _Invalid(
                f"boxes[{i}].code",
                f"'{box.code}' is already the code of boxes[{boxes[box.code][1]}]",
            )
        boxes[box.code] = (box, i)
    return BoxCatalog(tuple(box for box, _ in boxes.values()), fill_factor, _CURRENCY, hazmat)


def box_catalog_from_dict(data: Mapping[str, Any], source: str | None = None) -> BoxCatalog:
    """Build a box catalogue from parsed YAML, or PackagingError naming `source` (its file)
    and the field: `boxes.yaml: boxes.M.max_weight_kg: expected a weight in kg above 0, ...`."""
    try:
        return _catalog(data)
    except _Invalid as problem:
        where = [source] if source else []
        if problem.path:
            where.append(problem.path)
        raise PackagingError(": ".join([*where, problem.reason])) from None


def load_packaging(path: Path) -> BoxCatalog:
    """Read and check the box catalogue at `path` (called at start-up, never at import)."""
    from dsl.tooling import read_yaml

    # Edited by hand: say why it cannot be read, or where it stops being YAML.
    data = read_yaml(path, PackagingError)
    if not isinstance(data, dict):
        raise PackagingError(f"{path}: a box catalogue must be a mapping with boxes")
    return box_catalog_from_dict(data, str(path))
