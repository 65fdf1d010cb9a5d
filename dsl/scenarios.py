"""Ruleset scenarios: "given these facts, expect this decision", as plain data.

A scenario file (YAML, read by `dsl.tooling`) names a ruleset and lists scenarios:

    ruleset: order_validation.ordo        # relative to the scenario file
    defaults:                             # optional, deep-merged under every `given`
      order: {id: O-1, channel: web, ...}
    scenarios:
      - name: Orders above the fraud limit are held
        now: 2025-03-01T12:00:00          # optional
        given: {order: {total: 9000}}     # the facts (or, for engine runners, order/stock/...)
        events: [...]                     # alert rulesets: facts evaluated one after another
        expect:
          matched: [Large orders need review]          # rule names, in order (optional)
          actions: [{kind: hold, code: FRAUD_REVIEW}]  # each must appear; args compared as given
          decision: {...}                              # free-form, for engine runners

This module validates that structure with messages that name the scenario and the field, turns
YAML scalars into the types the schema expects (dates, amounts), and runs scenarios whose expected
decision is simply the matched actions (validation, reservation, carrier, alert rules evaluated on
their own). Sourcing needs the engine's optimiser, so the engine passes its own `ScenarioRunner`.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dsl.diagnostics import suggest
from dsl.results import Action
from dsl.ruleset import Ruleset
from dsl.schema import Schema, Type
from dsl.windows import InMemoryWindowStore

_SCENARIO_KEYS = {"name", "now", "given", "events", "expect", "description"}
_EXPECT_KEYS = {"matched", "actions", "decision", "no_match"}


class ScenarioError(ValueError):
    """A scenario file does not follow the scenario format; the message says where."""


@dataclass
class Scenario:
    name: str
    given: dict[str, Any]
    expect: dict[str, Any]
    now: dt.datetime | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ScenarioSet:
    ruleset: str  # path of the ruleset, relative to the scenario file
    scenarios: list[Scenario]


@dataclass
class ScenarioResult:
    scenario: str
    passed: bool
    problems: list[str] = field(default_factory=list)


# The hook `ordo rules test` uses: the default runs the ruleset alone; the engine supplies one that
# runs its pipeline (sourcing needs stock, locations and the optimiser).
ScenarioRunner = Callable[[Ruleset, Scenario], ScenarioResult]


def load(data: object, where: str = "scenario file") -> ScenarioSet:
    """Validate parsed YAML and return the scenarios; raise ScenarioError naming the problem."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: expected a mapping with `ruleset` and `scenarios`")
    ruleset = data.get("ruleset")
    if not isinstance(ruleset, str) or not ruleset:
        raise ScenarioError(f"{where}: `ruleset` must name the ruleset file")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, Mapping):
        raise ScenarioError(f"{where}: `defaults` must be a mapping of facts")
    raw = data.get("scenarios")
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{where}: `scenarios` must be a non-empty list")
    scenarios = [_scenario(item, index, defaults, where) for index, item in enumerate(raw, 1)]
    names = [s.name for s in scenarios]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScenarioError(f"{where}: scenario names must be unique: {', '.join(duplicates)}")
    return ScenarioSet(ruleset, scenarios)


