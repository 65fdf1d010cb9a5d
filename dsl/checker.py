"""The checker: names and types of every expression, against the schema the host passes in.

It resolves every name (a fact root, the candidate of an action, a variable bound by `any`/`sum`,
a constant or a table), types every expression, evaluates constants and tables once, parses
message templates and patterns, and checks each action against the ruleset's kind. It reports
everything it finds and returns a `Program` that both runners execute. Warnings about rules that
can never match or are shadowed live in `lints.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from dsl import ast, interpreter, parser, typing_rules
from dsl.diagnostics import WARNING, Reporter, suggest
from dsl.model import (
    ACTIONS_BY_KIND,
    ALLOCATION_TARGETS,
    ALLOCATION_UNITS,
    CANDIDATE_ACTIONS,
    CHOOSE_MODES,
    FALLBACK_MODES,
    OPTIMISER_METHODS,
    POLICIES,
    SEVERITIES,
    DecisionRows,
    MapData,
    Program,
    Ref,
    Template,
)
from dsl.regex import PatternError, compile_pattern
from dsl.schema import (
    ANY,
    BOOL,
    CANDIDATE,
    DATE,
    DATETIME,
    DURATION,
    INT,
    KINDS,
    NUMBER,
    STR,
    Schema,
    Type,
    list_of,
    money,
    quantity,
)

FUNCTIONS = {
    "distance": "distance(a, b): kilometres between two places with lat and lon",
    "date": "date(x): the date of a date and time",
    "days": "days(d): a duration as a number of days",
    "hours": "hours(d): a duration as a number of hours",
    "lower": "lower(text)",
    "upper": "upper(text)",
    "length": "length(text or list)",
    "abs": "abs(number)",
    "round": "round(number)",
}
_ORDERED = ("int", "number", "money", "quantity", "duration", "date", "datetime", "str")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass
class Scope:
    """What an expression may name at one place in the ruleset."""

    variables: dict[str, Type] = field(default_factory=dict)
    candidate: bool = False  # inside an action about a location or carrier
    windows: bool = False  # alert conditions may aggregate over time windows
    constant: bool = False  # constants and tables: no facts, no clock

    def bind(self, name: str, type_: Type) -> Scope:
        return replace(self, variables={**self.variables, name: type_}, windows=False)


def check(tree: ast.Ruleset, schema: Schema, reporter: Reporter) -> Program:
    """Check `tree`; diagnostics go to `reporter`; the returned Program is usable if no errors."""
    return _Checker(tree, schema, reporter).run()


class _Checker:
    def __init__(self, tree: ast.Ruleset, schema: Schema, reporter: Reporter) -> None:
        self.tree = tree
        self.schema = schema
        self.rep = reporter
        # The name being checked as the object of a field (`zzz` in `zzz.qq`): not a text
        # missing its quotes, so an unknown one gets no hint to quote it.
        self.field_object: ast.Node | None = None
        header = tree.header
        self.kind = header.kind if header.kind in KINDS else ""
        self.candidate = CANDIDATE.get(self.kind, "")
        self.roots = schema.roots_for(self.kind) if self.kind else dict(schema.roots)
        self.program = Program(tree=tree, kind=self.kind, candidate=self.candidate)
        self.const_types: dict[str, Type] = {}
        self.table_types: dict[str, Type] = {}  # list and map tables (the map's value type)
        self.decision_types: dict[str, Type] = {}
        self.map_key_types: dict[str, Type] = {}
        self.current: ast.Rule | None = None

    # ------------------------------------------------------------------------------ driver
    def run(self) -> Program:
        self.header()
        seen: dict[str, ast.Node] = {}
        for item in self.tree.items:
            if isinstance(item, ast.Rule):
                continue
            name = item.name  # type: ignore[attr-defined]
            if name in seen or name in self.roots or name in FUNCTIONS:
                self.rep.add("E203", f"`{name}` is already defined", item.line, item.column,
                             suggestion="give the constant or table another name")
                continue
            seen[name] = item
            if isinstance(item, ast.ConstDecl):
                self.const(item)
            elif isinstance(item, ast.ListTable | ast.MapTable | ast.DecisionTable):
                self.table(item)
        for rule in self.tree.rules:
            self.rule(rule)
        return self.program

    def header(self) -> None:
        header = self.tree.header
        if not header.kind:
            return  # the parser already reported why the header could not be read
        if header.kind not in KINDS:
            self.rep.add("E501", f"unknown rule kind `{header.kind}`", *header.kind_pos,
                         suggestion=suggest(header.kind, KINDS) or f"kinds are {', '.join(KINDS)}",
                         length=len(header.kind))
        if header.policy not in POLICIES:
            self.rep.add("E502", f"unknown policy `{header.policy}`", *header.policy_pos,
                         suggestion=suggest(header.policy, POLICIES)
                         or "policies are first, all and best_score", length=len(header.policy))
        if self.schema.events and header.event not in self.schema.events:
            self.rep.add("E204", f"unknown event `{header.event}`", *header.event_pos,
                         suggestion=suggest(header.event, self.schema.events),
                         length=len(header.event))

    # ------------------------------------------------------------------------------ declarations
    def const(self, decl: ast.ConstDecl) -> None:
        type_, value = self.constant(decl.expr)
        if value is not _FAILED:
            self.const_types[decl.name] = type_
            self.program.consts[decl.name] = value

    def constant(self, node: ast.Expr) -> tuple[Type, object]:
        """Type `node` as a constant and compute its value once, at check time."""
        # `found`, not the errors listed: an entry of a table was typed once already, and an
        # error found again is not listed again, though the value cannot be computed.
        errors = self.rep.found
        type_ = self.expr(node, Scope(constant=True))
        if self.rep.found > errors:
            return type_, _FAILED
        if any(isinstance(n, ast.Window | ast.Quantifier | ast.Aggregate)
               for n in ast.walk(node)):
            self.rep.add("E305", "a constant must be computed from values written in the "
                         "ruleset", node.line, node.column)
            return type_, _FAILED
        value = interpreter.evaluate_constant(self.program, node)
        if value is None and not (isinstance(node, ast.Literal)):
            self.rep.add("E305", "this constant cannot be computed (division by zero?)",
                         node.line, node.column)
            return type_, _FAILED
        return type_, value

    def table(self, table: ast.Table) -> None:
        scope = Scope(constant=True)
        if isinstance(table, ast.ListTable):
            type_, value = self.constant(table.items)
            if value is not _FAILED:
                self.table_types[table.name] = type_
                self.program.lists[table.name] = tuple(value)  # type: ignore[arg-type]
        elif isinstance(table, ast.MapTable):
            self.map_table(table, scope)
        else:
            self.decision_table(table, scope)

    def map_table(self, table: ast.MapTable, scope: Scope) -> None:
        key_type = self.unify([k for k, _ in table.entries], scope, "keys of a table")
        value_type = self.unify([v for _, v in table.entries] + [table.default], scope,
                                "values of a table")
        if key_type.kind not in ("str", "int", "bool", "any"):
            self.rep.add("E306", "table keys must be texts or whole numbers", table.line,
                         table.column)
            return
        entries: dict[object, object] = {}
        for key, value in table.entries:
            key_value, item_value = self.constant(key)[1], self.constant(value)[1]
            if key_value in entries:
                self.rep.add("W604", f"the key {key.text if isinstance(key, ast.Literal) else ''}"
                             " appears twice; the last one wins", key.line, key.column,
                             severity=WARNING)
            entries[key_value] = item_value
        default = self.constant(table.default)[1]
        self.table_types[table.name] = value_type.as_optional(False)
        self.program.maps[table.name] = MapData(entries, default)
        self.map_key_types[table.name] = key_type

    def decision_table(self, table: ast.DecisionTable, scope: Scope) -> None:
        width = len(table.params)
        columns: list[list[ast.Expr]] = [[] for _ in range(width)]
        rows: list[tuple[list[tuple[str, object]], ast.Expr]] = []
        for row in table.rows:
            if len(row.cells) != width:
                self.rep.add("E307", f"this row has {len(row.cells)} cells but the table has "
                             f"{width} columns ({', '.join(table.params)})", row.line, row.column)
                continue
            cells: list[tuple[str, object]] = []
            for index, cell in enumerate(row.cells):
                if cell.value is None:
                    cells.append(("any", None))
                    continue
                if cell.op == "in":
                    assert isinstance(cell.value, ast.ListExpr)
                    columns[index].extend(cell.value.items)
                else:
                    columns[index].append(cell.value)
                cells.append((cell.op, self.constant(cell.value)[1]))
            rows.append((cells, row.result))
        param_types = [self.unify(col, scope, f"cells of `{param}`") if col else ANY
                       for col, param in zip(columns, table.params, strict=True)]
        result_type = self.unify([r.result for r in table.rows] + [table.otherwise], scope,
                                 "results of a table")
        ready = [(cells, self.constant(result)[1]) for cells, result in rows]
        self.decision_types[table.name] = result_type
        self.program.decisions[table.name] = DecisionRows(
            ready, self.constant(table.otherwise)[1], param_types)

    def unify(self, nodes: list[ast.Expr], scope: Scope, what: str) -> Type:
        """Type a group of expressions that must share one type (list items, table cells)."""
        result: Type | None = None
        for node in nodes:
            type_ = self.expr(node, scope)
            if type_.kind == "any":
                continue
            if result is None:
                result = type_
            elif result.is_numeric and type_.is_numeric:
                result = INT if result == INT and type_ == INT else NUMBER
            elif not result.same_shape(type_) and not (result.kind == "money" and type_.is_numeric):
                self.rep.add("E302", f"the {what} mix {result.describe()} and {type_.describe()}",
                             node.line, node.column)
        return result or ANY

    # ------------------------------------------------------------------------------ rules
    def rule(self, rule: ast.Rule) -> None:
        self.current = rule
        if rule.effective_from or rule.effective_until:
            self.program.clocked.add(rule)
        if rule.effective_from and rule.effective_until and \
                rule.effective_until < rule.effective_from:
            self.rep.add("E503", "the rule stops being effective before it starts", rule.line,
                         rule.column, suggestion="swap the `from` and `until` dates")
        type_ = self.expr(rule.condition, Scope(windows=self.kind == "alert"))
        if type_.kind not in ("bool", "any"):
            self.rep.add("E303", f"a condition must be true or false, but this is "
                         f"{type_.describe()}", rule.condition.line, rule.condition.column,
                         suggestion="compare it with something, e.g. `== \"web\"` or `> 0`")
        for action in rule.actions:
            self.action(action)

    def action(self, action: ast.ActionNode) -> None:
        verb = action.verb
        if self.kind and verb not in ACTIONS_BY_KIND[self.kind]:
            owner = [k for k, verbs in ACTIONS_BY_KIND.items() if verb in verbs]
            self.rep.add("E504", f"`{verb}` is not an action of a {self.kind} ruleset"
                         + (f" (it belongs to {' and '.join(owner)} rules)" if owner else ""),
                         action.line, action.column, length=len(verb),
                         suggestion=f"{self.kind} rules may use "
                         f"{', '.join(ACTIONS_BY_KIND[self.kind])}")
            return
        if action.cond is not None:
            self.candidate_condition(action)
        params = action.params
        if verb in ("reject", "hold", "alert"):
            self.template(action, "message")
        if verb == "max_shipments":
            self.whole(params["n"], 1, "max_shipments", params["n_pos"])
        elif verb == "fallback":
            self.word(params, "mode", FALLBACK_MODES, "fallback")
        elif verb == "optimise":
            self.word(params, "method", OPTIMISER_METHODS, "optimise")
        elif verb == "choose":
            self.word(params, "mode", CHOOSE_MODES, "choose")
        elif verb == "alert":
            self.word(params, "severity", SEVERITIES, "severity")
        elif verb == "safety_stock":
            self.whole(params["units"], 0, "safety_stock", params["units_pos"])
        elif verb == "allocate":
            self.word(params, "unit", ALLOCATION_UNITS, "allocate")
            self.word(params, "target", ALLOCATION_TARGETS, "allocate ... to")
            amount = params["amount"]
            if params["unit"] == "percent" and not 0 <= amount <= 100:  # type: ignore[operator]
                self.rep.add("E505", "a share must be between 0 and 100 percent", action.line,
                             action.column)
            elif params["unit"] == "units":
                self.whole(amount, 0, "allocate", (action.line, action.column))

    def candidate_condition(self, action: ast.ActionNode) -> None:
        assert action.cond is not None
        if not self.candidate or self.candidate not in self.schema.roots:
            self.rep.add("E205", f"this action needs the host to describe `{self.candidate}`",
                         action.line, action.column)
            return
        type_ = self.expr(action.cond, Scope(candidate=True))
        if type_.kind not in ("bool", "any"):
            self.rep.add("E303", f"`{action.verb}` needs a test that is true or false, but this "
                         f"is {type_.describe()}", action.cond.line, action.cond.column)
        mentions = any(isinstance(n, ast.Name) and self.program.refs.get(n) == Ref(
            "candidate", self.candidate) for n in ast.walk(action.cond))
        if not mentions and action.verb in CANDIDATE_ACTIONS:
            self.rep.add("W605", f"this test does not mention `{self.candidate}`, so it treats "
                         f"every {self.candidate} alike", action.cond.line, action.cond.column,
                         severity=WARNING)

    def whole(self, value: object, low: int, what: str, pos: object) -> None:
        line, column = _position(pos)
        if not isinstance(value, int) or value < low:
            self.rep.add("E505", f"`{what}` needs a whole number of at least {low}", line, column)

    def word(self, params: dict[str, object], key: str, allowed: Iterable[str], what: str) -> None:
        value = str(params[key])
        if value not in allowed:
            line, column = _position(params.get(f"{key}_pos"))
            self.rep.add("E506", f"`{what}` does not know `{value}`", line, column,
                         length=len(value), suggestion=suggest(value, allowed)
                         or f"use one of {', '.join(allowed)}")

    def template(self, action: ast.ActionNode, key: str) -> None:
        text = str(action.params[key])
        line, column = _position(action.params.get(f"{key}_pos", (action.line, action.column)))
        parts: list[str | ast.Expr] = []
        last = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[last:match.start()])
            last = match.end()
            if match.group(1) is None:
                parts.append(match.group(0)[0])  # `{{` or `}}` stands for one brace
                continue
            node = parser.parse_expression(match.group(1), line, column + 1 + match.start(1),
                                           self.rep)
            if node is None:
                continue
            type_ = self.expr(node, Scope())
            if type_.kind in ("list", "record"):
                self.rep.add("E304", f"a message can show a single value, not {type_.describe()}",
                             node.line, node.column)
            parts.append(node)
        parts.append(text[last:])
        self.program.templates[(action, key)] = Template([p for p in parts if p != ""])

    # ------------------------------------------------------------------------------ expressions
    def expr(self, node: ast.Expr, scope: Scope) -> Type:
        method = getattr(self, "x_" + type(node).__name__.lower())
        type_: Type = method(node, scope)
        self.program.types[node] = type_
        return type_

    def x_literal(self, node: ast.Literal, scope: Scope) -> Type:
        kind = node.kind
        if kind == "invalid":
            return ANY
        if kind == "number":
            return INT if isinstance(node.value, int) else NUMBER
        simple = {"string": STR, "bool": BOOL, "date": DATE, "datetime": DATETIME,
                  "duration": DURATION}
        if kind in simple:
            return simple[kind]
        if kind == "money":
            return money(node.unit)
        return quantity(kind)

    def x_name(self, node: ast.Name, scope: Scope) -> Type:
        name = node.name
        if name in scope.variables:
            self.program.refs[node] = Ref("var", name)
            return scope.variables[name]
        if name in self.const_types:
            self.program.refs[node] = Ref("const", name)
            return self.const_types[name]
        if name in self.table_types and name in self.program.lists:
            self.program.refs[node] = Ref("table", name)
            return self.table_types[name]
        if name in self.program.maps or name in self.program.decisions:
            self.rep.add("E206", f"`{name}` is a table: look a value up with "
                         + (f"`{name}[key]`" if name in self.program.maps else f"`{name}(...)`"),
                         node.line, node.column, length=len(name))
            return ANY
        if name == self.candidate and name in self.roots:
            if scope.candidate:
                self.program.refs[node] = Ref("candidate", name)
                return self.roots[name]
            self.rep.add("E207", f"`{name}` is only known inside actions about a {name} "
                         "(require, exclude, prefer, restrict, safety_stock ... where)",
                         node.line, node.column, length=len(name))
            return ANY
        if name in self.roots and not scope.constant:
            self.program.refs[node] = Ref("root", name)
            return self.roots[name]
        if name in self.roots:
            self.rep.add("E208", f"a constant or table cannot depend on `{name}`", node.line,
                         node.column, length=len(name))
            return ANY
        known = [*scope.variables, *self.const_types, *self.program.lists]
        if not scope.constant:
            known += [r for r in self.roots if r != self.candidate or scope.candidate]
        hint = suggest(name, known)
        if not hint and name in self.schema.roots:
            hint = f"a {self.kind} ruleset cannot use `{name}`"
        if not hint and node is not self.field_object:
            # Most often a value meant as text: `order.channel == web`, `in [web, app]`.
            hint = f'if `{name}` is a text, write it in double quotes: "{name}"'
        self.rep.add("E201", f"unknown name `{name}`", node.line, node.column, suggestion=hint,
                     length=len(name))
        return ANY

    def x_field(self, node: ast.Field, scope: Scope) -> Type:
        self.field_object = node.obj
        obj = self.expr(node.obj, scope)
        if obj.kind == "any":
            return ANY
        if obj.kind == "list":
            self.rep.add("E209", f"`{_path(node.obj)}` is a list; use any, all, count, sum, min "
                         "or max to look at its items", node.name_line, node.name_column,
                         length=len(node.name),
                         suggestion=f"e.g. `any item in {_path(node.obj)} where item.{node.name}"
                         " ...`")
            return ANY
        if obj.kind != "record":
            self.rep.add("E210", f"{obj.describe()} has no fields", node.name_line,
                         node.name_column, length=len(node.name))
            return ANY
        found = obj.field(node.name)
        if found is None:
            self.rep.add("E202", f"{_owner(node.obj)} has no field `{node.name}`",
                         node.name_line, node.name_column, length=len(node.name),
                         suggestion=suggest(node.name, obj.field_names()))
            return ANY
        return found.as_optional(found.optional or obj.optional)

    def x_index(self, node: ast.Index, scope: Scope) -> Type:
        key = self.expr(node.key, scope)
        if isinstance(node.obj, ast.Name) and node.obj.name in self.program.maps:
            self.program.refs[node.obj] = Ref("table", node.obj.name)
            expected = self.map_key_types.get(node.obj.name, ANY)
            self.program.types[node.obj] = ANY
            if not _compatible(expected, key):
                self.rep.add("E302", f"the keys of `{node.obj.name}` are {expected.describe()}, "
                             f"not {key.describe()}", node.key.line, node.key.column)
            return self.table_types.get(node.obj.name, ANY)
        obj = self.expr(node.obj, scope)
        if obj.kind == "list":
            if key.kind not in ("int", "any"):
                self.rep.add("E302", "a list position must be a whole number", node.key.line,
                             node.key.column)
            return (obj.item or ANY).as_optional(True)
        if obj.kind != "any":
            self.rep.add("E211", f"cannot look up a key in {obj.describe()}", node.line,
                         node.column)
        return ANY

    def x_call(self, node: ast.Call, scope: Scope) -> Type:
        args = [self.expr(a, scope) for a in node.args]
        name = node.func
        if name in self.program.decisions:
            return self.decision_call(node, args)
        if name not in FUNCTIONS:
            self.rep.add("E212", f"unknown function `{name}`", node.line, node.column,
                         length=len(name), suggestion=suggest(name, [*FUNCTIONS,
                                                                     *self.program.decisions]))
            return ANY
        optional = any(a.optional for a in args)
        expected = {"distance": 2}.get(name, 1)
        if len(args) != expected:
            self.rep.add("E213", f"{FUNCTIONS[name]} takes {expected} value(s), got {len(args)}",
                         node.line, node.column, length=len(name))
            return ANY
        if any(a.kind == "any" for a in args):
            return ANY
        kinds = [a.kind for a in args]
        wanted = {"distance": ("record",), "date": ("datetime", "date"), "days": ("duration",),
                  "hours": ("duration",), "lower": ("str",), "upper": ("str",),
                  "length": ("str", "list"), "abs": ("int", "number", "money", "quantity",
                                                     "duration"), "round": ("int", "number")}
        for arg_node, kind in zip(node.args, kinds, strict=True):
            if kind not in wanted[name]:
                self.rep.add("E213", f"{FUNCTIONS[name]} cannot use {_describe(self, arg_node)}",
                             arg_node.line, arg_node.column)
                return ANY
        if name == "distance":
            for arg_node, arg in zip(node.args, args, strict=True):
                lat, lon = arg.field("lat"), arg.field("lon")
                if lat is None or lon is None or not (lat.is_numeric and lon.is_numeric):
                    self.rep.add("E213", "distance() needs places with `lat` and `lon`",
                                 arg_node.line, arg_node.column)
                    return ANY
                optional = optional or lat.optional or lon.optional
            return quantity("length").as_optional(optional)
        result = {"date": DATE, "days": NUMBER, "hours": NUMBER, "lower": STR, "upper": STR,
                  "length": INT, "round": INT}.get(name, args[0])
        return result.as_optional(optional)

    def decision_call(self, node: ast.Call, args: list[Type]) -> Type:
        table = self.program.decisions[node.func]
        if len(args) != len(table.param_types):
            self.rep.add("E213", f"`{node.func}` takes {len(table.param_types)} value(s), got "
                         f"{len(args)}", node.line, node.column, length=len(node.func))
            return ANY
        for arg_node, arg, param in zip(node.args, args, table.param_types, strict=True):
            if not _compatible(param, arg):
                self.rep.add("E302", f"`{node.func}` expects {param.describe()} here, not "
                             f"{arg.describe()}", arg_node.line, arg_node.column)
        return self.decision_types[node.func]

    def x_unary(self, node: ast.Unary, scope: Scope) -> Type:
        operand = self.expr(node.operand, scope)
        if operand.kind == "any":
            return BOOL if node.op == "not" else ANY
        if node.op == "not":
            if operand.kind != "bool":
                self.rep.add("E303", f"`not` needs true or false, not {operand.describe()}",
                             node.line, node.column)
            return BOOL
        if operand.kind not in ("int", "number", "money", "quantity", "duration"):
            self.rep.add("E301", f"cannot negate {operand.describe()}", node.line, node.column)
            return ANY
        return operand

    def x_binary(self, node: ast.Binary, scope: Scope) -> Type:
        # A loop along the left operands, not recursion: a chain may join thousands of tests.
        first, links = ast.left_spine(node)
        left = self.expr(first, scope)
        for link in links:
            right = self.expr(link.right, scope)
            left = typing_rules.binary(self.rep, link, left, right)
            self.program.types[link] = left
        return left

    def x_matches(self, node: ast.Matches, scope: Scope) -> Type:
        subject = self.expr(node.subject, scope)
        if subject.kind not in ("str", "any"):
            self.rep.add("E301", f"`matches` tests text, not {subject.describe()}", node.line,
                         node.column)
        try:
            self.program.regexes[node] = compile_pattern(node.pattern)
        except PatternError as error:
            self.rep.add("E308", f"pattern problem: {error}", node.line, node.column,
                         suggestion="patterns support . [..] \\d \\w \\s ( | ) * + ? {n,m} ^ $")
        return BOOL

    def x_presence(self, node: ast.Presence, scope: Scope) -> Type:
        subject = self.expr(node.subject, scope)
        if subject.kind != "any" and not subject.optional:
            word = "present" if node.present else "missing"
            self.rep.add("W603", f"`{_path(node.subject)}` is never missing, so `is {word}` is "
                         f"always {'true' if node.present else 'false'}", node.line, node.column,
                         severity=WARNING)
        return BOOL

    def x_listexpr(self, node: ast.ListExpr, scope: Scope) -> Type:
        return list_of(self.unify(node.items, scope, "items of this list"))

    def collection(self, node: ast.Expr, scope: Scope) -> Type:
        coll = self.expr(node, scope)
        if coll.kind == "list":
            return coll.item or ANY
        if coll.kind != "any":
            self.rep.add("E209", f"`{_path(node)}` is not a list", node.line, node.column)
        return ANY

    def x_quantifier(self, node: ast.Quantifier, scope: Scope) -> Type:
        item = self.collection(node.collection, scope)
        cond = self.expr(node.cond, scope.bind(node.var, item))
        if cond.kind not in ("bool", "any"):
            self.rep.add("E303", f"the `where` test must be true or false, not {cond.describe()}",
                         node.cond.line, node.cond.column)
        return INT if node.op == "count" else BOOL

    def x_aggregate(self, node: ast.Aggregate, scope: Scope) -> Type:
        item = self.collection(node.collection, scope)
        inner = scope.bind(node.var, item)
        value = self.expr(node.value, inner)
        if node.cond is not None:
            self.expr(node.cond, inner)
        allowed = ("int", "number", "money", "quantity") if node.op == "sum" else _ORDERED
        if value.kind not in (*allowed, "any"):
            self.rep.add("E301", f"cannot {node.op} {value.describe()}", node.value.line,
                         node.value.column)
            return ANY
        # sum of nothing is 0; min and max of nothing have no value.
        return value.as_optional(node.op != "sum")

    def x_window(self, node: ast.Window, scope: Scope) -> Type:
        if self.current is not None:
            self.program.windows.setdefault(self.current, []).append(node)
            self.program.clocked.add(self.current)
        if not scope.windows:
            where = "alert rules" if self.kind != "alert" else "the condition, outside any/all"
            self.rep.add("E509", f"`{node.op} within` is only allowed in {where}", node.line,
                         node.column)
        within = self.expr(node.within, Scope(constant=True))
        # "any" is a literal already reported as invalid (a duration too large): said once.
        if within.kind not in ("duration", "any") or not isinstance(node.within, ast.Literal):
            self.rep.add("E507", "`within` needs a duration written out, e.g. `within 1 hour`",
                         node.within.line, node.within.column)
        if node.by is not None:
            key = self.expr(node.by, replace(scope, windows=False))
            if key.kind in ("list", "record"):
                self.rep.add("E304", "group by a single value, not a list or record",
                             node.by.line, node.by.column)
        if node.value is not None:
            value = self.expr(node.value, replace(scope, windows=False))
            if value.kind not in ("int", "number", "money", "quantity", "any"):
                self.rep.add("E301", f"cannot sum {value.describe()}", node.value.line,
                             node.value.column)
            return NUMBER
        return INT

    def x_now(self, node: ast.Now, scope: Scope) -> Type:
        if self.current is not None:
            self.program.clocked.add(self.current)
        if scope.constant:
            self.rep.add("E208", "a constant or table cannot depend on `now`", node.line,
                         node.column)
        return DATETIME

    def x_today(self, node: ast.Today, scope: Scope) -> Type:
        if self.current is not None:
            self.program.clocked.add(self.current)
        if scope.constant:
            self.rep.add("E208", "a constant or table cannot depend on `today`", node.line,
                         node.column)
        return DATE


class _Failed:
    """Marks a constant that could not be computed (an error was already reported)."""


_FAILED = _Failed()


def _position(value: object) -> tuple[int, int]:
    """Positions of action parameters are stored as (line, column) pairs by the parser."""
    if isinstance(value, tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    return 1, 1


def _compatible(expected: Type, actual: Type) -> bool:
    if expected.kind == "any" or actual.kind == "any":
        return True
    if expected.is_numeric and actual.is_numeric:
        return True
    if expected.kind == "money" and actual.is_numeric:
        return True
    return expected.same_shape(actual)


def _path(node: ast.Expr) -> str:
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Field):
        return f"{_path(node.obj)}.{node.name}"
    return "this value"


def _owner(node: ast.Expr) -> str:
    return f"`{_path(node)}`"


def _describe(checker: _Checker, node: ast.Expr) -> str:
    return checker.program.types.get(node, ANY).describe()
