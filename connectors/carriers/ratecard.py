"""A carrier priced from its YAML rate card (zones, weight breaks, surcharges, transit days).

For carriers without a rating API, or as the offline fallback of one that has it: quotes
come from the same rate cards the pipeline's Decider uses, so what the console shows and
what the pipeline chose agree. Labels are plain ZPL with a deterministic tracking number;
rate-card carriers have no tracking feed, so `track` reports nothing.

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
from collections.abc import Mapping
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import (
    Carrier,
    ConnectorConfig,
    DeliveryError,
    RateQuote,
    ShippingLabel,
    TrackingUpdate,
)
from engine.adapters.geo import haversine_km, postal_code_coordinates
from engine.pipeline.carriers import (
    CarrierCatalog,
    Parcel,
    RateCard,
    default_carriers_dir,
    load_catalog,
)


class ShipmentError(DeliveryError):
    """A shipment the rate-card carrier cannot rate or label as given; names the field."""


class RateCardConfig(ConnectorConfig):
    carrier: str  # the rate card's `code`, e.g. "PCL"
    directory: str | None = None  # default: the shipped rulesets/carriers/
    currency: str = "USD"


class RateCardCarrier(Carrier):
    slug = "rate-card"
    title = "Rate-card carrier (YAML)"
    Config = RateCardConfig
    config: RateCardConfig

    def __init__(self, config: RateCardConfig | Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        directory = Path(self.config.directory) if self.config.directory else None
        catalog = load_catalog(directory)  # RateCardError naming the directory or the file
        cards = [card for card in catalog.cards if card.code == self.config.carrier]
        if not cards:
            known = ", ".join(card.code for card in catalog.cards)
            raise DeliveryError(
                f"no rate card for carrier '{self.config.carrier}' in "
                f"{directory or default_carriers_dir()} (known: {known})"
            )
        self.card: RateCard = cards[0]
        self.catalog = CarrierCatalog((self.card,))

    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]:
        """`shipment`: weight_kg, to_postal_code, and from_postal_code or distance_km;
        optional hazmat (true/false), longest_side_cm, cutoff ("HH:MM"), now (a datetime
        or an ISO 8601 string)."""
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
        return [
            RateQuote(
                q.carrier,
                q.service,
                Decimal(str(q.rate)),
                self.config.currency,
                q.transit_days,
                q.promised_date,
            )
            for q in self.catalog.quotes(parcel, now, location_cutoff)
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
        if format != "zpl":
            raise DeliveryError(f"the rate-card carrier prints ZPL labels only, not '{format}'")
        if service not in {s.code for s in self.card.services}:
            raise DeliveryError(f"carrier {self.card.code} has no service '{service}'")
        shipment = _fields(shipment)
        destination = _postal_code(shipment, "to_postal_code")
        tracking = self._tracking_number(shipment, service)
        zpl = (
            "^XA^CF0,40"
            f"^FO40,40{_zpl_text(f'{self.card.name} {service}')}"
            f"^FO40,100{_zpl_text(f'To: {destination}')}"
            f"^FO40,160^BCN,100,Y,N,N^FD{tracking}^FS^XZ"
        )
        return ShippingLabel(tracking, "zpl", zpl.encode())

    def _tracking_number(self, shipment: Mapping[str, Any], service: str) -> str:
        """From the shipment's `id`, or else from everything the label is made of: the same
        shipment always gets the same number, two different ones never share it."""
        reference = shipment.get("id")
        if reference is None or reference == "":
            content = json.dumps(
                {"service": service, "shipment": shipment}, sort_keys=True, default=str
            )
            reference = f"content:{content}"
        digest = hashlib.sha256(f"{self.card.code}:{reference}".encode()).hexdigest()[:12]
        return f"{self.card.code}{int(digest, 16) % 10**12:012d}"

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return []


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


def _zpl_text(text: str) -> str:
    """A ZPL text field that prints `text` as written: with `^FH`, `_` followed by two hex
    digits is a character, so `^` and `~` (which would start a command, `^XZ` ending the
    label) and `_` itself are written that way."""
    escaped = "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text)
    return f"^FH^FD{escaped}^FS"
