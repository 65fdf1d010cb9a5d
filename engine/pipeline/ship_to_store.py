"""Ship to store: which warehouses send a pickup order's shortfall to its store, and when the
units arrive. Pure: the Decider passes what it knows and the service layer requests the
transfers (`engine/service_layer/ship_to_store.py`).

For each SKU the store cannot give, the order first keeps counting on the transfers already
on their way to the store for it (a re-decision reuses them rather than sending more), in
order of arrival while any units are still needed. What is left is sent from the nearest
warehouses (or 3PLs) holding available units, nearest first, as many as each has, if the
store offers `ship_to_store`. A SKU the warehouses cannot cover in full is sent from none of
them: part of it would leave stock other orders could ship while this one still could not be
collected; it waits at the store as before, promised from the store's own inbound supply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.domain.catalog import Location, LocationType, Service
from engine.domain.inventory import InboundSupply
from engine.pipeline.decision import PlannedTransfer
from engine.pipeline.stock_view import StockView

# Locations that send stock to stores: not another store (its shelves serve its own
# customers), not a dropship vendor (its stock is not ours).
SOURCE_TYPES = frozenset({LocationType.WAREHOUSE, LocationType.THREE_PL})

# (source code, SKU, units) -> the day the units would reach the store, None if no carrier
# can carry them.
Arrival = Callable[[str, str, int], date | None]


@dataclass
class TransferPlan:
    """The transfers for every short SKU, and per SKU the day its units are all at the store
    (only for SKUs the transfers cover in full)."""

    transfers: list[PlannedTransfer] = field(default_factory=list)
    ready: dict[str, date] = field(default_factory=dict)
    trace: dict[str, Any] = field(default_factory=dict)


def plan_transfers(
    order_id: str,
    channel: str,
    store: Location,
    short: Mapping[str, int],
    stock: StockView,
    locations: Mapping[str, Location],
    inbound: Sequence[InboundSupply],
    distance_km: Callable[[str], float],
    arrival: Arrival,
) -> TransferPlan:
    """The transfers that bring `short` (units per SKU) to `store` for order `order_id`.
    `distance_km(code)` is a location's distance from the store; `inbound` is the pending
    supply of the short SKUs (any location)."""
    plan = TransferPlan()
    takes = Service.SHIP_TO_STORE in store.services
    for sku in sorted(short):
        need = short[sku]
        kept, need = _kept(order_id, sku, store.code, need, inbound)
        plan.transfers.extend(kept)
        sku_trace: dict[str, Any] = {"short": short[sku], "kept": [t.transfer_id for t in kept]}
        plan.trace[sku] = sku_trace
        sent: list[PlannedTransfer] = []
        if need > 0 and not takes:
            sku_trace["why"] = f"{store.code} does not offer ship_to_store"
        elif need > 0:
            sent, considered = _send(
                sku, channel, store.code, need, stock, locations, distance_km, arrival
            )
            sku_trace.update(considered)
            if sum(t.quantity for t in sent) < need:
                sku_trace["why"] = (
                    f"the warehouses can send only {sum(t.quantity for t in sent)} of the "
                    f"{need} needed: nothing is sent, the units wait for the store's own supply"
                )
                sent = []
            plan.transfers.extend(sent)
        if need <= 0 or sent:
            days = [t.expected_on for t in (*kept, *sent)]
            if days:
                plan.ready[sku] = max(days)
        sku_trace["sent"] = [
            {
                "from": t.from_location,
                "quantity": t.quantity,
                "expected_on": t.expected_on.isoformat(),
            }
            for t in sent
        ]
    return plan


def _kept(
    order_id: str, sku: str, store: str, need: int, inbound: Sequence[InboundSupply]
) -> tuple[list[PlannedTransfer], int]:
    """The order's transfers of `sku` on their way to `store` that it still needs, first to
    arrive first, and the units still needed beyond them."""
    own = sorted(
        (
            s
            for s in inbound
            if s.order_id == order_id and s.sku == sku and s.location_code == store and s.pending
        ),
        key=lambda s: (s.expected_on, s.id),
    )
    kept = []
    for supply in own:
        if need <= 0:
            break
        origin = supply.reference.removeprefix("from ")
        kept.append(
            PlannedTransfer(sku, origin, store, supply.quantity, supply.expected_on, supply.id)
        )
        need -= supply.quantity
    return kept, need


def _candidates(
    sku: str,
    store: str,
    stock: StockView,
    locations: Mapping[str, Location],
) -> tuple[list[str], dict[str, str]]:
    """Locations that may send `sku` to the store, and why each other stocking one may not."""
    allowed, excluded = [], {}
    for code in sorted(set(stock.locations(sku))):
        location = locations.get(code)
        if code == store:
            continue
        if location is None:
            excluded[code] = "unknown location"
        elif not location.enabled:
            excluded[code] = "location disabled"
        elif location.type not in SOURCE_TYPES:
            excluded[code] = f"a {location.type}, not a warehouse"
        else:
            allowed.append(code)
    return allowed, excluded


def _send(
    sku: str,
    channel: str,
    store: str,
    need: int,
    stock: StockView,
    locations: Mapping[str, Location],
    distance_km: Callable[[str], float],
    arrival: Arrival,
) -> tuple[list[PlannedTransfer], dict[str, Any]]:
    """Nearest first, as many units as each candidate has, until `need` is covered; with
    the trace of every location considered (its distance, what it sends or why not) and of
    every stocking location left out."""
    allowed, excluded = _candidates(sku, store, stock, locations)
    sent, considered = [], []
    for code in sorted(allowed, key=lambda c: (distance_km(c), c)):
        seen: dict[str, Any] = {"location": code, "distance_km": round(distance_km(code), 1)}
        considered.append(seen)
        if need <= 0:
            seen["why"] = "not needed: nearer warehouses send it all"
            continue
        units = min(need, stock.available(sku, code, channel))
        if units <= 0:
            seen["why"] = "nothing available to send"
            continue
        arrives = arrival(code, sku, units)
        if arrives is None:
            seen["why"] = "no carrier can carry it to the store"
            continue
        seen["sends"] = units
        sent.append(PlannedTransfer(sku, code, store, units, arrives))
        need -= units
    return sent, {"sources": considered, "excluded": excluded}
