"""A carrier priced from its YAML rate card (zones, weight breaks, surcharges, transit days).

For carriers without a rating API, or as the offline fallback of one that has it: quotes
come from the same rate cards the pipeline's Decider uses, so what the console shows and
what the pipeline chose agree. Labels are 4x6 inch PDF or ZPL (`connectors.carriers.labels`)
with a deterministic tracking number; rate-card carriers have no tracking feed, so `track`
reports nothing. `RateCardCarriers` hands out one connector per card of a catalogue already
loaded (the composition root's), so a label needs no second read of the YAML files.

A shipment this connector cannot rate or label as given (a field missing or of the wrong
kind) is a `ShipmentError` naming the field; a bad rate card is the pipeline's
`RateCardError`, naming its file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import (
    Carrier,
    ConnectorConfig,
    DeliveryError,
    PermanentRefusal,
    RateQuote,
    ShippingLabel,
    TrackingUpdate,
)
from connectors.carriers.labels import FORMATS, LabelSheet, Party, render
from engine.adapters.geo import haversine_km, postal_code_coordinates
from engine.pipeline.carriers import (
    CarrierCatalog,
    Parcel,
    RateCard,
    default_carriers_dir,
    load_catalog,
)
from engine.pipeline.packing import PackedParcel, Packing


class ShipmentError(DeliveryError):
    """A shipment the rate-card carrier cannot rate or label as given; names the field (and
    keeps its name in `field`, for a caller that says where that field came from)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        # Every message starts with the field's name ("to_line1: missing ...").
        self.field = field or message.partition(":")[0]


class RateCardConfig(ConnectorConfig):
    carrier: str  # the rate card's `code`, e.g. "PCL"
    directory: str | None = None  # default: the shipped rulesets/carriers/
    currency: str = "USD"


