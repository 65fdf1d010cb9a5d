"""The validation step: built-in checks the engine cannot do without, then the rules.

Built-ins reject what no rule could make sense of (an unknown SKU). Rules may then reject
(the first `reject` wins) or hold for review with a reason code; a reject beats a hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.pipeline.ruling import Fired, RuleRun


# Not frozen, like the pipeline's other per-order records (a frozen dataclass costs several
# times as much to build); treat it as read-only.
@dataclass(slots=True)
class Verdict:
    outcome: str  # "pass" | "reject" | "hold"
    code: str = ""
    message: str = ""
    rule: str = ""
    trace: Mapping[str, Any] = field(default_factory=dict)


def builtin_checks(order: Mapping[str, Any]) -> Verdict | None:
    unknown = sorted({line["sku"] for line in order["lines"] if not line["product"]["known"]})
    if unknown:
        return Verdict(
            "reject",
            "unknown_sku",
            f"unknown SKU(s): {', '.join(unknown)}",
            "built-in",
        )
    return None


def validate(
    order: Mapping[str, Any], rules: RuleRun, waived_holds: frozenset[str] = frozenset()
) -> Verdict:
    """`waived_holds`: hold codes a person already released on this order; they do not hold
    it again when it is re-decided."""
    trace: dict[str, Any] = {"rulesets": rules.traces}
    if waived_holds:
        trace["waived_holds"] = sorted(waived_holds)
    # A rule's reject wins (analysts choose the code); then what the engine cannot source at
    # all; then holds, except those a person already released.
    for fired in rules.of("reject"):
        return _verdict("reject", fired, trace)
    builtin = builtin_checks(order)
    if builtin is not None:
        return Verdict(
            builtin.outcome,
            builtin.code,
            builtin.message,
            builtin.rule,
            {**trace, "builtin": builtin.code},
        )
    for fired in rules.of("hold"):
        if str(fired.args.get("code", "hold")) not in waived_holds:
            return _verdict("hold", fired, trace)
    return Verdict("pass", trace=trace)


def _verdict(kind: str, fired: Fired, trace: dict[str, Any]) -> Verdict:
    return Verdict(
        kind,
        str(fired.args.get("code", kind)),
        str(fired.args.get("message", "")),
        fired.label(),
        {**trace, "decided_by": fired.label()},
    )
