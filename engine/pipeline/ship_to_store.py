"""Ship to store: which warehouses send a pickup order's shortfall to its store, and when the
units arrive. Pure: the Decider passes what it knows and the service layer requests the
transfers (`engine/service_layer/ship_to_store.py`).

For each SKU the store cannot give, the order first keeps counting on the transfers already
on their way to the store for it (a re-decision reuses them rather than sending more), in
order of arrival while any units are still needed. What is left is sent from the warehouses
(or 3PLs) holding available units, as many as each may give, if the store offers
`ship_to_store`. A SKU the warehouses cannot cover in full is sent from none of them: part of
it would leave stock other orders could ship while this one still could not be collected; it
waits at the store as before, promised from the store's own inbound supply.

A warehouse gives only what an ordinary order of the same channel and customer could ship
from it: the order's sourcing rules screen it (`require`, `exclude`: one they leave out
sends nothing) and its reservation rules hold back the safety stock there and the units
fenced for other channels or customer groups, on the location's facts as that order sees
them (`engine.pipeline.candidates`, the same code as for sourcing). The warehouses the
sourcing rules prefer (the highest score) send first, then the nearest to the store, then by
code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any

from engine.domain.catalog import Location, LocationType, Service
from engine.domain.inventory import InboundSupply
from engine.pipeline.candidates import (
    LineCandidates,
    ReservationPolicy,
    Screen,
    SourcingActions,
    line_candidates,
    screen_by_rules,
)
from engine.pipeline.decision import PlannedTransfer
from engine.pipeline.stock_view import StockView

# Locations that send stock to stores: not another store (its shelves serve its own
# customers), not a dropship vendor (its stock is not ours).
SOURCE_TYPES = frozenset({LocationType.WAREHOUSE, LocationType.THREE_PL})

# (source code, SKU, units) -> the day the units would reach the store, None if no carrier
# can carry them.
Arrival = Callable[[str, str, int], date | None]


@dataclass(frozen=True)
class SenderRules:
    """What the order's rules say about the warehouses that could send it units: what they
    would say about the same warehouses shipping it the order."""

    # The sourcing actions about locations (require, exclude, prefer).
    sourcing: SourcingActions
    # Per SKU, the reservation policy of each of the order's lines of it that waits (one,
    # unless the order has several lines of the SKU).
    policies: Mapping[str, Sequence[ReservationPolicy]]
    # A location's facts as the order's rules read them, by code (its `distance` is from the
    # order's ship-to address, as for any order).
    facts: Callable[[str], Mapping[str, Any]]


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
    rules: SenderRules,
) -> TransferPlan:
    """The transfers that bring `short` (units per SKU) to `store` for order `order_id`.
    `distance_km(code)` is a location's distance from the store; `inbound` is the pending
    supply of the short SKUs (any location); `rules` what the order's rules let each
    warehouse give."""
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
            offered = _offered(sku, channel, store.code, need, stock, locations, rules)
            sent, considered = _send(sku, store.code, need, offered, distance_km, arrival)
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


def _offered(
    sku: str,
    channel: str,
    store: str,
    need: int,
    stock: StockView,
    locations: Mapping[str, Location],
    rules: SenderRules,
) -> LineCandidates:
    """What each location stocking `sku` may send of it, and why each other may not: the
    candidates of a line of the order (`line_candidates`) among the warehouses, under the
    reservation policy of each of the order's lines of the SKU (the least a warehouse may
    give under any of them, should they differ)."""
    screens: dict[str, Screen] = {}
    facts: dict[str, Mapping[str, Any]] = {}
    for code in sorted(set(stock.locations(sku))):
        location = locations.get(code)
        if code == store or location is None:
            continue  # the store: not a sender; unknown: `line_candidates` says so
        if not location.enabled:
            screens[code] = Screen(False, "location disabled")
        elif location.type not in SOURCE_TYPES:
            screens[code] = Screen(False, f"a {location.type}, not a warehouse")
        else:
            facts[code] = rules.facts(code)
            screens[code] = screen_by_rules(facts[code], rules.sourcing)
    policies = rules.policies.get(sku) or (ReservationPolicy(),)
    first, *others = (
        line_candidates(sku, sku, need, channel, stock, screens, facts, policy)
        for policy in policies
    )
    for other in others:
        for code, why in other.excluded.items():
            first.excluded.setdefault(code, why)
        theirs = {c.location_code: c for c in other.candidates}
        first.candidates = [
            min(mine, theirs[mine.location_code], key=attrgetter("available"))
            for mine in first.candidates
            if mine.location_code in theirs
        ]
    first.excluded.pop(store, None)
    return first


def _send(
    sku: str,
    store: str,
    need: int,
    offered: LineCandidates,
    distance_km: Callable[[str], float],
    arrival: Arrival,
) -> tuple[list[PlannedTransfer], dict[str, Any]]:
    """Preferred first (the highest score), then nearest, then by code, as many units as each
    candidate may give, until `need` is covered; with the trace of every location considered
    (its distance, score, what the reservation rules hold back there and which, what it sends
    or why not) and of every stocking location left out."""
    far = {c.location_code: distance_km(c.location_code) for c in offered.candidates}
    ranked = sorted(
        offered.candidates, key=lambda c: (-c.score, far[c.location_code], c.location_code)
    )
    sent, considered = [], []
    for candidate in ranked:
        code = candidate.location_code
        seen: dict[str, Any] = {
            "location": code,
            "distance_km": round(far[code], 1),
            "score": candidate.score,
            "available": candidate.available,
            "held_back": candidate.held_back,
            "held_back_by": list(candidate.held_back_by),
        }
        considered.append(seen)
        if need <= 0:
            seen["why"] = "not needed: the warehouses ranked before it send it all"
            continue
        units = min(need, candidate.available)
        arrives = arrival(code, sku, units)
        if arrives is None:
            seen["why"] = "no carrier can carry it to the store"
            continue
        seen["sends"] = units
        sent.append(PlannedTransfer(sku, code, store, units, arrives))
        need -= units
    return sent, {"sources": considered, "excluded": dict(sorted(offered.excluded.items()))}
