"""The ruleset lifecycle: draft, validate, test, diff, publish, roll back.

Every text an analyst saves becomes a new immutable `RulesetVersion` (a draft), with its own
scenarios or else its parent's, and only on top of the version the analyst loaded. Publishing
checks it against the domain schema, runs its scenarios, then flips the database state (the
previous published version of that name is retired) and swaps the compiled ruleset into the
registry in one reference assignment: decisions already running finish on the snapshot they
read at their start, and their traces name that version. Rolling back re-publishes an
earlier version the same way.
"""

from __future__ import annotations

import abc
import difflib
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from engine.domain import events
from engine.domain.errors import Conflict, DomainError, NotFound
from engine.domain.operations import RulesetStatus, RulesetVersion
from engine.domain.values import in_utc, utcnow
from engine.service_layer import audit
from engine.service_layer.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from engine.domain.packaging import BoxCatalog

_HEADER = re.compile(
    r'^\s*(?P<kind>[A-Za-z_]\w*)\s+ruleset\s+(?P<name>"[^"\n]+"|[A-Za-z_]\w*)', re.M
)
_RULE = re.compile(r'^\s*rule\s+"(?P<name>[^"\n]+)"', re.M)
_BLOCK_END = re.compile(r"^\s*(rule\s+\"|const\s|table\s)", re.M)
MAX_SOURCE = 200_000
# What one request may run: each scenario builds its own world, and all of them run on the
# request's thread (200 short scenarios take about 4 s, one of 1,000 orders 80 s).
MAX_SCENARIOS = 200
MAX_STEPS = 1_000
MAX_SCENARIO_STEPS = 100
log = logging.getLogger(__name__)


class InvalidRuleset(DomainError):
    """The text does not check, or its scenarios fail; `diagnostics` lists every finding."""

    code = "invalid_ruleset"

    def __init__(self, message: str, diagnostics: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    passed: bool
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


# (ruleset source, scenarios text or None) -> results.
ScenarioRunner = Callable[[str, str | None], Sequence[ScenarioResult]]


class ScenarioStore(abc.ABC):
    """The scenarios saved with a ruleset version (YAML text); SQL: `orm_api`."""

    @abc.abstractmethod
    def put(self, version_id: str, scenarios: str) -> None: ...

    @abc.abstractmethod
    def get(self, version_id: str) -> str | None: ...


class InMemoryScenarioStore(ScenarioStore):
    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def put(self, version_id: str, scenarios: str) -> None:
        self._texts[version_id] = scenarios

    def get(self, version_id: str) -> str | None:
        return self._texts.get(version_id)


def scenario_runner(
    source: str, scenarios: str | None, packaging: BoxCatalog | None = None
) -> list[ScenarioResult]:
    """Run the scenarios saved with (or sent for) a version against `source`, in either of the
    two formats `ordo rules test` reads: rule-level (`ruleset:`, then scenarios with `given`
    facts expecting matched rules and actions, as shipped in `rulesets/*.scenarios.yaml`) or
    pipeline (locations, products and stock, then orders; `engine.pipeline.scenarios`),
    packing shipments with `packaging` (the deployment's box catalogue; None: one parcel each).

    Nothing is read from disk, and a request runs at most MAX_SCENARIOS scenarios and
    MAX_STEPS steps (or events); YAML aliases may not multiply the text (`parse_yaml`)."""
    if not scenarios or not scenarios.strip():
        return []
    from dsl.tooling import MAX_ALIASED_VALUES, YamlProblem, parse_yaml

    try:
        spec = parse_yaml(scenarios)
    except YamlProblem as problem:
        raise InvalidRuleset(_unreadable(problem, MAX_ALIASED_VALUES)) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("scenarios"), list):
        raise InvalidRuleset("the scenarios must be a YAML mapping with a 'scenarios' list")
    rule_level = "ruleset" in spec or any(
        isinstance(s, dict) and "given" in s for s in spec["scenarios"]
    )
    if not rule_level and "world" in spec:
        raise InvalidRuleset("'world:' names a file; give locations, products and stock inline")
    count = len(spec["scenarios"])
    if not count:
        raise InvalidRuleset(
            "the 'scenarios' list is empty: give at least one scenario, or send none"
        )
    if count > MAX_SCENARIOS:
        raise InvalidRuleset(
            f"{count} scenarios were sent; the API runs at most {MAX_SCENARIOS} at a time"
        )
    if rule_level:
        return _rule_scenarios(source, spec)
    return _pipeline_scenarios(source, spec, packaging)


