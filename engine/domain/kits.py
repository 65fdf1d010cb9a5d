"""A kit's line of a shop's order, against the parts Ordo filed it as.

Ordo files a line naming a kit (line `7`: 2 GIFTSETs, each a MUG and 2 TEAs) as one line per
component (`7.1`: 2 MUG, `7.2`: 4 TEA), and each part keeps the kit's shape
(`OrderLine.kit`: the kit's SKU, its units per kit and the kits ordered). The shop knows its
line `7` alone, counted in kits. These functions say how units of the one are units of the
other: k kits the shop cancels are k times each part's units per kit; units Ordo cancels of
the parts are whole kits only once every part has given up its share of them, so the shop is
never told of a part of a kit. Units returned of the parts are likewise whole kits only when
every part came back in the same number of kits.

Parts filed before Ordo kept the shape have no `kit` and are no kit's part here: their units
are left alone, as they were before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from engine.domain.orders import OrderLine


def kit_parts(lines: Iterable[OrderLine]) -> dict[str, list[OrderLine]]:
    """The kit parts among `lines`, by the id of the kit's line they were filed for."""
    found: dict[str, list[OrderLine]] = {}
    for line in lines:
        if line.kit_line:
            found.setdefault(line.kit_line, []).append(line)
    return found


def _left(line: OrderLine) -> int:
    return max(line.quantity - line.quantity_cancelled, 0)


def _per_kit(line: OrderLine) -> int:
    assert line.kit is not None  # kit_parts hands out parts with a shape only
    return line.kit.units


def kit_sku(parts: Sequence[OrderLine]) -> str:
    """The SKU of the kit the parts were filed for."""
    return next(line.kit.sku for line in parts if line.kit is not None)


def whole_kits_left(parts: Sequence[OrderLine]) -> int:
    """Kits every part can still give up whole: the fewest of any part's units left per kit."""
    return min((_left(line) // _per_kit(line) for line in parts), default=0)


def live_kits(parts: Sequence[OrderLine]) -> int:
    """Kits not cancelled whole: a kit lives while any of its parts has a unit of it left
    (a part removed from the order has none)."""
    return max((-(-_left(line) // _per_kit(line)) for line in parts), default=0)


def kits_ordered(parts: Sequence[OrderLine], removed: Mapping[str, int], kit_line: str) -> int:
    """How many kits the kit's line ordered: its parts' shape, or, every part removed, what
    the removal said (`order.modified`'s `removed_kits`)."""
    for line in parts:
        if line.kit is not None:
            return line.kit.kits
    return int(removed.get(kit_line, 0))


def kits_cancelled(parts: Sequence[OrderLine], ordered: int) -> int:
    """Whole kits of the line cancelled so far, by whatever took their units off (lowered or
    removed parts, cancelled remainders): never a kit some part still has units of."""
    return max(ordered - live_kits(parts), 0)


def units_for(parts: Sequence[OrderLine], kits: int) -> dict[str, int]:
    """The units of each part that `kits` whole kits are."""
    return {line.id: kits * _per_kit(line) for line in parts}


def whole_kits_in(parts: Sequence[OrderLine], units: Mapping[str, int]) -> int:
    """How many whole kits `units` (by part id: units returned, say) of the kit's parts are:
    every part in multiples of its units per kit, the same number of kits for each; 0 when
    they are no whole kits (a part left out, a TEA without its MUG, one kit and a half)."""
    kits: set[int] = set()
    for line in parts:
        given, per_kit = units.get(line.id, 0), _per_kit(line)
        kits.add(given // per_kit if given % per_kit == 0 else 0)
    return kits.pop() if len(kits) == 1 else 0


def as_kit_lines(lines: Iterable[OrderLine], units: Mapping[str, int]) -> dict[str, int]:
    """The kits' lines whose parts `units` (by line id) make whole kits, with how many: the
    shop's line `7` and its kits for units of its parts `7.1`, `7.2`. A part's units that make
    no whole kit, and lines that are no kit's part, are left out."""
    found = {
        kit_line: whole_kits_in(parts, units)
        for kit_line, parts in kit_parts(lines).items()
        if any(line.id in units for line in parts)
    }
    return {kit_line: kits for kit_line, kits in found.items() if kits > 0}
