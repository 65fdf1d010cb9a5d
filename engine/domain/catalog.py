"""What is sold, where it ships from, and who buys it: Product, Location, Customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from enum import StrEnum

from engine.domain.values import Address, Dimensions


@dataclass(slots=True)
class Product:
    """A sellable SKU with the attributes rules care about (weight, hazmat, pre-order...)."""

    sku: str
    name: str
    price: Decimal = Decimal("0.00")
    weight_kg: float = 0.0
    dimensions: Dimensions = field(default_factory=Dimensions)
    hazmat: bool = False
    category: str = ""
    tags: frozenset[str] = frozenset()
    attributes: dict[str, str] = field(default_factory=dict)
    preorder_release: date | None = None
    dropship_vendor: str | None = None
    # A kit ships as its components: component SKU -> units per kit.
    kit_components: dict[str, int] = field(default_factory=dict)

    @property
    def is_kit(self) -> bool:
        return bool(self.kit_components)


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    THREE_PL = "3pl"
    DROPSHIP_VENDOR = "dropship_vendor"


class Service(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    SHIP_FROM_STORE = "ship_from_store"


@dataclass(slots=True)
class Location:
    """A node that can fulfil orders: warehouse, store, 3PL or dropship vendor."""

    code: str
    name: str
    type: LocationType
    address: Address
    daily_capacity: int = 1000
    # Orders released after the cut-off (local time) ship the next working day.
    cutoff: time = time(15, 0)
    tags: frozenset[str] = frozenset()
    services: frozenset[Service] = frozenset({Service.SHIP})
    enabled: bool = True

    @property
    def lat(self) -> float | None:
        return self.address.lat

    @property
    def lon(self) -> float | None:
        return self.address.lon


@dataclass(slots=True)
class Customer:
    id: str
    email: str
    name: str = ""
    tier: str = "standard"
    group: str = ""
    default_address: Address | None = None
