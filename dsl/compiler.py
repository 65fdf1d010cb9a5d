"""The compiler: a checked program -> Python source, compiled once per ruleset (the fast path).

The generated code can only subscript facts (`f["order"]["total"]`), call the fixed functions of
`runtime.BUILTINS`, and read constants the compiler put in its namespace; its `__builtins__` is
empty, analysts' text only ever appears inside `repr()` literals, and names are mangled from
identifiers the grammar already restricted. Plain Python operators are used wherever the checker
proved both operands present; everything else goes through the null-safe runtime functions the
interpreter uses, which is what keeps both runners on one semantics.

Plain arithmetic has one way to differ: a number past a float's range (`10**400 * 1.5`) or a
duration past 999,999,999 days raises OverflowError where the runtime functions give a missing
value. Guarding every operator would tax every evaluation for facts no real order has, so the
generated code stays plain and an evaluation that overflows is done again by the interpreter,
the reference semantics (`CompiledRunner.reference`; `Ruleset.evaluate` does the retry, and each
action expression function retries itself). A `try` costs nothing until it catches. Rules that
count over time windows record each event as they run, so running them twice would count it
twice: a ruleset with windows gets the runtime functions throughout instead.

Rules are grouped by an equality index: the condition `order.channel == "web" and ...` puts a
rule in the "web" bucket of a dispatch on `order.channel`, and an event only evaluates the rules of
its own bucket plus those no index applies to. Buckets are split again on another field, so the
cost of an evaluation grows with the rules that could match rather than with all rules.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dsl import ast, runtime
from dsl.actions import ExprFunction
from dsl.interpreter import InterpretedRunner
from dsl.model import Program
from dsl.results import Match
from dsl.windows import WindowStore

_PATH_LOCAL = re.compile(r"\bp(\d+)\b")
MIN_BUCKETED = 16  # below this many rules a dispatch costs more than it saves
MAX_INDEX_DEPTH = 4
MAX_IN_VALUES = 64
INLINE_BUCKETS = 3  # up to this many buckets an if/elif chain beats a dict lookup
# Longest arithmetic chain written as Python's own `a + b - c`: Python nests such an expression
# one level per operator, and its compiler gives up a few thousand levels down.
FLAT_CHAIN = 8


class _Dispatch(dict[Any, Any]):
    """Bucket table of the index: a missing key (or None) selects the empty bucket."""

    def __missing__(self, key: Any) -> Any:
        return _nothing


def _nothing(*_: Any) -> None:
    return None


@dataclass
class _Entry:
    """A rule waiting to be placed in the index: its position and its remaining conjuncts."""

    index: int
    conjuncts: list[ast.Expr]
    guard: str  # effective-date test, "" when the rule is always effective


@dataclass
class _Leaf:
    entries: list[_Entry]


@dataclass
class _Split:
    path: ast.Field
    buckets: dict[Any, _Leaf | _Split]
    rest: _Leaf | _Split


class _Codegen:
    """Generates Python source for expressions, collecting the constants they need."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.namespace: dict[str, Any] = {"__builtins__": {}, **runtime.BUILTINS,
                                          "_get": _get, "_sorted": sorted,
                                          "_index": operator.attrgetter("index"),
                                          "_Dispatch": _Dispatch, "_Overflow": OverflowError}
        # No plain arithmetic where an overflow could not be retried (module docstring), nor
        # plain comparisons, as arithmetic may then give a missing value.
        self.plain_arithmetic = not program.windows
        self._pooled: dict[tuple[str, Any], str] = {}
        self.path_names: dict[str, str] = {}  # access code -> local name
        self.path_access: dict[str, str] = {}  # local name -> access code

    def pool(self, value: Any, prefix: str = "k") -> str:
        """Name a constant in the generated module (same value, same name)."""
        try:
            key = (prefix, value if not isinstance(value, list | dict) else id(value))
            hash(key)
        except TypeError:
            key = (prefix, id(value))
        if key not in self._pooled:
            name = f"_{prefix}{len(self._pooled)}"
            self._pooled[key] = name
            self.namespace[name] = value
        return self._pooled[key]

    def literal(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int | str):
            return repr(value)
        if isinstance(value, float) and math.isfinite(value):
            return repr(value)
        return self.pool(value)

    def optional(self, node: ast.Expr) -> bool:
        return self.program.types[node].optional

    def expr(self, node: ast.Expr) -> str:
        method: Callable[[Any], str] = getattr(self, "g_" + type(node).__name__.lower())
        return method(node)

    def g_literal(self, node: ast.Literal) -> str:
        return self.literal(node.value)

    def g_name(self, node: ast.Name) -> str:
        ref = self.program.refs[node]
        if ref.kind == "var":
            return f"v_{ref.name}"
        if ref.kind == "root":
            return f"r_{ref.name}"
        if ref.kind == "candidate":
            return "c"
        if ref.kind == "const":
            return self.literal(self.program.consts[ref.name])
        return self.pool(self.program.lists[ref.name])

    def g_field(self, node: ast.Field) -> str:
        obj = self.expr(node.obj)
        if self.optional(node.obj):
            return f"_get({obj}, {node.name!r})"
        access = f"{obj}[{node.name!r}]"
        if not self.plain_path(node):
            return access
        # A fact path read once per function into a local: rules of one ruleset test the same
        # few fields over and over, and a local costs less than a dictionary lookup.
        name = self.path_names.get(access)
        if name is None:
            name = f"p{len(self.path_names)}"
            self.path_names[access] = name
            self.path_access[name] = access
        return name

    def plain_path(self, node: ast.Expr) -> bool:
        """A chain of fields from a fact root, none of the records on the way optional."""
        while isinstance(node, ast.Field):
            if self.program.types[node.obj].optional:
                return False
            node = node.obj
        return isinstance(node, ast.Name) and self.program.refs[node].kind == "root"

    def g_index(self, node: ast.Index) -> str:
        key = self.expr(node.key)
        if isinstance(node.obj, ast.Name) and node.obj.name in self.program.maps:
            table = self.program.maps[node.obj.name]
            return (f"_lookup({self.pool(table.entries)}, {key}, "
                    f"{self.literal(table.default)})")
        return f"_item_at({self.expr(node.obj)}, {key})"

    def g_call(self, node: ast.Call) -> str:
        args = ", ".join(self.expr(a) for a in node.args)
        table = self.program.decisions.get(node.func)
        if table is not None:
            return f"_decide({self.pool(table.rows)}, {self.literal(table.otherwise)}, ({args},))"
        return f"{self.pool(runtime.FUNCTION_IMPLS[node.func], 'fn')}({args})"

    def g_unary(self, node: ast.Unary) -> str:
        operand = self.expr(node.operand)
        if node.op == "not":
            return f"(not {operand})"
        if self.optional(node.operand) or not self.plain_arithmetic:
            return f"_neg({operand})"
        return f"(-{operand})"

    _HELPERS = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge", "+": "_add", "-": "_sub",
                "*": "_mul", "/": "_div", "%": "_mod", "starts with": "_starts",
                "ends with": "_ends", "contains": "_contains"}

    _PLAIN = {"+": operator.add, "-": operator.sub, "*": operator.mul}

    def g_binary(self, node: ast.Binary) -> str:
        # A loop along the left operands, one chain (`a or b or c`, `a + b - c`) at a time:
        # recursing would overflow on thousands of tests, and so would nested generated code
        # (Python refuses 200 nested parentheses and deep expressions).
        first, links = ast.left_spine(node)
        code = self.expr(first)
        start = 0
        while start < len(links):
            end = start + 1
            while end < len(links) and ast.continues_chain(links[end]):
                end += 1
            code = self._chain(code, links[start:end])
            start = end
        return code

    def _chain(self, left: str, links: list[ast.Binary]) -> str:
        """Code for `left` followed by links of one operator group, generated flat."""
        op = links[0].op
        rights = [self.expr(link.right) for link in links]
        if op in ("and", "or"):  # `(a or b) or c` is `a or b or c`, value and short-circuit
            return "(" + f" {op} ".join([left, *rights]) + ")"
        if len(links) == 1:
            return self._link(left, links[0], rights[0])
        plain = [self._plain(link) for link in links]
        if all(plain) and len(links) <= FLAT_CHAIN:
            # Python's + - * are left-associative like ours: `(a + b - c)` is `((a + b) - c)`.
            return "(" + left + "".join(f" {link.op} {right}"
                                        for link, right in zip(links, rights, strict=True)) + ")"
        # A long chain: one call folding the operands left to right, with the same operation
        # per link as the short form (the plain operator or the null-safe helper).
        operations = tuple(self._PLAIN[link.op] if is_plain else runtime.BUILTINS[
            self._HELPERS[link.op]] for link, is_plain in zip(links, plain, strict=True))
        return f"_fold({self.pool(operations, 'ops')}, ({left}, {', '.join(rights)}))"

    def _plain(self, node: ast.Binary) -> bool:
        """Whether arithmetic may use Python's operator: the checker proved a value."""
        return (node.op in self._PLAIN and not self.program.types[node].optional
                and self.plain_arithmetic)

    def _link(self, left: str, node: ast.Binary, right: str) -> str:
        op = node.op
        if op in ("and", "or", "==", "!="):
            return f"({left} {op} {right})"
        if op in ("in", "not in"):
            members = self.constant_set(node.right)
            if members is not None:
                return f"({left} {op} {self.pool(members, 's')})"
            test = f"_member({left}, {right})"
            return test if op == "in" else f"(not {test})"
        either_optional = self.optional(node.left) or self.optional(node.right)
        # Without plain arithmetic a sum may be missing (an overflow), so comparing needs the
        # null-safe helper too.
        if op in ("<", "<=", ">", ">=") and not either_optional and self.plain_arithmetic:
            return f"({left} {op} {right})"
        if self._plain(node):
            return f"({left} {op} {right})"
        return f"{self._HELPERS[op]}({left}, {right})"

    def constant_set(self, node: ast.Expr) -> frozenset[Any] | None:
        """The members of a constant list, as a set, when they are all hashable scalars."""
        values: Any = None
        if isinstance(node, ast.Name) and self.program.refs[node].kind in ("table", "const"):
            ref = self.program.refs[node]
            values = (self.program.lists.get(ref.name) if ref.kind == "table"
                      else self.program.consts.get(ref.name))
        elif isinstance(node, ast.ListExpr) and all(isinstance(i, ast.Literal)
                                                    for i in node.items):
            values = [i.value for i in node.items]  # type: ignore[attr-defined]
        if values is None or not all(isinstance(v, str | int | bool) for v in values):
            return None
        return frozenset(values)

    def g_matches(self, node: ast.Matches) -> str:
        return f"_matches({self.pool(self.program.regexes[node], 'rx')}, {self.expr(node.subject)})"

    def g_presence(self, node: ast.Presence) -> str:
        return f"({self.expr(node.subject)} is {'not ' if node.present else ''}None)"

    def g_listexpr(self, node: ast.ListExpr) -> str:
        return "[" + ", ".join(self.expr(i) for i in node.items) + "]"

    def _iterate(self, var: str, collection: ast.Expr) -> str:
        source = self.expr(collection)
        if self.optional(collection):
            source = f"_items({source})"
        return f"for v_{var} in {source}"

    def g_quantifier(self, node: ast.Quantifier) -> str:
        loop = self._iterate(node.var, node.collection)
        cond = self.expr(node.cond)
        if node.op == "count":
            return f"_count(1 {loop} if {cond})"
        return f"_{node.op}({cond} {loop})"

    def g_aggregate(self, node: ast.Aggregate) -> str:
        loop = self._iterate(node.var, node.collection)
        where = f" if {self.expr(node.cond)}" if node.cond is not None else ""
        return f"_{node.op}({self.expr(node.value)} {loop}{where})"

    def g_window(self, node: ast.Window) -> str:
        assert isinstance(node.within, ast.Literal)
        within = node.within.value
        assert isinstance(within, dt.timedelta)
        key = self.expr(node.by) if node.by is not None else "''"
        value = self.expr(node.value) if node.value is not None else "1"
        return (f"_window(W, rule, {key}, now, {value}, {within.total_seconds()!r}, "
                f"{node.op == 'sum'})")

    def g_now(self, node: ast.Now) -> str:
        return "now"

    def g_today(self, node: ast.Today) -> str:
        return "_date(now)"


