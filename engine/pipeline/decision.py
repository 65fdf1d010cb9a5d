"""What the Decider returns: a plain, immutable account of one order's decision.

`Decision.trace` is JSON-safe and is what the service layer stores as DecisionTraces; the rest
is what it applies (reservations, fulfilment orders, backorders) and what the simulation
aggregates (cost, shipments, promise dates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.domain.fulfilment import Parcel

OUTCOMES = ("rejected", "held", "allocated", "partially_allocated", "backordered", "preordered")
FALLBACKS = ("backorder", "preorder", "dropship", "hold")


@dataclass(frozen=True, slots=True)
class Allocation:
    line_id: str
    sku: str
    location_code: str
    quantity: int
    # Dropshipped units come from a vendor's stock, not ours: nothing to reserve.
    reserve: bool = True


@dataclass(frozen=True, slots=True)
class Backorder:
    line_id: str
    sku: str
    quantity: int
    mode: str  # "backorder" | "preorder"
    promised_date: date | None


@dataclass(frozen=True, slots=True)
class PlannedTransfer:
    """Units of a pickup order's line sent from a warehouse to its store (ship to store).
    `transfer_id` names a transfer already on its way for the order, which it keeps counting
    on; "" is one to request now."""

    sku: str
    from_location: str
    to_location: str
    quantity: int
    expected_on: date
    transfer_id: str = ""


@dataclass(frozen=True, slots=True)
class PlannedShipment:
    location_code: str
    lines: tuple[Allocation, ...]
    carrier: str
    service: str
    rate: float
    ship_date: date | None
    promised_date: date | None
    distance_km: float
    dropship: bool = False
    # The boxes it was packed into (docs/packaging.md); empty when it was not packed.
    parcels: tuple[Parcel, ...] = ()


@dataclass(frozen=True)
class Decision:
    outcome: str
    order_id: str
    code: str = ""
    message: str = ""
    allocations: tuple[Allocation, ...] = ()
    backorders: tuple[Backorder, ...] = ()
    shipments: tuple[PlannedShipment, ...] = ()
    # A pickup order's shortfall sent to its store (docs/pipeline.md, click and collect).
    transfers: tuple[PlannedTransfer, ...] = ()
    cost: float = 0.0
    shipping_cost: float = 0.0
    priority: int = 0
    versions: Mapping[str, int] = field(default_factory=dict)
    trace: Mapping[str, Any] = field(default_factory=dict)

    @property
    def allocated_units(self) -> int:
        return sum(a.quantity for a in self.allocations)

    @property
    def backordered_units(self) -> int:
        return sum(b.quantity for b in self.backorders)

    @property
    def promised_date(self) -> date | None:
        dates = [s.promised_date for s in self.shipments if s.promised_date] + [
            b.promised_date for b in self.backorders if b.promised_date
        ]
        return max(dates) if dates else None