def _rule_scenarios(source: str, spec: dict[str, Any]) -> list[ScenarioResult]:
    """Rule-level scenarios, run by the rule language's own runner (`dsl.scenarios`, what
    `ordo rules test` uses) on `source`. Their `ruleset:` names the ruleset they test (a file
    name there is only compared with the text's header, never read)."""
    import dsl
    from dsl.scenarios import ScenarioError, load, matches_runner
    from engine.rules.schema import domain_schema

    _, name = header_of(source)
    named = spec.get("ruleset")
    if not isinstance(named, str) or not named.strip():
        raise InvalidRuleset(
            f"rule-level scenarios (with `given`) start with `ruleset: {name}`, naming the "
            "ruleset they test"
        )
    if PurePosixPath(named.strip()).name.removesuffix(".ordo") != name:
        raise InvalidRuleset(
            f"these scenarios are for the ruleset '{named}' (their `ruleset:`), but this text's "
            f"header names '{name}': send the scenarios written for {name}"
        )
    # Counted before `load`, which copies the defaults under every scenario and event.
    _check_steps(
        spec["scenarios"],
        [_events(s) for s in spec["scenarios"]],
        unit="events",
        note="a scenario without `events` is one",
    )
    try:
        scenario_set = load(spec, "scenarios")
    except ScenarioError as error:
        raise InvalidRuleset(str(error)) from None
    schema = domain_schema()
    try:
        ruleset = dsl.compile(source, schema)
    except dsl.RuleError as error:
        raise _refusal([diagnostic_out(d) for d in error.diagnostics]) from None
    run = matches_runner(schema)
    results = []
    for scenario in scenario_set.scenarios:
        try:
            outcome = run(ruleset, scenario)
        # ScenarioError (facts the schema does not know) is a ValueError; RuleError covers
        # a rule that fails at run time.
        except (dsl.RuleError, ValueError, TypeError, KeyError, AttributeError) as error:
            results.append(ScenarioResult(scenario.name, False, f"could not run: {error}"))
            continue
        results.append(
            ScenarioResult(outcome.scenario, outcome.passed, "; ".join(outcome.problems))
        )
    return results


def _events(scenario: Any) -> int:
    """Evaluations a rule-level scenario asks for: one per event, or one for its `given`."""
    events = scenario.get("events") if isinstance(scenario, dict) else None
    return max(1, len(events)) if isinstance(events, list) else 1


def _pipeline_scenarios(
    source: str, spec: dict[str, Any], packaging: BoxCatalog | None
) -> list[ScenarioResult]:
    """Pipeline scenarios (the YAML of `engine.pipeline.scenarios`, world inline) with
    `source` in place of the same-named ruleset. A `world:` file or a ruleset given as a file
    name is refused, so a request cannot make the server read files. Each scenario must run
    and check something (see `check_scenarios`), or the publish gate means nothing."""
    from engine.pipeline.scenarios import (
        ScenarioError,
        check_scenarios,
        check_world,
        run_scenario,
    )

    _, name = header_of(source)
    packaging = _sent_packaging(spec, packaging)
    # The file's rulesets and each scenario's own: a file name would be read from disk.
    own = [s.get("rulesets") for s in spec["scenarios"] if isinstance(s, dict)]
    for entries in [spec.get("rulesets"), *own]:
        if entries is not None and not isinstance(entries, list):
            raise InvalidRuleset("'rulesets' in scenarios must be a list of ruleset texts")
        if any(_names_a_file(entry) for entry in entries or []):
            raise InvalidRuleset("rulesets in scenarios must be given as text, not file names")
    others = []
    for entry in spec.get("rulesets") or []:
        text = str(entry)
        if header_of(text)[1] != name:
            others.append(text if text.endswith("\n") else text + "\n")
    spec["rulesets"] = [*others, source if source.endswith("\n") else source + "\n"]
    try:
        check_world(spec)
        check_scenarios(spec["scenarios"])
    except ScenarioError as error:
        raise InvalidRuleset(error.message) from None
    _check_steps(
        spec["scenarios"],
        [len(s.get("steps") or []) + ("order" in s) for s in spec["scenarios"]],
        unit="steps",
        note="a scenario's `order` is one step",
    )
    results = []
    for index, scenario in enumerate(spec["scenarios"], start=1):
        try:
            outcome = run_scenario(spec, scenario, Path("/nonexistent"), "request", packaging)
        except (DomainError, KeyError, TypeError, ValueError, AttributeError) as error:
            label = str(scenario.get("name", f"scenario {index}"))
            results.append(ScenarioResult(label, False, f"could not run: {error}"))
            continue
        results.append(ScenarioResult(outcome.name, outcome.passed, "; ".join(outcome.failures)))
    return results


