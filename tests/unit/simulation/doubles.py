"""A tiny stand-in for the pipeline's Decider, so replay can be tested on its own terms.

It follows the same contract (order, customer, products, locations, stock view, now ->
Decision): orders of more than `max_units` units are rejected, every line goes whole to the
nearest location that has it, and what no location has is backordered. Its trace records one
matched rule per step so rule-hit counting is exercised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from engine.adapters.geo import haversine_km
from engine.domain.catalog import Customer, Location, Product
from engine.domain.inventory import InboundSupply
from engine.domain.orders import Order
from engine.pipeline.decide import Allocation, Backorder, Decision, PlannedShipment
from engine.pipeline.stock_view import StockView


class NearestStockDecider:
    def __init__(self, max_units: int = 12, carrier: str = "TEST") -> None:
        self.max_units = max_units
        self.carrier = carrier
        self.calls: list[tuple[str, dict[str, int]]] = []

    def decide(
        self,
        order: Order,
        customer: Customer | None,
        products: Mapping[str, Product],
        locations: Sequence[Location],
        stock: StockView,
        now: datetime,
        *,
        inbound: Sequence[InboundSupply] = (),
        shipments_today: Mapping[str, int] | None = None,
        trace: bool = True,
    ) -> Decision:
        self.calls.append((order.id, dict(shipments_today or {})))
        units = sum(line.quantity for line in order.lines)
        if units > self.max_units:
            trace = {
                "validation": {"rulesets": [{"ruleset": "checks", "matched": ["too many units"]}]}
            }
            return Decision("rejected", order.id, "too_many_units", "too many units", trace=trace)
        here = (order.ship_to.lat or 0.0, order.ship_to.lon or 0.0)
        by_code = {loc.code: loc for loc in locations}
        allocations: list[Allocation] = []
        backorders: list[Backorder] = []
        for line in order.lines:
            options = sorted(
                (haversine_km(here, (by_code[c].lat or 0.0, by_code[c].lon or 0.0)), c)
                for c in stock.locations(line.sku)
                if stock.available(line.sku, c, order.channel) >= line.quantity
            )
            if options:
                allocations.append(Allocation(line.id, line.sku, options[0][1], line.quantity))
            else:
                backorders.append(Backorder(line.id, line.sku, line.quantity, "backorder", None))
        grouped: dict[str, list[Allocation]] = defaultdict(list)
        for allocation in allocations:
            grouped[allocation.location_code].append(allocation)
        shipments = tuple(
            PlannedShipment(
                code, tuple(lines), self.carrier, "ground",
                round(5 + 0.01 * self._km(here, by_code[code]), 2), now.date(),
                (now + timedelta(days=3)).date(), round(self._km(here, by_code[code]), 1),
            )
            for code, lines in sorted(grouped.items())
        )  # fmt: skip
        outcome = (
            "allocated"
            if not backorders
            else "partially_allocated"
            if allocations
            else "backordered"
        )
        trace = {"sourcing": {"rulesets": [{"ruleset": "routing", "matched": ["nearest first"]}]}}
        return Decision(
            outcome, order.id, allocations=tuple(allocations), backorders=tuple(backorders),
            shipments=shipments, shipping_cost=round(sum(s.rate for s in shipments), 2),
            trace=trace,
        )  # fmt: skip

    @staticmethod
    def _km(here: tuple[float, float], location: Location) -> float:
        return haversine_km(here, (location.lat or 0.0, location.lon or 0.0))