class RateCardCarrier(Carrier):
    slug = "rate-card"
    title = "Rate-card carrier (YAML)"
    Config = RateCardConfig
    config: RateCardConfig

    def __init__(
        self,
        config: RateCardConfig | Mapping[str, Any] | None = None,
        *,
        card: RateCard | None = None,
    ) -> None:
        """`card`: the carrier's rate card, already loaded and checked (`RateCardCarriers`);
        without it the card is read from `directory`."""
        super().__init__(config)
        self.card: RateCard = card or self._read_card()
        self.catalog = CarrierCatalog((self.card,))

    def _read_card(self) -> RateCard:
        directory = Path(self.config.directory) if self.config.directory else None
        catalog = load_catalog(directory)  # RateCardError naming the directory or the file
        cards = [card for card in catalog.cards if card.code == self.config.carrier]
        if not cards:
            known = ", ".join(card.code for card in catalog.cards)
            raise PermanentRefusal(
                f"no rate card for carrier '{self.config.carrier}' in "
                f"{directory or default_carriers_dir()} (known: {known})"
            )
        return cards[0]

    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]:
        """`shipment`: weight_kg, to_postal_code, and from_postal_code or distance_km;
        optional hazmat (true/false), longest_side_cm, cutoff ("HH:MM"), now (a datetime
        or an ISO 8601 string), and length_cm, width_cm and height_cm (all three): the
        parcel's size, which a card with a `dim_divisor` bills by, as the Decider does."""
        shipment = _fields(shipment)
        parcel = Parcel(
            weight_kg=_number(shipment, "weight_kg", "a weight in kg", above_zero=True),
            distance_km=self._distance(shipment),
            postal_code=_postal_code(shipment, "to_postal_code"),
            hazmat=_flag(shipment, "hazmat"),
            longest_side_cm=_number(shipment, "longest_side_cm", "a length in cm", default=0.0),
        )
        now = _moment(shipment)
        location_cutoff = _cutoff(shipment)
        sides = _sides(shipment)
        if sides is None:
            quotes = self.catalog.quotes(parcel, now, location_cutoff)
        else:
            # Measured: priced as the Decider prices a packed parcel, by dimensional weight.
            measured = PackedParcel(None, {}, parcel.weight_kg, 0.0, parcel.hazmat, sides)
            quotes = self.catalog.packed_quotes(
                Packing((measured,)), parcel.distance_km, parcel.postal_code, now, location_cutoff
            )
        return [
            RateQuote(
                q.carrier,
                q.service,
                Decimal(str(q.rate)),
                self.config.currency,
                q.transit_days,
                q.promised_date,
            )
            for q in quotes
        ]

    @staticmethod
    def _distance(shipment: Mapping[str, Any]) -> float:
        if shipment.get("distance_km") is not None:
            return _number(shipment, "distance_km", "a distance in km")
        if shipment.get("from_postal_code") is None:
            raise ShipmentError("from_postal_code: missing (give it, or distance_km)")
        ends = []
        for name in ("from_postal_code", "to_postal_code"):
            code = _postal_code(shipment, name)
            place = postal_code_coordinates(code)
            if place is None:
                raise ShipmentError(f"{name}: cannot rate: unknown postal code {code}")
            ends.append(place)
        return haversine_km(ends[0], ends[1])

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        """A 4x6 inch label in `format` ("pdf" or "zpl"), from `shipment`:

        - `to_name`, `to_line1`, `to_city`, `to_postal_code`, `to_country` (optional
          `to_state`), and the same `from_...` fields for where the parcel leaves from;
        - `ship_date` (a date or ISO 8601 text): part of the label, so it is given, never
          taken from the clock, and the same shipment prints the same bytes;
        - optional: `id` (the shipment's), `reference` (the order's number), `weight_kg`,
          `rma` (a return label: printed large, and as a barcode), and `tracking_number`:
          a number issued before, printed again as it is; without one, the carrier issues
          one (`_tracking_number`);
        - optional `parcels`, a list: the boxes of a packed shipment, each a mapping with
          `weight_kg`, optionally its sides (`length_cm`, `width_cm`, `height_cm`, all
          three) and its `tracking_number` issued before. Each gets a label of its own, one
          after another in one document, saying "PARCEL i OF N" with its weight and size and
          its own tracking number: the first parcel's is the shipment's, and the others are
          issued from it piece by piece (`parcel_tracking_numbers` lists them all).
        """
        if format not in FORMATS:
            raise PermanentRefusal(
                f"the rate-card carrier prints {' or '.join(FORMATS)} labels, not '{format}'"
            )
        named = {s.code: s for s in self.card.services}
        if service not in named:
            raise PermanentRefusal(f"carrier {self.card.code} has no service '{service}'")
        shipment = _fields(shipment)
        sheet = LabelSheet(
            carrier=self.card.name,
            service=named[service].name or service,
            ship_from=_party(shipment, "from"),
            ship_to=_party(shipment, "to"),
            tracking_number=self._issued(shipment, service),
            ship_date=_day(shipment, "ship_date"),
            reference=_text(shipment, "reference", required=False),
            shipment_id=_text(shipment, "id", required=False),
            weight_kg=(
                None
                if shipment.get("weight_kg") is None
                else _number(shipment, "weight_kg", "a weight in kg", above_zero=True)
            ),
            rma=_code128(shipment, "rma"),
        )
        parcels = _parcels(shipment)
        if parcels is None:
            return ShippingLabel(sheet.tracking_number, format, render(sheet, format))
        numbers = self._parcel_numbers(shipment, service, sheet.tracking_number, parcels)
        sheets = [
            replace(
                sheet,
                tracking_number=number,
                weight_kg=parcel.weight_kg,
                parcel=(place, len(parcels)),
                dimensions_cm=parcel.sides,
            )
            for place, (parcel, number) in enumerate(zip(parcels, numbers, strict=True), 1)
        ]
        return ShippingLabel(numbers[0], format, render(sheets, format), tuple(numbers))

    def _issued(self, shipment: Mapping[str, Any], service: str) -> str:
        """The tracking number the shipment was given before, or a new one."""
        given = _code128(shipment, "tracking_number")
        return given or self._tracking_number(shipment, service)

    def _parcel_numbers(
        self,
        shipment: Mapping[str, Any],
        service: str,
        master: str,
        parcels: list[_Piece],
    ) -> list[str]:
        """Each parcel's tracking number: the one issued before, else the carrier's for its
        piece of the shipment. The first parcel's is the shipment's (`master`); no two
        parcels share one."""
        first = parcels[0].tracking_number
        if first and first != master and _code128(shipment, "tracking_number"):
            raise ShipmentError(
                f"parcels[0].tracking_number: the first parcel's number is the shipment's "
                f"({master}), got {_shown(first)}"
            )
        numbers = [first or master]
        seen = {numbers[0]: 0}
        for place, parcel in enumerate(parcels[1:], start=1):
            number = parcel.tracking_number or self._tracking_number(
                shipment, service, piece=place + 1
            )
            if number in seen:
                raise ShipmentError(
                    f"parcels[{place}].tracking_number: {number} is parcels[{seen[number]}]'s "
                    "already; each parcel has a number of its own"
                )
            seen[number] = place
            numbers.append(number)
        return numbers

    def _tracking_number(self, shipment: Mapping[str, Any], service: str, piece: int = 1) -> str:
        """From the shipment's `id`, or else from everything the label is made of: the same
        shipment always gets the same number, two different ones never share it. A packed
        shipment's second and later parcels (`piece`) get numbers of their own the same way."""
        reference = shipment.get("id")
        if reference is None or reference == "":
            content = json.dumps(
                {"service": service, "shipment": shipment}, sort_keys=True, default=str
            )
            reference = f"content:{content}"
        if piece > 1:
            reference = f"{reference}#{piece}"
        digest = hashlib.sha256(f"{self.card.code}:{reference}".encode()).hexdigest()[:12]
        return f"{self.card.code}{int(digest, 16) % 10**12:012d}"

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return []