def _sent_packaging(spec: dict[str, Any], packaging: BoxCatalog | None) -> BoxCatalog | None:
    """The catalogue scenarios sent pack with: the deployment's, or none for `packaging:
    none`. A catalogue's path is refused: the server does not read files a request names."""
    from engine.pipeline.scenarios import PACKAGING, says_no_packaging

    if PACKAGING not in spec:
        return packaging
    named = spec.pop(PACKAGING)
    if says_no_packaging(named):
        return None
    raise InvalidRuleset(
        f"`packaging: {named}`: scenarios sent to the API pack with the deployment's box "
        "catalogue (ORDO_PACKAGING_FILE), or with none (`packaging: none`); a catalogue's "
        "file is not read from a request. Leave `packaging` out, or run the file with "
        "`ordo rules test`"
    )


def _check_steps(scenarios: Sequence[Any], counts: list[int], *, unit: str, note: str) -> None:
    """InvalidRuleset for more steps (or events) than a request may run: a scenario's steps
    slow down as its world fills with orders, so one long scenario costs more than many
    short ones."""
    for number, (scenario, count) in enumerate(zip(scenarios, counts, strict=True), start=1):
        if count > MAX_SCENARIO_STEPS:
            name = scenario.get("name") if isinstance(scenario, dict) else None
            label = f"scenario {number}" + (f" ({name})" if name else "")
            raise InvalidRuleset(
                f"{label} has {count} {unit}; a scenario sent to the API has at most "
                f"{MAX_SCENARIO_STEPS}"
            )
    if sum(counts) > MAX_STEPS:
        raise InvalidRuleset(
            f"the scenarios have {sum(counts)} {unit} in all; the API runs at most {MAX_STEPS} "
            f"at a time ({note})"
        )


def _unreadable(problem: Any, max_aliased: int) -> str:
    """What the API says of scenarios that cannot be read as YAML (a `dsl.tooling.YamlProblem`)."""
    if problem.kind == "depth":
        return "the scenarios are nested too deeply to be read"
    if problem.kind == "aliases":
        return (
            f"the scenarios expand to more than {max_aliased:,} values through YAML aliases "
            "(&anchor/*alias)"
        )
    where = f" at line {problem.line}, column {problem.column}" if problem.line else ""
    # A date or number that cannot be one, or a key written twice: say which and why.
    if problem.kind in ("value", "duplicate"):
        return f"the scenarios are not valid YAML{where}: {problem.reason}"
    return f"the scenarios are not valid YAML{where}"


def _names_a_file(entry: Any) -> bool:
    """A ruleset in scenarios written as a file name, which the scenario runner would read."""
    return "\n" not in str(entry).strip()


def header_of(source: str) -> tuple[str, str]:
    """(kind, name) from the first line `sourcing ruleset routing on order.received ...`."""
    if len(source) > MAX_SOURCE:
        raise InvalidRuleset(f"the ruleset text is longer than {MAX_SOURCE} characters")
    match = _HEADER.search(source)
    if match is None:
        raise InvalidRuleset(
            "line 1, column 1: a ruleset starts with '<kind> ruleset <name> on <event>', e.g. "
            "'sourcing ruleset routing on order.received'",
            [_diag("missing_header", "expected '<kind> ruleset <name> on <event>'", 1, 1)],
        )
    return match["kind"], match["name"].strip('"')


def _diag(
    code: str, message: str, line: int, column: int, severity: str = "error", **extra: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "line": line,
        "column": column,
        "severity": severity,
        **extra,
    }


def diagnostics(source: str) -> list[dict[str, Any]]:
    """Every error and warning of the text, each with line and column (1-based)."""
    import dsl
    from engine.rules.schema import domain_schema

    return [diagnostic_out(d) for d in dsl.check(source, domain_schema())]


def diagnostic_out(d: Any) -> dict[str, Any]:
    """A `dsl.Diagnostic` as the API shows it."""
    return _diag(
        d.code,
        d.message,
        d.line,
        d.column,
        d.severity,
        source_line=d.source_line,
        suggestion=d.suggestion,
        rendered=d.render(),
    )


def _errors(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in found if d["severity"] == "error"]


