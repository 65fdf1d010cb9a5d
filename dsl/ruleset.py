"""The pipeline behind the facade: parse -> check -> lint -> compile once -> evaluate many times.

`analyze` runs the static stages and returns every diagnostic (what editors and the validate
endpoint want); `build` refuses a source with errors (raising `RuleError` with all of them) and
returns a `Ruleset` bound to a runner; `Ruleset.evaluate` is the hot path and fails at the first
problem with an `EvaluationError`.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Mapping
from typing import Any, Protocol

from dsl import ast, checker, lints, parser
from dsl.actions import ActionPlan, ExprFunction, is_static, plan_rule
from dsl.compiler import CompiledRunner
from dsl.diagnostics import Diagnostic, EvaluationError, Reporter, RuleError
from dsl.interpreter import InterpretedRunner
from dsl.model import Program
from dsl.results import Evaluation, Match, RuleInfo
from dsl.schema import Schema
from dsl.windows import WindowStore

RUNNERS = ("compiled", "interpreted")


class Runner(Protocol):
    def run(self, facts: Mapping[str, Any], now: Any, store: WindowStore | None) -> list[Match]:
        """The matches, in evaluation order with the policy applied."""
        ...

    def bind(self, static: list[Match | None], build: Any) -> None:
        """Hand over the shared matches and the builder of the others."""
        ...

    def function(self, node: ast.Expr) -> ExprFunction:
        """A function of (facts, now, candidate) computing `node`, for actions."""
        ...


def analyze(source: str, schema: Schema) -> tuple[Program | None, list[Diagnostic]]:
    """Parse, check and lint; return the program (None if unusable) and every diagnostic."""
    tree, parse_diagnostics = parser.parse(source)
    reporter = Reporter(source)
    reporter.diagnostics.extend(parse_diagnostics)
    if tree is None:
        return None, reporter.sorted()
    try:
        program = checker.check(tree, schema, reporter)
        if not reporter.errors:
            for lint in lints.PASSES:
                lint(program, reporter)
    except RecursionError:
        reporter.add("E108", "the ruleset is nested too deeply to check", 1, 1)
        return None, reporter.sorted()
    return (None if reporter.errors else program), reporter.sorted()


def build(source: str, schema: Schema, runner: str = "compiled") -> Ruleset:
    if runner not in RUNNERS:
        raise ValueError(f"runner must be one of {RUNNERS}, not {runner!r}")
    # Compiling allocates many small objects and frees none in cycles: the cyclic collector
    # would only add a tenth to the time of publishing a large ruleset.
    collecting = gc.isenabled()
    gc.disable()
    try:
        program, diagnostics = analyze(source, schema)
        if program is None:
            raise RuleError([d for d in diagnostics if d.is_error])
        return Ruleset(program, runner, [d for d in diagnostics if not d.is_error])
    finally:
        if collecting:
            gc.enable()


class Ruleset:
    """A checked, compiled ruleset; evaluate it against facts as often as needed."""

    def __init__(self, program: Program, runner: str, warnings: list[Diagnostic]) -> None:
        header = program.tree.header
        self.program = program
        self.name = header.name
        self.kind = header.kind
        self.event = header.event
        self.policy = header.policy
        self.runner = runner
        self.warnings = warnings
        ordered = program.rules
        self.rules = [RuleInfo(r.name, r.priority, r.enabled, r.effective_from,
                               r.effective_until, r.line) for r in ordered]
        static_rules = [is_static(program, r) for r in ordered]
        self._runner: Runner = (CompiledRunner(program, static_rules) if runner == "compiled"
                                else InterpretedRunner(program))
        self._plans: list[list[ActionPlan]] = [plan_rule(program, r, self._runner.function)
                                               for r in ordered]
        # Matches that depend on nothing but the ruleset are built once and shared.
        self._static: list[Match | None] = [
            Match(r.name, r.priority, [p.build({}, None) for p in plans], index, shared=True)
            if static_rules[index] else None
            for index, (r, plans) in enumerate(zip(ordered, self._plans, strict=True))]
        self._runner.bind(self._static, self._match)
        self._priorities = [r.priority for r in ordered]
        self._names = [r.name for r in ordered]
        self._first = self.policy == "first"
        self._needs_now = bool(program.clocked)
        self._run = self._runner.run
        # Without clock-dependent rules, "nothing matched" is always the same answer.
        self._empty = (None if self._needs_now
                       else Evaluation(([], self.rules, None, self._first)))
        # What evaluates again when plain arithmetic overflows (see dsl.compiler): the
        # interpreter, whose null-safe operations give a missing value instead.
        self._rerun: Any = None
        if isinstance(self._runner, CompiledRunner):
            self._run = self._runner.run_function  # the generated function itself, no wrapper
            if not program.windows:  # a second run would count window events twice
                self._rerun = self._runner.reference.run

    @property
    def source(self) -> str:
        """The generated Python of the compiled runner (for the curious and for reviews)."""
        return getattr(self._runner, "source", "")

    def evaluate(self, facts: Mapping[str, Any], now: dt.datetime | None = None,
                 windows: WindowStore | None = None) -> Evaluation:
        """Evaluate every rule against `facts`; `now` defaults to the current UTC time."""
        if now is None and self._needs_now:
            now = dt.datetime.now(dt.UTC)
        # The hot path of the whole product: the runner returns the matches themselves.
        try:
            matches = self._run(facts, now, windows)
        except OverflowError as error:  # a number past a float's range: rare, never a failure
            matches = self._overflowed(facts, now, windows, error)
        except (KeyError, TypeError, LookupError, AttributeError, ValueError) as error:
            raise self._failure(error) from error
        if not matches and self._empty is not None:
            return self._empty
        return Evaluation((matches, self.rules, now, self._first))

    def _overflowed(self, facts: Mapping[str, Any], now: Any, windows: WindowStore | None,
                    error: OverflowError) -> list[Match]:
        """The matches of an evaluation whose plain arithmetic overflowed, by the interpreter."""
        if self._rerun is None:
            raise self._failure(error) from error
        try:
            matches: list[Match] = self._rerun(facts, now, windows)
        except (KeyError, TypeError, LookupError, AttributeError, ValueError,
                OverflowError) as again:
            raise self._failure(again) from again
        return matches

    def _match(self, index: int, facts: Mapping[str, Any], now: Any) -> Match:
        return Match(self._names[index], self._priorities[index],
                     [plan.build(facts, now) for plan in self._plans[index]], index)

    def _failure(self, error: Exception) -> EvaluationError:
        if isinstance(error, KeyError):
            message = f"the facts have no `{error.args[0]}`, which the schema promises"
        elif isinstance(error, LookupError) and "windows" in str(error):
            message = str(error)
        else:
            message = f"the facts do not follow the schema ({error})"
        return EvaluationError([Diagnostic("E601", message, self.program.tree.line, 1,
                                           suggestion="check the facts passed to evaluate()")])
