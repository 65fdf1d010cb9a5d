"""The compact, JSON-safe record of one replayed order's decision, and which rules fired.

A run writes one of these per order to `orders.jsonl` instead of the full decision trace, so
memory stays flat and the file stays a few hundred bytes per order. KPIs and the per-order diff
of two runs are computed from these records alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.domain.orders import Order
from engine.pipeline.decide import Decision


def order_outcome(order: Order, decision: Decision) -> dict[str, Any]:
    backordered_lines = {b.line_id for b in decision.backorders}
    promised = decision.promised_date
    return {
        "order": order.id,
        "at": order.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "outcome": decision.outcome,
        "code": decision.code,
        "lines": len(order.lines),
        "lines_backordered": len(backordered_lines),
        "units": sum(line.quantity for line in order.lines),
        "allocated": decision.allocated_units,
        "backordered": decision.backordered_units,
        "shipments": [
            {
                "location": s.location_code,
                "carrier": s.carrier,
                "service": s.service,
                "rate": round(s.rate, 2),
                "distance_km": round(s.distance_km, 1),
                "units": sum(a.quantity for a in s.lines),
                "promised": s.promised_date.isoformat() if s.promised_date else None,
            }
            for s in decision.shipments
        ],
        "shipping_cost": round(decision.shipping_cost, 2),
        "cost": round(decision.cost, 4),
        "promised": promised.isoformat() if promised else None,
        "requested": order.requested_date.isoformat() if order.requested_date else None,
    }


def fired_rules(trace: Mapping[str, Any]) -> Iterator[str]:
    """'ruleset: rule' for every rule that matched anywhere in a decision trace.

    The pipeline nests each evaluated ruleset's trace (`dsl.Trace.to_dict()` plus a `ruleset`
    key) under its step; walking the whole tree keeps this independent of the step layout.
    """
    stack: list[Any] = [trace]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if "ruleset" in node and isinstance(node.get("ruleset"), str):
                yield from (f"{node['ruleset']}: {rule}" for rule in _matched(node))
            stack.extend(value for value in node.values() if isinstance(value, Mapping | list))
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, Mapping | list))


def _matched(ruleset_trace: Mapping[str, Any]) -> Iterator[str]:
    matched = ruleset_trace.get("matched")
    if isinstance(matched, list):
        for item in matched:
            name = item.get("rule") or item.get("name") if isinstance(item, Mapping) else item
            if name:
                yield str(name)
        return
    for rule in ruleset_trace.get("rules", ()) or ():
        if isinstance(rule, Mapping) and rule.get("matched"):
            yield str(rule.get("rule") or rule.get("name"))
