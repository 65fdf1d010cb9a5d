"""Ordo's rule language: the facade.

    schema = dsl.Schema.from_dict({...})          # the host describes its data
    diagnostics = dsl.check(source, schema)       # every error and warning, for editors
    ruleset = dsl.compile(source, schema)         # raises dsl.RuleError if the source has errors
    evaluation = ruleset.evaluate(facts, now=..., windows=store)
    evaluation.matches, evaluation.trace

Stages (each its own module): `parser` (Lark grammar -> `ast`), `checker` (names and types
against the schema -> `model.Program`), `lints` (warnings), then a runner: `compiler` (Python
source compiled once, the default) or `interpreter` (the reference semantics). See
docs/dev/dsl-contract.md for the contract with the engine and docs/dsl.md for the language.
This package imports only the standard library and Lark.
"""

from __future__ import annotations

from dsl.diagnostics import Diagnostic, EvaluationError, RuleError
from dsl.results import Action, Evaluation, Match, RuleInfo, Trace, TraceEntry
from dsl.ruleset import Ruleset, analyze, build
from dsl.schema import Schema, SchemaError, Type
from dsl.windows import InMemoryWindowStore, WindowStore

__all__ = [
    "Action",
    "Diagnostic",
    "Evaluation",
    "EvaluationError",
    "InMemoryWindowStore",
    "Match",
    "RuleError",
    "RuleInfo",
    "Ruleset",
    "Schema",
    "SchemaError",
    "Trace",
    "TraceEntry",
    "Type",
    "WindowStore",
    "check",
    "compile",
    "is_valid",
]


def check(source: str, schema: Schema) -> list[Diagnostic]:
    """Every diagnostic (errors and warnings) of a ruleset source, in source order."""
    return analyze(source, schema)[1]


def is_valid(source: str, schema: Schema) -> bool:
    """True when the source has no errors (warnings allowed)."""
    return not any(d.is_error for d in check(source, schema))


def compile(source: str, schema: Schema, runner: str = "compiled") -> Ruleset:
    """Check and compile a ruleset once; raise `RuleError` carrying every error if it has any.

    `runner` is "compiled" (generated Python, the fast path) or "interpreted" (the reference
    tree walker); both give the same results.
    """
    return build(source, schema, runner)
