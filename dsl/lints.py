"""Warnings about rules that are valid but probably not what the analyst meant.

Each lint is a small function of (program, reporter), listed in `PASSES` and run in that order
after a clean check:

- duplicate rule names, which make traces ambiguous;
- rules that can never match (`order.total > 500 and order.total < 100`, `x == "a" and x == "b"`);
- under the `first` policy, rules shadowed by an earlier rule whose condition they imply.

The reasoning is deliberately simple: a conjunction of comparisons between a fact path and a
constant. What it cannot decide it leaves alone, so every warning is a certainty.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from dsl import ast
from dsl.diagnostics import WARNING, Reporter
from dsl.model import Program

Interval = tuple[float, bool, float, bool]  # low, low inclusive, high, high inclusive


def duplicate_names(program: Program, reporter: Reporter) -> None:
    seen: dict[str, ast.Rule] = {}
    for rule in program.tree.rules:
        if rule.name in seen:
            first = seen[rule.name]
            reporter.add("W601", f"another rule is already called \"{rule.name}\" (line "
                         f"{first.line})", rule.line, rule.column, severity=WARNING,
                         suggestion="give every rule its own name so traces are unambiguous")
        else:
            seen[rule.name] = rule


def never_matches(program: Program, reporter: Reporter) -> None:
    for rule in program.tree.rules:
        reason = _contradiction(program, ast.conjuncts(rule.condition))
        if reason:
            reporter.add("W602", f"this rule can never match: {reason}", rule.condition.line,
                         rule.condition.column, severity=WARNING)


def shadowed(program: Program, reporter: Reporter) -> None:
    if program.tree.header.policy != "first":
        return
    earlier: list[ast.Rule] = []
    for rule in program.rules:
        if not rule.enabled:
            continue
        for before in earlier:
            if _implies(program, ast.conjuncts(rule.condition), ast.conjuncts(before.condition)):
                reporter.add("W606", f"this rule never wins: \"{before.name}\" (line "
                             f"{before.line}) comes first and matches whenever this one does",
                             rule.line, rule.column, severity=WARNING,
                             suggestion="give this rule a higher priority or narrow the other")
                break
        if rule.effective_from is None and rule.effective_until is None:
            earlier.append(rule)


PASSES: tuple[Callable[[Program, Reporter], None], ...] = (duplicate_names, never_matches,
                                                           shadowed)


# ------------------------------------------------------------------------------ reasoning
_POSITIONS = ("line", "column", "name_line", "name_column")


def _shape(node: ast.Expr) -> tuple[str, ...]:
    """A structural key for an expression, positions left out.

    Flat (the nodes in prefix order, lists with their length) and built without recursion, so a
    condition of thousands of tests is hashed and compared without deep recursion.
    """
    shape: list[str] = []
    pending: list[Any] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, ast.Node):
            shape.append(type(item).__name__)
            pending.extend(reversed([getattr(item, f.name) for f in dataclasses.fields(item)
                                     if f.name not in _POSITIONS]))
        elif isinstance(item, list):
            shape.append(f"[{len(item)}]")
            pending.extend(reversed(item))
        else:
            shape.append(repr(item))
    return tuple(shape)


def _path(node: ast.Expr) -> str | None:
    if isinstance(node, ast.Field):
        inner = _path(node.obj)
        return f"{inner}.{node.name}" if inner else None
    if isinstance(node, ast.Name):
        return node.name
    return None


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _comparison(program: Program, node: ast.Expr) -> tuple[str, str, Any] | None:
    """(path, op, constant) for `path op constant` or `constant op path`."""
    if not isinstance(node, ast.Binary) or node.op not in _FLIP:
        return None
    left, right, op = node.left, node.right, node.op
    if _constant(program, left) is not _NONE and _path(right):
        left, right, op = right, left, _FLIP[op]
    path, value = _path(left), _constant(program, right)
    if path is None or value is _NONE:
        return None
    return path, op, value


_NONE = object()


def _constant(program: Program, node: ast.Expr) -> Any:
    if isinstance(node, ast.Literal):
        return node.value
    if isinstance(node, ast.Name) and program.refs.get(node) is not None \
            and program.refs[node].kind == "const":
        return program.consts[node.name]
    return _NONE


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _intervals(program: Program, conjuncts: list[ast.Expr]) -> tuple[
        dict[str, Interval], dict[str, set[Any]], str]:
    """Numeric intervals and equality values per path; a reason if they already contradict."""
    bounds: dict[str, Interval] = {}
    equals: dict[str, set[Any]] = {}
    for conjunct in conjuncts:
        if isinstance(conjunct, ast.Literal) and conjunct.value is False:
            return bounds, equals, "its condition is `false`"
        found = _comparison(program, conjunct)
        if found is None:
            continue
        path, op, value = found
        if op == "==":
            equals.setdefault(path, set()).add(value)
            if len(equals[path]) > 1:
                return bounds, equals, f"`{path}` cannot equal two different values"
        if _numeric(value) and op in ("<", "<=", ">", ">=", "=="):
            low, low_in, high, high_in = bounds.get(path, (-math.inf, False, math.inf, False))
            if op in (">", ">=", "==") and (value > low or (value == low and op != ">")):
                low, low_in = value, op != ">"
            if op in ("<", "<=", "==") and (value < high or (value == high and op != "<")):
                high, high_in = value, op != "<"
            bounds[path] = (low, low_in, high, high_in)
            if low > high or (low == high and not (low_in and high_in)):
                return bounds, equals, f"no value of `{path}` satisfies all its comparisons"
    return bounds, equals, ""


def _contradiction(program: Program, conjuncts: list[ast.Expr]) -> str:
    return _intervals(program, conjuncts)[2]


def _implies(program: Program, stronger: list[ast.Expr], weaker: list[ast.Expr]) -> bool:
    """Whether every conjunct of `weaker` holds whenever all of `stronger` hold."""
    bounds, equals, contradiction = _intervals(program, stronger)
    if contradiction:
        return False  # reported by never_matches; no point in a second warning
    shapes = {_shape(c) for c in stronger}
    for conjunct in weaker:
        if isinstance(conjunct, ast.Literal) and conjunct.value is True:
            continue
        if _shape(conjunct) in shapes:
            continue
        found = _comparison(program, conjunct)
        if found is None:
            return False
        path, op, value = found
        if op == "==" and equals.get(path) == {value}:
            continue
        if op == "!=" and path in equals and value not in equals[path]:
            continue
        if not _numeric(value) or path not in bounds or op not in ("<", "<=", ">", ">="):
            return False
        low, low_in, high, high_in = bounds[path]
        holds = {
            ">": low > value or (low == value and not low_in),
            ">=": low >= value,
            "<": high < value or (high == value and not high_in),
            "<=": high <= value,
        }[op]
        if not holds:
            return False
    return True
