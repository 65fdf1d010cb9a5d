"""Carrier rate cards, quotes and promise dates.

A rate card (YAML under `rulesets/carriers/`) lists a carrier's zones (by distance from the
shipping location, overridden by ship-to postal prefix for remote areas), its services with
weight breaks per zone, transit days per zone and a daily cut-off, and its surcharges
(hazmat, oversize, fuel). Parsing builds frozen dataclasses once; quoting is pure arithmetic
so the Decider can price every candidate shipment on every order.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from engine.domain.errors import DomainError


class RateCardError(DomainError):
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


# Not frozen (hashed by value, as before): a frozen dataclass sets each field through
# `object.__setattr__`, and every planned shipment builds one. Treat it as read-only.
@dataclass(slots=True, unsafe_hash=True)
class Parcel:
    """What a planned shipment weighs and where it goes: all a rate card needs."""

    weight_kg: float
    distance_km: float
    postal_code: str
    hazmat: bool = False
    longest_side_cm: float = 0.0


@dataclass(frozen=True, slots=True)
class Quote:
    carrier: str
    carrier_name: str
    service: str
    level: str
    zone: int
    rate: float
    transit_days: int
    ship_date: date
    promised_date: date
    hazmat_ok: bool
    surcharges: Mapping[str, float] = field(default_factory=dict)
    # "carrier/service", and the facts carrier rules see: built once per quote, because a
    # memo of `CarrierCatalog.quotes` hands one quote to many shipments.
    label: str = field(init=False, repr=False, compare=False)
    _facts: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.carrier}/{self.service}")

    def facts(self) -> dict[str, Any]:
        """The `carrier` candidate as carrier rules see it (one dict per quote: read only)."""
        facts = self._facts
        if facts is None:
            facts = self._describe()
            object.__setattr__(self, "_facts", facts)
        return facts

    def _describe(self) -> dict[str, Any]:
        return {
            "code": self.carrier,
            "name": self.carrier_name,
            "service": self.service,
            "level": self.level,
            "zone": self.zone,
            "rate": self.rate,
            "transit_days": self.transit_days,
            "ship_date": self.ship_date,
            "promised_date": self.promised_date,
            "hazmat_ok": self.hazmat_ok,
        }


# Cached: every quote of every planned shipment asks for the same few (day, transit) pairs.
@functools.lru_cache(maxsize=4096)
def add_business_days(day: date, days: int) -> date:
    """Carriers do not move parcels at weekends."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def ship_date(now: datetime, cutoff: time) -> date:
    """The day a parcel leaves: today before the cut-off on a weekday, else the next weekday."""
    # Keyed by the local date and time, not `now`: aware datetimes at one instant in two
    # zones are equal (and hash alike) but fall on different days and hours.
    return _ship_date(now.date(), now.time(), cutoff)


# Cached: a shipment's services share a few cut-offs, and `now` repeats within an order.
@functools.lru_cache(maxsize=1024)
def _ship_date(today: date, clock: time, cutoff: time) -> date:
    if today.weekday() < 5 and clock < cutoff:
        return today
    return add_business_days(today + timedelta(days=1), 0)


def quote(
    card: RateCard,
    service: ServiceCard,
    parcel: Parcel,
    now: datetime,
    location_cutoff: time | None = None,
) -> Quote | None:
    """Price one service for one parcel, or None when the service cannot carry it."""
    if parcel.hazmat and not card.hazmat:
        return None
    zone = card.zone(parcel.distance_km, parcel.postal_code)
    return _quote(card, zone, service, parcel, now, location_cutoff)


def _quote(
    card: RateCard,
    zone: int,
    service: ServiceCard,
    parcel: Parcel,
    now: datetime,
    location_cutoff: time | None,
) -> Quote | None:
    """`quote` once the card takes the parcel and its zone is known."""
    oversize = card.oversize_cm > 0 and parcel.longest_side_cm > card.oversize_cm
    base = service.base_rate(zone, parcel.weight_kg)
    if base is None:
        return None
    cutoff = min(service.cutoff, location_cutoff) if location_cutoff else service.cutoff
    rated = _rated(card, zone, service, base, parcel.hazmat, oversize)
    return _dated(card, zone, service, rated, ship_date(now, cutoff))


# A service's price in a zone: (rate, surcharges, transit days).
Rated = tuple[float, dict[str, float], int]


