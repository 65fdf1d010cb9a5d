"""Rate cards: what a carrier's YAML card says, and the checks it must pass to be used.

A card (under `rulesets/carriers/`, see docs/carriers.md) lists a carrier's zones (by distance
from the shipping location, overridden by ship-to postal prefix for remote areas), its services
with weight breaks per zone, transit days per zone and a daily cut-off, its surcharges
(hazmat, oversize, fuel) and, optionally, the divisor of its dimensional weight.
`rate_card_from_dict` checks every field once, as the card is read, and builds the frozen
dataclasses `engine.pipeline.carriers` quotes from.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from engine.domain.errors import DomainError


class RateCardError(DomainError):
    """A rate card that cannot be used, naming its file, its carrier and the field."""

    code = "invalid_rate_card"


@dataclass(frozen=True, slots=True)
class ServiceCard:
    carrier: str
    code: str
    name: str
    level: str
    cutoff: time
    transit_days: Mapping[int, int]
    weight_breaks_kg: tuple[float, ...]
    rates: Mapping[int, tuple[float, ...]]
    min_weight_kg: float = 0.0
    max_weight_kg: float = 70.0
    per_kg: bool = False
    minimum_charge: float = 0.0
    oversize_ok: bool = False
    # cm³ per kg (the card's unless the service gives its own); 0: weight alone is billed.
    dim_divisor: float = 0.0

    def billable_kg(self, weight_kg: float, volume_cm3: float) -> float:
        """The weight a packed parcel is billed at: its own, or its volume over the divisor
        when that is more (only parcels from a box catalogue have a volume)."""
        if self.dim_divisor and volume_cm3:
            dimensional = volume_cm3 / self.dim_divisor
            if dimensional > weight_kg:
                return dimensional
        return weight_kg

    def base_rate(self, zone: int, weight_kg: float) -> float | None:
        """Price before surcharges, or None when the weight is outside the service's range."""
        if weight_kg > self.max_weight_kg or weight_kg < self.min_weight_kg:
            return None
        row = self.rates.get(zone)
        if row is None:
            return None
        # `min` and `max` spelled as tests (what they do): this prices every service of
        # every card for every shipment.
        index = bisect.bisect_left(self.weight_breaks_kg, weight_kg)
        if index > len(row) - 1:
            index = len(row) - 1
        rate = row[index] * weight_kg if self.per_kg else row[index]
        return rate if rate > self.minimum_charge else self.minimum_charge


@dataclass(frozen=True, slots=True)
class RateCard:
    code: str
    name: str
    hazmat: bool
    zones_by_km: tuple[tuple[float, int], ...]
    zones_by_prefix: Mapping[str, int]
    services: tuple[ServiceCard, ...]
    hazmat_fee: float = 0.0
    oversize_cm: float = 0.0
    oversize_fee: float = 0.0
    fuel_percent: float = 0.0
    dim_divisor: float = 0.0
    # The distance limits of `zones_by_km` alone, built once: `zone` runs for every card on
    # every candidate location of every order, and rebuilding the list there cost a third of it.
    zone_limits: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone_limits", tuple(limit for limit, _ in self.zones_by_km))

    def zone(self, distance_km: float, postal_code: str) -> int:
        remote = self.zones_by_prefix.get(postal_code[:3])
        if remote is not None:
            return remote
        limits = self.zone_limits
        index = min(bisect.bisect_left(limits, distance_km), len(limits) - 1)
        return self.zones_by_km[index][1]


# --- parsing ---------------------------------------------------------------------------------
#
# A rate card is checked field by field as it is read, once, at load: prices must not depend
# on what Python makes of a quoted "false" or a `.nan`. Each check names the field by its path
# in the YAML (`services.ground.rates.3[0]`); `rate_card_from_dict` adds the file and carrier.

