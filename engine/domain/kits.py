"""A kit's line of a shop's order, against the parts Ordo filed it as.

Ordo files a line naming a kit (line `7`: 2 GIFTSETs, each a MUG and 2 TEAs) as one line per
component (`7.1`: 2 MUG, `7.2`: 4 TEA), and each part keeps the kit's shape
(`OrderLine.kit`: the kit's SKU, its units per kit and the kits ordered). The shop knows its
line `7` alone, counted in kits. These functions say how units of the one are units of the
other: k kits the shop cancels are k times each part's units per kit; units Ordo cancels of
the parts are whole kits only once every part has given up its share of them, so the shop is
never told of a part of a kit. The shop lowering its line to n kits leaves each part at n kits'
worth (a part support lowered below that keeps what it has), so whole kits stay whole. Units
returned of the parts are likewise whole kits only when every part of the kit came back in the
same number of kits: a part removed from the order never comes back, so its kit never does.

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


def units_above(parts: Sequence[OrderLine], kits: int) -> dict[str, int]:
    """The units each part has left beyond `kits` whole kits: what comes off for the kit's
    line to hold `kits` (a part with no more than that gives none). Counted per part, not as
    whole kits off every part, so a part support lowered before is not taken below its
    partners: 3 GIFTSETs whose TEAs were lowered to 5, down to 2 kits, lose 1 MUG and 1 TEA."""
    return {line.id: _left(line) - kits * _per_kit(line) for line in parts
            if _left(line) > kits * _per_kit(line)}  # fmt: skip


def _has_every_part(parts: Sequence[OrderLine], components: int) -> bool:
    """Whether `parts` are all the kit's parts (`<line>.1` to `<line>.<n>`, one per of its
    `components`, 0 when unknown): none was removed from the order."""
    numbers = {line.id.rpartition(".")[2] for line in parts}
    return numbers == {str(n) for n in range(1, max(components, len(parts)) + 1)}


def whole_kits_in(parts: Sequence[OrderLine], units: Mapping[str, int], components: int = 0) -> int:
    """How many whole kits `units` (by part id: units returned, say) of the kit's parts are:
    every part in multiples of its units per kit, the same number of kits for each; 0 when
    they are no whole kits (a part left out, a TEA without its MUG, one kit and a half, or a
    kit one of whose parts was removed from the order: `parts` fewer than the kit's
    `components`, or a gap in their numbers)."""
    if not _has_every_part(parts, components):
        return 0
    kits: set[int] = set()
    for line in parts:
        given, per_kit = units.get(line.id, 0), _per_kit(line)
        kits.add(given // per_kit if given % per_kit == 0 else 0)
    return kits.pop() if len(kits) == 1 else 0


def as_kit_lines(
    lines: Iterable[OrderLine], units: Mapping[str, int], components: Mapping[str, int]
) -> dict[str, int]:
    """The kits' lines whose parts `units` (by line id) make whole kits, with how many: the
    shop's line `7` and its kits for units of its parts `7.1`, `7.2`. A part's units that make
    no whole kit, and lines that are no kit's part, are left out. `components` are how many
    parts each kit (by SKU) has, as the catalogue says: a kit with a part fewer on the order
    (removed) makes no whole kit."""
    found = {
        kit_line: whole_kits_in(parts, units, components.get(kit_sku(parts), 0))
        for kit_line, parts in kit_parts(lines).items()
        if any(line.id in units for line in parts)
    }
    return {kit_line: kits for kit_line, kits in found.items() if kits > 0}
