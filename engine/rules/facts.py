"""Domain entities as the plain-data facts rulesets evaluate (shape: `engine.rules.schema`).

Money becomes float (in the order's currency), enums become their string values, sets become
sorted lists, dates and datetimes are kept. Weights are kilograms and distances kilometres,
the rule language's base units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from engine.domain.catalog import Customer, Location, Product
from engine.domain.orders import Order
from engine.domain.values import Address, money


def product_facts(product: Product | None, sku: str) -> dict[str, Any]:
    if product is None:
        # An unknown SKU still gets facts so validation rules can reject it by name.
        return {
            "sku": sku,
            "name": "",
            "price": 0.0,
            "weight": 0.0,
            "hazmat": False,
            "category": "",
            "tags": [],
            "oversize": False,
            "longest_side_cm": 0.0,
            "preorder_release": None,
            "dropship_vendor": None,
            "is_kit": False,
            "known": False,
        }
    dims = product.dimensions
    longest = max(dims.length_cm, dims.width_cm, dims.height_cm)
    return {
        "sku": product.sku,
        "name": product.name,
        "price": float(product.price),
        "weight": float(product.weight_kg),
        "hazmat": product.hazmat,
        "category": product.category,
        "tags": sorted(product.tags),
        "oversize": longest > 120.0,
        "longest_side_cm": float(longest),
        "preorder_release": product.preorder_release,
        "dropship_vendor": product.dropship_vendor,
        "is_kit": product.is_kit,
        "known": True,
    }


def address_facts(address: Address, coordinates: tuple[float, float] | None) -> dict[str, Any]:
    lat, lon = coordinates if coordinates else (address.lat, address.lon)
    return {
        "postal_code": address.postal_code,
        "country": address.country,
        "state": address.state,
        "city": address.city,
        "lat": lat,
        "lon": lon,
    }


def order_facts(
    order: Order,
    products: Mapping[str, Product],
    coordinates: tuple[float, float] | None = None,
    describe: Callable[[Product | None, str], dict[str, Any]] = product_facts,
) -> dict[str, Any]:
    """The `order` root; `coordinates` are the ship-to's (lat, lon) when the caller knows them,
    `describe` gives a line's product facts (the Decider passes a cached `product_facts`)."""
    lines = []
    weight = 0.0
    hazmat = False
    # Each line's amount once: `Order.total` would work them all out again.
    amounts = [line.amount for line in order.lines]
    for line, amount in zip(order.lines, amounts, strict=True):
        product = describe(products.get(line.sku), line.sku)
        weight += product["weight"] * line.quantity
        hazmat = hazmat or product["hazmat"]
        lines.append(
            {
                "id": line.id,
                "sku": line.sku,
                "quantity": line.quantity,
                "price": float(line.price),
                "amount": float(amount),
                "product": product,
            }
        )
    return {
        "id": order.id,
        "channel": order.channel,
        "channel_order_id": order.channel_order_id,
        "customer_id": order.customer_id,
        "email": order.email,
        "currency": order.currency,
        "service_level": order.service_level,
        "priority": order.priority,
        # `Order.total` (the rounded sum of the line amounts) from the amounts above.
        "total": float(money(sum(amounts, Decimal("0")))),
        "created_at": order.created_at,
        "requested_date": order.requested_date,
        "ship_to": address_facts(order.ship_to, coordinates),
        "lines": lines,
        "line_count": len(lines),
        "units": sum(line.quantity for line in order.lines),
        "weight": weight,
        "hazmat": hazmat,
        "fulfilment": order.fulfilment.value,
        "pickup_location": order.pickup_location,
    }


def customer_facts(customer: Customer | None, customer_id: str = "") -> dict[str, Any]:
    if customer is None:
        return {"id": customer_id, "email": "", "name": "", "tier": "standard", "group": ""}
    return {
        "id": customer.id,
        "email": customer.email,
        "name": customer.name,
        "tier": customer.tier,
        "group": customer.group,
    }


def location_facts(location: Location, distance_km: float) -> dict[str, Any]:
    return {
        "code": location.code,
        "name": location.name,
        "type": str(location.type),
        "tags": sorted(location.tags),
        "services": sorted(str(s) for s in location.services),
        "postal_code": location.address.postal_code,
        "state": location.address.state,
        "country": location.address.country,
        "lat": location.lat,
        "lon": location.lon,
        "daily_capacity": location.daily_capacity,
        "distance": distance_km,
    }


def event_facts(name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The `event` root: every optional field present (None when this event lacks it)."""
    from engine.rules.schema import SCHEMA_SPEC

    fields = SCHEMA_SPEC["roots"]["event"]
    facts: dict[str, Any] = {key: payload.get(key) for key in fields}
    facts["name"] = name
    return facts