def _rated(
    card: RateCard, zone: int, service: ServiceCard, base: float, hazmat: bool, oversize: bool
) -> Rated:
    """The price of a service whose base rate is known: nothing else of the parcel counts,
    which is what lets `QuoteMemo` share prices between parcels."""
    surcharges: dict[str, float] = {}
    if hazmat and card.hazmat_fee:
        surcharges["hazmat"] = card.hazmat_fee
    if oversize and not service.oversize_ok:
        surcharges["oversize"] = card.oversize_fee
    subtotal = base + sum(surcharges.values())
    if card.fuel_percent:
        surcharges["fuel"] = round(subtotal * card.fuel_percent / 100, 2)
    transit = service.transit_days.get(zone, max(service.transit_days.values()))
    return round(base + sum(surcharges.values()), 2), surcharges, transit


def _dated(card: RateCard, zone: int, service: ServiceCard, rated: Rated, leaves: date) -> Quote:
    rate, surcharges, transit = rated
    return Quote(
        carrier=card.code,
        carrier_name=card.name,
        service=service.code,
        level=service.level,
        zone=zone,
        rate=rate,
        transit_days=transit,
        ship_date=leaves,
        promised_date=add_business_days(leaves, transit),
        hazmat_ok=card.hazmat,
        surcharges=surcharges,
    )


