"""An order's decision trace in plain words: why it passed validation, why each line ships
from the location it does and not from the others, and why that carrier.

The trace is what the pipeline recorded (`GET /v1/orders/{id}`, field `trace`): one step each
for validation, sourcing (candidates per line with score, availability and exclusions, the
optimiser's choice, fallbacks; or a person cancelling units that waited for stock) and carriers
(quotes per shipping location). These functions only read it; anything missing is simply not
mentioned, so an older trace still reads well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from admin_ui.models import OrderDetail, TraceStep

# How many losing candidates to name per line; the rest are summed up in one clause.
MAX_NAMED = 4


@dataclass
class Explanation:
    step: str
    headline: str
    details: list[str] = field(default_factory=list)


def _quote(rule: str) -> str:
    return f"“{rule}”"


def _matched(detail: Mapping[str, Any], section: str | None = None) -> list[dict[str, Any]]:
    """The matched rules (with their actions) of a step's ruleset trace."""
    holder = detail.get(section, {}) if section else detail
    found: list[dict[str, Any]] = []
    for ruleset in holder.get("rulesets", []) if isinstance(holder, Mapping) else []:
        for rule in ruleset.get("rules", []):
            if rule.get("status") == "matched":
                found.append(rule)
    return found


def _rules_with(rules: Sequence[Mapping[str, Any]], kind: str) -> list[str]:
    return [
        str(r["rule"]) for r in rules if any(a.get("kind") == kind for a in r.get("actions", []))
    ]


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def explain_validation(step: TraceStep) -> Explanation:
    detail = step["detail"]
    where = f"{step['ruleset']} v{step['ruleset_version']}" if step["ruleset"] else "the checks"
    outcome = str(detail.get("outcome", step["outcome"]))
    if outcome in ("pass", "passed", ""):
        return Explanation("Validation", f"Passed every check of {where}.")
    rule = detail.get("rule") or "a validation rule"
    verb = "Rejected" if outcome.startswith("reject") else "Held for review"
    message = detail.get("message") or ""
    code = f" (code {detail['code']})" if detail.get("code") else ""
    return Explanation(
        "Validation", f"{verb} by rule {_quote(str(rule))}{code}: {message}".rstrip(": ")
    )


def _line_story(line_id: str, info: Mapping[str, Any], chosen: Mapping[str, int]) -> list[str]:
    sku, quantity = info.get("sku", "?"), info.get("quantity", "?")
    candidates = list(info.get("candidates", []))
    excluded: Mapping[str, str] = info.get("excluded", {}) or {}
    by_code = {str(c.get("location")): c for c in candidates}
    if chosen:
        parts = []
        for code, units in chosen.items():
            candidate = by_code.get(code, {})
            facts = []
            if "available" in candidate:
                facts.append(f"{candidate['available']} available")
            if "score" in candidate:
                facts.append(f"rule score {_number(candidate['score'])}")
            parts.append(f"{units} from **{code}**" + (f" ({', '.join(facts)})" if facts else ""))
        head = f"Line {line_id} ({quantity} × {sku}) ships " + " and ".join(parts) + "."
    else:
        head = f"Line {line_id} ({quantity} × {sku}) could not be placed at any location."
    story = [head]
    best = max((float(by_code[c].get("score", 0)) for c in chosen if c in by_code), default=None)
    losers = sorted(
        (c for c in candidates if str(c.get("location")) not in chosen),
        key=lambda c: -float(c.get("score", 0)),
    )
    reasons = []
    for candidate in losers[:MAX_NAMED]:
        code = str(candidate.get("location"))
        score = float(candidate.get("score", 0))
        available = candidate.get("available")
        if isinstance(available, int) and isinstance(quantity, int) and available < quantity:
            why = f"only {available} available"
        elif best is not None and score < best:
            why = f"lower rule score ({_number(score)} against {_number(best)})"
        elif best is not None and score > best:
            # Rules score single lines; the optimiser plans the whole order (parcels, cost).
            why = (
                f"higher rule score ({_number(score)} against {_number(best)}), but the "
                f"optimiser's plan for the whole order ships this line from "
                f"{' and '.join(chosen)}"
            )
        else:
            why = f"same score ({_number(score)}) but costlier or further for the whole order"
        reasons.append(f"{code}: {why}")
    if len(losers) > MAX_NAMED:
        reasons.append(f"{len(losers) - MAX_NAMED} more with lower or equal scores")
    if reasons:
        story.append("Not chosen: " + "; ".join(reasons) + ".")
    if excluded:
        story.append(
            "Excluded: " + "; ".join(f"{code}: {why}" for code, why in excluded.items()) + "."
        )
    return story


