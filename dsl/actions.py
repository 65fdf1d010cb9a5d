"""Turning a matched rule's action nodes into `Action`s, the same way for both runners.

Each action is prepared once per ruleset as an `ActionPlan`: its literal arguments, and the
pieces that depend on the facts (message placeholders, the candidate test, the alert's group key)
as functions supplied by the runner. Plans without such pieces yield one shared `Action`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dsl import ast, runtime
from dsl.model import Program
from dsl.results import Action, CandidateTest

# A runner turns an expression into a function of (facts, now, candidate).
ExprFunction = Callable[[Mapping[str, Any], Any, Mapping[str, Any] | None], Any]
FunctionFactory = Callable[[ast.Expr], ExprFunction]


@dataclass
class ActionPlan:
    kind: str
    args: dict[str, Any]
    rule: str
    line: int
    candidate: str
    test: CandidateTest | None
    message: list[str | tuple[ExprFunction, str]] | None
    key: ExprFunction | None

    @property
    def is_static(self) -> bool:
        return self.test is None and self.key is None and (
            self.message is None or all(isinstance(p, str) for p in self.message))

    def build(self, facts: Mapping[str, Any], now: Any) -> Action:
        args = self.args
        if self.message is not None or self.key is not None:
            args = dict(args)
            if self.message is not None:
                args["message"] = "".join(
                    p if isinstance(p, str) else runtime.fmt(p[0](facts, now, None), p[1])
                    for p in self.message)
            if self.key is not None:
                key = self.key(facts, now, None)
                args["key"] = "" if key is None else str(key)
        return Action(self.kind, args, self.rule, self.line, self.candidate, self.test, facts,
                      now)


def is_static(program: Program, rule: ast.Rule) -> bool:
    """Whether a rule's actions depend on nothing but the ruleset (then one Match serves all)."""
    if rule in program.windows and any(w.by is not None for w in program.windows[rule]) and \
            any(a.verb == "alert" for a in rule.actions):
        return False
    for action in rule.actions:
        if action.cond is not None and not reads_only_candidate(program, action.cond):
            return False
        template = program.templates.get((action, "message"))
        if template is not None and not template.is_static:
            return False
    return True


def reads_only_candidate(program: Program, node: ast.Expr) -> bool:
    """Whether an action's `where` test reads nothing but the candidate and the ruleset's own
    constants and tables: no fact root, no clock, no window. Its answer for a candidate is then
    the same whatever facts an evaluation is given, so the action can be built once and shared
    (`prefer location.distance < 500 km` is; `... < order.max_distance` is not)."""
    pending: list[ast.Node] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Now | ast.Today | ast.Window):
            return False
        if isinstance(current, ast.Name):
            ref = program.refs.get(current)
            if ref is None or ref.kind == "root":
                return False
        pending.extend(current.children())
    return True


def plan_rule(program: Program, rule: ast.Rule, function: FunctionFactory) -> list[ActionPlan]:
    """Prepare the actions of one rule."""
    windows = program.windows.get(rule, [])
    key_node = next((w.by for w in windows if w.by is not None), None)
    return [_plan(program, rule, action, function, key_node) for action in rule.actions]


def _plan(program: Program, rule: ast.Rule, action: ast.ActionNode, function: FunctionFactory,
          key_node: ast.Expr | None) -> ActionPlan:
    params = action.params
    verb = action.verb
    args: dict[str, Any] = {}
    message = None
    key = None
    if verb in ("reject", "hold"):
        args = {"code": params["code"], "message": params["message"]}
    elif verb == "prefer":
        args = {"weight": params["weight"]}
    elif verb == "max_shipments":
        args = {"n": params["n"]}
    elif verb == "optimise":
        args = {"method": params["method"]}
    elif verb in ("fallback", "choose"):
        args = {"mode": params["mode"]}
        if verb == "choose":
            args["meeting_promise"] = bool(params["meeting_promise"])
    elif verb == "safety_stock":
        args = {"units": params["units"]}
    elif verb == "allocate":
        args = {str(params["target"]): params["value"], str(params["unit"]): params["amount"]}
    elif verb == "priority":
        args = {"value": params["value"]}
    elif verb == "alert":
        args = {"severity": params["severity"], "message": params["message"],
                "recipients": list(params["recipients"]), "key": ""}  # type: ignore[call-overload]
        if key_node is not None:
            key = function(key_node)
    template = program.templates.get((action, "message"))
    if template is not None and not template.is_static:
        message = [p if isinstance(p, str) else
                   (function(p), runtime.format_spec(program.types[p].kind,
                                                     program.types[p].unit))
                   for p in template.parts]
    elif template is not None:
        args["message"] = "".join(str(p) for p in template.parts)
    test = function(action.cond) if action.cond is not None else None
    return ActionPlan(verb, args, rule.name, action.line, program.candidate if test else "",
                      test, message, key)
