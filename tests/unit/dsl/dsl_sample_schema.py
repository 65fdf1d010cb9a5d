"""A sample of the schema the engine describes to the rule language, for the DSL's own tests.

The engine builds the real one from its entities; this copy follows docs/dev/dsl-contract.md so
the language can be tested without importing the engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dsl

SAMPLE = {
    "types": {
        "product": {
            "sku": "str", "weight": "quantity(mass)", "hazmat": "bool", "category": "str",
            "tags": "list(str)", "preorder_release": "date?", "dropship_vendor": "str?",
        },
        "line": {"sku": "str", "quantity": "int", "price": "money(USD)", "product": "product"},
    },
    "roots": {
        "order": {
            "id": "str", "channel": "str", "channel_order_id": "str",
            "customer": {"id": "str", "email": "str", "tier": "str", "group": "str"},
            "ship_to": {"postal_code": "str", "city": "str", "state": "str", "country": "str",
                        "lat": "number?", "lon": "number?"},
            "lines": "list(line)", "service_level": "str", "total": "money(USD)",
            "currency": "str", "line_count": "int", "weight": "quantity(mass)",
            "created_at": "datetime", "requested_date": "date?", "priority": "int",
        },
        "location": {
            "code": "str", "type": "str", "tags": "list(str)", "postal_code": "str",
            "state": "str", "lat": "number", "lon": "number", "daily_capacity": "int",
            "services": "list(str)",
        },
        "carrier": {"code": "str", "service": "str", "transit_days": "int",
                    "rate": "money(USD)", "hazmat_ok": "bool"},
        "event": {"type": "str", "at": "datetime", "carrier": "str?", "location": "str?",
                  "order_id": "str?", "amount": "number?"},
    },
    "kinds": {
        "validation": ["order"],
        "sourcing": ["order", "location"],
        "reservation": ["order", "location"],
        "carrier": ["order", "carrier"],
        "alert": ["event", "order"],
    },
}


def sample_schema() -> dsl.Schema:
    return dsl.Schema.from_dict(SAMPLE)


def product(**overrides: Any) -> dict[str, Any]:
    base = {"sku": "SKU-1", "weight": 1.0, "hazmat": False, "category": "general", "tags": [],
            "preorder_release": None, "dropship_vendor": None}
    return {**base, **overrides}


def line(quantity: int = 1, price: float = 10.0, **product_fields: Any) -> dict[str, Any]:
    item = product(**product_fields)
    return {"sku": item["sku"], "quantity": quantity, "price": price, "product": item}


def order(**overrides: Any) -> dict[str, Any]:
    lines = overrides.pop("lines", [line()])
    base = {
        "id": "O-1", "channel": "web", "channel_order_id": "W-1",
        "customer": {"id": "C-1", "email": "a@example.com", "tier": "standard",
                     "group": "retail"},
        "ship_to": {"postal_code": "94105", "city": "San Francisco", "state": "CA",
                    "country": "US", "lat": 37.79, "lon": -122.39},
        "lines": lines, "service_level": "standard",
        "total": float(sum(li["price"] * li["quantity"] for li in lines)), "currency": "USD",
        "line_count": len(lines), "weight": float(sum(li["product"]["weight"] * li["quantity"]
                                                      for li in lines)),
        "created_at": dt.datetime(2025, 3, 1, 12, 0), "requested_date": None, "priority": 0,
    }
    return {**base, **overrides}
