"""A synthetic but realistic order history: for the benchmark, the docs example and tests.

Ship-to and location postal codes are real US codes from the `zipcodes` package (active,
standard codes with coordinates), SKU popularity follows a Zipf-like curve, orders have 2-5
lines and arrive evenly over the period, stock sits at a handful of locations per SKU (more
often warehouses than stores), and weekly purchase orders replenish it. Everything is drawn
from one seeded `random.Random`, so a spec always produces the same history.

Two outputs: `generate_dataset` writes a data set directly (in time order, no import needed,
which is how the benchmark builds a million orders quickly), and `write_foreign_export` writes
the CSV files of a fictional ERP, with its own column names, date format and channel codes,
that the docs' mapping file translates.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from engine.simulation.dataset import DatasetWriter, iso_utc

CHANNELS = (("web", 60), ("mobile", 25), ("marketplace", 10), ("pos", 5))
SERVICE_LEVELS = (("standard", 75), ("two_day", 15), ("next_day", 5), ("express", 5))
QUANTITIES = ((1, 70), (2, 20), (3, 10))
FOREIGN_CHANNELS = {"web": "WEB", "mobile": "APP", "marketplace": "MKT", "pos": "STORE"}
FOREIGN_LEVELS = {"standard": "STD", "two_day": "2D", "next_day": "ND", "express": "EXP"}


@dataclass(frozen=True)
class GeneratorSpec:
    orders: int = 10_000
    locations: int = 200
    skus: int = 10_000
    min_lines: int = 2
    max_lines: int = 5
    days: int = 90
    start: date = date(2025, 7, 1)
    customers: int = 50_000
    stock_locations_per_sku: int = 6
    warehouse_share: float = 0.1
    # Units every stocked SKU-location holds beyond its share of demand: the shipped
    # reservation rules keep safety stock and ring-fence some for B2B and marketplaces.
    buffer_units: int = 30
    seed: int = 7


@dataclass
class _World:
    postal_codes: tuple[tuple[str, float, float], ...]
    locations: list[dict[str, Any]]
    products: list[dict[str, Any]]
    stock: list[dict[str, Any]]
    receipts: list[dict[str, Any]]
    sku_weights: list[float]


@cache
def us_postal_codes() -> tuple[tuple[str, float, float], ...]:
    """(code, lat, lon) of every active standard US postal code, sorted by code (read once)."""
    import zipcodes  # lazily: the package loads its table on import

    found = [
        (z["zip_code"], float(z["lat"]), float(z["long"]))
        for z in zipcodes.list_all()
        if z["active"] and z["zip_code_type"] == "STANDARD" and z["lat"] and z["long"]
    ]
    return tuple(sorted(found))


def generate_dataset(spec: GeneratorSpec, dest: Path, *, replace: bool = False) -> Path:
    """Write a data set of `spec.orders` orders (plus reference data) at `dest`."""
    rng = random.Random(spec.seed)
    world = _world(spec, rng)
    with DatasetWriter(dest, replace=replace) as writer:
        for kind in ("locations", "products", "stock", "receipts"):
            for record in getattr(world, kind):
                writer.write(kind, record)
        first = last = None
        for order in _orders(spec, rng, world):
            first = first or order["created_at"]
            last = order["created_at"]
            writer.write("orders", order)
        writer.commit(
            {
                "name": dest.name,
                "sources": {"generator": f"seed {spec.seed}"},
                "mapping": None,
                "first_order_at": first,
                "last_order_at": last,
                "skipped_rows": 0,
            }
        )
    return dest


def write_foreign_export(spec: GeneratorSpec, directory: Path) -> dict[str, Path]:
    """CSV files as a fictional ERP exports them (see docs/examples/simulation/mapping.yaml)."""
    rng = random.Random(spec.seed)
    world = _world(spec, rng)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "orders": directory / "erp_orders.csv",
        "locations": directory / "erp_sites.csv",
        "stock": directory / "erp_stock.csv",
        "receipts": directory / "erp_purchase_orders.csv",
        "products": directory / "erp_items.csv",
    }
    _write_csv(paths["orders"], _foreign_order_rows(spec, rng, world))
    _write_csv(
        paths["locations"],
        (
            {
                "SiteId": r["code"],
                "SiteName": r["name"],
                "SiteType": r["type"].upper(),
                "Zip": r["postal_code"],
                "MaxParcelsPerDay": r["daily_capacity"],
            }
            for r in world.locations
        ),
    )
    _write_csv(
        paths["stock"],
        (
            {"ItemNo": r["sku"], "SiteId": r["location_code"], "QtyOnHand": r["on_hand"]}
            for r in world.stock
        ),
    )
    _write_csv(
        paths["receipts"],
        (
            {
                "ItemNo": r["sku"],
                "SiteId": r["location_code"],
                "QtyOrdered": r["quantity"],
                "DueDate": date.fromisoformat(r["expected_on"]).strftime("%m/%d/%Y"),
                "PONumber": r["reference"],
            }
            for r in world.receipts
        ),
    )
    _write_csv(
        paths["products"],
        (
            {
                "ItemNo": r["sku"],
                "Description": r["name"],
                "ListPrice": r["price"],
                "WeightKg": r["weight_kg"],
                "Hazmat": "Y" if r["hazmat"] else "N",
            }
            for r in world.products
        ),
    )
    return paths


def _world(spec: GeneratorSpec, rng: random.Random) -> _World:
    codes = us_postal_codes()
    locations = _locations(spec, rng, codes)
    products = _products(spec, rng)
    weights = [1.0 / (rank + 10) for rank in range(spec.skus)]  # Zipf-like, flattened head
    stock, receipts = _stock(spec, rng, locations, products, weights)
    return _World(codes, locations, products, stock, receipts, list(accumulate(weights)))


def _locations(
    spec: GeneratorSpec, rng: random.Random, codes: tuple[tuple[str, float, float], ...]
) -> list[dict[str, Any]]:
    warehouses = max(1, round(spec.locations * spec.warehouse_share))
    picked = rng.sample(codes, spec.locations)
    found = []
    for index, (code, lat, lon) in enumerate(picked):
        warehouse = index < warehouses
        found.append(
            {
                "code": f"{'DC' if warehouse else 'ST'}-{index + 1:03d}",
                "name": f"{'Distribution centre' if warehouse else 'Store'} {code}",
                "type": "warehouse" if warehouse else "store",
                "postal_code": code,
                "country": "US",
                "lat": lat,
                "lon": lon,
                "daily_capacity": rng.randint(3000, 8000) if warehouse else rng.randint(150, 500),
                "cutoff": "15:00" if warehouse else "12:00",
                "tags": [],
                "services": ["ship"] if warehouse else ["ship", "ship_from_store", "pickup"],
                "enabled": True,
            }
        )
    return found


def _products(spec: GeneratorSpec, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "sku": f"SKU-{n:05d}",
            "name": f"Item {n:05d}",
            "price": f"{rng.choice((4.99, 9.99, 14.99, 24.99, 49.99, 99.99, 199.0)):.2f}",
            "weight_kg": round(
                rng.uniform(0.1, 2.0) if rng.random() < 0.8 else rng.uniform(2.0, 25.0), 2
            ),
            "hazmat": rng.random() < 0.01,
            "category": f"C{n % 20:02d}",
            "tags": [],
            "dropship_vendor": None,
            "preorder_release": None,
        }
        for n in range(1, spec.skus + 1)
    ]


def _stock(
    spec: GeneratorSpec,
    rng: random.Random,
    locations: list[dict[str, Any]],
    products: list[dict[str, Any]],
    weights: list[float],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    warehouses = [loc["code"] for loc in locations if loc["type"] == "warehouse"]
    stores = [loc["code"] for loc in locations if loc["type"] == "store"]
    # Expected units per SKU over the period, to size stock so that fill rates look real.
    units = spec.orders * (spec.min_lines + spec.max_lines) / 2 * 1.4
    total_weight = sum(weights)
    stock, receipts = [], []
    for product, weight in zip(products, weights, strict=True):
        demand = units * weight / total_weight
        count = min(spec.stock_locations_per_sku, len(locations))
        in_dc = min(len(warehouses), max(1, count // 3))
        sites = rng.sample(warehouses, in_dc) + rng.sample(stores, min(len(stores), count - in_dc))
        for site in sorted(sites):
            share = demand / len(sites)
            stock.append(
                {
                    "sku": product["sku"],
                    "location_code": site,
                    "on_hand": spec.buffer_units + int(share * rng.uniform(0.2, 0.6)),
                    "safety_stock": 0,
                }
            )
        for week in range(1, spec.days // 7 + 1):
            site = rng.choice(sites)
            receipts.append(
                {
                    "sku": product["sku"],
                    "location_code": site,
                    "quantity": max(1, int(demand / (spec.days / 7) * rng.uniform(0.5, 1.1))),
                    "expected_on": (spec.start + timedelta(days=7 * week)).isoformat(),
                    "kind": "purchase_order",
                    "reference": f"PO-{product['sku'][4:]}-{week:02d}",
                }
            )
    receipts.sort(key=lambda r: r["expected_on"])
    return stock, receipts


def _orders(spec: GeneratorSpec, rng: random.Random, world: _World) -> Iterator[dict[str, Any]]:
    start = datetime(spec.start.year, spec.start.month, spec.start.day, tzinfo=UTC)
    seconds = spec.days * 86400
    channels, channel_w = [c for c, _ in CHANNELS], [float(w) for _, w in CHANNELS]
    levels, level_w = [c for c, _ in SERVICE_LEVELS], [float(w) for _, w in SERVICE_LEVELS]
    quantities, quantity_w = [q for q, _ in QUANTITIES], [float(w) for _, w in QUANTITIES]
    skus = range(spec.skus)
    for n in range(spec.orders):
        created = start + timedelta(seconds=n * seconds // spec.orders)
        code, lat, lon = world.postal_codes[rng.randrange(len(world.postal_codes))]
        picked = _distinct_skus(
            rng, skus, world.sku_weights, rng.randint(spec.min_lines, spec.max_lines)
        )
        requested = (
            (created.date() + timedelta(days=rng.randint(2, 7))).isoformat()
            if rng.random() < 0.3
            else None
        )
        yield {
            "id": f"H{n + 1:07d}",
            "created_at": iso_utc(created),
            "channel": rng.choices(channels, channel_w)[0],
            "customer_id": f"C{rng.randrange(spec.customers):06d}",
            "postal_code": code,
            "country": "US",
            "lat": lat,
            "lon": lon,
            "service_level": rng.choices(levels, level_w)[0],
            "requested_date": requested,
            "priority": 0,
            "customer_tier": "standard",
            "currency": "USD",
            "email": "",
            "lines": [
                {
                    "id": str(i),
                    "sku": world.products[s]["sku"],
                    "quantity": rng.choices(quantities, quantity_w)[0],
                    "price": world.products[s]["price"],
                }
                for i, s in enumerate(picked, start=1)
            ],
        }


def _distinct_skus(
    rng: random.Random, skus: range, cum_weights: list[float], count: int
) -> list[int]:
    """`count` different SKUs drawn by popularity (an order lists each SKU on one line)."""
    picked: set[int] = set()
    while len(picked) < min(count, len(skus)):
        picked.update(rng.choices(skus, cum_weights=cum_weights, k=count - len(picked)))
    return sorted(picked)


def _foreign_order_rows(
    spec: GeneratorSpec, rng: random.Random, world: _World
) -> Iterator[dict[str, Any]]:
    for order in _orders(spec, rng, world):
        placed = datetime.strptime(order["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        for line in order["lines"]:
            yield {
                "OrderNumber": order["id"],
                "LineNo": line["id"],
                "OrderDate": placed.strftime("%m/%d/%Y %H:%M"),
                "Channel": FOREIGN_CHANNELS[order["channel"]],
                "CustomerNo": order["customer_id"],
                "ShipZip": order["postal_code"],
                "ShipMethod": FOREIGN_LEVELS[order["service_level"]],
                "NeedBy": date.fromisoformat(order["requested_date"]).strftime("%m/%d/%Y")
                if order["requested_date"]
                else "",
                "ItemNo": line["sku"],
                "Qty": line["quantity"],
                "UnitPrice": line["price"],
            }


def _write_csv(path: Path, rows: Iterator[dict[str, Any]] | Any) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(row), lineterminator="\n")
                writer.writeheader()
            writer.writerow(row)
