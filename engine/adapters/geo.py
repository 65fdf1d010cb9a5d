"""Geography for sourcing: postal-code coordinates and great-circle distance.

Coordinates come from the `zipcodes` package, which ships the US postal-code table inside
the wheel, so no lookup ever leaves the process. The table is indexed once per process on
first use; nothing is loaded at import time.
"""

from __future__ import annotations

import math
from functools import lru_cache

EARTH_RADIUS_KM = 6371.0088


@lru_cache(maxsize=1)
def _us_postal_index() -> dict[str, tuple[float, float]]:
    """Every US postal code's centroid, built once per process on first use.

    `zipcodes.matching` scans its whole table per call (about 1 ms), which was most of the
    decision's tail latency for a ship-to code not seen before; one pass builds a dict.
    """
    import zipcodes  # imported lazily: the package reads its table on import

    index: dict[str, tuple[float, float]] = {}
    for row in zipcodes.list_all():
        try:
            index.setdefault(row["zip_code"], (float(row["lat"]), float(row["long"])))
        except (KeyError, TypeError, ValueError):
            continue
    return index


def load_postal_index() -> int:
    """Build the postal-code index now (a server does this at start-up rather than in its
    first order); the number of codes indexed."""
    return len(_us_postal_index())


def postal_code_coordinates(postal_code: str, country: str = "US") -> tuple[float, float] | None:
    """(lat, lon) of a postal code's centroid, or None when the code is unknown.

    Only US codes are shipped; other countries return None so callers fall back to the
    coordinates on the address (or treat distance as unknown).
    """
    if country.upper() not in ("US", "USA"):
        return None
    code = postal_code.strip()[:5]
    if len(code) != 5 or not code.isdigit():
        return None
    return _us_postal_index().get(code)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (lat, lon) points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