def _refusal(found: list[dict[str, Any]]) -> InvalidRuleset:
    """Why a text with errors cannot be published or run: the first error, and every finding."""
    errors = _errors(found)
    first = errors[0]
    return InvalidRuleset(
        f"the ruleset has {len(errors)} error(s); first at line {first['line']}, column "
        f"{first['column']}: {first['message']}",
        found,
    )


class StaleDraft(Conflict):
    """A draft edited from a version that is no longer its ruleset's newest: saving it would
    silently drop whatever the newer version changed."""

    code = "stale_draft"


def create_draft(
    uow: UnitOfWork, source: str, author: str, *, based_on: str | None = None
) -> RulesetVersion:
    """Save the text as the next version of its ruleset; drafts may still contain errors.

    `based_on` is the version the editor loaded: when given, the save is refused (StaleDraft)
    unless that is still the ruleset's newest version. Without it, the text is saved as is."""
    kind, name = header_of(source)
    with uow:
        existing = uow.rulesets.versions(name)
        newest = max(existing, key=lambda v: v.version, default=None)
        _check_based_on(uow, name, newest, based_on)
        version = RulesetVersion(
            id=f"rsv_{secrets.token_hex(6)}",
            name=name,
            kind=kind,
            version=newest.version + 1 if newest else 1,
            source=source,
            author=author,
            created_at=utcnow(),
        )
        uow.rulesets.add(version)
        audit.record(
            uow,
            author,
            "ruleset.draft",
            "ruleset",
            version.id,
            {},
            {"name": name, "version": version.version},
        )
        uow.commit()
    return version


def _check_based_on(
    uow: UnitOfWork, name: str, newest: RulesetVersion | None, based_on: str | None
) -> None:
    if based_on is None or (newest is not None and newest.id == based_on):
        return
    loaded = uow.rulesets.get(based_on)
    if loaded is None:
        raise DomainError(
            f"based_on: {based_on} is not a saved ruleset version; send the id of the version "
            "you edited, or leave based_on out"
        )
    if newest is None:
        return  # a new ruleset, started from another one's text: nothing to overwrite
    at = in_utc(newest.created_at)
    saved = f"version {newest.version} by {newest.author} at {at:%Y-%m-%d %H:%M:%S} UTC"
    if loaded.name != name:
        raise StaleDraft(
            f"the text's header names the ruleset {name}, but you edited {loaded.name} "
            f"version {loaded.version}; {name} already has {saved}: load {name} and apply "
            "your change there, or give the text a new name"
        )
    raise StaleDraft(
        f"{name} {saved} was saved after the one you edited (version {loaded.version}); "
        "reload it and re-apply your change"
    )


def save_draft(
    uow: UnitOfWork,
    store: ScenarioStore,
    source: str,
    author: str,
    *,
    scenarios: str | None = None,
    based_on: str | None = None,
) -> tuple[RulesetVersion, str | None]:
    """`create_draft`, then the scenarios saved with it: its own, else those of its parent
    (the ruleset's version before it), so editing a ruleset never drops the scenarios that
    gate its publishing. Returns the version and the scenarios it now has."""
    version = create_draft(uow, source, author, based_on=based_on)
    text = scenarios if scenarios and scenarios.strip() else None
    if text is None and version.version > 1:
        with uow:
            parent = next(
                (
                    v
                    for v in uow.rulesets.versions(version.name)
                    if v.version == version.version - 1
                ),
                None,
            )
        text = store.get(parent.id) if parent is not None else None
    if text is not None:
        store.put(version.id, text)
    return version, text


def get_version(uow: UnitOfWork, version_id: str) -> RulesetVersion:
    version = uow.rulesets.get(version_id)
    if version is None:
        raise NotFound("ruleset version", version_id)
    return version


def rule_blocks(source: str) -> dict[str, str]:
    """Rule name -> its text (normalised whitespace), for the rule-level diff."""
    blocks: dict[str, str] = {}
    for match in _RULE.finditer(source):
        end_match = _BLOCK_END.search(source, match.end())
        text = source[match.start() : end_match.start() if end_match else len(source)]
        blocks[match["name"]] = " ".join(text.split())
    return blocks