def _units(count: int) -> str:
    return f"{count} unit{'' if count == 1 else 's'}"


def explain_remainder_cancelled(step: TraceStep) -> Explanation:
    """A sourcing step no rule decided: a person cancelled units of the backordered lines of an
    order on its way, and what still waits for stock waits as it did."""
    detail = step["detail"]
    cancelled = {str(k): int(v) for k, v in (detail.get("cancelled") or {}).items()}
    units = " and ".join(f"{_units(n)} of line {line}" for line, n in cancelled.items())
    headline = f"Remainder cancelled by a person: {units or 'no unit'}"
    reason = str(detail.get("reason") or "").strip()
    headline += f" (reason: {reason})." if reason else "."
    details: list[str] = []
    waited = {str(k): int(v) for k, v in (detail.get("remainder") or {}).items()}
    if waited:
        lines = ", ".join(f"line {line} ({n})" for line, n in waited.items())
        total = sum(waited.values())
        verb = "was" if total == 1 else "were"
        details.append(f"{_units(total)} {verb} waiting for stock: {lines}.")
    still = []
    for backorder in detail.get("backorders", []):
        by = backorder.get("promised_date")
        still.append(
            f"line {backorder.get('line')} ({backorder.get('quantity')} × {backorder.get('sku')}"
            + (f", expected by {by}" if by else "")
            + ")"
        )
    if still:
        details.append("Still waiting: " + "; ".join(still) + ".")
    else:
        details.append("Nothing waits for stock any more.")
    return Explanation("Cancellation", headline, details)


def explain_sourcing(step: TraceStep) -> Explanation:
    detail = step["detail"]
    if str(detail.get("outcome", step["outcome"])) == "remainder_cancelled":
        return explain_remainder_cancelled(step)
    sourcing = detail.get("sourcing", {}) or {}
    rules = _matched(detail, "sourcing")
    chosen: dict[str, dict[str, int]] = {}
    for allocation in detail.get("allocations", []):
        line = str(allocation.get("line"))
        location = str(allocation.get("location"))
        chosen.setdefault(line, {})[location] = int(allocation.get("quantity", 0))
    outcome = str(detail.get("outcome", step["outcome"]))
    where = f"{step['ruleset']} v{step['ruleset_version']}" if step["ruleset"] else "the rules"
    locations = sorted({code for per_line in chosen.values() for code in per_line})
    details: list[str] = []
    if detail.get("resourced"):
        # Backordered units decided again later (stock arrived, a pre-order came out): say
        # what set it off and what was waiting, or it reads like the order's first decision.
        when = f"when {detail['reason']}" if detail.get("reason") else "later"
        if locations:
            headline = (
                f"Re-sourced {when}: ships from {', '.join(locations)} "
                f"({outcome.replace('_', ' ')})."
            )
        else:
            headline = f"Re-sourced {when}: nothing could be sourced yet, still waiting."
        waiting = {str(k): int(v) for k, v in (detail.get("remainder") or {}).items()}
        if waiting:
            lines = ", ".join(f"line {line} ({units})" for line, units in waiting.items())
            details.append(f"{sum(waiting.values())} units were waiting: {lines}.")
    elif locations:
        headline = (
            f"Sourced by {where}: ships from {', '.join(locations)} ({outcome.replace('_', ' ')})."
        )
    else:
        headline = f"Sourcing by {where}: {outcome.replace('_', ' ')}."
    scorers = _rules_with(rules, "prefer")
    if scorers:
        details.append("Locations were scored by " + ", ".join(map(_quote, scorers)) + ".")
    limiters = _rules_with(rules, "max_shipments")
    if "max_shipments" in sourcing:
        limit = f"At most {sourcing['max_shipments']} shipment(s)"
        details.append(limit + (f" ({', '.join(map(_quote, limiters))})." if limiters else "."))
    for line_id, info in (sourcing.get("lines") or {}).items():
        details.extend(_line_story(str(line_id), info, chosen.get(str(line_id), {})))
    for backorder in detail.get("backorders", []):
        by = backorder.get("promised_date")
        details.append(
            f"Line {backorder.get('line')} ({backorder.get('quantity')} × {backorder.get('sku')}) "
            f"is {backorder.get('mode', 'backordered')}"
            + (f", expected by {by}" if by else "")
            + "."
        )
    fallback = detail.get("fallback", {}) or {}
    if fallback.get("mode"):
        details.append(
            f"Not enough stock, so the fallback {_quote(str(fallback.get('rule')))} applied: "
            f"{fallback['mode']}."
        )
    held = (detail.get("reservation", {}) or {}).get("held_back_by") or []
    if held:
        details.append("Stock held back from sale by: " + "; ".join(map(str, held)) + ".")
    optimiser = detail.get("optimiser", {}) or {}
    if optimiser.get("method"):
        cost = optimiser.get("cost")
        details.append(
            f"The {optimiser['method']} optimiser chose this plan"
            + (f" at a cost of {float(cost):.2f}." if isinstance(cost, int | float) else ".")
        )
    return Explanation("Re-sourcing" if detail.get("resourced") else "Sourcing", headline, details)


