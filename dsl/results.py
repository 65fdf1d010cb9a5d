"""What an evaluation returns: matches with typed actions, and a trace that explains them.

`Action.applies(candidate)` lets the host ask, once per location or carrier, whether an action
about candidates (require, exclude, prefer, restrict, safety_stock ... where) holds for it.
Matches of rules whose actions depend on nothing but the ruleset are built once and shared between
evaluations, so treat them as read-only. The trace is computed only when asked for: it costs
nothing on the hot path.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CandidateTest = Callable[[Mapping[str, Any], Any, Mapping[str, Any]], Any]


class Action:
    """One action a matched rule contributes: `kind`, literal `args`, the `rule` and its `line`."""

    __slots__ = ("_facts", "_now", "_test", "args", "candidate", "kind", "line", "rule")

    def __init__(self, kind: str, args: dict[str, Any], rule: str, line: int,
                 candidate: str = "", test: CandidateTest | None = None,
                 facts: Mapping[str, Any] | None = None, now: Any = None) -> None:
        self.kind = kind
        self.args = args
        self.rule = rule
        self.line = line
        self.candidate = candidate
        self._test = test
        self._facts = facts
        self._now = now

    @property
    def about_candidate(self) -> bool:
        """True when the host must ask `applies` for each location or carrier."""
        return self._test is not None

    def applies(self, candidate: Mapping[str, Any]) -> bool:
        """Whether this action holds for one candidate (the facts plus the candidate)."""
        if self._test is None:
            return True
        return bool(self._test(self._facts or {}, self._now, candidate))

    def bound_test(self) -> Callable[[Mapping[str, Any]], Any] | None:
        """`applies` for a host that asks it of many candidates, or None when the action holds
        for every candidate: the test with this evaluation's facts bound in. Its result is
        truthy exactly when `applies` is True; a partial saves a Python frame per candidate."""
        if self._test is None:
            return None
        return functools.partial(self._test, self._facts or {}, self._now)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "args": dict(self.args), "rule": self.rule,
                               "line": self.line}
        if self._test is not None:
            out["candidate"] = self.candidate
        return out

    def __repr__(self) -> str:
        return f"Action({self.kind!r}, {self.args!r}, rule={self.rule!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Action):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Match:
    """A rule that matched, with its priority and the actions it contributes."""

    rule: str
    priority: int
    actions: list[Action]
    # Position of the rule in evaluation order (the trace and the runners' ordering use it).
    index: int = field(default=-1, compare=False, repr=False)
    # Built once per ruleset and handed to every evaluation (nothing in it depends on the
    # facts): a host may keep what it derives from it, keyed by the match itself.
    shared: bool = field(default=False, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "priority": self.priority,
                "actions": [a.to_dict() for a in self.actions]}


@dataclass(frozen=True)
class RuleInfo:
    """A rule's metadata, in evaluation order (priority, then source order)."""

    name: str
    priority: int
    enabled: bool
    effective_from: dt.date | None
    effective_until: dt.date | None
    line: int

    def active_on(self, day: dt.date | None) -> str:
        """"active", "disabled" or "not effective" on `day`."""
        if not self.enabled:
            return "disabled"
        if day is not None and ((self.effective_from and day < self.effective_from)
                                or (self.effective_until and day > self.effective_until)):
            return "not effective"
        return "active"


@dataclass(frozen=True)
class TraceEntry:
    rule: str
    status: str  # matched, no match, disabled, not effective, not reached
    priority: int
    actions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Trace:
    """Every rule of the ruleset and what became of it in one evaluation."""

    entries: list[TraceEntry]

    @property
    def evaluated(self) -> list[str]:
        return [e.rule for e in self.entries if e.status in _EVALUATED]

    @property
    def matched(self) -> list[str]:
        return [e.rule for e in self.entries if e.status == "matched"]

    def to_dict(self) -> dict[str, Any]:
        return _trace_dict((e.rule, e.status, e.priority, e.actions) for e in self.entries)


_EVALUATED = ("matched", "no match")  # the statuses of a rule whose condition was tested


def _trace_dict(outcomes: Iterable[tuple[str, str, int, list[dict[str, Any]]]]) -> dict[str, Any]:
    """A trace's dict form from each rule's (name, status, priority, actions), in order."""
    rules: list[dict[str, Any]] = []
    evaluated: list[str] = []
    matched: list[str] = []
    for rule, status, priority, actions in outcomes:
        rules.append({"rule": rule, "status": status, "priority": priority, "actions": actions})
        if status in _EVALUATED:
            evaluated.append(rule)
            if status == "matched":
                matched.append(rule)
    return {"rules": rules, "evaluated": evaluated, "matched": matched}


class Evaluation(tuple[Any, ...]):
    """The outcome of evaluating a ruleset against one set of facts.

    Built as `Evaluation((matches, rules, now, first))`: an immutable record on a tuple, because
    it is created once per evaluated event and a tuple costs a third of an object with slots.
    """

    __slots__ = ()

    matches: list[Match] = property(operator.itemgetter(0))  # type: ignore[assignment]
    _rules: Sequence[RuleInfo] = property(operator.itemgetter(1))  # type: ignore[assignment]
    _now: Any = property(operator.itemgetter(2))
    _first: bool = property(operator.itemgetter(3))  # type: ignore[assignment]

    @property
    def actions(self) -> list[Action]:
        return [action for match in self.matches for action in match.actions]

    @property
    def trace(self) -> Trace:
        return Trace([TraceEntry(*outcome) for outcome in self._outcomes()])

    def trace_dict(self) -> dict[str, Any]:
        """`trace.to_dict()`, built directly: the engine stores this for every ruleset of every
        order, and the frozen `TraceEntry` records in between cost more than the dicts."""
        return _trace_dict(self._outcomes())

    def _outcomes(self) -> Iterator[tuple[str, str, int, list[dict[str, Any]]]]:
        """Each rule in evaluation order: its name, what became of it, its priority, and its
        actions if it matched."""
        by_index = {match.index: match for match in self.matches}
        stop = self.matches[0].index if self._first and self.matches else None
        now = self._now
        today = now.date() if isinstance(now, dt.datetime) else now
        for index, info in enumerate(self._rules):
            status = info.active_on(today)
            actions: list[dict[str, Any]] = []
            if status == "active":
                if stop is not None and index > stop:
                    status = "not reached"
                elif index in by_index:
                    status = "matched"
                    actions = [a.to_dict() for a in by_index[index].actions]
                else:
                    status = "no match"
            yield info.name, status, info.priority, actions

    def to_dict(self) -> dict[str, Any]:
        return {"matches": [m.to_dict() for m in self.matches], "trace": self.trace.to_dict()}

    def __repr__(self) -> str:
        return f"Evaluation(matches={[m.rule for m in self.matches]})"
