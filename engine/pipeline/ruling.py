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
            for action in match.actions:
                test = action.bound_test() if getattr(action, "about_candidate", False) else None
                result.fired.append(
                    Fired(
                        str(action.kind), action.args, str(match.rule), ruleset.name, action, test
                    )
                )
        if trace:
            result.traces.append(
                {"ruleset": ruleset.name, "version": ruleset.version, **evaluation.trace.to_dict()}
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
