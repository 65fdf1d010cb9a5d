"""Units of the quantity literals (`2 lb`, `30 mi`, `3 days`, `50 USD`).

Literals are converted to the base unit of their dimension when the ruleset is parsed, so the
runners only ever see plain numbers (kg, km) or `timedelta`s. Currencies are not converted into
one another: an exchange rate is a business fact, not a constant, so the checker refuses to compare
amounts in different currencies instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re

MASS = "mass"
LENGTH = "length"
DURATION = "duration"
MONEY = "money"

# unit spelling -> (dimension, factor to the base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "kg": (MASS, 1.0),
    "g": (MASS, 0.001),
    "lb": (MASS, 0.45359237),
    "lbs": (MASS, 0.45359237),
    "oz": (MASS, 0.028349523125),
    "km": (LENGTH, 1.0),
    "m": (LENGTH, 0.001),
    "mi": (LENGTH, 1.609344),
    "second": (DURATION, 1.0),
    "seconds": (DURATION, 1.0),
    "minute": (DURATION, 60.0),
    "minutes": (DURATION, 60.0),
    "hour": (DURATION, 3600.0),
    "hours": (DURATION, 3600.0),
    "day": (DURATION, 86400.0),
    "days": (DURATION, 86400.0),
    "week": (DURATION, 604800.0),
    "weeks": (DURATION, 604800.0),
}

BASE_UNIT = {MASS: "kg", LENGTH: "km"}

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def known_units() -> list[str]:
    return sorted(_UNITS)


def resolve(unit: str) -> tuple[str, float, str] | None:
    """Return (dimension, factor, currency) for a unit spelling, or None if it is unknown.

    Any three capital letters are taken as an ISO 4217 currency code (`USD`, `EUR`, `GBP`).
    """
    if unit in _UNITS:
        dimension, factor = _UNITS[unit]
        return dimension, factor, ""
    if _CURRENCY.match(unit):
        return MONEY, 1.0, unit
    return None


def convert(number: float, unit: str) -> tuple[object, str, str]:
    """Convert `number unit` to (base value, dimension, currency).

    Durations become `timedelta`; masses and lengths floats in kg / km; money stays as written.
    """
    resolved = resolve(unit)
    if resolved is None:
        raise KeyError(unit)
    dimension, factor, currency = resolved
    if dimension == DURATION:
        return dt.timedelta(seconds=number * factor), dimension, ""
    if dimension == MONEY:
        return number, dimension, currency
    return number * factor, dimension, ""