_CARD_FIELDS = ("code", "name", "hazmat", "zones", "surcharges", "dim_divisor", "services")
_ZONE_FIELDS = ("by_distance_km", "by_postal_prefix")
_SURCHARGE_FIELDS = ("hazmat", "oversize", "fuel_percent")
_OVERSIZE_FIELDS = ("longest_side_cm", "amount")
_SERVICE_FIELDS = (
    "code", "name", "level", "cutoff", "min_weight_kg", "max_weight_kg", "per_kg",
    "minimum_charge", "oversize_ok", "dim_divisor", "transit_days", "weight_breaks_kg", "rates",
)  # fmt: skip
_CUTOFF = re.compile(r"\d{1,2}:\d{2}")
_PREFIX_LENGTH = 3  # `RateCard.zone` looks up the ship-to postal code's first three characters


class _Invalid(Exception):
    """One field's problem, found while a card is read (`rate_card_from_dict` says where)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _shown(value: Any) -> str:
    """A value as the YAML that gave it reads: true, null, '9.5%' (quoted: it is text)."""
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return reprlib.repr(value)


def _fields(value: Any, path: str, known: Sequence[str], what: str) -> Mapping[str, Any]:
    """`what`, a mapping whose keys are all `known`: a misspelt field is not silently ignored."""
    if not isinstance(value, Mapping):
        raise _Invalid(path, f"expected {what}, got {_shown(value)}")
    for key in value:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected {', '.join(known)}"
            raise _Invalid(f"{path}.{key}" if path else str(key), f"unknown field ({hint})")
    return value


def _absent_is_empty(value: Any) -> Any:
    """A section written with no value (`surcharges:`) has nothing in it."""
    return {} if value is None else value


def _required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise _Invalid(path, "missing")
    return data[key]


def _number(value: Any, path: str, what: str) -> float:
    """A finite YAML number at least 0 (not a quoted one, not a boolean)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise _Invalid(path, f"expected {what} at least 0, got {_shown(value)}")
    return float(value)


