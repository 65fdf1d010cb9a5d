"""The demo's static world: locations, the catalogue and customers, built from `data.yaml`.

Everything here is pure and deterministic (a seeded random generator per builder), so running
the demo twice produces the same keys and the seeder can skip what already exists.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from engine.adapters.geo import postal_code_coordinates
from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.values import Address, Dimensions, money

# Categories sold by size where a bigger size is a different garment, not a bigger price.
_SIZED_BY_FIT = {"apparel", "footwear"}
# A parcel this heavy or this long needs freight or two-person handling.
BULKY_KG = 20.0
BULKY_SIDE_CM = 120.0
_SERVICES = {
    LocationType.STORE: frozenset({Service.PICKUP, Service.SHIP_FROM_STORE}),
}


@dataclass(frozen=True)
class World:
    """The demo's locations, products (kits last) and customers."""

    locations: list[Location]
    products: list[Product]
    customers: list[Customer]

    def product(self, sku: str) -> Product:
        return next(product for product in self.products if product.sku == sku)


def build_world(today: date) -> World:
    data = load_data()
    products = build_products(data, today)
    return World(
        locations=build_locations(data),
        products=products + build_kits(data, products),
        customers=build_customers(data),
    )


@cache
def load_data() -> dict[str, Any]:
    """The hand-written facts, read on first use (not at import) from the package."""
    text = resources.files("ordo.demo").joinpath("data.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def place(postal_code: str, line1: str = "", name: str = "") -> Address:
    """An address at a real postal code, with its city, state and centroid coordinates."""
    import zipcodes  # reads its table on import: keep that out of module import time

    matches = zipcodes.matching(postal_code)
    coordinates = postal_code_coordinates(postal_code)
    if not matches or coordinates is None:
        raise ValueError(f"demo data: postal code {postal_code!r} is not a known US postal code")
    return Address(
        postal_code=postal_code,
        country="US",
        line1=line1,
        city=matches[0]["city"].title(),
        state=matches[0]["state"],
        name=name,
        lat=coordinates[0],
        lon=coordinates[1],
    )


def build_locations(data: dict[str, Any]) -> list[Location]:
    rng = random.Random("ordo-demo:locations")
    locations = []
    for row in data["locations"]:
        kind = LocationType(row["type"])
        street = f"{rng.randint(100, 9900)} {rng.choice(data['customers']['streets'])}"
        locations.append(
            Location(
                code=row["code"],
                name=row["name"],
                type=kind,
                address=place(row["postal_code"], line1=street, name=row["name"]),
                daily_capacity=int(row["capacity"]),
                cutoff=time.fromisoformat(row["cutoff"]),
                tags=frozenset(row.get("tags", [])),
                services=_SERVICES.get(kind, frozenset({Service.SHIP})),
            )
        )
    return locations


def build_products(data: dict[str, Any], today: date) -> list[Product]:
    """One product per item and variant (colour x size) in the catalogue."""
    products = []
    for category, family in data["catalogue"].items():
        prefix = family["prefix"]
        for item in family["items"]:
            for colour in item.get("colours") or [None]:
                for step, size in enumerate(item.get("sizes") or [None]):
                    products.append(_variant(category, prefix, item, colour, size, step, today))
    return products


def _variant(
    category: str,
    prefix: str,
    item: dict[str, Any],
    colour: str | None,
    size: str | None,
    step: int,
    today: date,
) -> Product:
    # Bigger sizes of goods (a king duvet, a 12in skillet) cost and weigh more; garments don't.
    scale = 1.0 if category in _SIZED_BY_FIT else 1.0 + 0.15 * step
    variant = [value for value in (colour, size) if value]
    weight = round(float(item["weight"]) * scale, 2)
    length, width, height = (float(side) for side in item["dims"])
    tags = set(item.get("tags", []))
    if weight >= BULKY_KG or max(length, width, height) >= BULKY_SIDE_CM:
        tags.add("bulky")
    attributes = {"colour": colour or "", "size": size or ""}
    preorder_days = item.get("preorder_days")
    return Product(
        sku="-".join([prefix, item["code"], *(_slug(value) for value in variant)]),
        name=item["name"] + (f" - {', '.join(variant)}" if variant else ""),
        price=money(Decimal(str(item["price"])) * Decimal(str(scale))),
        weight_kg=weight,
        dimensions=Dimensions(length, width, height),
        hazmat=bool(item.get("hazmat", False)),
        category=category,
        tags=frozenset(tags),
        attributes={key: value for key, value in attributes.items() if value},
        preorder_release=today + timedelta(days=preorder_days) if preorder_days else None,
        dropship_vendor=item.get("dropship"),
    )


def build_kits(data: dict[str, Any], products: list[Product]) -> list[Product]:
    """Bundles that ship as their components; a kit naming an unknown SKU is a data bug."""
    by_sku = {product.sku: product for product in products}
    kits = []
    for row in data["kits"]:
        components = {str(sku): int(units) for sku, units in row["components"].items()}
        missing = sorted(set(components) - set(by_sku))
        if missing:
            raise ValueError(f"demo data: kit {row['sku']} names unknown SKUs {missing}")
        kits.append(
            Product(
                sku=row["sku"],
                name=row["name"],
                price=money(row["price"]),
                weight_kg=round(sum(by_sku[s].weight_kg * n for s, n in components.items()), 2),
                hazmat=any(by_sku[sku].hazmat for sku in components),
                category=row["category"],
                tags=frozenset({"kit"}),
                kit_components=components,
            )
        )
    return kits


def build_customers(data: dict[str, Any], count: int = 50) -> list[Customer]:
    facts = data["customers"]
    rng = random.Random("ordo-demo:customers")
    tiers, tier_weights = zip(*facts["tiers"], strict=True)
    groups, group_weights = zip(*facts["groups"], strict=True)
    customers = []
    for number in range(1, count + 1):
        first, last = rng.choice(facts["first_names"]), rng.choice(facts["last_names"])
        full_name = f"{first} {last}"
        street = f"{rng.randint(10, 9999)} {rng.choice(facts['streets'])}"
        customers.append(
            Customer(
                id=f"CUST-{number:05d}",
                email=f"{first}.{last}{number}@example.com".lower(),
                name=full_name,
                tier=rng.choices(tiers, tier_weights)[0],
                group=rng.choices(groups, group_weights)[0],
                default_address=place(rng.choice(facts["postal_codes"]), street, full_name),
            )
        )
    return customers


def _slug(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())
