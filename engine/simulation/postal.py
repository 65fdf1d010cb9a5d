"""Postal-code coordinates for an import: the pipeline's lookup, or one table for big imports.

`engine.adapters.geo.postal_code_coordinates` asks the `zipcodes` package per code, about a
millisecond for each new code, which is right for the pipeline (a few codes per order, cached)
but adds minutes to an import of a million orders with tens of thousands of distinct codes.
After `TABLE_AFTER` distinct codes an import builds the whole US table once (about half a
second) and looks codes up in it; the answers are the same (the first entry for the code).
"""

from __future__ import annotations

from functools import cache

from engine.adapters.geo import postal_code_coordinates

TABLE_AFTER = 500
Point = tuple[float, float]


class PostalLookup:
    """Coordinates of ship-to and location postal codes during one import."""

    def __init__(self, table_after: int = TABLE_AFTER) -> None:
        self.table_after = table_after
        self._known: dict[tuple[str, str], Point | None] = {}
        self._table: dict[str, Point] | None = None

    def __call__(self, postal_code: str, country: str = "US") -> Point | None:
        key = (postal_code, country)
        if key in self._known:
            return self._known[key]
        if self._table is None and len(self._known) >= self.table_after:
            self._table = us_table()
        if self._table is not None and country.upper() in ("US", "USA"):
            code = postal_code.strip()[:5]
            point = self._table.get(code) if len(code) == 5 and code.isdigit() else None
        else:
            point = postal_code_coordinates(postal_code, country)
        self._known[key] = point
        return point


@cache
def us_table() -> dict[str, Point]:
    """Every US postal code -> (lat, lon) of its first entry, as `zipcodes.matching` gives it."""
    import zipcodes  # lazily: the package loads its table on import

    table: dict[str, Point] = {}
    for entry in zipcodes.list_all():
        if entry["lat"] and entry["long"]:
            table.setdefault(entry["zip_code"], (float(entry["lat"]), float(entry["long"])))
    return table
