"""Geography for sourcing: postal-code coordinates and great-circle distance.

Coordinates come from the `zipcodes` package, which ships the US postal-code table inside
the wheel, so no lookup ever leaves the process. Lookups are cached per postal code on first
use; nothing is loaded at import time.
"""

from __future__ import annotations

import math
from functools import lru_cache

EARTH_RADIUS_KM = 6371.0088


@lru_cache(maxsize=65536)
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
    import zipcodes  # imported lazily: the package reads its table on import

    try:
        matches = zipcodes.matching(code)
    except (TypeError, ValueError):
        return None
    if not matches:
        return None
    return float(matches[0]["lat"]), float(matches[0]["long"])


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (lat, lon) points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
