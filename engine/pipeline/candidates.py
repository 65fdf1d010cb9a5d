"""Which locations may serve each line, how much they may give, and why others may not.

Available-to-promise per (SKU, location) starts from the stock view (on hand - reserved -
stored safety stock - other channels' stored allocations) and then applies the reservation
rules: extra safety stock per location, and units ring-fenced for a channel or customer
group this order does not belong to. Sourcing rules then screen each location once per
order: `require` must hold, `exclude` must not, `prefer` adds its weight to the score.
Every location left out is recorded with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.domain.catalog import Location, LocationType, Service
from engine.pipeline.ruling import Fired, RuleRun
from engine.pipeline.stock_view import StockView

SHIPPING_SERVICES = frozenset({Service.SHIP, Service.SHIP_FROM_STORE})


Test = Callable[[Mapping[str, Any]], bool] | None
# A location whose safety stock answer is not known yet (None is an answer: no rule applies).
_UNKNOWN: Any = object()


@dataclass(frozen=True, slots=True)
class ReservationPolicy:
    """What the reservation rules hold back from this order's line.

    `safety`: (units, test, rule), strongest first; only the strongest applicable one counts.
    `fences`: (percent or None, units, test, rule) ring-fenced for a channel or customer
    group this order does not belong to."""

    safety: tuple[tuple[int, Test, str], ...] = ()
    fences: tuple[tuple[float | None, int, Test, str], ...] = ()
    priority: int = 0
    # The safety stock answer per location code: a policy serves one order, whose location
    # facts do not change, and every line of the order asks about the same locations.
    _safety_at: dict[str, tuple[int, str] | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def rules(self) -> list[str]:
        return [s[2] for s in self.safety] + [f[3] for f in self.fences]

    def held_back(self, location: Mapping[str, Any], base: int) -> tuple[int, tuple[str, ...]]:
        """Units withheld at a location from `base` available, with the rules responsible."""
        units, why = 0, []
        code = location["code"]
        strongest = self._safety_at.get(code, _UNKNOWN)
        if strongest is _UNKNOWN:
            strongest = self._safety_at[code] = self._strongest(location)
        if strongest is not None:
            units += strongest[0]
            why.append(strongest[1])
        for percent, amount, test, rule in self.fences:
            if test is not None and not test(location):
                continue
            fenced = int(base * percent / 100) if percent is not None else amount
            if fenced:
                units += fenced
                why.append(rule)
        return units, tuple(why)

    def _strongest(self, location: Mapping[str, Any]) -> tuple[int, str] | None:
        # A loop rather than `next(generator)`: asked once per location of every order.
        for amount, test, rule in self.safety:
            if test is None or test(location):
                return amount, rule
        return None


def reservation_policy(run: RuleRun, channel: str, customer_group: str) -> ReservationPolicy:
    """Safety stock and the allocations ring-fenced for others (not this order's channel/group)."""
    fences = []
    for fired in run.of("allocate"):
        target_channel = fired.args.get("channel")
        target_group = fired.args.get("customer_group")
        mine = (target_channel is not None and target_channel == channel) or (
            target_group is not None and target_group == customer_group
        )
        if not mine:
            percent = float(fired.args["percent"]) if "percent" in fired.args else None
            units = int(fired.args.get("units", 0))
            fences.append((percent, units, fired.test, fired.label()))
    safety = sorted(
        ((int(f.args.get("units", 0)), f.test, f.label()) for f in run.of("safety_stock")),
        key=lambda s: -s[0],
    )
    priorities = [int(f.args.get("value", 0)) for f in run.of("priority")]
    return ReservationPolicy(
        safety=tuple(safety),
        fences=tuple(fences),
        priority=max(priorities) if priorities else 0,
    )


@dataclass(slots=True)
class Screen:
    """One location's verdict for this order under the sourcing rules."""

    allowed: bool
    reason: str = ""
    score: float = 0.0
    preferred_by: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SourcingActions:
    """The fired sourcing actions about locations, split once per order by what they do."""

    constraints: tuple[Fired, ...]  # require and exclude, in policy order
    prefers: tuple[tuple[Test, float, str], ...]  # (test, weight, rule), in policy order

    @classmethod
    def of(cls, sourcing: RuleRun) -> SourcingActions:
        return cls(
            tuple(f for f in sourcing.fired if f.kind in ("require", "exclude")),
            tuple((f.test, float(f.args.get("weight", 0)), f.rule) for f in sourcing.of("prefer")),
        )


def screen_locations(
    facts: Mapping[str, Mapping[str, Any]],
    locations: Mapping[str, Location],
    actions: SourcingActions,
    shipments_today: Mapping[str, int],
) -> dict[str, Screen]:
    """Each location's verdict (for every code in `facts`, each location's facts): the
    location's own settings first, then the sourcing rules in policy order.

    One loop for all the locations of an order, with what it reads looked up once: this runs
    for every stocked location of every order."""
    # `fired.test` rather than `fired.applies`, split once per order rather than per location.
    constraints = [(f.kind == "require", f.test, f.rule) for f in actions.constraints]
    prefers = actions.prefers
    shipping, dropship = SHIPPING_SERVICES, LocationType.DROPSHIP_VENDOR
    screens: dict[str, Screen] = {}
    for code, candidate in facts.items():
        location = locations[code]
        if not location.enabled:
            screens[code] = Screen(False, "location disabled")
            continue
        if shipping.isdisjoint(location.services):  # no set built, unlike `&`
            screens[code] = Screen(False, "location does not ship")
            continue
        if location.type is dropship:
            screens[code] = Screen(False, "dropship vendor (used only as a fallback)")
            continue
        today = shipments_today.get(code, 0)
        if today >= location.daily_capacity:
            screens[code] = Screen(
                False, f"daily capacity reached ({today}/{location.daily_capacity})"
            )
            continue
        verdict = None
        for required, test, rule in constraints:
            if required:
                if test is not None and not test(candidate):
                    verdict = Screen(False, f"fails requirement of rule '{rule}'")
                    break
            elif test is None or test(candidate):
                verdict = Screen(False, f"excluded by rule '{rule}'")
                break
        if verdict is None:
            score, preferred_by = 0.0, []
            for test, weight, rule in prefers:
                if test is None or test(candidate):
                    score += weight
                    preferred_by.append(rule)
            verdict = Screen(True, "", score, preferred_by)
        screens[code] = verdict
    return screens


def screen_pickup(
    store: str,
    stocked: Sequence[str],
    facts: Mapping[str, Any] | None,
    locations: Mapping[str, Location],
    actions: SourcingActions,
) -> dict[str, Screen]:
    """The verdicts for a pickup order (click and collect): every stocked location but
    `store` is left out, since the customer collects there; `store` must be known (`facts`
    are its facts, None when it is not), enabled and offer `pickup`, then pass the sourcing
    rules as any location does. Neither its shipping services nor its daily capacity count:
    nothing is shipped, and a pickup order has nowhere else to go."""
    others = f"not the pickup store: the order is collected at {store}"
    screens = {code: Screen(False, others) for code in stocked if code != store}
    location = locations.get(store)
    if location is None or facts is None:
        screens[store] = Screen(False, "pickup store unknown")
    elif not location.enabled:
        screens[store] = Screen(False, "location disabled")
    elif Service.PICKUP not in location.services:
        screens[store] = Screen(False, "location does not offer pickup")
    else:
        screens[store] = screen_by_rules(facts, actions)
    return screens


def screen_by_rules(candidate: Mapping[str, Any], actions: SourcingActions) -> Screen:
    """One location's verdict under the sourcing rules alone (`screen_locations`' last step,
    written out there for speed): the pickup store's, and a ship-to-store sender's."""
    for fired in actions.constraints:
        applies = fired.test is None or fired.test(candidate)
        if fired.kind == "require" and not applies:
            return Screen(False, f"fails requirement of rule '{fired.rule}'")
        if fired.kind == "exclude" and applies:
            return Screen(False, f"excluded by rule '{fired.rule}'")
    score, preferred_by = 0.0, []
    for test, weight, rule in actions.prefers:
        if test is None or test(candidate):
            score += weight
            preferred_by.append(rule)
    return Screen(True, "", score, preferred_by)


# Not frozen (but hashed by value, as before): a frozen dataclass sets each field through
# `object.__setattr__`, four times the cost, and an order builds one per stocked location.
# Treat it as read-only.
@dataclass(slots=True, unsafe_hash=True)
class Candidate:
    location_code: str
    available: int
    score: float
    held_back: int = 0
    held_back_by: tuple[str, ...] = ()


@dataclass(slots=True)
class LineCandidates:
    line_id: str
    sku: str
    quantity: int
    candidates: list[Candidate] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)

    def to_trace(self, unit_costs: Mapping[tuple[str, str], float]) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "quantity": self.quantity,
            "candidates": [
                {
                    "location": c.location_code,
                    "available": c.available,
                    "score": c.score,
                    "held_back": c.held_back,
                    "held_back_by": list(c.held_back_by),
                    "unit_cost": round(unit_costs.get((self.line_id, c.location_code), 0.0), 4),
                }
                for c in self.candidates
            ],
            "excluded": dict(sorted(self.excluded.items())),
        }


def line_candidates(
    line_id: str,
    sku: str,
    quantity: int,
    channel: str | None,
    stock: StockView,
    screens: Mapping[str, Screen],
    location_facts: Mapping[str, Mapping[str, Any]],
    policy: ReservationPolicy,
) -> LineCandidates:
    """Candidates for one line, best-known first, and every stocked location left out."""
    result = LineCandidates(line_id, sku, quantity)
    excluded, candidates = result.excluded, result.candidates
    # Looked up once: this loop runs for every stocked location of every line.
    available_to = stock.available
    held_back = policy.held_back if (policy.safety or policy.fences) else None
    for code in sorted(set(stock.locations(sku))):
        screen = screens.get(code)
        if screen is None:
            excluded[code] = "unknown location"
            continue
        if not screen.allowed:
            excluded[code] = screen.reason
            continue
        base = available_to(sku, code, channel)
        if base <= 0:
            excluded[code] = "nothing available to promise"
            continue
        withheld, why = (0, ()) if held_back is None else held_back(location_facts[code], base)
        available = base - withheld
        if available <= 0:
            excluded[code] = f"{base} available but held back by " + ", ".join(why)
            continue
        candidates.append(Candidate(code, available, screen.score, withheld, why))
    return result