class QuoteMemo:
    """Quotes shared between parcels, for a caller that quotes many (the Decider keeps one).

    A quote depends on the parcel only through (card, service, zone, base rate, hazmat,
    oversize) and its ship date. Prices are kept without the date, so a new day costs one
    cheap quote per price, not the pricing again; both tables are bounded. Quotes are
    immutable and their surcharges are shared between them: treat those as read-only too."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self.rated: dict[tuple[int, int, int, float, bool, bool], Rated] = {}
        self.quotes: dict[tuple[int, int, int, float, bool, bool, date], Quote] = {}


@dataclass(frozen=True, slots=True)
class CarrierCatalog:
    """Every rate card the pipeline may use; immutable, shared by concurrent decisions."""

    cards: tuple[RateCard, ...]

    def quotes(
        self,
        parcel: Parcel,
        now: datetime,
        location_cutoff: time | None = None,
        memo: QuoteMemo | None = None,
    ) -> list[Quote]:
        """Every service's quote for the parcel, in card and service order (with a `memo`,
        shared with earlier parcels where they are the same quote)."""
        found = []
        hazmat = parcel.hazmat
        # `ship_date` for every cut-off at once: today if open and before it, else this.
        today, clock = now.date(), now.time()
        open_today = today.weekday() < 5
        next_day = add_business_days(today + timedelta(days=1), 0)
        for c, card in enumerate(self.cards):
            if hazmat and not card.hazmat:
                continue
            # The zone is the card's, not the service's: look it up once per card.
            zone = card.zone(parcel.distance_km, parcel.postal_code)
            oversize = card.oversize_cm > 0 and parcel.longest_side_cm > card.oversize_cm
            for s, service in enumerate(card.services):
                base = service.base_rate(zone, parcel.weight_kg)
                if base is None:
                    continue
                cutoff = service.cutoff
                if location_cutoff and location_cutoff < cutoff:
                    cutoff = location_cutoff  # `min`, spelled out: this runs per service
                leaves = today if open_today and clock < cutoff else next_day
                if memo is None:
                    rated = _rated(card, zone, service, base, hazmat, oversize)
                    found.append(_dated(card, zone, service, rated, leaves))
                    continue
                dated = (c, s, zone, base, hazmat, oversize, leaves)
                priced = memo.quotes.get(dated)
                if priced is None:
                    key = (c, s, zone, base, hazmat, oversize)
                    price = memo.rated.get(key)
                    if price is None:
                        if len(memo.rated) >= memo.limit:
                            memo.rated.clear()
                        price = memo.rated[key] = _rated(
                            card, zone, service, base, hazmat, oversize
                        )
                    if len(memo.quotes) >= memo.limit:
                        memo.quotes.clear()
                    priced = memo.quotes[dated] = _dated(card, zone, service, price, leaves)
                found.append(priced)
        return found

    def estimate(self, parcel: Parcel) -> float:
        """The cheapest price of any service, used by the optimiser before carriers are chosen."""
        zones = self.zones(parcel.distance_km, parcel.postal_code)
        return self.estimate_in_zones(zones, parcel.weight_kg, parcel.hazmat)

    def zones(self, distance_km: float, postal_code: str) -> tuple[int, ...]:
        """Each card's zone (in `cards` order) for a parcel going this far to this code.

        Estimates depend on the distance and the postal code only through these zones, and
        few distinct zone tuples occur, so callers can key a cache of estimates by them."""
        return tuple(card.zone(distance_km, postal_code) for card in self.cards)

    def estimate_in_zones(self, zones: Sequence[int], weight_kg: float, hazmat: bool) -> float:
        """`estimate` for a parcel whose zones per card (from `zones`) are already known."""
        best = None
        for card, zone in zip(self.cards, zones, strict=True):
            if hazmat and not card.hazmat:
                continue
            for service in card.services:
                rate = service.base_rate(zone, weight_kg)
                if rate is not None and (best is None or rate < best):
                    best = rate
        return best if best is not None else 0.0


# --- parsing ---------------------------------------------------------------------------------


def _time(value: Any, where: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise RateCardError(f"{where}: cut-off '{value}' is not HH:MM") from exc


def _service(carrier: str, data: Mapping[str, Any]) -> ServiceCard:
    where = f"carrier {carrier} service {data.get('code', '?')}"
    try:
        breaks = tuple(float(b) for b in data["weight_breaks_kg"])
        rates = {int(z): tuple(float(r) for r in row) for z, row in data["rates"].items()}
        transit = {int(z): int(d) for z, d in data["transit_days"].items()}
        code = str(data["code"])
    except KeyError as exc:
        raise RateCardError(f"{where}: missing field {exc}") from exc
    for zone, row in rates.items():
        if len(row) != len(breaks):
            raise RateCardError(
                f"{where}: zone {zone} has {len(row)} rates for {len(breaks)} weight breaks"
            )
    return ServiceCard(
        carrier=carrier,
        code=code,
        name=str(data.get("name", code)),
        level=str(data.get("level", "ground")),
        cutoff=_time(data.get("cutoff", "17:00"), where),
        transit_days=transit,
        weight_breaks_kg=breaks,
        rates=rates,
        min_weight_kg=float(data.get("min_weight_kg", 0.0)),
        max_weight_kg=float(data.get("max_weight_kg", breaks[-1])),
        per_kg=bool(data.get("per_kg", False)),
        minimum_charge=float(data.get("minimum_charge", 0.0)),
        oversize_ok=bool(data.get("oversize_ok", False)),
    )


def rate_card_from_dict(data: Mapping[str, Any]) -> RateCard:
    """Build a rate card from parsed YAML, naming the carrier and field on any mistake."""
    code = str(data.get("code") or "")
    if not code:
        raise RateCardError("rate card without a carrier 'code'")
    zones = data.get("zones") or {}
    by_km = tuple(sorted((float(k), int(z)) for k, z in zones.get("by_distance_km") or []))
    if not by_km:
        raise RateCardError(f"carrier {code}: zones.by_distance_km is empty")
    surcharges = data.get("surcharges") or {}
    oversize = surcharges.get("oversize") or {}
    services = tuple(_service(code, s) for s in data.get("services") or [])
    if not services:
        raise RateCardError(f"carrier {code}: no services")
    return RateCard(
        code=code,
        name=str(data.get("name", code)),
        hazmat=bool(data.get("hazmat", False)),
        zones_by_km=by_km,
        zones_by_prefix={str(p): int(z) for p, z in (zones.get("by_postal_prefix") or {}).items()},
        services=services,
        hazmat_fee=float(surcharges.get("hazmat", 0.0)),
        oversize_cm=float(oversize.get("longest_side_cm", 0.0)),
        oversize_fee=float(oversize.get("amount", 0.0)),
        fuel_percent=float(surcharges.get("fuel_percent", 0.0)),
    )


def catalog_from_dicts(items: Iterable[Mapping[str, Any]]) -> CarrierCatalog:
    return CarrierCatalog(
        tuple(sorted((rate_card_from_dict(i) for i in items), key=lambda c: c.code))
    )


def default_carriers_dir() -> Path:
    """`rulesets/carriers/` of this checkout (the demo's rate cards)."""
    return Path(__file__).resolve().parents[2] / "rulesets" / "carriers"


def load_catalog(directory: Path | None = None, paths: Sequence[Path] = ()) -> CarrierCatalog:
    """Read every `*.yaml` rate card in a directory (called at start-up, never at import)."""
    from dsl.tooling import read_yaml

    files = list(paths) or sorted((directory or default_carriers_dir()).glob("*.yaml"))
    items = []
    for path in files:
        # A rate card is edited by hand: say why it cannot be read, or where it stops being YAML.
        data = read_yaml(path, RateCardError)
        if not isinstance(data, dict):
            raise RateCardError(f"{path}: a rate card must be a mapping")
        items.append(data)
    return catalog_from_dicts(items)