class RateCardCarriers:
    """The rate-card carrier of every card in a loaded catalogue, by carrier code; None for
    a code no card has."""

    def __init__(self, catalog: CarrierCatalog, currency: str = "USD") -> None:
        self._by_code = {
            card.code: RateCardCarrier({"carrier": card.code, "currency": currency}, card=card)
            for card in catalog.cards
        }

    def __call__(self, code: str) -> RateCardCarrier | None:
        return self._by_code.get(code)


# --- reading a shipment: each field checked, the bad one named -----------------------------


def _shown(value: Any) -> str:
    return reprlib.repr(value)


def _fields(shipment: Any) -> Mapping[str, Any]:
    if not isinstance(shipment, Mapping):
        raise ShipmentError(f"shipment: expected a mapping of fields, got {_shown(shipment)}")
    return shipment


def _number(
    shipment: Mapping[str, Any],
    name: str,
    what: str,
    *,
    above_zero: bool = False,
    default: float | None = None,
) -> float:
    """A finite number (or a string that is only one) at least 0, or above 0."""
    value = shipment.get(name)
    if value is None:
        if default is None:
            raise ShipmentError(f"{name}: missing ({what})")
        return default
    number = math.nan
    if isinstance(value, int | float | Decimal | str) and not isinstance(value, bool):
        with contextlib.suppress(ValueError):
            number = float(value)
    if not math.isfinite(number) or number < 0 or (above_zero and number == 0):
        least = "above 0" if above_zero else "at least 0"
        raise ShipmentError(f"{name}: expected {what} {least}, got {_shown(value)}")
    return number


_SIDES = ("length_cm", "width_cm", "height_cm")


def _sides(shipment: Mapping[str, Any]) -> tuple[float, float, float] | None:
    """The parcel's sides, longest first, when the shipment is measured (all three given)."""
    given = [name for name in _SIDES if shipment.get(name) is not None]
    if not given:
        return None
    missing = [name for name in _SIDES if name not in given]
    if missing:
        raise ShipmentError(f"{missing[0]}: missing (a measured parcel gives {', '.join(_SIDES)})")
    sides = sorted(
        (_number(shipment, name, "a length in cm", above_zero=True) for name in _SIDES),
        reverse=True,
    )
    return sides[0], sides[1], sides[2]


