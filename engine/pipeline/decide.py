"""The Decider: one order in, one Decision out, with the trace of why. Pure: no I/O.

Steps, each driven by the published rulesets of its kind: validation (reject, hold, pass) →
reservation policy (what is held back from this order) → sourcing (candidates per line,
scores, split limit) → optimiser (assign lines to locations at least cost) → fallbacks for
what stock cannot cover (backorder, pre-order, dropship, hold) → carrier choice per shipment
(with a box catalogue, each shipment packed into boxes and priced parcel by parcel).

The Decider reads the registry's snapshot once, so a publish during a decision cannot mix two
versions. Ties are broken by location code, carrier and service, so the same inputs always
give the same Decision (the simulation relies on it).
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import asin, sin, sqrt
from typing import Any

from engine.adapters.geo import EARTH_RADIUS_KM, haversine_km, postal_code_coordinates
from engine.domain.catalog import Customer, Location, Product
from engine.domain.fulfilment import PICKUP_CARRIER, PICKUP_SERVICE
from engine.domain.fulfilment import Parcel as StoredParcel
from engine.domain.inventory import InboundSupply
from engine.domain.orders import Fulfilment, Order, OrderLine
from engine.domain.packaging import BoxCatalog
from engine.pipeline import optimiser
from engine.pipeline.candidates import (
    LineCandidates,
    ReservationPolicy,
    Screen,
    SourcingActions,
    line_candidates,
    reservation_policy,
    screen_locations,
    screen_pickup,
)
from engine.pipeline.carriers import CarrierCatalog, Parcel, Quote, QuoteMemo, ship_date
from engine.pipeline.decision import (
    FALLBACKS,
    OUTCOMES,
    Allocation,
    Backorder,
    Decision,
    PlannedShipment,
    PlannedTransfer,
)
from engine.pipeline.packing import Item, Packing, pack
from engine.pipeline.ruling import RuleRun, run
from engine.pipeline.ship_to_store import SenderRules, TransferPlan, plan_transfers
from engine.pipeline.shipping import choose_carrier
from engine.pipeline.stock_view import StockView
from engine.pipeline.validation import validate
from engine.rules import facts as F
from engine.rules.registry import RulesetRegistry, RulesetSnapshot

# Inbound supply (purchase orders, transfers), or a function loading it when first needed.
Inbound = Sequence[InboundSupply] | Callable[[], Sequence[InboundSupply]]
# Re-plans allowed when a chosen location turns out to be at its daily capacity.
CAPACITY_ROUNDS = 4
__all__ = [
    "FALLBACKS",
    "OUTCOMES",
    "Allocation",
    "Backorder",
    "Decider",
    "DeciderSettings",
    "Decision",
    "PlannedShipment",
    "backorder_promise",
]


@dataclass(frozen=True)
class DeciderSettings:
    """Cost weights and limits (from `ordo.settings`; the defaults suit the demo)."""

    optimiser: str = "auto"
    max_shipments: int = 3
    split_penalty: float = 12.0
    cost_per_km: float = 0.004
    score_value: float = 1.0
    late_day_penalty: float = 4.0
    default_fallback: str = "backorder"
    exact_limit: int = 400


def _coordinates(
    postal_code: str, country: str, lat: float | None, lon: float | None
) -> tuple[float, float] | None:
    if lat is not None and lon is not None:
        return (lat, lon)
    return postal_code_coordinates(postal_code, country)


def backorder_promise(
    sku: str, quantity: int, inbound: Sequence[InboundSupply], today: date
) -> date | None:
    """The day inbound supply of `sku` (any location) first covers `quantity`, if ever."""
    return _first_cover(sku, quantity, _by_arrival(inbound), today)


def _by_arrival(inbound: Sequence[InboundSupply]) -> list[InboundSupply]:
    return sorted(inbound, key=_ARRIVAL)


# By (expected_on, id), read in C: every order with a shortfall sorts its pending receipts.
_ARRIVAL = operator.attrgetter("expected_on", "id")


def _first_cover(
    sku: str, quantity: int, arriving: Sequence[InboundSupply], today: date
) -> date | None:
    """`backorder_promise` over inbound supply already in order of arrival."""
    total = 0
    for supply in arriving:
        if supply.sku != sku or not supply.pending:
            continue
        total += supply.quantity
        if total >= quantity:
            return max(supply.expected_on, today)
    return None


def _open_to(supply: InboundSupply, order: Order) -> bool:
    """Whether `order` may count on `supply`: a ship-to-store transfer is its order's alone."""
    return not supply.order_id or supply.order_id == order.id


# A location's (lat, lon) in radians with the cosine of its latitude (see `_Context.distance`).
Point = tuple[float, float, float] | None


class _Sites:
    """The locations a caller passes, by code, with what depends on a location alone (its
    facts but the distance, its point), each worked out when first asked for. The simulation
    passes the same locations for every order, so one `_Sites` serves a whole run."""

    def __init__(
        self,
        locations: tuple[Location, ...],
        facts_of: Callable[[Location], dict[str, Any]],
        point_of: Callable[[Location], Point],
    ) -> None:
        self.key = locations
        self.by_code = {loc.code: loc for loc in locations}
        self._facts_of, self._point_of = facts_of, point_of
        self._facts: dict[str, dict[str, Any]] = {}
        self._points: dict[str, Point] = {}

    def same(self, locations: Sequence[Location]) -> bool:
        """Whether these are the very objects this was built from (not merely equal ones)."""
        return len(locations) == len(self.key) and all(map(operator.is_, locations, self.key))

    def facts(self, code: str) -> dict[str, Any]:
        found = self._facts.get(code)
        if found is None:
            found = self._facts[code] = self._facts_of(self.by_code[code])
        return found

    def point(self, code: str) -> Point:
        if code in self._points:
            return self._points[code]
        found = self._points[code] = self._point_of(self.by_code[code])
        return found


