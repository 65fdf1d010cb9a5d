"""Where the demo's stock sits: on hand, safety stock, reorder points and inbound supply.

The shape follows a typical omnichannel network: distribution centres carry most SKUs, 3PLs
some, stores a shallow assortment, dropship vendors only their own lines, and hazardous goods
only sit where they may be stored (plus one uncertified site, so routing rules matter).
Pre-order SKUs have no stock yet, only purchase orders due before their release date.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from engine.domain.catalog import Location, LocationType, Product
from engine.domain.inventory import InboundKind, InboundSupply, Stock

DEMO_NAMESPACE = uuid.UUID("6f7d7c1e-3f7a-4d8e-9a51-0c2b8e4f6a10")
# Hazmat sits at the certified sites and, realistically but awkwardly, at one that is not.
HAZMAT_SITES = {"DAL-01", "RNO-02", "MEM-3PL", "ATL-01"}
_CARRY_PROBABILITY = {
    LocationType.WAREHOUSE: 0.85,
    LocationType.THREE_PL: 0.5,
    LocationType.STORE: 0.3,
}


def demo_id(kind: str, *parts: object) -> str:
    """A stable id for a demo row, so a second run finds what the first one wrote."""
    return str(uuid.uuid5(DEMO_NAMESPACE, ":".join([kind, *map(str, parts)])))


def plan_stock(products: list[Product], locations: list[Location]) -> list[Stock]:
    rng = random.Random("ordo-demo:stock")
    rows: list[Stock] = []
    for product in products:
        if product.is_kit:
            continue  # a kit ships as its components and has no stock of its own
        if product.dropship_vendor:
            # The vendor's own feed: plenty on hand, no safety stock kept on our side.
            vendor_stock = rng.randint(40, 300)
            rows.append(Stock(product.sku, product.dropship_vendor, on_hand=vendor_stock))
            continue
        rows.extend(_network_rows(rng, product, locations))
    return rows


def _network_rows(rng: random.Random, product: Product, locations: list[Location]) -> list[Stock]:
    rows = []
    for location in locations:
        probability = _CARRY_PROBABILITY.get(location.type, 0.0)
        if product.hazmat and location.type is not LocationType.STORE:
            probability = probability if location.code in HAZMAT_SITES else 0.0
        if "bulky" in product.tags and location.type is LocationType.STORE:
            probability = 0.0  # stores have no room for sofas and rugs
        if product.preorder_release is not None:
            probability = 1.0 if location.type is LocationType.WAREHOUSE else 0.0
        if rng.random() >= probability:
            continue
        rows.append(_row(rng, product, location))
    if not rows:
        warehouse = next(loc for loc in locations if loc.type is LocationType.WAREHOUSE)
        rows.append(_row(rng, product, warehouse))
    return rows


def _row(rng: random.Random, product: Product, location: Location) -> Stock:
    if product.preorder_release is not None:
        return Stock(sku=product.sku, location_code=location.code)
    if location.type is LocationType.STORE:
        on_hand = rng.randint(0, 24)
        safety, reorder = rng.randint(1, 2), rng.randint(3, 6)
    else:
        # About one row in fifteen is sold out: backorders and splits need somewhere to happen.
        on_hand = 0 if rng.random() < 0.07 else rng.randint(20, 400)
        safety = rng.choice([0, 5, 10, 15])
        reorder = safety + rng.randint(10, 40)
    allocations = {}
    if location.type is LocationType.WAREHOUSE and on_hand > 40 and rng.random() < 0.06:
        allocations["marketplace"] = rng.randint(5, 20)
    return Stock(
        sku=product.sku,
        location_code=location.code,
        on_hand=on_hand,
        safety_stock=safety,
        reorder_point=reorder,
        channel_allocations=allocations,
    )


def plan_inbound(
    products: list[Product], stock: list[Stock], locations: list[Location], today: date
) -> list[InboundSupply]:
    """Purchase orders for low rows and pre-orders, and a few store replenishment transfers."""
    rng = random.Random("ordo-demo:inbound")
    by_code = {location.code: location for location in locations}
    release = {p.sku: p.preorder_release for p in products if p.preorder_release is not None}
    supplies = []
    for row in stock:
        location = by_code[row.location_code]
        if location.type is LocationType.DROPSHIP_VENDOR:
            continue
        if row.sku in release:
            expected = release[row.sku] - timedelta(days=rng.randint(2, 5))
        elif location.type is not LocationType.STORE and row.on_hand <= row.reorder_point:
            if rng.random() > 0.4:
                continue
            expected = today + timedelta(days=rng.randint(3, 21))
        else:
            continue
        supplies.append(
            InboundSupply(
                id=demo_id("inbound", row.sku, row.location_code, "po"),
                sku=row.sku,
                location_code=row.location_code,
                quantity=rng.randint(10, 40) * 10,
                expected_on=expected,
                kind=InboundKind.PURCHASE_ORDER,
                reference=f"PO-{today.year}-{rng.randint(10000, 99999)}",
            )
        )
    supplies.extend(_transfers(rng, stock, by_code, today))
    return supplies


def _transfers(
    rng: random.Random, stock: list[Stock], by_code: dict[str, Location], today: date
) -> list[InboundSupply]:
    empty_store_rows = [
        row
        for row in stock
        if by_code[row.location_code].type is LocationType.STORE and row.on_hand == 0
    ]
    chosen = rng.sample(empty_store_rows, k=min(8, len(empty_store_rows)))
    return [
        InboundSupply(
            id=demo_id("inbound", row.sku, row.location_code, "transfer"),
            sku=row.sku,
            location_code=row.location_code,
            quantity=rng.randint(4, 12),
            expected_on=today + timedelta(days=rng.randint(1, 4)),
            kind=InboundKind.TRANSFER,
            reference=f"TR-{today.year}-{rng.randint(1000, 9999)}",
        )
        for row in chosen
    ]
