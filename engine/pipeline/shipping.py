"""Choosing a carrier service for each planned shipment under the carrier rules.

Every rate-card service that can carry the parcel is a candidate. `restrict` keeps only the
candidates satisfying it, `exclude` removes those satisfying it, `prefer` lowers a
candidate's effective price by its weight. `choose cheapest|fastest [meeting promise]` picks;
without a `choose` rule the default is the cheapest meeting the promise, where the promise is
the order's requested date or, for expedited service levels, a transit limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.pipeline.carriers import Quote
from engine.pipeline.ruling import RuleRun

# Business days in transit a service level promises when the order names no date.
LEVEL_TRANSIT = {"overnight": 1, "next_day": 1, "express": 2, "two_day": 2, "2day": 2}


# Not frozen, like the pipeline's other per-order records (a frozen dataclass costs several
# times as much to build); treat it as read-only.
@dataclass(slots=True)
class CarrierChoice:
    quote: Quote | None
    reason: str
    trace: Mapping[str, Any]


def choose_carrier(
    quotes: Sequence[Quote],
    rules: RuleRun,
    requested: date | None,
    service_level: str,
    trace: bool = True,
) -> CarrierChoice:
    """The chosen quote (None when none can take the shipment) and why; without `trace`,
    the choice's trace is left empty (every quote's line in it is most of its cost)."""
    excluded: dict[str, str] = {}
    scores: dict[str, float] = {}
    kept: list[Quote] = []
    # Split once, not per quote: a shipment has a quote for every service of every card.
    constraints = [
        (f.kind == "restrict", f.test, f.rule)
        for f in rules.fired
        if f.kind in ("restrict", "exclude")
    ]
    prefers = [(f.test, float(f.args.get("weight", 0))) for f in rules.of("prefer")]
    if not constraints and not prefers:
        # Nothing to exclude or score (most shipments): every quote is kept at score 0,
        # what an empty `sum` gives, without asking each for its facts.
        kept = list(quotes)
        scores = {q.label: 0 for q in quotes}
        quotes_to_screen: Sequence[Quote] = ()
    else:
        quotes_to_screen = quotes
    for q in quotes_to_screen:
        key = q.label
        facts = q.facts()
        verdict = ""
        for restrict, test, rule in constraints:
            holds = test is None or test(facts)
            if restrict and not holds:
                verdict = f"not allowed by rule '{rule}'"
            elif not restrict and holds:
                verdict = f"excluded by rule '{rule}'"
            if verdict:
                break
        if verdict:
            excluded[key] = verdict
            continue
        # Without a `prefer` rule every score is what an empty `sum` gives (the integer 0).
        scores[key] = (
            sum(weight for test, weight in prefers if test is None or test(facts)) if prefers else 0
        )
        kept.append(q)
    choose = rules.of("choose")
    mode = str(choose[0].args.get("mode", "cheapest")) if choose else "cheapest"
    must_meet = bool(choose[0].args.get("meeting_promise", False)) if choose else True
    max_transit = LEVEL_TRANSIT.get(service_level)
    pool = kept
    note = ""
    if must_meet and (requested is not None or max_transit is not None):
        # Keeps the promise: arrives by the requested date, within the level's transit.
        meeting = [
            q
            for q in kept
            if (requested is None or q.promised_date <= requested)
            and (max_transit is None or q.transit_days <= max_transit)
        ]
        if meeting:
            pool = meeting
        elif kept:
            # Nothing keeps the promise: ship as fast as possible rather than not at all.
            mode, note = "fastest", "no service meets the promise; fastest chosen"

    def cheapest(q: Quote) -> tuple[float, date, str, str]:
        return (q.rate - scores[q.label], q.promised_date, q.carrier, q.service)

    def fastest(q: Quote) -> tuple[date, float, str, str]:
        return (q.promised_date, q.rate - scores[q.label], q.carrier, q.service)

    chosen = (min(pool, key=fastest if mode == "fastest" else cheapest)) if pool else None
    reason = note or (f"{mode}" + (" meeting promise" if must_meet and pool is not kept else ""))
    if chosen is None:
        reason = "no carrier service can take this shipment"
    if not trace:
        return CarrierChoice(chosen, reason, {})
    explained = {
        "mode": mode,
        "rules": [f.label() for f in rules.fired],
        "quotes": [
            {
                "carrier": q.carrier,
                "service": q.service,
                "rate": q.rate,
                "transit_days": q.transit_days,
                "promised_date": q.promised_date.isoformat(),
                "score": scores.get(q.label, 0.0),
                "surcharges": dict(q.surcharges),
            }
            for q in quotes
        ],
        "excluded": excluded,
        "chosen": None if chosen is None else chosen.label,
        "reason": reason,
    }
    return CarrierChoice(chosen, reason, explained)