def explain_carriers(step: TraceStep) -> Explanation:
    details: list[str] = []
    chosen_all = []
    for location, info in step["detail"].items():
        if not isinstance(info, Mapping):
            continue
        chosen = str(info.get("chosen", ""))
        chosen_all.append(f"{chosen.replace('/', ' ')} from {location}")
        quotes = list(info.get("quotes", []))
        pick = next((q for q in quotes if f"{q.get('carrier')}/{q.get('service')}" == chosen), None)
        facts = []
        if info.get("distance_km") is not None:
            facts.append(f"{_number(info['distance_km'])} km")
        if info.get("weight_kg") is not None:
            facts.append(f"{_number(info['weight_kg'])} kg")
        text = f"From {location}" + (f" ({', '.join(facts)})" if facts else "") + f": {chosen}"
        if pick is not None:
            text += (
                f" at {float(pick.get('rate', 0)):.2f} USD, promised {pick.get('promised_date')}"
            )
        if info.get("reason"):
            text += f", chosen as {str(info['reason']).replace('_', ' ')}"
        rules = [str(r).split(": ", 1)[-1] for r in info.get("rules", [])]
        if rules:
            text += " (rules " + ", ".join(map(_quote, rules)) + ")"
        details.append(text + ".")
        others = [
            f"{q.get('carrier')} {q.get('service')} {float(q.get('rate', 0)):.2f}"
            for q in sorted(quotes, key=lambda q: float(q.get("rate", 0)))
            if q is not pick
        ]
        if others:
            details.append("Other quotes: " + ", ".join(others) + ".")
        for carrier, why in (info.get("excluded") or {}).items():
            details.append(f"{carrier} was excluded: {why}.")
    headline = "Carrier: " + ("; ".join(chosen_all) if chosen_all else "none assigned") + "."
    return Explanation("Carrier", headline, details)


def explain(order: OrderDetail) -> list[Explanation]:
    """Every recorded step of the order's decisions, oldest first, in plain words."""
    explainers = {
        "validation": explain_validation,
        "sourcing": explain_sourcing,
        "carrier": explain_carriers,
    }
    out = []
    rank = {"validation": 0, "sourcing": 1, "carrier": 2}
    # One decision writes its steps with the same time; the pipeline's order breaks the tie.
    for step in sorted(order["trace"], key=lambda s: (s["at"], rank.get(s["step"], 3))):
        explainer = explainers.get(step["step"])
        if explainer is not None:
            out.append(explainer(step))
        else:
            out.append(Explanation(step["step"].title(), f"{step['step']}: {step['outcome']}."))
    return out