def _scenario(item: object, index: int, defaults: Mapping[str, Any], where: str) -> Scenario:
    if not isinstance(item, Mapping):
        raise ScenarioError(f"{where}: scenario {index} must be a mapping")
    name = item.get("name")
    label = f"{where}: scenario {index}" + (f" ({name})" if name else "")
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"{label}: every scenario needs a `name`")
    unknown = set(item) - _SCENARIO_KEYS
    if unknown:
        raise ScenarioError(f"{label}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                            f"expected {', '.join(sorted(_SCENARIO_KEYS))}")
    given = item.get("given", {})
    events = item.get("events", [])
    expect = item.get("expect")
    if not isinstance(given, Mapping):
        raise ScenarioError(f"{label}: `given` must be a mapping of facts")
    if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
        raise ScenarioError(f"{label}: `events` must be a list of fact mappings")
    if not isinstance(expect, Mapping) or not expect:
        raise ScenarioError(f"{label}: `expect` must say what should happen")
    unknown = set(expect) - _EXPECT_KEYS
    if unknown:
        raise ScenarioError(f"{label}: unknown expectation(s) {', '.join(sorted(unknown))}; "
                            f"expected {', '.join(sorted(_EXPECT_KEYS))}")
    matched = expect.get("matched")
    if matched is not None and not (isinstance(matched, list)
                                    and all(isinstance(m, str) for m in matched)):
        raise ScenarioError(f"{label}: `expect.matched` must be a list of rule names")
    actions = expect.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(
            isinstance(a, Mapping) and isinstance(a.get("kind"), str) for a in actions)):
        raise ScenarioError(f"{label}: `expect.actions` must be a list of mappings with `kind`")
    now = item.get("now")
    if now is not None:
        now = _datetime(now, f"{label}: `now`")
    merged = _merge(copy.deepcopy(dict(defaults)), given)
    merged_events = [_merge(copy.deepcopy(dict(defaults)), e) for e in events]
    return Scenario(name, merged, dict(expect), now, merged_events)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _datetime(value: object, label: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(f"{label} must be a date and time like 2025-03-01T12:00:00") from None


def coerce_facts(facts: Mapping[str, Any], schema: Schema, label: str) -> dict[str, Any]:
    """Turn YAML values into what the schema promises (dates, floats), naming any mismatch."""
    out: dict[str, Any] = {}
    for root, value in facts.items():
        type_ = schema.roots.get(root)
        if type_ is None:
            hint = suggest(str(root), schema.roots)
            raise ScenarioError(f"{label}: no rule can read facts called {root}"
                                + (f" ({hint})" if hint else ""))
        out[root] = _coerce(value, type_, f"{label}: {root}")
    return out


def _coerce(value: Any, type_: Type, path: str) -> Any:
    if value is None:
        if not type_.optional:
            raise ScenarioError(f"{path} is required")
        return None
    kind = type_.kind
    if kind == "record":
        if not isinstance(value, Mapping):
            raise ScenarioError(f"{path} must be a mapping")
        missing = [n for n, t in type_.fields if n not in value and not t.optional]
        if missing:
            raise ScenarioError(f"{path} is missing {', '.join(missing)}")
        names = [n for n, _ in type_.fields]
        unknown = [str(key) for key in value if key not in names]
        if unknown:
            # A misspelt fact would otherwise be dropped, and the scenario would pass while
            # testing the defaults rather than what it says it tests.
            hint = suggest(unknown[0], names)
            raise ScenarioError(f"{path} has no field {unknown[0]}"
                                + (f" ({hint})" if hint else ""))
        return {name: _coerce(value.get(name), field_type, f"{path}.{name}")
                for name, field_type in type_.fields}
    if kind == "list":
        if not isinstance(value, list):
            raise ScenarioError(f"{path} must be a list")
        assert type_.item is not None
        return [_coerce(v, type_.item, f"{path}[{i}]") for i, v in enumerate(value)]
    if kind in ("number", "money", "quantity"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{path} must be a number, not {value!r}")
        try:
            return float(value)
        except OverflowError:  # an int past float's range (about 1.8e308); ints only
            raise ScenarioError(f"{path} is too large: {_shown(value)}") from None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{path} must be a whole number, not {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ScenarioError(f"{path} must be true or false, not {value!r}")
        return value
    if kind == "str":
        return str(value)
    if kind == "datetime":
        return _datetime(value, path)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ScenarioError(f"{path} must be a date like 2025-03-01") from None
    if kind == "duration":
        if isinstance(value, int | float):
            try:
                return dt.timedelta(seconds=value)
            except (OverflowError, ValueError):  # past 999,999,999 days, an infinity, a NaN
                raise ScenarioError(
                    f"{path} must be a number of seconds up to 999,999,999 days, "
                    f"not {_shown(value)}") from None
        raise ScenarioError(f"{path} must be a number of seconds")
    return value


def _shown(number: float) -> str:
    """A number as a message shows it: an int of hundreds of digits by its length only
    (Python refuses to print one of more than 4,300 digits)."""
    if isinstance(number, int) and abs(number) >= 10**30:
        return f"a number of about {int(number.bit_length() * math.log10(2)) + 1:,} digits"
    return repr(number)


def matches_runner(schema: Schema) -> ScenarioRunner:
    """The default runner: evaluate the ruleset on the facts and compare matches and actions."""

    def run(ruleset: Ruleset, scenario: Scenario) -> ScenarioResult:
        label = f"scenario {scenario.name!r}"
        if "decision" in scenario.expect:
            return ScenarioResult(scenario.name, False, [
                "`expect.decision` needs the engine's scenario runner"])
        now = scenario.now or dt.datetime(2025, 1, 1)
        store = InMemoryWindowStore()
        batches = scenario.events or [scenario.given]
        evaluation = None
        for batch in batches:
            facts = coerce_facts(batch, schema, label)
            at = batch.get("event", {}).get("at") if isinstance(batch.get("event"), dict) else None
            moment = _datetime(at, f"{label}: event.at") if at is not None else now
            evaluation = ruleset.evaluate(facts, now=moment, windows=store)
        assert evaluation is not None
        return compare(scenario, [m.rule for m in evaluation.matches], evaluation.actions)

    return run


def compare(scenario: Scenario, matched: Sequence[str], actions: Sequence[Action]
            ) -> ScenarioResult:
    """Check matched rule names and actions against `expect` (of the last evaluation)."""
    problems = []
    expect = scenario.expect
    if "matched" in expect and list(matched) != list(expect["matched"]):
        problems.append(f"expected rules {expect['matched']} to match, got {list(matched)}")
    if expect.get("no_match") and matched:
        problems.append(f"expected no rule to match, got {list(matched)}")
    for wanted in expect.get("actions") or []:
        if not any(_action_matches(action, wanted) for action in actions):
            got = [{"kind": a.kind, **a.args} for a in actions]
            problems.append(f"expected an action {dict(wanted)}, got {got}")
    return ScenarioResult(scenario.name, not problems, problems)


def _action_matches(action: Action, wanted: Mapping[str, Any]) -> bool:
    if action.kind != wanted["kind"]:
        return False
    return all(key in action.args and action.args[key] == value
               for key, value in wanted.items() if key != "kind")