def _get(obj: Any, key: str) -> Any:
    return None if obj is None else obj[key]


class CompiledRunner:
    """Runs a program through Python code generated for it once."""

    def __init__(self, program: Program, static_rules: list[bool]) -> None:
        self.program = program
        self.static_rules = static_rules
        self.rules = program.rules
        self.first = program.tree.header.policy == "first"
        self.gen = _Codegen(program)
        # What an evaluation that overflows plain arithmetic is done again with (docstring).
        self.reference = InterpretedRunner(program)
        self._functions: dict[ast.Expr, ExprFunction] = {}
        self.source = self._generate()
        code = compile(self.source, f"<ruleset {program.tree.header.name}>", "exec")
        exec(code, self.gen.namespace)  # the namespace has no builtins; see the module docstring
        self._run: Callable[..., list[Match]] = self.gen.namespace["_run"]
        for node, name in self._expression_names.items():
            self._functions[node] = self.gen.namespace[name]
            self.gen.namespace[f"{name}r"] = self.reference.function(node)

    def run(self, facts: Mapping[str, Any], now: Any, store: WindowStore | None) -> list[Match]:
        return self._run(facts, now, store)

    def bind(self, static: list[Match | None], build: Callable[[int, Any, Any], Match]) -> None:
        """Give the generated code the shared matches and the builder of the others."""
        for index, match in enumerate(static):
            self.gen.namespace[f"_M{index}"] = match
        self.gen.namespace["_B"] = build
        self.reference.bind(static, build)

    def _match_code(self, index: int) -> str:
        return f"_M{index}" if self.static_rules[index] else f"_B({index}, f, now)"

    @property
    def run_function(self) -> Callable[..., list[Match]]:
        """The generated function, for callers that want to skip the method call."""
        return self._run

    def function(self, node: ast.Expr) -> ExprFunction:
        return self._functions[node]

    # ------------------------------------------------------------------------------ generation
    def _generate(self) -> str:
        lines: list[str] = []
        self._helpers: list[str] = []
        self._counter = 0
        self._roots: set[str] | None = None
        self._expression_names: dict[ast.Expr, str] = {}
        entries = []
        uses_windows = False
        for index, rule in enumerate(self.rules):
            self._action_functions(rule)
            if not rule.enabled:
                continue
            uses_windows = uses_windows or rule in self.program.windows
            entries.append(_Entry(index, ast.conjuncts(rule.condition), self._guard(rule)))
        # Window counters have side effects, so their rules run strictly in order, unindexed.
        tree = _Leaf(entries) if uses_windows else self._index(entries, 0, set())
        lines.append("def _run(f, now, W):")
        lines.append("    m = []")
        body = self._node(tree, "    ", sequential=isinstance(tree, _Leaf))
        lines.extend(self._hoist(body, "    "))
        lines.extend(body)
        if isinstance(tree, _Split):
            # Buckets and the rest interleave; restore priority order.
            lines.append("    if m:")
            lines.append("        m = _sorted(m, key=_index)")
            if self.first:
                lines.append("    return m[:1]")
        lines.append("    return m")
        return "\n".join([*self._helpers, *lines]) + "\n"

    def _hoist(self, body: list[str], indent: str) -> list[str]:
        """Read, at the top of a function, the roots and fact paths its body uses."""
        text = "\n".join(body)
        needed = {int(n) for n in _PATH_LOCAL.findall(text)}
        pending = list(needed)
        while pending:  # `p1 = p0['country']` needs p0 too
            for parent in _PATH_LOCAL.findall(self.gen.path_access[f"p{pending.pop()}"]):
                if int(parent) not in needed:
                    needed.add(int(parent))
                    pending.append(int(parent))
        # Parents get lower numbers than their fields, so numeric order is dependency order.
        accesses = [f"{indent}p{n} = {self.gen.path_access[f'p{n}']}" for n in sorted(needed)]
        text += "\n".join(accesses)
        roots = [f"{indent}r_{root} = f[{root!r}]" for root in sorted(self._all_roots())
                 if f"r_{root}" in text]
        return roots + accesses

    def _all_roots(self) -> set[str]:
        if self._roots is None:
            self._roots = {ref.name for ref in self.program.refs.values() if ref.kind == "root"}
        return self._roots

    def _guard(self, rule: ast.Rule) -> str:
        tests = []
        if rule.effective_from is not None:
            tests.append(f"{self.gen.pool(rule.effective_from)} <= _date(now)")
        if rule.effective_until is not None:
            tests.append(f"_date(now) <= {self.gen.pool(rule.effective_until)}")
        return " and ".join(tests)

    def _condition(self, entry: _Entry) -> str:
        parts = [entry.guard] if entry.guard else []
        parts += [self.gen.expr(c) for c in entry.conjuncts]
        return " and ".join(parts) if parts else "True"

    def _node(self, node: _Leaf | _Split, indent: str, sequential: bool = False) -> list[str]:
        if isinstance(node, _Leaf):
            out = []
            for entry in node.entries:
                rule = self.rules[entry.index]
                out.append(f"{indent}rule = {rule.name!r}" if self._has_window(rule) else "")
                out.append(f"{indent}if {self._condition(entry)}:")
                if sequential and self.first:
                    out.append(f"{indent}    return [{self._match_code(entry.index)}]")
                else:
                    out.append(f"{indent}    m += ({self._match_code(entry.index)},)")
            return [line for line in out if line]
        self._counter += 1
        number = self._counter
        key = f"x{number}"
        out = [f"{indent}{key} = {self.gen.expr(node.path)}"]
        if len(node.buckets) <= INLINE_BUCKETS:
            keyword = "if"
            for value, child in node.buckets.items():
                out.append(f"{indent}{keyword} {key} == {value!r}:")
                out.extend(self._node(child, indent + "    ") or [f"{indent}    pass"])
                keyword = "elif"
        else:
            table = _Dispatch()
            for value, child in node.buckets.items():
                name = f"_b{len(self._helpers)}"
                body = self._node(child, "    ")
                self._helpers.append(f"def {name}(f, now, W, m):")
                self._helpers.extend(self._hoist(body, "    "))
                self._helpers.extend(body or ["    pass"])
                table[value] = name
            names = ", ".join(f"{v!r}: {n}" for v, n in table.items())
            self._helpers.append(f"_d{number} = _Dispatch({{{names}}})")
            out.append(f"{indent}_d{number}[{key}](f, now, W, m)")
        out.extend(self._node(node.rest, indent))
        return out

    def _has_window(self, rule: ast.Rule) -> bool:
        return rule in self.program.windows

    def _action_functions(self, rule: ast.Rule) -> None:
        """Compile every expression an action needs into the same module."""
        nodes: list[ast.Expr] = []
        for action in rule.actions:
            if action.cond is not None:
                nodes.append(action.cond)
            template = self.program.templates.get((action, "message"))
            if template is not None:
                nodes.extend(p for p in template.parts if isinstance(p, ast.Expr))
        windows = self.program.windows.get(rule, [])
        nodes.extend(w.by for w in windows if w.by is not None)
        for node in nodes:
            name = f"_x{len(self._expression_names)}"
            # `_x0r` is the interpreter's function for the same node (module docstring).
            body = ["    try:", f"        return {self.gen.expr(node)}",
                    "    except _Overflow:", f"        return {name}r(f, now, c)"]
            self._helpers.append(f"def {name}(f, now, c):")
            self._helpers.extend(self._hoist(body, "    "))
            self._helpers.extend(body)
            self._expression_names[node] = name

    # ------------------------------------------------------------------------------ the index
    def _index(self, entries: list[_Entry], depth: int, used: set[str]) -> _Leaf | _Split:
        if depth >= MAX_INDEX_DEPTH or len(entries) < MIN_BUCKETED:
            return _Leaf(entries)
        counts: Counter[str] = Counter()
        paths: dict[str, ast.Field] = {}
        for entry in entries:
            seen = set()
            for conjunct in entry.conjuncts:
                found = self._indexable(conjunct)
                if found and found[0] not in used and found[0] not in seen:
                    seen.add(found[0])
                    counts[found[0]] += 1
                    paths[found[0]] = found[1]
        if not counts:
            return _Leaf(entries)
        best, hits = counts.most_common(1)[0]
        if hits < max(MIN_BUCKETED // 2, len(entries) // 4):
            return _Leaf(entries)
        buckets: dict[Any, list[_Entry]] = {}
        rest: list[_Entry] = []
        for entry in entries:
            for position, conjunct in enumerate(entry.conjuncts):
                found = self._indexable(conjunct)
                if found and found[0] == best:
                    remaining = entry.conjuncts[:position] + entry.conjuncts[position + 1:]
                    for value in found[2]:
                        buckets.setdefault(value, []).append(
                            _Entry(entry.index, remaining, entry.guard))
                    break
            else:
                rest.append(entry)
        inner = used | {best}
        return _Split(paths[best], {v: self._index(b, depth + 1, inner)
                                    for v, b in buckets.items()},
                      self._index(rest, depth + 1, inner))

    def _indexable(self, node: ast.Expr) -> tuple[str, ast.Field, list[Any]] | None:
        """`path == literal` or `path in [literals]` on a fact path: (key, path, values)."""
        if not isinstance(node, ast.Binary) or node.op not in ("==", "in"):
            return None
        path, other = node.left, node.right
        if node.op == "==" and not isinstance(path, ast.Field):
            path, other = other, path
        if not isinstance(path, ast.Field) or not self.gen.plain_path(path):
            return None
        if self.program.types[path].kind not in ("str", "int", "bool"):
            return None
        if node.op == "==":
            if not isinstance(other, ast.Literal) or not isinstance(other.value, str | int):
                return None
            values = [other.value]
        else:
            members = self.gen.constant_set(other)
            if members is None or len(members) > MAX_IN_VALUES:
                return None
            values = sorted(members, key=repr)
        return _path_key(path), path, values



def _path_key(node: ast.Expr) -> str:
    if isinstance(node, ast.Field):
        return f"{_path_key(node.obj)}.{node.name}"
    assert isinstance(node, ast.Name)
    return node.name
