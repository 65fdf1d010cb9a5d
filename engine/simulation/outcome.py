"""The compact, JSON-safe record of one replayed order's decision, and which rules fired.

A run writes one of these per order to `orders.jsonl` instead of the full decision trace, so
memory stays flat and the file stays a few hundred bytes per order. KPIs and the per-order diff
of two runs are computed from these records alone. A shipment's `distance_km` is null where it
is unknown (the ship-to or the location has no coordinates). With a box catalogue, each
shipment also has `parcels` and `box_cost` (`packaging.add_parcels`); without, it has neither.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from datetime import datetime
from typing import Any

from engine.domain.orders import Order
from engine.pipeline.decide import Decision


def order_outcome(
    order: Order,
    decision: Decision,
    *,
    located: bool = True,
    unplaced: Container[str] = frozenset(),
) -> dict[str, Any]:
    """`located`: whether the ship-to had coordinates; `unplaced`: locations without. A
    shipment with either end unknown has `distance_km` None: the Decider measured 0.0 there."""
    # Built once per replayed order: list comprehensions rather than generators inside
    # `sum`, and nothing computed for an order without backorders or shipments.
    lines = order.lines
    backorders = decision.backorders
    promised = decision.promised_date
    requested = order.requested_date
    return {
        "order": order.id,
        "at": _stamp(order.created_at),
        "outcome": decision.outcome,
        "code": decision.code,
        "lines": len(lines),
        "lines_backordered": len({b.line_id for b in backorders}) if backorders else 0,
        "units": sum([line.quantity for line in lines]),
        "allocated": sum([a.quantity for a in decision.allocations]),
        "backordered": sum([b.quantity for b in backorders]) if backorders else 0,
        "shipments": [
            {
                "location": s.location_code,
                "carrier": s.carrier,
                "service": s.service,
                "rate": round(s.rate, 2),
                "distance_km": round(s.distance_km, 1)
                if located and s.location_code not in unplaced
                else None,
                "units": sum([a.quantity for a in s.lines]),
                "promised": s.promised_date.isoformat() if s.promised_date else None,
            }
            for s in decision.shipments
        ],
        "shipping_cost": round(decision.shipping_cost, 2),
        "cost": round(decision.cost, 4),
        "promised": promised.isoformat() if promised else None,
        "requested": requested.isoformat() if requested else None,
    }


def _stamp(moment: datetime) -> str:
    """`moment.strftime("%Y-%m-%dT%H:%M:%SZ")`, formatted directly where that is the same
    text (four-digit years): strftime costs several times as much, once per replayed order."""
    if moment.year < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{moment.year}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def fired_rules(trace: Mapping[str, Any]) -> Iterator[str]:
    """'ruleset: rule' for every rule that matched in a decision trace (see `count_fired_rules`)."""
    counts: dict[str, int] = {}
    count_fired_rules(trace, counts)
    for name, times in counts.items():
        for _ in range(times):
            yield name


def count_fired_rules(trace: Mapping[str, Any], counts: dict[str, int]) -> None:
    """Add one to `counts["ruleset: rule"]` for every rule that matched in a decision trace.

    The pipeline keeps each step's evaluated rulesets under a `rulesets` key, either on the
    step (`validation`, `reservation`, `sourcing`) or one level down (`carriers`, per
    location), as a list or, for rules evaluated per line, a dict of lists keyed by line.
    Only those two levels are looked at: the rest of a trace (candidates per line, quotes) is
    large, and walking it for every order would cost more than the bookkeeping.

    It runs once per replayed order, so it counts in place rather than yielding.
    """
    # The type tests are spelled out (not a helper) because they run tens of times an order:
    # `type(x) is dict` first, and the ABC check `isinstance(x, Mapping)` only for a type that
    # is neither a dict nor one of the plain types a trace is mostly made of.
    for step in trace.values():
        kind = type(step)
        if kind is not dict and (kind in _PLAIN or not isinstance(step, Mapping)):
            continue
        rulesets = step.get("rulesets")
        if rulesets is not None:
            _count(rulesets, counts)
        for part in step.values():
            kind = type(part)
            if (kind is dict or (kind not in _PLAIN and isinstance(part, Mapping))) and (
                "rulesets" in part
            ):
                _count(part["rulesets"], counts)


def _count(traces: Any, counts: dict[str, int], times: int = 1) -> None:
    kind = type(traces)
    if kind is dict or (kind not in _PLAIN and isinstance(traces, Mapping)):
        # Rules evaluated once per line (reservation) keep their traces keyed by line id. When
        # no rule reads the line the Decider asks once and every line holds the same list:
        # count each distinct list once, times the lines that hold it.
        shared: dict[int, list[Any]] = {}
        for per_line in traces.values():
            entry = shared.get(id(per_line))
            if entry is None:
                shared[id(per_line)] = [per_line, times]
            else:
                entry[1] += times
        for per_line, lines in shared.values():
            _count(per_line, counts, lines)
    elif kind is list or isinstance(traces, list):
        for ruleset in traces:
            kind = type(ruleset)
            if kind is dict or (kind not in _PLAIN and isinstance(ruleset, Mapping)):
                matched = ruleset.get("matched")
                if matched:
                    of = ruleset.get("ruleset")
                    for rule in matched:
                        try:
                            name = _NAMES[(of, rule)]
                        except (KeyError, TypeError):  # new, or unhashable (hand-made)
                            name = _name(of, rule)
                        counts[name] = counts.get(name, 0) + times


# Types a trace is mostly made of that are surely not mappings.
_PLAIN = frozenset({list, str, int, float, bool, type(None), tuple})

# "ruleset: rule" by (ruleset, rule): the same few hundred names are counted millions of times,
# and looking one up by the pair (whose strings come from the compiled rulesets, their hashes
# already known) costs less than formatting and hashing a new string for every hit.
_NAMES: dict[tuple[Any, Any], str] = {}
_NAMES_KEPT = 10_000


def _name(ruleset: Any, rule: Any) -> str:
    name = f"{ruleset}: {rule}"
    # Only text is kept: 1, 1.0 and True are one key but three names.
    if type(ruleset) is str and type(rule) is str:
        if len(_NAMES) >= _NAMES_KEPT:
            _NAMES.clear()
        _NAMES[(ruleset, rule)] = name
    return name