def diff(old: RulesetVersion, new: RulesetVersion) -> dict[str, Any]:
    """A unified text diff plus which rules were added, removed or changed."""
    if old.name != new.name:
        # The answer names versions by number only: across rulesets it would mislead.
        raise DomainError(
            f"{old.id} is a version of {old.name} and {new.id} of {new.name}: a diff compares "
            "two versions of one ruleset"
        )
    unified = "".join(
        difflib.unified_diff(
            old.source.splitlines(keepends=True),
            new.source.splitlines(keepends=True),
            fromfile=f"{old.name} v{old.version}",
            tofile=f"{new.name} v{new.version}",
        )
    )
    a, b = rule_blocks(old.source), rule_blocks(new.source)
    return {
        "from_version": old.version,
        "to_version": new.version,
        "unified": unified,
        "added": sorted(set(b) - set(a)),
        "removed": sorted(set(a) - set(b)),
        "changed": sorted(name for name in set(a) & set(b) if a[name] != b[name]),
    }


def check_publishable(
    source: str, runner: ScenarioRunner | None, scenarios: str | None
) -> list[ScenarioResult]:
    """Raise InvalidRuleset unless the text checks and every scenario passes."""
    found = diagnostics(source)
    if _errors(found):
        raise _refusal(found)
    results = list(runner(source, scenarios)) if runner is not None else []
    failed = [r for r in results if not r.passed]
    if failed:
        raise InvalidRuleset(
            f"{len(failed)} of {len(results)} scenario(s) fail, first '{failed[0].name}': "
            f"{failed[0].message}",
            [_diag("scenario_failed", f"{r.name}: {r.message}", 1, 1) for r in failed],
        )
    return results


def publish(
    uow: UnitOfWork,
    registry: Any,
    version_id: str,
    by: str,
    *,
    runner: ScenarioRunner | None = None,
    scenarios: str | None = None,
    action: str = "ruleset.publish",
) -> RulesetVersion:
    """Make `version_id` the live version of its ruleset, then swap it into the registry."""
    with uow:
        version = get_version(uow, version_id)
        if version.status is RulesetStatus.PUBLISHED:
            return version
        check_publishable(version.source, runner, scenarios)
        now = utcnow()
        previous = [
            v for v in uow.rulesets.versions(version.name) if v.status is RulesetStatus.PUBLISHED
        ]
        for old in previous:
            old.move(RulesetStatus.RETIRED, by, now)
        version.move(RulesetStatus.PUBLISHED, by, now)
        # Other processes learn of it through the outbox, in the same transaction.
        uow.record(
            events.RulesetPublished(version.name, version.version, version.kind, version.id, by)
        )
        audit.record(
            uow,
            by,
            action,
            "ruleset",
            version.id,
            {"live_version": previous[0].version if previous else None},
            {"name": version.name, "live_version": version.version},
        )
        uow.commit()
    if registry is not None:
        # After the commit: the registry never runs a version the database does not call live.
        # The text checked cleanly above, so compiling it here does not fail.
        registry.replace_one(version)
    return version


def rollback(uow: UnitOfWork, registry: Any, name: str, to_version: int, by: str) -> RulesetVersion:
    """Re-publish a version of `name` that was live before (it is checked again, scenarios
    aside: they passed when it was published). The live version itself is answered as is."""
    with uow:
        target = next((v for v in uow.rulesets.versions(name) if v.version == to_version), None)
        if target is None:
            raise NotFound("ruleset version", f"{name} v{to_version}")
        if target.status is RulesetStatus.DRAFT:
            # Rolling back skips the scenarios; a draft has not yet passed them once.
            raise Conflict(
                f"{name} v{to_version} was never published, so there is nothing to roll back "
                "to: publish it instead (it must check and pass its scenarios)"
            )
        target_id = target.id
    return publish(uow, registry, target_id, by, action="ruleset.rollback")


class RegistryRefresher:
    """Ticker: reload the published rulesets when another process has published or rolled
    back one, so every worker and every API process decides with the live versions. Each
    process compiles its own copy; this makes a publish reach them all within a tick."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], registry: Any) -> None:
        self.uow_factory = uow_factory
        self.registry = registry
        self._loaded: set[tuple[str, int]] | None = None

    def tick(self, now: datetime) -> int:
        """Versions installed by this tick (0 when nothing changed)."""
        before = self.registry.snapshot
        with self.uow_factory() as uow:
            published = list(uow.rulesets.published())
        current = {(version.name, version.version) for version in published}
        if current == self._loaded:
            return 0
        if self._loaded is None and current == set(before.versions.items()):
            self._loaded = current  # what the process loaded at start: nothing to compile
            return 0
        if not self.registry.swap_if(before, self.registry.load(published)):
            return 0  # a publish in this process got there first; the next tick re-reads
        self._loaded = current
        log.info("rulesets reloaded: %s", sorted(current))
        return len(current)
