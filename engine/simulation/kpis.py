"""Streaming KPIs of a replay: constant memory whatever the number of orders.

Every figure is folded in one order at a time from the compact per-order outcome (see
`outcome.py`), so the same numbers can be recomputed from a run's `orders.jsonl`. Distances go
into a fixed-width histogram with 0.1 km bins: the mean is exact and the p95 is exact to the bin
(within 0.1 km), with memory bounded by the number of distinct bins (a few tens of thousands at
most for any continental distance), and the result does not depend on sampling, so two runs of
the same inputs report the same p95.

Definitions (also in docs/simulation.md):
- accepted: every order neither rejected nor held (allocated, partially allocated, backordered,
  pre-ordered); fill rate: units allocated / units ordered, over accepted orders;
- split rate: accepted orders with more than one shipment / accepted orders with a shipment;
- promise met: an order with a requested date whose promised date is on or before it;
- capacity breach: a location-day on which more shipments were planned than its daily capacity;
- distances: over shipments whose distance is known; `orders_without_distance` counts the
  shipped orders with a shipment whose ship-to or location had no coordinates;
- with a box catalogue only (absent without, not 0): parcels per shipment, the mean over the
  shipments of accepted orders; box cost, the boxes' part of the shipping cost.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BIN_KM = 0.1
ACCEPTED = ("allocated", "partially_allocated", "backordered", "preordered")


@dataclass
class DistanceHistogram:
    """Counts per 0.1 km bin: exact mean, percentiles exact to one bin."""

    bins: Counter[int] = field(default_factory=Counter)
    count: int = 0
    total: float = 0.0

    def add(self, km: float) -> None:
        self.bins[int(km / BIN_KM)] += 1
        self.count += 1
        self.total += km

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def coarse(self, width_km: float) -> dict[str, int]:
        """Counts per `width_km` bucket (keyed by the bucket's lower edge) for charts."""
        per = max(1, round(width_km / BIN_KM))
        buckets: Counter[int] = Counter()
        for index, count in self.bins.items():
            buckets[index // per] += count
        return {f"{bucket * width_km:g}": buckets[bucket] for bucket in sorted(buckets)}

    def percentile(self, p: float) -> float | None:
        """The upper edge of the bin holding the p-th percentile (nearest-rank definition)."""
        if not self.count:
            return None
        rank = max(1, -(-int(p * self.count * 1000) // 100_000))  # ceil(p/100 * n), integer-safe
        seen = 0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return round((index + 1) * BIN_KM, 1)
        return round((max(self.bins) + 1) * BIN_KM, 1)


@dataclass
class Kpis:
    """Running totals; `add` one per-order outcome, `to_dict` for the results file."""

    orders: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    lines_backordered: int = 0
    units_ordered: int = 0
    units_allocated: int = 0
    units_backordered: int = 0
    orders_shipped: int = 0
    orders_split: int = 0
    shipments: int = 0
    # Shipped orders with a shipment of unknown distance (no coordinates for the ship-to or
    # the location): their unknown distances are left out of the distance figures.
    orders_without_distance: int = 0
    shipping_cost: float = 0.0
    promises_requested: int = 0
    promises_met: int = 0
    capacity_breaches: int = 0
    shipments_over_capacity: int = 0
    failed_reservations: int = 0
    carriers: Counter[str] = field(default_factory=Counter)
    locations: Counter[str] = field(default_factory=Counter)
    distance: DistanceHistogram = field(default_factory=DistanceHistogram)
    rule_hits: Counter[str] = field(default_factory=Counter)
    # With a box catalogue: each outcome's shipments carry `parcels` and `box_cost`.
    packaging: bool = False
    parcels: int = 0
    box_cost: float = 0.0

    def add(self, outcome: dict[str, Any]) -> None:
        self.orders += 1
        self.outcomes[outcome["outcome"]] += 1
        if outcome["code"]:
            self.reasons[outcome["code"]] += 1
        self.lines += outcome["lines"]
        if outcome["outcome"] not in ACCEPTED:
            return
        self.lines_backordered += outcome["lines_backordered"]
        self.units_ordered += outcome["units"]
        self.units_allocated += outcome["allocated"]
        self.units_backordered += outcome["backordered"]
        shipments = outcome["shipments"]
        if shipments:
            self.orders_shipped += 1
            self.orders_split += len(shipments) > 1
        self.shipments += len(shipments)
        unknown = False
        for shipment in shipments:
            self.shipping_cost += shipment["rate"]
            km = shipment["distance_km"]
            if km is None:
                unknown = True
            else:
                self.distance.add(km)
            self.carriers[f"{shipment['carrier']}/{shipment['service']}"] += 1
            self.locations[shipment["location"]] += 1
        self.orders_without_distance += unknown
        if self.packaging:
            for shipment in shipments:
                self.parcels += shipment["parcels"]
                self.box_cost += shipment["box_cost"]
        if outcome["requested"]:
            self.promises_requested += 1
            promised = outcome["promised"]
            self.promises_met += bool(promised and promised <= outcome["requested"])

    def close_day(self, shipments_by_location: dict[str, int], capacity: dict[str, int]) -> None:
        """Count breaches of one replayed day (the replay calls it when the date changes)."""
        for code, planned in shipments_by_location.items():
            limit = capacity.get(code)
            if limit is not None and planned > limit:
                self.capacity_breaches += 1
                self.shipments_over_capacity += planned - limit

    def to_dict(self) -> dict[str, Any]:
        accepted = sum(self.outcomes[name] for name in ACCEPTED)
        found: dict[str, Any] = {
            "orders": self.orders,
            "accepted": accepted,
            "rejected": self.outcomes["rejected"],
            "held": self.outcomes["held"],
            "outcomes": dict(sorted(self.outcomes.items())),
            "reasons": dict(sorted(self.reasons.items())),
            "fill_rate": _ratio(self.units_allocated, self.units_ordered),
            "units_ordered": self.units_ordered,
            "units_allocated": self.units_allocated,
            "units_backordered": self.units_backordered,
            "lines": self.lines,
            "lines_backordered": self.lines_backordered,
            "split_rate": _ratio(self.orders_split, self.orders_shipped),
            "shipments": self.shipments,
            "shipments_per_order": _ratio(self.shipments, self.orders_shipped),
            "distance_km_mean": _round(self.distance.mean, 1),
            "distance_km_p95": self.distance.percentile(95),
            "orders_without_distance": self.orders_without_distance,
            "shipping_cost": round(self.shipping_cost, 2),
            "shipping_cost_per_order": _round(
                self.shipping_cost / self.orders_shipped if self.orders_shipped else None, 2
            ),
            "promises_requested": self.promises_requested,
            "promises_met": self.promises_met,
            "promise_met_rate": _ratio(self.promises_met, self.promises_requested),
            "capacity_breaches": self.capacity_breaches,
            "shipments_over_capacity": self.shipments_over_capacity,
            "failed_reservations": self.failed_reservations,
            "shipments_by_carrier": dict(sorted(self.carriers.items())),
            "shipments_by_location": dict(sorted(self.locations.items())),
            "distance_histogram_km": self.distance.coarse(50.0),
        }
        if self.packaging:
            # Absent, not 0, without packaging: a run without it writes what it always wrote.
            found["parcels_per_shipment"] = _ratio(self.parcels, self.shipments)
            found["box_cost"] = round(self.box_cost, 2)
        return found


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
