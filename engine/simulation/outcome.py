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
    """'ruleset: rule' for every rule that matched in a decision trace.

    The pipeline keeps each step's evaluated rulesets under a `rulesets` key, either on the
    step (`validation`, `reservation`, `sourcing`) or one level down (`carriers`, per
    location), as a list or, for rules evaluated per line, a dict of lists keyed by line.
    Only those two levels are looked at: the rest of a trace (candidates per line, quotes) is
    large, and walking it for every order would cost more than the bookkeeping.
    """
    for step in trace.values():
        if not isinstance(step, Mapping):
            continue
        yield from _rulesets(step.get("rulesets"))
        for part in step.values():
            if isinstance(part, Mapping) and "rulesets" in part:
                yield from _rulesets(part["rulesets"])


def _rulesets(traces: Any) -> Iterator[str]:
    if isinstance(traces, Mapping):
        # Rules evaluated once per line (reservation) keep their traces keyed by line id.
        for per_line in traces.values():
            yield from _rulesets(per_line)
        return
    if not isinstance(traces, list):
        return
    for ruleset in traces:
        if isinstance(ruleset, Mapping):
            for rule in ruleset.get("matched", ()):
                yield f"{ruleset.get('ruleset')}: {rule}"