def _whole(value: Any, path: str, what: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise _Invalid(
            path, f"expected {what} (a whole number at least {least}), got {_shown(value)}"
        )
    return value


def _zone(value: Any, path: str) -> int:
    return _whole(value, path, "a zone", 0)


def _flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        quoted = " (quoted, so text)" if isinstance(value, str) else ""
        raise _Invalid(path, f"expected true or false, got {_shown(value)}{quoted}")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(path, f"expected some text, got {_shown(value)}")
    return value


def _list(value: Any, path: str, what: str) -> Sequence[Any]:
    if not isinstance(value, list) or not value:
        raise _Invalid(path, f"expected a list of {what}, got {_shown(value)}")
    return value


def _cutoff(value: Any, path: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020.
        raise _Invalid(path, f'expected a time in quotes ("HH:MM"), got {value}')
    if isinstance(value, str) and _CUTOFF.fullmatch(value):
        hours, minutes = value.split(":")
        if int(hours) < 24 and int(minutes) < 60:
            return time(int(hours), int(minutes))
    raise _Invalid(path, f'expected a time as "HH:MM", got {_shown(value)}')


def _divisor(data: Mapping[str, Any], path: str, default: float) -> float:
    """A dimensional-weight divisor in cm³ per kg, above 0 (dividing by 0 bills infinity)."""
    if "dim_divisor" not in data:
        return default
    value = data["dim_divisor"]
    divisor = _number(value, path, "a divisor in cm³ per kg (such as 5000)")
    if divisor == 0:
        raise _Invalid(path, "expected a divisor in cm³ per kg (such as 5000) above 0, got 0")
    return divisor


def _zones(data: Mapping[str, Any]) -> tuple[tuple[tuple[float, int], ...], dict[str, int]]:
    zones = _fields(
        _required(data, "zones", "zones"), "zones", _ZONE_FIELDS, "a mapping with by_distance_km"
    )
    rows = _list(
        _required(zones, "by_distance_km", "zones.by_distance_km"),
        "zones.by_distance_km",
        "[limit in km, zone] pairs",
    )
    by_km: dict[float, int] = {}
    for i, row in enumerate(rows):
        path = f"zones.by_distance_km[{i}]"
        if not isinstance(row, list) or len(row) != 2:
            raise _Invalid(path, f"expected [limit in km, zone], got {_shown(row)}")
        limit = _number(row[0], f"{path}[0]", "a distance in km")
        if limit in by_km:
            raise _Invalid(f"{path}[0]", f"{row[0]} km is already the limit of zone {by_km[limit]}")
        by_km[limit] = _zone(row[1], f"{path}[1]")
    prefixes = _absent_is_empty(zones.get("by_postal_prefix"))
    if not isinstance(prefixes, Mapping):
        raise _Invalid(
            "zones.by_postal_prefix",
            f"expected a mapping of prefix to zone, got {_shown(prefixes)}",
        )
    by_prefix = {}
    for prefix, zone in prefixes.items():
        path = f"zones.by_postal_prefix.{prefix}"
        if not isinstance(prefix, str) or len(prefix) != _PREFIX_LENGTH:
            raise _Invalid(
                path,
                f"expected the first {_PREFIX_LENGTH} characters of a postal code, in quotes, "
                f"got {_shown(prefix)}",
            )
        by_prefix[prefix] = _zone(zone, path)
    # Sorted, as a person may list the distances in any order; each limit appears once.
    return tuple(sorted(by_km.items())), by_prefix


def _surcharges(data: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """(hazmat fee, oversize longest side in cm, oversize fee, fuel percent)."""
    surcharges = _fields(
        _absent_is_empty(data.get("surcharges")),
        "surcharges",
        _SURCHARGE_FIELDS,
        "a mapping of fees",
    )
    oversize_cm = oversize_fee = 0.0
    if "oversize" in surcharges:
        path = "surcharges.oversize"
        oversize = _fields(
            surcharges["oversize"],
            path,
            _OVERSIZE_FIELDS,
            "a mapping of longest_side_cm and amount",
        )
        oversize_cm = _number(
            _required(oversize, "longest_side_cm", f"{path}.longest_side_cm"),
            f"{path}.longest_side_cm",
            "a length in cm",
        )
        oversize_fee = _number(
            _required(oversize, "amount", f"{path}.amount"), f"{path}.amount", "an amount of USD"
        )
    return (
        _number(surcharges.get("hazmat", 0.0), "surcharges.hazmat", "an amount of USD"),
        oversize_cm,
        oversize_fee,
        _number(surcharges.get("fuel_percent", 0.0), "surcharges.fuel_percent", "a percentage"),
    )


def _by_zone(value: Any, path: str, what: str) -> Mapping[int, Any]:
    if not isinstance(value, Mapping) or not value:
        raise _Invalid(path, f"expected a mapping of zone to {what}, got {_shown(value)}")
    for zone in value:
        _zone(zone, f"{path}.{zone}")
    return value


def _service(
    carrier: str, path: str, data: Mapping[str, Any], zones: Iterable[int], dim_divisor: float
) -> ServiceCard:
    """One service of a card whose zones (by distance and by postal prefix) are `zones` and
    whose dimensional-weight divisor, unless the service gives its own, is `dim_divisor`."""
    data = _fields(data, path, _SERVICE_FIELDS, "a service (a mapping with code, rates, ...)")
    code = _text(_required(data, "code", f"{path}.code"), f"{path}.code")
    path = f"services.{code}"
    breaks_path = f"{path}.weight_breaks_kg"
    weights = _list(_required(data, "weight_breaks_kg", breaks_path), breaks_path, "weights in kg")
    breaks = tuple(
        _number(b, f"{breaks_path}[{i}]", "a weight in kg") for i, b in enumerate(weights)
    )
    for i in range(1, len(breaks)):
        if breaks[i] <= breaks[i - 1]:
            raise _Invalid(
                f"{breaks_path}[{i}]",
                f"{weights[i]} kg is not above the break before it ({weights[i - 1]} kg): "
                "breaks go up, lightest first",
            )
    per_kg = _flag(data.get("per_kg", False), f"{path}.per_kg")
    unit = "an amount of USD per kg" if per_kg else "an amount of USD"
    rows = _by_zone(_required(data, "rates", f"{path}.rates"), f"{path}.rates", "rates")
    rates = {}
    for zone, row in rows.items():
        at = f"{path}.rates.{zone}"
        if not isinstance(row, list) or len(row) != len(breaks):
            got = f"{len(row)} rates" if isinstance(row, list) else _shown(row)
            raise _Invalid(at, f"expected {len(breaks)} rates (one per weight break), got {got}")
        rates[zone] = tuple(_number(r, f"{at}[{i}]", unit) for i, r in enumerate(row))
    days = _by_zone(
        _required(data, "transit_days", f"{path}.transit_days"), f"{path}.transit_days", "days"
    )
    transit = {
        zone: _whole(d, f"{path}.transit_days.{zone}", "a number of business days", 1)
        for zone, d in days.items()
    }
    for zone in sorted(set(zones)):
        for table, given in (("rates", rates), ("transit_days", transit)):
            if zone not in given:
                raise _Invalid(
                    f"{path}.{table}", f"zone {zone} is missing (the card's zones use it)"
                )
    min_weight = _number(data.get("min_weight_kg", 0.0), f"{path}.min_weight_kg", "a weight in kg")
    max_weight = _number(
        data.get("max_weight_kg", breaks[-1]), f"{path}.max_weight_kg", "a weight in kg"
    )
    if max_weight < min_weight:
        raise _Invalid(
            f"{path}.max_weight_kg",
            f"{max_weight:g} kg is below min_weight_kg ({min_weight:g} kg): "
            "the service would carry nothing",
        )
    return ServiceCard(
        carrier=carrier,
        code=code,
        name=_text(data.get("name", code), f"{path}.name"),
        level=_text(data.get("level", "ground"), f"{path}.level"),
        cutoff=_cutoff(data.get("cutoff", "17:00"), f"{path}.cutoff"),
        transit_days=transit,
        weight_breaks_kg=breaks,
        rates=rates,
        min_weight_kg=min_weight,
        max_weight_kg=max_weight,
        per_kg=per_kg,
        minimum_charge=_number(data.get("minimum_charge", 0.0), f"{path}.minimum_charge", unit),
        oversize_ok=_flag(data.get("oversize_ok", False), f"{path}.oversize_ok"),
        dim_divisor=_divisor(data, f"{path}.dim_divisor", dim_divisor),
    )


def _services(
    code: str, data: Mapping[str, Any], zones: Iterable[int], dim_divisor: float
) -> tuple[ServiceCard, ...]:
    listed = _list(_required(data, "services", "services"), "services", "services")
    services: list[ServiceCard] = []
    for i, item in enumerate(listed):
        service = _service(code, f"services[{i}]", item, zones, dim_divisor)
        for j, earlier in enumerate(services):
            if earlier.code == service.code:
                raise _Invalid(
                    f"services[{i}].code", f"'{service.code}' is already the code of services[{j}]"
                )
        services.append(service)
    return tuple(services)


def _rate_card(data: Any) -> RateCard:
    data = _fields(data, "", _CARD_FIELDS, "a rate card (a mapping with code, zones, ...)")
    code = _text(_required(data, "code", "code"), "code")
    by_km, by_prefix = _zones(data)
    hazmat_fee, oversize_cm, oversize_fee, fuel_percent = _surcharges(data)
    used = {zone for _, zone in by_km} | set(by_prefix.values())
    dim_divisor = _divisor(data, "dim_divisor", 0.0)
    return RateCard(
        code=code,
        name=_text(data.get("name", code), "name"),
        hazmat=_flag(data.get("hazmat", False), "hazmat"),
        zones_by_km=by_km,
        zones_by_prefix=by_prefix,
        services=_services(code, data, used, dim_divisor),
        hazmat_fee=hazmat_fee,
        oversize_cm=oversize_cm,
        oversize_fee=oversize_fee,
        fuel_percent=fuel_percent,
        dim_divisor=dim_divisor,
    )


def rate_card_from_dict(data: Mapping[str, Any], source: str | None = None) -> RateCard:
    """Build a rate card from parsed YAML, or RateCardError naming `source` (its file), the
    carrier and the field: `parcelline.yaml: carrier PCL: services.ground.rates.3[0]: ...`."""
    try:
        return _rate_card(data)
    except _Invalid as problem:
        code = data.get("code") if isinstance(data, Mapping) else None
        where = [source] if source else []
        if isinstance(code, str) and code.strip():
            where.append(f"carrier {code}")
        if problem.path:
            where.append(problem.path)
        raise RateCardError(": ".join([*where, problem.reason])) from None
