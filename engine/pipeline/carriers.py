"""Carrier quotes and promise dates, from the rate cards of `engine.pipeline.ratecards`.

Quoting is pure arithmetic over the cards' frozen dataclasses, so the Decider can price every
candidate shipment on every order; `load_catalog` reads and checks the cards at start-up.
A shipment is one `Parcel` (`quotes`), or, with a box catalogue, the parcels it was packed
into (`packed_quotes`: each billed at its dimensional weight where the card sets a divisor).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Re-exported: callers name the card types and the error through the carriers module.
from engine.pipeline.ratecards import RateCard, RateCardError, ServiceCard, rate_card_from_dict

if TYPE_CHECKING:
    from engine.pipeline.packing import PackedParcel, Packing

__all__ = [
    "CarrierCatalog",
    "Parcel",
    "Quote",
    "RateCard",
    "RateCardError",
    "ServiceCard",
    "catalog_from_dicts",
    "default_carriers_dir",
    "load_catalog",
    "quote",
    "rate_card_from_dict",
]


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


# A packed parcel's price inputs for one service: (base rate, hazmat, oversize).
ParcelPrice = tuple[float, bool, bool]


def _parcel_prices(
    card: RateCard, zone: int, service: ServiceCard, parcels: Sequence[PackedParcel]
) -> tuple[ParcelPrice, ...] | None:
    """Each parcel's base rate at its billable weight, or None if one is beyond the service."""
    prices = []
    for parcel in parcels:
        billed = service.billable_kg(parcel.gross_weight_kg, parcel.outer_volume_cm3)
        base = service.base_rate(zone, billed)
        if base is None:
            return None
        oversize = card.oversize_cm > 0 and parcel.longest_side_cm > card.oversize_cm
        prices.append((base, parcel.hazmat, oversize))
    return tuple(prices)


def _summed(
    card: RateCard,
    zone: int,
    service: ServiceCard,
    prices: Sequence[ParcelPrice],
    box_cost: float,
) -> Rated:
    """The parcels' prices added up, surcharge by surcharge, with the boxes' cost."""
    rate = 0.0
    surcharges: dict[str, float] = {}
    transit = 0
    for base, hazmat, oversize in prices:
        price, charged, transit = _rated(card, zone, service, base, hazmat, oversize)
        rate += price
        for name, amount in charged.items():
            surcharges[name] = round(surcharges.get(name, 0.0) + amount, 2)
    if box_cost:
        surcharges["boxes"] = box_cost
    return round(rate + box_cost, 2), surcharges, transit


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
        # Packed shipments' quotes: (card, service, zone, parcel prices, box cost, date).
        self.packed: dict[tuple[int, int, int, tuple[ParcelPrice, ...], float, date], Quote] = {}


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

    def packed_quotes(
        self,
        packing: Packing,
        distance_km: float,
        postal_code: str,
        now: datetime,
        location_cutoff: time | None = None,
        memo: QuoteMemo | None = None,
    ) -> list[Quote]:
        """Every service's quote for a packed shipment, in card and service order: the sum of
        its parcels' prices (each with the card's surcharges, at its billable weight) plus
        the boxes' cost, under `surcharges["boxes"]`. A service that cannot carry one of
        the parcels cannot take the shipment (one label, one service)."""
        found = []
        parcels = packing.parcels
        hazmat = packing.hazmat
        box_cost = packing.box_cost
        leaves_by_cutoff: dict[time, date] = {}
        for c, card in enumerate(self.cards):
            if hazmat and not card.hazmat:
                continue
            zone = card.zone(distance_km, postal_code)
            for s, service in enumerate(card.services):
                priced = _parcel_prices(card, zone, service, parcels)
                if priced is None:
                    continue
                cutoff = service.cutoff
                if location_cutoff and location_cutoff < cutoff:
                    cutoff = location_cutoff
                leaves = leaves_by_cutoff.get(cutoff)
                if leaves is None:
                    leaves = leaves_by_cutoff[cutoff] = ship_date(now, cutoff)
                if memo is None:
                    summed = _summed(card, zone, service, priced, box_cost)
                    found.append(_dated(card, zone, service, summed, leaves))
                    continue
                # The parcels count only through their prices: shipments packed alike share
                # one quote, as single parcels do.
                key = (c, s, zone, priced, box_cost, leaves)
                quoted = memo.packed.get(key)
                if quoted is None:
                    if len(memo.packed) >= memo.limit:
                        memo.packed.clear()
                    summed = _summed(card, zone, service, priced, box_cost)
                    quoted = memo.packed[key] = _dated(card, zone, service, summed, leaves)
                found.append(quoted)
        return found

    def service(self, carrier: str, code: str) -> ServiceCard | None:
        """A carrier's service by their codes (None if no card has it)."""
        for card in self.cards:
            if card.code == carrier:
                return next((s for s in card.services if s.code == code), None)
        return None

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


def catalog_from_dicts(
    items: Iterable[Mapping[str, Any]], sources: Sequence[str] = ()
) -> CarrierCatalog:
    """The catalog of these rate cards (`sources`, when given, names each one's file)."""
    cards: dict[str, tuple[RateCard, str]] = {}
    for i, item in enumerate(items):
        source = sources[i] if i < len(sources) else None
        card = rate_card_from_dict(item, source)
        name = source or f"rate card {i + 1}"
        if card.code in cards:
            raise RateCardError(
                f"{name}: carrier {card.code}: code: {cards[card.code][1]} has this code too"
            )
        cards[card.code] = (card, name)
    return CarrierCatalog(tuple(card for _, (card, _) in sorted(cards.items())))


def default_carriers_dir() -> Path:
    """`rulesets/carriers/` of this checkout (the demo's rate cards)."""
    return Path(__file__).resolve().parents[2] / "rulesets" / "carriers"


def load_catalog(directory: Path | None = None, paths: Sequence[Path] = ()) -> CarrierCatalog:
    """Read every `*.yaml` rate card in a directory (called at start-up, never at import)."""
    from dsl.tooling import read_yaml

    files = list(paths)
    if not files:
        folder = directory or default_carriers_dir()
        if not folder.is_dir():
            raise RateCardError(f"{folder}: no such directory of rate cards")
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise RateCardError(f"{folder}: no rate cards (*.yaml) in this directory")
    items = []
    for path in files:
        # A rate card is edited by hand: say why it cannot be read, or where it stops being YAML.
        data = read_yaml(path, RateCardError)
        if not isinstance(data, dict):
            raise RateCardError(f"{path}: a rate card must be a mapping")
        items.append(data)
    return catalog_from_dicts(items, [str(path) for path in files])
