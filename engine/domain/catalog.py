"""What is sold, where it ships from, and who buys it: Product, Location, Customer."""

from __future__ import annotations

import hashlib
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
    # A store taking transfers from warehouses for pickup orders it cannot fill itself.
    SHIP_TO_STORE = "ship_to_store"


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


def erased_email(customer_id: str) -> str:
    """The address an erased customer's records carry instead of theirs: one per customer (so
    their orders still group together), derived from the id rather than the person, a valid
    address (the API's checks of an email still pass), at a domain that can never receive
    mail (`.invalid`, RFC 2606)."""
    digest = hashlib.sha256(customer_id.encode()).hexdigest()[:12]
    return f"erased-{digest}@erased.invalid"


@dataclass(slots=True)
class Customer:
    id: str
    email: str
    name: str = ""
    tier: str = "standard"
    group: str = ""
    default_address: Address | None = None

    def erase_personal_data(self) -> bool:
        """Forget who the person is (the right to be forgotten): the email becomes
        `erased_email`, the name and the default address go. The tier and group stay: rules
        and reports read them, and they say nothing about who the customer is. False when
        there was nothing left to erase (erased before)."""
        erased = (erased_email(self.id), "", None)
        if (self.email, self.name, self.default_address) == erased:
            return False
        self.email, self.name, self.default_address = erased
        return True
