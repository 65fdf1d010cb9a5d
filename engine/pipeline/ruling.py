"""Running one kind of published ruleset over facts: the pipeline's only door into `dsl`.

Each step (validation, reservation, sourcing, carrier) calls `run` with its facts and reads
back the fired actions in policy order, each remembering its rule and ruleset, plus the
JSON-safe trace of every ruleset evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.rules.registry import RulesetSnapshot


# Not frozen, though nothing changes one: a frozen dataclass sets each field through
# `object.__setattr__`, five times the cost of building this one, and every order builds a
# dozen. Treat it as read-only.
@dataclass(slots=True)
class Fired:
    """One action of one matched rule."""

    kind: str
    args: Mapping[str, Any]
    rule: str
    ruleset: str
    action: Any = field(repr=False, compare=False)
    # The action's per-candidate test (truthy when the action holds for the candidate), or
    # None when it holds for every candidate.
    test: Callable[[Mapping[str, Any]], bool] | None = field(
        default=None, repr=False, compare=False
    )

    def applies(self, candidate: Mapping[str, Any]) -> bool:
        """Whether a candidate (location, carrier) satisfies the action's condition."""
        return True if self.test is None else bool(self.test(candidate))

    @property
    def about_candidate(self) -> bool:
        return self.test is not None

    def label(self) -> str:
        return f"{self.ruleset}: {self.rule}"


@dataclass(slots=True)
class RuleRun:
    fired: list[Fired] = field(default_factory=list)
    traces: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)

    def of(self, *kinds: str) -> list[Fired]:
        return [f for f in self.fired if f.kind in kinds]


def run(
    snapshot: RulesetSnapshot,
    kind: str,
    facts: Mapping[str, Any],
    now: datetime,
    trace: bool = True,
) -> RuleRun:
    """Evaluate every ruleset of `kind` (in name order) and collect their actions."""
    result = RuleRun()
    for ruleset in snapshot.of(kind):
        evaluation = ruleset.program.evaluate(facts, now=now)
        result.versions[ruleset.name] = ruleset.version
        for match in evaluation.matches:
            if getattr(match, "shared", False):
                result.fired.extend(_shared_fired(match, ruleset.name))
            else:
                result.fired.extend(_fired(match, ruleset.name))
        if trace:
            result.traces.append(
                {"ruleset": ruleset.name, "version": ruleset.version, **evaluation.trace_dict()}
            )
        else:
            # The short form: which rules matched, without every rule's entry.
            result.traces.append(
                {
                    "ruleset": ruleset.name,
                    "version": ruleset.version,
                    "matched": [str(match.rule) for match in evaluation.matches],
                }
            )
    return result


def _fired(match: Any, ruleset: str) -> list[Fired]:
    fired = []
    for action in match.actions:
        test = action.bound_test() if getattr(action, "about_candidate", False) else None
        fired.append(Fired(str(action.kind), action.args, str(match.rule), ruleset, action, test))
    return fired


# The Fired of matches a ruleset builds once and hands to every evaluation (`Match.shared`),
# by the match's id with the match itself kept to check it: most of an order's fired actions
# are these, and they need not be built again for every order. Bounded: a few per published
# rule, cleared if republishing ever piles them up.
_SHARED: dict[int, tuple[Any, str, list[Fired]]] = {}
_SHARED_KEPT = 10_000


def _shared_fired(match: Any, ruleset: str) -> list[Fired]:
    """`_fired` of a shared match, built once (read only, like the match)."""
    known = _SHARED.get(id(match))
    if known is None or known[0] is not match or known[1] != ruleset:
        if len(_SHARED) >= _SHARED_KEPT:
            _SHARED.clear()
        known = _SHARED[id(match)] = (match, ruleset, _fired(match, ruleset))
    return known[2]
