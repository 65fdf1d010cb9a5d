"""A carrier priced from its YAML rate card (zones, weight breaks, surcharges, transit days).

For carriers without a rating API, or as the offline fallback of one that has it: quotes
come from the same rate cards the pipeline's Decider uses, so what the console shows and
what the pipeline chose agree. Labels are plain ZPL with a deterministic tracking number;
rate-card carriers have no tracking feed, so `track` reports nothing.
"""

from __future__ import annotations

import hashlib
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
from engine.pipeline.carriers import CarrierCatalog, Parcel, RateCard, load_catalog


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
        catalog = load_catalog(directory)
        cards = [card for card in catalog.cards if card.code == self.config.carrier]
        if not cards:
            known = ", ".join(card.code for card in catalog.cards)
            raise DeliveryError(f"no rate card for carrier '{self.config.carrier}' ({known})")
        self.card: RateCard = cards[0]
        self.catalog = CarrierCatalog((self.card,))

    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]:
        """`shipment`: weight_kg, to_postal_code, and from_postal_code or distance_km;
        optional hazmat, longest_side_cm, cutoff ("HH:MM"), now (datetime)."""
        parcel = Parcel(
            weight_kg=float(shipment["weight_kg"]),
            distance_km=self._distance(shipment),
            postal_code=str(shipment["to_postal_code"]),
            hazmat=bool(shipment.get("hazmat", False)),
            longest_side_cm=float(shipment.get("longest_side_cm", 0.0)),
        )
        now = shipment.get("now") or datetime.now()
        cutoff = shipment.get("cutoff")
        location_cutoff = time.fromisoformat(str(cutoff)) if cutoff else None
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
        if "distance_km" in shipment:
            return float(shipment["distance_km"])
        origin = postal_code_coordinates(str(shipment.get("from_postal_code", "")))
        target = postal_code_coordinates(str(shipment["to_postal_code"]))
        if origin is None or target is None:
            unknown = (
                shipment.get("from_postal_code") if origin is None else shipment["to_postal_code"]
            )
            raise DeliveryError(f"cannot rate: unknown postal code {unknown}")
        return haversine_km(origin, target)

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        if format != "zpl":
            raise DeliveryError(f"the rate-card carrier prints ZPL labels only, not '{format}'")
        if service not in {s.code for s in self.card.services}:
            raise DeliveryError(f"carrier {self.card.code} has no service '{service}'")
        reference = str(shipment.get("id", ""))
        digest = hashlib.sha256(f"{self.card.code}:{reference}".encode()).hexdigest()[:12]
        tracking = f"{self.card.code}{int(digest, 16) % 10**12:012d}"
        zpl = (
            "^XA^CF0,40"
            f"^FO40,40^FD{self.card.name} {service}^FS"
            f"^FO40,100^FDTo: {shipment.get('to_postal_code', '')}^FS"
            f"^FO40,160^BCN,100,Y,N,N^FD{tracking}^FS^XZ"
        )
        return ShippingLabel(tracking, "zpl", zpl.encode())

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return []
