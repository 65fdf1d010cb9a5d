"""The tree-walking interpreter: the reference semantics of the rule language.

Deliberately plain: it walks the checked AST, evaluating every operation through the shared
`runtime` functions, rule by rule in priority order. The compiler must agree with it on every
program and every conforming set of facts; the conformance suite and a randomized test hold the
two to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from dsl import ast, runtime
from dsl.actions import ExprFunction
from dsl.model import Program
from dsl.results import Match
from dsl.windows import WindowStore

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": runtime.lt, "<=": runtime.le,
    ">": runtime.gt, ">=": runtime.ge, "+": runtime.add, "-": runtime.sub, "*": runtime.mul,
    "/": runtime.div, "%": runtime.mod, "in": runtime.member,
    "not in": lambda a, b: not runtime.member(a, b), "starts with": runtime.starts_with,
    "ends with": runtime.ends_with, "contains": runtime.contains,
}


class Env:
    """Everything an expression can see while it is evaluated."""

    __slots__ = ("candidate", "facts", "now", "rule", "store", "variables")

    def __init__(self, facts: Mapping[str, Any], now: Any, candidate: Any = None,
                 store: WindowStore | None = None, rule: str = "") -> None:
        self.facts = facts
        self.now = now
        self.candidate = candidate
        self.store = store
        self.rule = rule
        self.variables: dict[str, Any] = {}


class Evaluator:
    """Evaluates expressions of one program."""

    def __init__(self, program: Program) -> None:
        self.program = program

    def ev(self, node: ast.Expr, env: Env) -> Any:
        method: Callable[[Any, Env], Any] = getattr(self, "e_" + type(node).__name__.lower())
        return method(node, env)

    def e_literal(self, node: ast.Literal, env: Env) -> Any:
        return node.value

    def e_name(self, node: ast.Name, env: Env) -> Any:
        ref = self.program.refs[node]
        if ref.kind == "var":
            return env.variables[ref.name]
        if ref.kind == "root":
            return env.facts[ref.name]
        if ref.kind == "candidate":
            return env.candidate
        if ref.kind == "const":
            return self.program.consts[ref.name]
        return self.program.lists[ref.name]

    def e_field(self, node: ast.Field, env: Env) -> Any:
        obj = self.ev(node.obj, env)
        return None if obj is None else obj[node.name]

    def e_index(self, node: ast.Index, env: Env) -> Any:
        key = self.ev(node.key, env)
        if isinstance(node.obj, ast.Name) and node.obj.name in self.program.maps:
            table = self.program.maps[node.obj.name]
            return runtime.lookup(table.entries, key, table.default)
        return runtime.item_at(self.ev(node.obj, env), key)

    def e_call(self, node: ast.Call, env: Env) -> Any:
        args = [self.ev(a, env) for a in node.args]
        table = self.program.decisions.get(node.func)
        if table is not None:
            return runtime.decide(table.rows, table.otherwise, args)
        return runtime.FUNCTION_IMPLS[node.func](*args)

    def e_unary(self, node: ast.Unary, env: Env) -> Any:
        value = self.ev(node.operand, env)
        return (not value) if node.op == "not" else runtime.neg(value)

    def e_binary(self, node: ast.Binary, env: Env) -> Any:
        # A loop along the left operands, not recursion: a chain may join thousands of tests.
        # `and`/`or` short-circuit and return an operand, exactly like Python's.
        first, links = ast.left_spine(node)
        value = self.ev(first, env)
        for link in links:
            op = link.op
            if op == "and":
                if value:
                    value = self.ev(link.right, env)
            elif op == "or":
                if not value:
                    value = self.ev(link.right, env)
            else:
                value = _COMPARE[op](value, self.ev(link.right, env))
        return value

    def e_matches(self, node: ast.Matches, env: Env) -> Any:
        return runtime.matches(self.program.regexes[node], self.ev(node.subject, env))

    def e_presence(self, node: ast.Presence, env: Env) -> Any:
        return runtime.present(self.ev(node.subject, env)) == node.present

    def e_listexpr(self, node: ast.ListExpr, env: Env) -> Any:
        return [self.ev(item, env) for item in node.items]

    def _each(self, var: str, collection: ast.Expr, env: Env) -> Any:
        saved = env.variables
        for item in runtime.items(self.ev(collection, env)):
            env.variables = {**saved, var: item}
            yield item
        env.variables = saved

    def e_quantifier(self, node: ast.Quantifier, env: Env) -> Any:
        saved = env.variables
        try:
            tests = (self.ev(node.cond, env) for _ in self._each(node.var, node.collection, env))
            if node.op == "any":
                return any(tests)
            if node.op == "all":
                return all(tests)
            return sum(1 for test in tests if test)
        finally:
            env.variables = saved

    def e_aggregate(self, node: ast.Aggregate, env: Env) -> Any:
        saved = env.variables
        try:
            values = (self.ev(node.value, env) for _ in self._each(node.var, node.collection, env)
                      if node.cond is None or self.ev(node.cond, env))
            return {"sum": runtime.agg_sum, "min": runtime.agg_min,
                    "max": runtime.agg_max}[node.op](values)
        finally:
            env.variables = saved

    def e_window(self, node: ast.Window, env: Env) -> Any:
        within = self.ev(node.within, env)
        key = self.ev(node.by, env) if node.by is not None else ""
        value = self.ev(node.value, env) if node.value is not None else 1
        return runtime.window(env.store, env.rule, key, env.now, value, within.total_seconds(),
                              node.op == "sum")

    def e_now(self, node: ast.Now, env: Env) -> Any:
        return env.now

    def e_today(self, node: ast.Today, env: Env) -> Any:
        return runtime.date_of(env.now)


def evaluate_constant(program: Program, node: ast.Expr) -> Any:
    """Value of a constant expression (the checker computes constants and tables with this)."""
    return Evaluator(program).ev(node, Env({}, None))


class InterpretedRunner:
    """Runs a program by walking its AST, one rule after another."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.evaluator = Evaluator(program)
        self.rules = program.rules
        self.first = program.tree.header.policy == "first"
        self.static: list[Match | None] = []
        self.build: Callable[[int, Any, Any], Match] | None = None

    def bind(self, static: list[Match | None], build: Callable[[int, Any, Any], Match]) -> None:
        self.static, self.build = static, build

    def run(self, facts: Mapping[str, Any], now: Any, store: WindowStore | None) -> list[Match]:
        assert self.build is not None, "bind() before run()"
        today = runtime.date_of(now)
        matched: list[Match] = []
        for index, rule in enumerate(self.rules):
            if not _active(rule, today):
                continue
            env = Env(facts, now, None, store, rule.name)
            if self.evaluator.ev(rule.condition, env):
                matched.append(self.static[index] or self.build(index, facts, now))
                if self.first:
                    break
        return matched

    def function(self, node: ast.Expr) -> ExprFunction:
        evaluator = self.evaluator

        def call(facts: Mapping[str, Any], now: Any, candidate: Any) -> Any:
            return evaluator.ev(node, Env(facts, now, candidate))

        return call


def _active(rule: ast.Rule, today: dt.date | None) -> bool:
    if not rule.enabled:
        return False
    if today is None:
        return True
    if rule.effective_from is not None and today < rule.effective_from:
        return False
    return not (rule.effective_until is not None and today > rule.effective_until)