@dataclass
class _Context:
    """Everything one decision computes once and several steps read."""

    order: Order
    products: Mapping[str, Product]
    facts: dict[str, Any]
    now: datetime
    snapshot: RulesetSnapshot
    sites: _Sites
    ship_to: tuple[float, float] | None
    # False: the trace keeps only which rules matched (see `Decider.decide`).
    full: bool = True
    distances: dict[str, float] = field(default_factory=dict)
    trace: dict[str, Any] = field(default_factory=dict)
    origin: tuple[float, float, float] | None = None
    locations: dict[str, Location] = field(init=False)

    def __post_init__(self) -> None:
        self.locations = self.sites.by_code
        if self.ship_to is not None:
            lat, lon = math.radians(self.ship_to[0]), math.radians(self.ship_to[1])
            self.origin = (lat, lon, math.cos(lat))

    def distance(self, code: str) -> float:
        known = self.distances.get(code)
        if known is not None:
            return known
        return self.distances_to((code,))[0]

    def location_facts(self, code: str) -> dict[str, Any]:
        """A location's facts for this order's rules, its distance included."""
        facts = self.sites.facts(code).copy()
        facts["distance"] = self.distance(code)
        return facts

    def distances_to(self, codes: Sequence[str]) -> list[float]:
        """`distance` to each of `codes`, in one loop (an order asks for every stocked
        location at once)."""
        known, point, origin = self.distances, self.sites.point, self.origin
        found = []
        for code in codes:
            value = known.get(code)
            if value is None:
                here = point(code)
                if origin is None or here is None:
                    value = 0.0
                else:
                    # `haversine_km` with the per-location trigonometry done once per Decider
                    # rather than per order: the same operations in the same order, so the
                    # same floats (`min(1.0, r)` spelled as a test, which is what it does).
                    lat1, lon1, cos1 = origin
                    lat2, lon2, cos2 = here
                    h = sin((lat2 - lat1) / 2) ** 2 + cos1 * cos2 * sin((lon2 - lon1) / 2) ** 2
                    root = sqrt(h)
                    value = 2 * EARTH_RADIUS_KM * asin(root if root < 1.0 else 1.0)
                known[code] = value
            found.append(value)
        return found

    def unit_weight(self, sku: str) -> float:
        product = self.products.get(sku)
        return product.weight_kg if product else 0.0