def _postal_code(shipment: Mapping[str, Any], name: str) -> str:
    value = shipment.get(name)
    if value is None:
        raise ShipmentError(f"{name}: missing")
    if not isinstance(value, str) or not value.strip():
        # A number would have lost its leading zeros (07114 is not 7114).
        raise ShipmentError(f"{name}: expected a postal code as text, got {_shown(value)}")
    return value.strip()


def _flag(shipment: Mapping[str, Any], name: str) -> bool:
    value = shipment.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ShipmentError(f"{name}: expected true or false, got {_shown(value)}")
    return value


def _cutoff(shipment: Mapping[str, Any]) -> time | None:
    value = shipment.get("cutoff")
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not ISO: refused below, naming the field
            return time.fromisoformat(value)
    raise ShipmentError(f'cutoff: expected a time as "HH:MM", got {_shown(value)}')


def _moment(shipment: Mapping[str, Any]) -> datetime:
    value = shipment.get("now")
    if value is None:
        return datetime.now()
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not ISO: refused below, naming the field
            return datetime.fromisoformat(value)
    raise ShipmentError(
        f"now: expected a date and time (ISO 8601, e.g. 2026-11-18T09:00), got {_shown(value)}"
    )


def _text(shipment: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    """Text to print: missing or blank is refused when the label needs it."""
    value = shipment.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ShipmentError(f"{name}: missing (the label prints it)")
        return ""
    if not isinstance(value, str):
        raise ShipmentError(f"{name}: expected text, got {_shown(value)}")
    return value.strip()


def _party(shipment: Mapping[str, Any], end: str) -> Party:
    """The `from_...` or `to_...` fields as one end of the journey."""
    return Party(
        name=_text(shipment, f"{end}_name"),
        line1=_text(shipment, f"{end}_line1"),
        city=_text(shipment, f"{end}_city"),
        postal_code=_postal_code(shipment, f"{end}_postal_code"),
        country=_text(shipment, f"{end}_country"),
        state=_text(shipment, f"{end}_state", required=False),
    )


def _day(shipment: Mapping[str, Any], name: str) -> date:
    value = shipment.get(name)
    if value is None:
        raise ShipmentError(f"{name}: missing (the label prints it)")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not ISO: refused below, naming the field
            return date.fromisoformat(value)
    raise ShipmentError(f"{name}: expected a date (ISO 8601, e.g. 2026-11-18), got {_shown(value)}")


@dataclass(frozen=True, slots=True)
class _Piece:
    """One parcel of a packed shipment, as its label prints it."""

    weight_kg: float
    sides: tuple[float, float, float] | None
    tracking_number: str


def _parcels(shipment: Mapping[str, Any]) -> list[_Piece] | None:
    """The shipment's `parcels`, each checked; None when it gives none (one label)."""
    given = shipment.get("parcels")
    if given is None:
        return None
    if isinstance(given, str | bytes) or not isinstance(given, Sequence) or not given:
        raise ShipmentError(f"parcels: expected a list of one parcel or more, got {_shown(given)}")
    pieces = []
    for place, parcel in enumerate(given):
        if not isinstance(parcel, Mapping):
            raise ShipmentError(
                f"parcels[{place}]: expected a parcel (a mapping with weight_kg), got "
                f"{_shown(parcel)}"
            )
        try:
            pieces.append(
                _Piece(
                    _number(parcel, "weight_kg", "a weight in kg", above_zero=True),
                    _sides(parcel),
                    _code128(parcel, "tracking_number"),
                )
            )
        except ShipmentError as error:
            raise ShipmentError(f"parcels[{place}].{error}") from None
    return pieces


_CODE128_LONGEST = 40


def _code128(shipment: Mapping[str, Any], name: str) -> str:
    """Optional text printed as a Code 128 barcode: printable ASCII (all Code 128 carries),
    short enough that its bars stay wide enough to scan across a 4 inch label."""
    value = _text(shipment, name, required=False)
    if value and (not value.isascii() or not value.isprintable() or len(value) > _CODE128_LONGEST):
        raise ShipmentError(
            f"{name}: expected 1 to {_CODE128_LONGEST} printable ASCII characters (a Code 128 "
            f"barcode carries no others), got {_shown(value)}"
        )
    return value