class Decider:
    """`Decider(registry, carriers, settings).decide(...)` — see the module docstring."""

    def __init__(
        self,
        registry: RulesetRegistry,
        carriers: CarrierCatalog,
        settings: DeciderSettings | None = None,
        packaging: BoxCatalog | None = None,
    ) -> None:
        """`packaging`: the box catalogue shipments are packed with (`ORDO_PACKAGING_FILE`);
        None prices each shipment as one parcel of its lines' weight."""
        self.registry = registry
        self.carriers = carriers
        self.settings = settings or DeciderSettings()
        self.packaging = packaging
        # Cheapest-rate estimates are priced at 10 km and 100 g steps: rate cards are step
        # functions, so nearby parcels share an answer and the optimiser asks often. They are
        # cached by each card's zone rather than by distance and postal prefix: a handful of
        # zone tuples cover every location, so nearly every estimate is a hit.
        self._zones: dict[tuple[int, str], tuple[int, ...]] = {}
        # Postal prefixes some card zones by (remote areas); elsewhere zones depend on the
        # distance alone, so those ship-tos share one cache entry per 10 km step.
        self._remote_prefixes = frozenset(
            prefix for card in carriers.cards for prefix in card.zones_by_prefix
        )
        self._estimates: dict[tuple[tuple[int, ...], int, bool], float] = {}
        # Quotes shared by shipments in the same zone, weight break and ship date.
        self._quotes = QuoteMemo()
        self._location_facts: dict[str, tuple[Location, dict[str, Any]]] = {}
        self._product_facts: dict[str, tuple[Product | None, dict[str, Any]]] = {}
        self._points: dict[str, tuple[Location, tuple[float, float, float] | None]] = {}
        # The last `locations` passed in (see `_sites_of`).
        self._sites = _Sites((), self._base_facts, self._point)
        self._versions: tuple[RulesetSnapshot | None, dict[str, int]] = (None, {})

    def _sites_of(self, locations: Sequence[Location]) -> _Sites:
        """The locations indexed once while the caller passes the same objects (the
        simulation passes one list for every order; a request passes its own)."""
        sites = self._sites
        # The very tuple passed before holds the very same objects (a tuple's items cannot be
        # swapped), so only a list need be compared item by item.
        if locations is sites.key or sites.same(locations):
            return sites
        self._sites = _Sites(tuple(locations), self._base_facts, self._point)
        return self._sites

    def _versions_of(self, snapshot: RulesetSnapshot) -> dict[str, int]:
        """`snapshot.versions`, built once per snapshot; a fresh dict for each Decision."""
        if self._versions[0] is not snapshot:
            self._versions = (snapshot, dict(snapshot.versions))
        return dict(self._versions[1])

    def _described(self, product: Product | None, sku: str) -> dict[str, Any]:
        """A product's facts, cached while the same object is passed in (as `_base_facts`).
        Rules only read facts, so orders of the same product share one dict."""
        cached = self._product_facts.get(sku)
        if cached is not None and cached[0] is product:
            return cached[1]
        facts = F.product_facts(product, sku)
        if len(self._product_facts) > 100_000:
            self._product_facts.clear()
        self._product_facts[sku] = (product, facts)
        return facts

    def _point(self, location: Location) -> Point:
        """A location's coordinates for `_Context.distance`, cached while the same object is
        passed in (as `_base_facts`)."""
        cached = self._points.get(location.code)
        if cached is not None and cached[0] is location:
            return cached[1]
        address = location.address
        here = _coordinates(address.postal_code, address.country, location.lat, location.lon)
        point = None
        if here is not None:
            lat, lon = math.radians(here[0]), math.radians(here[1])
            point = (lat, lon, math.cos(lat))
        if len(self._points) > 100_000:
            self._points.clear()
        self._points[location.code] = (location, point)
        return point

    def _remote(self, postal_code: str) -> str:
        """The postal prefix zones depend on for this ship-to, or "" where none does."""
        prefix = postal_code[:3]
        return prefix if prefix in self._remote_prefixes else ""

    def _zones_at(self, distance_km: float, postal_code: str, remote: str) -> tuple[int, ...]:
        """Each rate card's zone at the 10 km step of `distance_km` (see `_estimate`), for a
        ship-to whose `_remote` prefix is `remote`."""
        step = round(distance_km / 10)
        key = (step, remote)
        found = self._zones.get(key)
        if found is None:
            if len(self._zones) > 200_000:
                self._zones.clear()
            found = self._zones[key] = self.carriers.zones(step * 10.0, postal_code)
        return found

    def _estimate(self, zones: tuple[int, ...], weight_kg: float, hazmat: bool) -> float:
        """The catalog's cheapest rate at the 100 g step of `weight_kg` in these zones."""
        grams = round(weight_kg * 10)
        key = (zones, grams, hazmat)
        found = self._estimates.get(key)
        if found is None:
            if len(self._estimates) > 200_000:
                self._estimates.clear()
            found = self._estimates[key] = self.carriers.estimate_in_zones(
                zones, grams / 10, hazmat
            )
        return found

    def decide(
        self,
        order: Order,
        customer: Customer | None,
        products: Mapping[str, Product],
        locations: Sequence[Location],
        stock: StockView,
        now: datetime,
        *,
        inbound: Inbound = (),
        shipments_today: Mapping[str, int] | None = None,
        snapshot: RulesetSnapshot | None = None,
        waived_holds: frozenset[str] = frozenset(),
        trace: bool = True,
        validated: bool = False,
    ) -> Decision:
        """Decide one order. With `trace=False` the Decision is the same but its trace keeps
        only which rules matched, under each step's `rulesets` as in the full trace (what the
        simulation counts for millions of orders); what is stored for an order is the full
        trace, which explains every candidate, quote and rule.

        `validated`: the order was accepted when first decided, and this is its remainder
        (backordered lines served by an arrival, pre-order lines at release): the validation
        rules are not run again, since a rule about the whole order (a minimum order value,
        say) would judge the remainder alone. The engine's own checks still are."""
        snap = snapshot or self.registry.snapshot
        ship_to = _coordinates(
            order.ship_to.postal_code, order.ship_to.country, order.ship_to.lat, order.ship_to.lon
        )
        facts = {
            "order": F.order_facts(order, products, ship_to, self._described),
            "customer": F.customer_facts(customer, order.customer_id),
        }
        ctx = _Context(
            order,
            products,
            facts,
            now,
            snap,
            self._sites_of(locations),
            ship_to,
            trace,
        )
        rules = RuleRun() if validated else run(snap, "validation", facts, now, trace)
        verdict = validate(facts["order"], rules, waived_holds)
        if trace:
            ctx.trace.update(
                {
                    "order_id": order.id,
                    "at": now.isoformat(),
                    "versions": self._versions_of(snap),
                    "ship_to_coordinates": list(ship_to) if ship_to else None,
                }
            )
            ctx.trace["validation"] = {
                "outcome": verdict.outcome,
                "code": verdict.code,
                "message": verdict.message,
                "rule": verdict.rule,
                **verdict.trace,
            }
            if validated:
                ctx.trace["validation"]["rules_skipped"] = "accepted when first decided"
        else:
            ctx.trace["validation"] = {"rulesets": rules.traces}
        if verdict.outcome != "pass":
            outcome = "rejected" if verdict.outcome == "reject" else "held"
            return Decision(
                outcome,
                order.id,
                verdict.code,
                verdict.message,
                versions=self._versions_of(snap),
                trace=ctx.trace,
            )
        if order.fulfilment is Fulfilment.PICKUP:
            return self._pickup(ctx, customer, stock, inbound)
        released = {} if shipments_today is None else shipments_today
        return self._source(ctx, customer, stock, inbound, released)

    # --- sourcing -------------------------------------------------------------------------

    def _source(
        self,
        ctx: _Context,
        customer: Customer | None,
        stock: StockView,
        inbound: Inbound,
        shipments_today: Mapping[str, int],
    ) -> Decision:
        order, now, snap = ctx.order, ctx.now, ctx.snapshot
        sourcing = run(snap, "sourcing", ctx.facts, now, ctx.full)
        today = now.date()
        preorder_lines, sourced = _preorders_apart(ctx, today)
        stocked = sorted({code for line in sourced for code in stock.locations(line.sku)})
        # Capacity is checked for the locations a plan uses, not for every candidate: counting
        # today's releases is a query per location, and few locations are ever near their limit.
        screens, loc_facts = self._screen(ctx, stocked, sourcing, {})
        group = customer.group if customer else ""
        line_facts = {line["id"]: line for line in ctx.facts["order"]["lines"]}
        policies, reservation_traces = {}, {}
        # Reservation rules are per line ("half the boots are for the marketplace"), but
        # when no reservation ruleset reads `line` every line gets the same answer.
        each_line = any(rs.reads("line") for rs in snap.of("reservation"))
        reserved: tuple[ReservationPolicy, list[dict[str, Any]]] | None = None
        for line in sourced:
            if reserved is None or each_line:
                facts = {**ctx.facts, "line": line_facts[line.id]}
                rules = run(snap, "reservation", facts, now, trace=False)
                reserved = (reservation_policy(rules, order.channel, group), rules.traces)
            policies[line.id], reservation_traces[line.id] = reserved
        priority = max((p.priority for p in policies.values()), default=0)
        caps = [
            int(f.args.get("n", self.settings.max_shipments)) for f in sourcing.of("max_shipments")
        ]
        max_shipments = max(1, min(caps)) if caps else self.settings.max_shipments
        # A sourcing rule may choose the optimiser for its orders (`optimise exact`); the
        # first in policy order wins, as for `fallback`. Otherwise the setting decides.
        chosen = sourcing.of("optimise")
        method = str(chosen[0].args["method"]) if chosen else self.settings.optimiser
        requested_by = chosen[0].label() if chosen else "settings"
        for _ in range(CAPACITY_ROUNDS):
            per_line = [
                line_candidates(
                    line.id,
                    line.sku,
                    line.quantity,
                    order.channel,
                    stock,
                    screens,
                    loc_facts,
                    policies[line.id],
                )
                for line in sourced
            ]
            problem = self._problem(ctx, per_line, screens, max_shipments)
            plan = optimiser.solve(problem, method, self.settings.exact_limit)
            full = {
                code: count
                for code in plan.locations
                if (count := shipments_today.get(code, 0)) >= ctx.locations[code].daily_capacity
            }
            if not full:
                break
            for code, count in full.items():
                capacity = ctx.locations[code].daily_capacity
                screens[code] = Screen(False, f"daily capacity reached ({count}/{capacity})")
        if ctx.full:
            ctx.trace["reservation"] = {
                "rulesets": reservation_traces,
                "priority": priority,
                "held_back_by": sorted({rule for p in policies.values() for rule in p.rules}),
            }
            ctx.trace["sourcing"] = {
                "rulesets": sourcing.traces,
                "max_shipments": max_shipments,
                "lines": {c.line_id: c.to_trace(problem.unit_cost) for c in per_line},
                "preordered_lines": [line.id for line in preorder_lines],
            }
            ctx.trace["optimiser"] = {
                "method": plan.method,
                "cost": round(plan.cost, 4),
                "requested": method,
                "requested_by": requested_by,
                "allocations": plan.allocations,
                "unfilled": {k: v for k, v in plan.unfilled.items() if v},
            }
        else:
            ctx.trace["reservation"] = {"rulesets": reservation_traces}
            ctx.trace["sourcing"] = {"rulesets": sourcing.traces}
        allocations = [
            optimiser_alloc
            for line in sourced
            for optimiser_alloc in (
                Allocation(line.id, line.sku, loc, qty)
                for loc, qty in plan.allocations.get(line.id, {}).items()
            )
        ]
        return self._finish(ctx, sourcing, priority, plan, allocations, preorder_lines, inbound)

    # --- click and collect ----------------------------------------------------------------

    def _pickup(
        self, ctx: _Context, customer: Customer | None, stock: StockView, inbound: Inbound
    ) -> Decision:
        """A pickup order: its store is the one candidate for every line, with the sourcing
        and reservation rules applied to it as to any location. What the store has is
        allocated there, with no split and no carrier quotes: one shipment with carrier
        `pickup`, ready today (tomorrow past the store's cut-off). What it lacks waits there
        (backordered, promised from the store's own inbound supply), or holds the order
        under a `hold` fallback. A store that cannot take it (unknown, disabled, no pickup
        service, refused by a rule) holds the order: there is nowhere else to send it."""
        order, now, snap = ctx.order, ctx.now, ctx.snapshot
        store, today = str(order.pickup_location), now.date()
        sourcing = run(snap, "sourcing", ctx.facts, now, ctx.full)
        preorder_lines, sourced = _preorders_apart(ctx, today)
        stocked = sorted({code for line in sourced for code in stock.locations(line.sku)})
        facts: dict[str, Any] | None = None
        if store in ctx.locations:
            facts = ctx.location_facts(store)
        actions = SourcingActions.of(sourcing)
        screens = screen_pickup(store, stocked, facts, ctx.locations, actions)
        if ctx.full:
            ctx.trace["pickup"] = {
                "location": store,
                "why": f"the customer collects the order at {store}: it is the only "
                "location considered, for every line (no split, no carrier quotes)",
            }
        verdict = screens[store]
        if not verdict.allowed:
            ctx.trace["sourcing"] = {"rulesets": sourcing.traces}
            return Decision(
                "held",
                order.id,
                "pickup_unavailable",
                f"the pickup store {store} cannot take the order: {verdict.reason}",
                versions=self._versions_of(snap),
                trace=ctx.trace,
            )
        assert facts is not None  # allowed, so known
        policies, reservation_traces = {}, {}
        group = customer.group if customer else ""
        line_facts = {line["id"]: line for line in ctx.facts["order"]["lines"]}
        for line in sourced:
            rules = run(snap, "reservation", {**ctx.facts, "line": line_facts[line.id]}, now, False)
            policies[line.id] = reservation_policy(rules, order.channel, group)
            reservation_traces[line.id] = rules.traces
        priority = max((p.priority for p in policies.values()), default=0)
        allocations, short, per_line = [], {}, []
        for line in sourced:
            lc = line_candidates(
                line.id, line.sku, line.quantity, order.channel, stock, screens,
                {store: facts}, policies[line.id],
            )  # fmt: skip
            if store not in stock.locations(line.sku):
                lc.excluded[store] = "nothing in stock"
            per_line.append(lc)
            got = min(line.quantity, lc.candidates[0].available) if lc.candidates else 0
            if got:
                allocations.append(Allocation(line.id, line.sku, store, got))
            if got < line.quantity:
                short[line.id] = line.quantity - got
        fallbacks = sourcing.of("fallback")
        mode = str(fallbacks[0].args.get("mode")) if fallbacks else self.settings.default_fallback
        if ctx.full:
            ctx.trace["reservation"] = {
                "rulesets": reservation_traces,
                "priority": priority,
                "held_back_by": sorted({rule for p in policies.values() for rule in p.rules}),
            }
            ctx.trace["sourcing"] = {
                "rulesets": sourcing.traces,
                "pickup_location": store,
                "lines": {lc.line_id: lc.to_trace({}) for lc in per_line},
                "preordered_lines": [line.id for line in preorder_lines],
            }
            ctx.trace["fallback"] = {
                "mode": mode if short else None,
                "rule": fallbacks[0].label() if fallbacks and short else None,
                "short": short,
            }
        else:
            ctx.trace["reservation"] = {"rulesets": reservation_traces}
            ctx.trace["sourcing"] = {"rulesets": sourcing.traces}
        if short and mode == "hold":
            return Decision(
                "held",
                order.id,
                "insufficient_stock",
                f"not enough stock at the pickup store {store}: "
                + ", ".join(f"line {k} short {v}" for k, v in short.items()),
                priority=priority,
                versions=self._versions_of(snap),
                trace=ctx.trace,
            )
        backorders, transfers = self._pickup_backorders(
            ctx, store, preorder_lines, short, mode, inbound, stock, actions, policies
        )
        shipments, ctx.trace["carriers"] = [], {}
        if allocations:
            cutoff = ctx.locations[store].cutoff
            ready = today if now.time() < cutoff else today + timedelta(days=1)
            distance = round(ctx.distance(store), 1)
            planned = PlannedShipment(
                store,
                tuple(allocations),
                PICKUP_CARRIER,
                PICKUP_SERVICE,
                0.0,
                ready,
                ready,
                distance,
            )
            shipments.append(planned)
            ctx.trace["carriers"] = {
                store: {
                    "carrier": PICKUP_CARRIER,
                    "service": PICKUP_SERVICE,
                    "rate": 0.0,
                    "promised_date": ready.isoformat(),
                    "why": "collected in store: no carrier quoted, ready today before the "
                    "store's cut-off, else the next day",
                    "rulesets": [],
                }
                if ctx.full
                else {"rulesets": []}
            }
        return Decision(
            _outcome(allocations, backorders),
            order.id,
            allocations=tuple(allocations),
            backorders=tuple(backorders),
            shipments=tuple(shipments),
            transfers=tuple(transfers),
            priority=priority,
            versions=self._versions_of(snap),
            trace=ctx.trace,
        )

    def _pickup_backorders(
        self,
        ctx: _Context,
        store: str,
        preorder_lines: Sequence[Any],
        short: Mapping[str, int],
        mode: str,
        inbound: Inbound,
        stock: StockView,
        actions: SourcingActions,
        policies: Mapping[str, ReservationPolicy],
    ) -> tuple[list[Backorder], list[PlannedTransfer]]:
        """What a pickup order's store cannot give now waits there: a pre-order for its
        release, a shortfall until it arrives, sent from the nearest warehouses (ship to
        store, `engine.pipeline.ship_to_store`) or else from the store's own inbound supply
        (a `preorder` fallback for a product with a release date, as for any order; a
        `dropship` fallback has no vendor to ship to the counter). The order's sourcing
        `actions` and each line's reservation policy (`policies`, by line id) say what the
        warehouses may send it, as they would what they may ship it."""
        today = ctx.now.date()
        backorders = [
            Backorder(line.id, line.sku, line.quantity, "preorder", release)
            for line in preorder_lines
            if (release := ctx.products[line.sku].preorder_release)
        ]
        if not short:
            return backorders, []
        waiting: dict[str, int] = defaultdict(int)
        per_sku: dict[str, list[ReservationPolicy]] = defaultdict(list)
        for line_id, qty in short.items():
            sku = ctx.order.line(line_id).sku
            product = ctx.products.get(sku)
            if not (mode == "preorder" and product and product.preorder_release):
                waiting[sku] += qty
                per_sku[sku].append(policies[line_id])
        pending = inbound() if callable(inbound) else inbound
        senders = SenderRules(actions, per_sku, ctx.location_facts)
        plan = self._transfers(ctx, ctx.locations[store], waiting, stock, pending, senders)
        if plan.trace and ctx.full:
            ctx.trace["ship_to_store"] = plan.trace
        arriving = _by_arrival(
            [s for s in pending if s.location_code == store and _open_to(s, ctx.order)]
        )
        for line_id, qty in short.items():
            sku = ctx.order.line(line_id).sku
            product = ctx.products.get(sku)
            release = product.preorder_release if product else None
            if mode == "preorder" and release:
                backorders.append(Backorder(line_id, sku, qty, "preorder", release))
            else:
                promise = plan.ready.get(sku) or _first_cover(sku, qty, arriving, today)
                backorders.append(Backorder(line_id, sku, qty, "backorder", promise))
        return backorders, plan.transfers

    def _transfers(
        self,
        ctx: _Context,
        store: Location,
        short: Mapping[str, int],
        stock: StockView,
        inbound: Sequence[InboundSupply],
        rules: SenderRules,
    ) -> TransferPlan:
        """The ship-to-store transfers of a pickup order's shortfall: distances from the store
        as the crow flies (as every distance the pipeline weighs), arrival as the cheapest
        carrier quote from the warehouse to the store promises it, what each warehouse may
        send as the order's `rules` say."""
        if not short:
            return TransferPlan()
        address = store.address
        here = _coordinates(address.postal_code, address.country, store.lat, store.lon)

        def distance_km(code: str) -> float:
            there = ctx.locations[code]
            point = _coordinates(
                there.address.postal_code, there.address.country, there.lat, there.lon
            )
            return haversine_km(here, point) if here and point else 0.0

        def arrival(code: str, sku: str, units: int) -> date | None:
            product = ctx.products.get(sku)
            weight = (product.weight_kg if product else 0.0) * units
            hazmat = bool(product and product.hazmat)
            parcel = Parcel(weight, distance_km(code), address.postal_code, hazmat)
            quotes = self.carriers.quotes(parcel, ctx.now, ctx.locations[code].cutoff, self._quotes)
            cheapest = min(quotes, key=lambda q: (q.rate, q.promised_date), default=None)
            return cheapest.promised_date if cheapest else None

        return plan_transfers(
            ctx.order.id,
            ctx.order.channel,
            store,
            short,
            stock,
            ctx.locations,
            inbound,
            distance_km,
            arrival,
            rules,
        )

    def _screen(
        self,
        ctx: _Context,
        stocked: Sequence[str],
        sourcing: RuleRun,
        shipments_today: Mapping[str, int],
    ) -> tuple[dict[str, Screen], dict[str, dict[str, Any]]]:
        locations, facts_of = ctx.locations, ctx.sites.facts
        known = [code for code in stocked if code in locations]
        loc_facts = {}
        for code, distance in zip(known, ctx.distances_to(known), strict=True):
            # A copy with the distance set: the base facts hold a `distance` key already, so
            # this is `{**base, "distance": distance}` (same keys, same order), built faster.
            facts = facts_of(code).copy()
            facts["distance"] = distance
            loc_facts[code] = facts
        screens = screen_locations(
            loc_facts, locations, SourcingActions.of(sourcing), shipments_today
        )
        return screens, loc_facts

    def _base_facts(self, location: Location) -> dict[str, Any]:
        """A location's facts but its distance, cached while the same object is passed in
        (the simulation and a long-lived caller pass the same Location objects every time)."""
        cached = self._location_facts.get(location.code)
        if cached is not None and cached[0] is location:
            return cached[1]
        facts = F.location_facts(location, 0.0)
        if len(self._location_facts) > 100_000:
            self._location_facts.clear()
        self._location_facts[location.code] = (location, facts)
        return facts

    def _problem(
        self,
        ctx: _Context,
        per_line: Sequence[LineCandidates],
        screens: Mapping[str, Screen],
        max_shipments: int,
    ) -> optimiser.Problem:
        """Price every candidate: a fixed cost per location used, a cost per unit shipped."""
        s = self.settings
        order_weight = sum(ctx.unit_weight(lc.sku) * lc.quantity for lc in per_line) or 1.0
        hazmat = bool(ctx.facts["order"]["hazmat"])
        postal = ctx.order.ship_to.postal_code
        remote = self._remote(postal)
        today = ctx.now.date()
        fixed: dict[str, float] = {}
        per_kg: dict[str, float] = {}
        # Locations share a few zone tuples and cut-offs: price and date each once per order.
        estimates: dict[tuple[int, ...], tuple[float, float]] = {}
        late: dict[time, int] = {}
        distances, zone_cache, locations = ctx.distances, self._zones, ctx.locations
        split, per_km, per_late_day = s.split_penalty, s.cost_per_km, s.late_day_penalty
        for code in sorted({c.location_code for lc in per_line for c in lc.candidates}):
            # Screening measured every candidate; `_zones_at` is looked up inline, as the
            # cache hit it nearly always is.
            distance = distances.get(code)
            if distance is None:
                distance = ctx.distance(code)
            zones = zone_cache.get((round(distance / 10), remote))
            if zones is None:
                zones = self._zones_at(distance, postal, remote)
            priced = estimates.get(zones)
            if priced is None:
                priced = estimates[zones] = (
                    self._estimate(zones, 0.5, hazmat),
                    self._estimate(zones, order_weight, hazmat),
                )
            light, full = priced
            # Past the cut-off a location ships a day (or a weekend) later.
            cutoff = locations[code].cutoff
            late_days = late.get(cutoff)
            if late_days is None:
                late_days = late[cutoff] = (ship_date(ctx.now, cutoff) - today).days
            fixed[code] = split + per_km * distance + light + per_late_day * late_days
            extra = full - light  # `max(0.0, extra)` as a test, which is what it does
            per_kg[code] = (extra if extra > 0.0 else 0.0) / order_weight
        stock: dict[tuple[str, str], int] = {}
        unit: dict[tuple[str, str], float] = {}
        score_value = s.score_value
        lines = tuple(optimiser.LineDemand(lc.line_id, lc.sku, lc.quantity) for lc in per_line)
        # The pairs grouped by location as the optimiser wants them, while they are at hand.
        entries: optimiser.Entries = {code: [] for code in fixed}
        for lc, demand in zip(per_line, lines, strict=True):
            weight = ctx.unit_weight(lc.sku)
            for cand in lc.candidates:
                code = cand.location_code
                stock[(lc.sku, code)] = cand.available
                # A rule's weight is earned once per line, spread over its units.
                cost = per_kg[code] * weight - score_value * cand.score / lc.quantity
                unit[(lc.line_id, code)] = cost
                entries[code].append((demand, cost))
        # Line ids repeated in an order would make pairs collide: then the optimiser groups
        # the pairs itself, from what is left of them.
        distinct = len({lc.line_id for lc in per_line}) == len(per_line)
        return optimiser.Problem(
            lines, stock, fixed, unit, max_shipments, entries if distinct else None
        )

    # --- fallbacks, shipments and carriers ------------------------------------------------

    def _finish(
        self,
        ctx: _Context,
        sourcing: RuleRun,
        priority: int,
        plan: optimiser.Plan,
        allocations: list[Allocation],
        preorder_lines: Sequence[Any],
        inbound: Inbound,
    ) -> Decision:
        order, today = ctx.order, ctx.now.date()
        fallbacks = sourcing.of("fallback")
        mode = str(fallbacks[0].args.get("mode")) if fallbacks else self.settings.default_fallback
        backorders: list[Backorder] = []
        for line in preorder_lines:
            release = ctx.products[line.sku].preorder_release
            backorders.append(Backorder(line.id, line.sku, line.quantity, "preorder", release))
        short = {line_id: qty for line_id, qty in plan.unfilled.items() if qty > 0}
        loaded: list[Sequence[InboundSupply]] = []

        def supplies() -> Sequence[InboundSupply]:
            # Inbound supply matters only for a shortfall: load it then, once, and order only
            # the short SKUs' (`_first_cover` reads no other, and a stable sort of a part
            # keeps the order the whole would have).
            if not loaded:
                wanted = {order.line(line_id).sku for line_id in short}
                pending = inbound() if callable(inbound) else inbound
                loaded.append(
                    _by_arrival([s for s in pending if s.sku in wanted and _open_to(s, order)])
                )
            return loaded[0]

        if ctx.full:
            ctx.trace["fallback"] = {
                "mode": mode if short else None,
                "rule": fallbacks[0].label() if fallbacks and short else None,
                "short": short,
            }
        if short and mode == "hold":
            return Decision(
                "held",
                order.id,
                "insufficient_stock",
                "not enough stock: " + ", ".join(f"line {k} short {v}" for k, v in short.items()),
                priority=priority,
                versions=self._versions_of(ctx.snapshot),
                trace=ctx.trace,
            )
        for line_id, qty in short.items():
            line = order.line(line_id)
            product = ctx.products.get(line.sku)
            vendor = product.dropship_vendor if product else None
            if mode == "dropship" and vendor and vendor in ctx.locations:
                allocations.append(Allocation(line_id, line.sku, vendor, qty, reserve=False))
            elif mode == "preorder" and product and product.preorder_release:
                backorders.append(
                    Backorder(line_id, line.sku, qty, "preorder", product.preorder_release)
                )
            else:
                backorders.append(
                    Backorder(
                        line_id,
                        line.sku,
                        qty,
                        "backorder",
                        _first_cover(line.sku, qty, supplies(), today),
                    )
                )
        shipments = self._shipments(ctx, allocations)
        stranded = [s.location_code for s in shipments if not s.carrier]
        outcome = _outcome(allocations, backorders)
        code = message = ""
        if stranded:
            outcome, code = "held", "no_carrier"
            message = "no carrier service can ship from " + ", ".join(stranded)
        return Decision(
            outcome,
            order.id,
            code,
            message,
            allocations=tuple(allocations),
            backorders=tuple(backorders),
            shipments=tuple(shipments),
            cost=round(plan.cost, 4),
            shipping_cost=round(sum(s.rate for s in shipments), 2),
            priority=priority,
            versions=self._versions_of(ctx.snapshot),
            trace=ctx.trace,
        )

    def _shipments(self, ctx: _Context, allocations: Sequence[Allocation]) -> list[PlannedShipment]:
        by_location: dict[str, list[Allocation]] = defaultdict(list)
        for allocation in allocations:
            by_location[allocation.location_code].append(allocation)
        shipments = []
        carrier_trace: dict[str, Any] = {}
        boxes = self.packaging
        for code in sorted(by_location):
            lines = by_location[code]
            products = [ctx.products.get(a.sku) for a in lines]
            # `unit_weight` of each line, from the products just looked up.
            weight = sum(
                (p.weight_kg if p else 0.0) * a.quantity
                for p, a in zip(products, lines, strict=True)
            )
            hazmat = any(p.hazmat for p in products if p)
            longest = max(
                (
                    max(p.dimensions.length_cm, p.dimensions.width_cm, p.dimensions.height_cm)
                    for p in products
                    if p
                ),
                default=0.0,
            )
            distance = ctx.distance(code)
            # Without a box catalogue this test is all packaging costs a shipment.
            packing = None if boxes is None else self.pack_shipment(boxes, code, lines, products)
            if packing is None:
                parcel = Parcel(weight, distance, ctx.order.ship_to.postal_code, hazmat, longest)
                quotes = self.carriers.quotes(
                    parcel, ctx.now, ctx.locations[code].cutoff, self._quotes
                )
                parcels, gross_weight = 1, weight
            else:
                quotes = self.carriers.packed_quotes(
                    packing,
                    distance,
                    ctx.order.ship_to.postal_code,
                    ctx.now,
                    ctx.locations[code].cutoff,
                    self._quotes,
                )
                parcels, gross_weight = len(packing.parcels), packing.gross_weight_kg
            facts = {
                **ctx.facts,
                "shipment": {
                    "location_code": code,
                    "units": sum(a.quantity for a in lines),
                    "weight": weight,
                    "hazmat": hazmat,
                    "oversize": longest > 120.0,
                    "distance": distance,
                    "parcels": parcels,
                    "gross_weight": gross_weight,
                },
            }
            rules = run(ctx.snapshot, "carrier", facts, ctx.now, ctx.full)
            choice = choose_carrier(
                quotes, rules, ctx.order.requested_date, ctx.order.service_level, ctx.full
            )
            if ctx.full:
                carrier_trace[code] = {
                    **choice.trace,
                    "rulesets": rules.traces,
                    "distance_km": round(distance, 1),
                    "weight_kg": round(weight, 3),
                }
                if packing is not None:
                    carrier_trace[code]["packing"] = self._packing_trace(packing, choice.quote)
            else:
                carrier_trace[code] = {"rulesets": rules.traces}
            q = choice.quote
            parcels_kept = (
                () if packing is None else _stored_parcels(packing, self._billed(packing, q))
            )
            shipments.append(
                PlannedShipment(
                    code,
                    tuple(lines),
                    q.carrier if q else "",
                    q.service if q else "",
                    q.rate if q else 0.0,
                    q.ship_date if q else None,
                    q.promised_date if q else None,
                    round(distance, 1),
                    dropship=not lines[0].reserve,
                    parcels=parcels_kept,
                )
            )
        ctx.trace["carriers"] = carrier_trace
        return shipments

    @staticmethod
    def pack_shipment(
        catalog: BoxCatalog,
        code: str,
        lines: Sequence[Allocation],
        products: Sequence[Product | None],
    ) -> Packing | None:
        """The shipment from `code` packed into the location's boxes; None where it stocks
        none (it ships as one parcel, as without a catalogue). Public for the simulation,
        which packs a recorded shipment again to report its parcels."""
        boxes = catalog.at(code)
        if not boxes:
            return None
        # One item per SKU: an order may name a SKU on several lines.
        items: dict[str, Item] = {}
        for allocation, product in zip(lines, products, strict=True):
            known = items.get(allocation.sku)
            if known is None:
                items[allocation.sku] = Item.of(allocation.sku, allocation.quantity, product)
            else:
                known.count += allocation.quantity
        return pack(list(items.values()), boxes, catalog.fill_factor, catalog.hazmat)

    def _packing_trace(self, packing: Packing, chosen: Quote | None) -> dict[str, Any]:
        """The parcels for support, each with the weight the chosen service billed."""
        trace = packing.to_trace()
        billed = self._billed(packing, chosen)
        if billed is not None:
            for entry, kg in zip(trace["parcels"], billed, strict=True):
                entry["billable_weight_kg"] = round(kg, 3)
        return trace

    def packed_again(
        self,
        code: str,
        lines: Sequence[Allocation],
        products: Sequence[Product | None],
        carrier: str,
        service: str,
    ) -> tuple[StoredParcel, ...]:
        """A planned shipment's parcels packed anew for `lines` (what a short pick left of
        it) into `code`'s boxes, billed by the service it goes with, as `_shipments` packs
        and prices a shipment; () without a box catalogue, or where `code` stocks no boxes."""
        boxes = self.packaging
        packing = None if boxes is None else self.pack_shipment(boxes, code, lines, products)
        if packing is None:
            return ()
        return _stored_parcels(packing, self._billed_by(packing, carrier, service))

    def _billed(self, packing: Packing, chosen: Quote | None) -> list[float] | None:
        """What the chosen service bills each parcel at; None without a service."""
        return self._billed_by(packing, chosen.carrier, chosen.service) if chosen else None

    def _billed_by(self, packing: Packing, carrier: str, code: str) -> list[float] | None:
        """What `carrier`'s service `code` bills each parcel at; None when no card has it."""
        service = self.carriers.service(carrier, code)
        if service is None:
            return None
        return [
            service.billable_kg(parcel.gross_weight_kg, parcel.outer_volume_cm3)
            for parcel in packing.parcels
        ]


def _stored_parcels(packing: Packing, billed: list[float] | None) -> tuple[StoredParcel, ...]:
    """The parcels as the shipment keeps them (its labels, its WMS release, its 856), each
    with the weight its service bills (`billed`; None: no service could take it)."""
    kilos: Sequence[float | None] = billed or [None] * len(packing.parcels)
    return tuple(parcel.stored(kg) for parcel, kg in zip(packing.parcels, kilos, strict=True))


def _preorders_apart(ctx: _Context, today: date) -> tuple[list[OrderLine], list[OrderLine]]:
    """The order's lines of products not released yet (pre-orders, which wait for their
    date), and the lines to source now."""
    preorder_lines = [
        line
        for line in ctx.order.lines
        if (p := ctx.products.get(line.sku)) and p.preorder_release and p.preorder_release > today
    ]
    return preorder_lines, [line for line in ctx.order.lines if line not in preorder_lines]


def _outcome(allocations: Sequence[Allocation], backorders: Sequence[Backorder]) -> str:
    if not backorders:
        return "allocated"
    if allocations:
        return "partially_allocated"
    if all(b.mode == "preorder" for b in backorders):
        return "preordered"
    return "backordered"
