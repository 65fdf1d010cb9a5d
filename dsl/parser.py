"""Parsing: source text -> `ast.Ruleset`, or diagnostics in analyst words.

The grammar lives in `grammar.lark` and is loaded once, on first use (never at import). Lark runs
as an LALR parser with the AST built during parsing (an internal transformer), so there is no parse
tree to walk recursively: hostile nesting cannot overflow the stack here, and the depth limit below
keeps the later recursive stages safe.

Lark's exceptions never leave this module. A failed parse is retried declaration by declaration
(each `rule`, `const` and `table` starts at the beginning of a line), so an editor gets one
diagnostic per broken declaration instead of only the first.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from dsl import ast, lexer, units
from dsl.diagnostics import Diagnostic, Reporter, suggest
from dsl.lexer import RuleLexer
from dsl.parse_errors import explain

MAX_SOURCE_CHARS = 1_000_000
MAX_NUMBER_CHARS = 24
MAX_STRING_CHARS = 10_000
MAX_DEPTH = 48

_DECL_START = re.compile(r"^[ \t]*(rule|const|table)\b", re.MULTILINE)
_COMMENT = re.compile(r"#[^\n]*")
_HEADER_EXAMPLE = ("start the file with its kind, name and event: "
                   "`validation ruleset checks on order.received`")
_STATE = threading.local()


def _report(code: str, message: str, line: int, column: int, suggestion: str = "",
            length: int = 1) -> None:
    """Record a problem found while building the AST (the transformer cannot raise mid-parse)."""
    _STATE.reporter.add(code, message, line, column, suggestion=suggestion, length=length)


def _pos(item: Any) -> tuple[int, int]:
    if isinstance(item, Token):
        return item.line or 1, item.column or 1
    if isinstance(item, ast.Node):
        return item.line, item.column
    if isinstance(item, tuple) and item and isinstance(item[-1], tuple):
        return item[-1]
    return 1, 1


def _nodes(children: Sequence[Any]) -> list[Any]:
    return [c for c in children if not isinstance(c, Token)]


def _tokens(children: Sequence[Any], *types: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type in types]


def _unquote(token: Token) -> str:
    body = token[1:-1]
    if len(body) > MAX_STRING_CHARS:
        _report("E104", f"this text is longer than {MAX_STRING_CHARS} characters", *_pos(token))
        body = body[:MAX_STRING_CHARS]
    # Only \" \\ \n \t are escapes; any other backslash is kept so patterns read as written.
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def _number(token: Token) -> int | float:
    text = str(token)
    if len(text) > MAX_NUMBER_CHARS:
        _report("E103", f"this number has more than {MAX_NUMBER_CHARS} characters",
                *_pos(token), suggestion="write a smaller number", length=len(text))
        return 0
    return float(text) if "." in text else int(text)


def _fold(children: Sequence[Any]) -> ast.Expr:
    """Left-associative chain `a op b op c` from alternating operands and operator tokens."""
    result: ast.Expr = children[0]
    for index in range(1, len(children) - 1, 2):
        op = str(children[index])
        result = ast.Binary(result.line, result.column, op, result, children[index + 1])
    return result


class _Build(Transformer[Token, Any]):
    """Callbacks run by Lark on each reduction; they receive every token (keep_all_tokens)."""

    # ----------------------------------------------------------------------- literals
    def number(self, ch: list[Any]) -> ast.Literal:
        # A literal already reported (E103) is "invalid": it types as anything, so the one
        # mistake is not reported again as a type error of the expression around it.
        kind = "invalid" if len(ch[0]) > MAX_NUMBER_CHARS else "number"
        return ast.Literal(*_pos(ch[0]), value=_number(ch[0]), kind=kind, text=str(ch[0]))

    def quantity(self, ch: list[Any]) -> ast.Literal:
        number_token, unit_token = ch
        amount = _number(number_token)
        unit = str(unit_token)
        text = f"{number_token} {unit}"
        if len(number_token) > MAX_NUMBER_CHARS:  # reported (E103); see `number`
            return ast.Literal(*_pos(number_token), value=amount, kind="invalid", text=text)
        resolved = units.resolve(unit)
        if resolved is None:
            _report("E105", f"unknown unit `{unit}`", *_pos(unit_token),
                    suggestion=suggest(unit, units.known_units())
                    or (f"did you mean `{unit.upper()}`? currency codes are written in capitals"
                        if units.resolve(unit.upper()) else "")
                    or "units are kg, g, lb, oz, km, m, mi, days, hours, minutes, weeks, "
                    "or a currency code such as USD", length=len(unit))
            # "invalid" types as anything, so one wrong unit is one diagnostic, not several.
            return ast.Literal(*_pos(number_token), value=amount, kind="invalid", text=text)
        try:
            value, dimension, currency = units.convert(amount, unit)
        except OverflowError:
            _report("E103", f"`{text}` is too large", *_pos(number_token), length=len(text))
            return ast.Literal(*_pos(number_token), value=0, kind="invalid", text=text)
        if dimension == units.MONEY:
            value = float(amount)
        return ast.Literal(*_pos(number_token), value=value, kind=dimension, text=text,
                           unit=currency or unit)

    def string(self, ch: list[Any]) -> ast.Literal:
        return ast.Literal(*_pos(ch[0]), value=_unquote(ch[0]), kind="string", text=str(ch[0]))

    def date(self, ch: list[Any]) -> ast.Literal:
        token = ch[0]
        text = str(token)
        try:
            if "T" in text:
                return ast.Literal(*_pos(token), value=dt.datetime.fromisoformat(text),
                                   kind="datetime", text=text)
            return ast.Literal(*_pos(token), value=dt.date.fromisoformat(text), kind="date",
                               text=text)
        except ValueError:
            _report("E106", f"`{text}` is not a valid date", *_pos(token),
                    suggestion="dates are written YYYY-MM-DD, e.g. 2025-03-31", length=len(text))
            # "invalid", as a number reported too large: one mistake, one diagnostic.
            return ast.Literal(*_pos(token), value=dt.date(2000, 1, 1), kind="invalid",
                               text=text)

    def true(self, ch: list[Any]) -> ast.Literal:
        return ast.Literal(*_pos(ch[0]), value=True, kind="bool", text="true")

    def false(self, ch: list[Any]) -> ast.Literal:
        return ast.Literal(*_pos(ch[0]), value=False, kind="bool", text="false")

    def list_lit(self, ch: list[Any]) -> ast.ListExpr:
        return ast.ListExpr(*_pos(ch[0]), items=_nodes(ch))

    def now(self, ch: list[Any]) -> ast.Now:
        return ast.Now(*_pos(ch[0]))

    def today(self, ch: list[Any]) -> ast.Today:
        return ast.Today(*_pos(ch[0]))

    # ----------------------------------------------------------------------- expressions
    def name(self, ch: list[Any]) -> ast.Name:
        return ast.Name(*_pos(ch[0]), name=str(ch[0]))

    def field(self, ch: list[Any]) -> ast.Field:
        obj, name = ch[0], ch[-1]
        line, column = _pos(name)
        return ast.Field(obj.line, obj.column, obj=obj, name=str(name), name_line=line,
                         name_column=column)

    def index(self, ch: list[Any]) -> ast.Index:
        obj, key = _nodes(ch)
        return ast.Index(obj.line, obj.column, obj=obj, key=key)

    def call(self, ch: list[Any]) -> ast.Call:
        return ast.Call(*_pos(ch[0]), func=str(ch[0]), args=_nodes(ch))

    def paren(self, ch: list[Any]) -> ast.Expr:
        inner: ast.Expr = _nodes(ch)[0]
        return inner

    def or_expr(self, ch: list[Any]) -> ast.Expr:
        return _fold(ch)

    and_expr = sum_expr = product = or_expr

    def not_(self, ch: list[Any]) -> ast.Unary:
        return ast.Unary(*_pos(ch[0]), op="not", operand=ch[1])

    def neg(self, ch: list[Any]) -> ast.Expr:
        operand = ch[1]
        line, column = _pos(ch[0])
        if isinstance(operand, ast.Literal) and isinstance(operand.value, int | float) \
                and not isinstance(operand.value, bool) and not operand.text.startswith("-"):
            # A negative literal stays a literal so tables and constants can use it.
            return ast.Literal(line, column, value=-operand.value, kind=operand.kind,
                               text="-" + operand.text, unit=operand.unit)
        return ast.Unary(line, column, op="-", operand=operand)

    def compare(self, ch: list[Any]) -> ast.Binary:
        left, op, right = ch
        return ast.Binary(left.line, left.column, str(op), left, right)

    def _binary(self, op: str, ch: list[Any]) -> ast.Binary:
        left, right = _nodes(ch)
        return ast.Binary(left.line, left.column, op, left, right)

    def member(self, ch: list[Any]) -> ast.Binary:
        return self._binary("in", ch)

    def not_member(self, ch: list[Any]) -> ast.Binary:
        return self._binary("not in", ch)

    def starts_with(self, ch: list[Any]) -> ast.Binary:
        return self._binary("starts with", ch)

    def ends_with(self, ch: list[Any]) -> ast.Binary:
        return self._binary("ends with", ch)

    def contains(self, ch: list[Any]) -> ast.Binary:
        return self._binary("contains", ch)

    def matches(self, ch: list[Any]) -> ast.Matches:
        subject = ch[0]
        return ast.Matches(subject.line, subject.column, subject=subject, pattern=_unquote(ch[-1]))

    def is_missing(self, ch: list[Any]) -> ast.Presence:
        return ast.Presence(ch[0].line, ch[0].column, subject=ch[0], present=False)

    def is_present(self, ch: list[Any]) -> ast.Presence:
        return ast.Presence(ch[0].line, ch[0].column, subject=ch[0], present=True)

    def quantifier(self, ch: list[Any]) -> ast.Quantifier:
        op, var = ch[0], ch[1]
        collection, cond = _nodes(ch)
        return ast.Quantifier(*_pos(op), op=str(op), var=str(var), collection=collection,
                              cond=cond)

    def count_where(self, ch: list[Any]) -> ast.Quantifier:
        collection, cond = _nodes(ch)
        return ast.Quantifier(*_pos(ch[0]), op="count", var=str(ch[1]), collection=collection,
                              cond=cond)

    def aggregate(self, ch: list[Any]) -> ast.Aggregate:
        op = ch[0]
        var = ch[3]
        nodes = _nodes(ch)
        value, collection = nodes[0], nodes[1]
        cond = nodes[2] if len(nodes) > 2 else None
        return ast.Aggregate(*_pos(op), op=str(op), value=value, var=str(var),
                             collection=collection, cond=cond)

    def window_count(self, ch: list[Any]) -> ast.Window:
        nodes = _nodes(ch)
        return ast.Window(*_pos(ch[0]), op="count", value=None, within=nodes[0],
                          by=nodes[1] if len(nodes) > 1 else None)

    def window_sum(self, ch: list[Any]) -> ast.Window:
        nodes = _nodes(ch)
        return ast.Window(*_pos(ch[0]), op="sum", value=nodes[0], within=nodes[1],
                          by=nodes[2] if len(nodes) > 2 else None)

    # ----------------------------------------------------------------------- declarations
    def const_decl(self, ch: list[Any]) -> ast.ConstDecl:
        name = ch[1]
        return ast.ConstDecl(*_pos(ch[0]), name=str(name), expr=_nodes(ch)[0])

    def list_table(self, ch: list[Any]) -> ast.ListTable:
        return ast.ListTable(*_pos(ch[0]), name=str(ch[1]), items=_nodes(ch)[0])

    def map_entry(self, ch: list[Any]) -> tuple[ast.Expr, ast.Expr]:
        key, value = _nodes(ch)
        return key, value

    def map_table(self, ch: list[Any]) -> ast.MapTable:
        nodes = _nodes(ch)
        entries = [n for n in nodes if isinstance(n, tuple)]
        return ast.MapTable(*_pos(ch[0]), name=str(ch[1]), entries=entries, default=nodes[-1])

    def decision_table(self, ch: list[Any]) -> ast.DecisionTable:
        close = next(i for i, c in enumerate(ch) if isinstance(c, Token) and c.type == "RPAR")
        params = [str(t) for t in _tokens(ch[3:close], "NAME")]
        nodes = _nodes(ch)
        rows = [n for n in nodes if isinstance(n, ast.Row)]
        return ast.DecisionTable(*_pos(ch[0]), name=str(ch[1]), params=params, rows=rows,
                                 otherwise=nodes[-1])

    def table_row(self, ch: list[Any]) -> ast.Row:
        nodes = _nodes(ch)
        return ast.Row(*_pos(ch[0]), cells=nodes[:-1], result=nodes[-1])

    def cell_any(self, ch: list[Any]) -> ast.Cell:
        return ast.Cell(*_pos(ch[0]), op="any", value=None)

    def cell_eq(self, ch: list[Any]) -> ast.Cell:
        return ast.Cell(*_pos(ch[0]), op="==", value=ch[0])

    def cell_cmp(self, ch: list[Any]) -> ast.Cell:
        return ast.Cell(*_pos(ch[0]), op=str(ch[0]), value=ch[1])

    def cell_in(self, ch: list[Any]) -> ast.Cell:
        return ast.Cell(*_pos(ch[0]), op="in", value=ch[1])

    # ----------------------------------------------------------------------- rules
    def signed_int(self, ch: list[Any]) -> tuple[int, tuple[int, int]]:
        value = self.signed_number(ch)[0]
        if not isinstance(value, int):
            _report("E107", "expected a whole number here", *_pos(ch[-1]), length=len(ch[-1]))
            value = int(value)
        return value, _pos(ch[0])

    def signed_number(self, ch: list[Any]) -> tuple[int | float, tuple[int, int]]:
        value = _number(ch[-1])
        return (-value if len(ch) == 2 else value), _pos(ch[0])

    def opt_priority(self, ch: list[Any]) -> tuple[str, object]:
        return "priority", ch[1][0]

    def opt_disabled(self, ch: list[Any]) -> tuple[str, object]:
        return "enabled", False

    def opt_enabled(self, ch: list[Any]) -> tuple[str, object]:
        return "enabled", True

    def opt_effective(self, ch: list[Any]) -> tuple[str, object]:
        dates = [self.date([t]) for t in _tokens(ch, "DATE")]
        return "effective", (dates[0], dates[1] if len(dates) > 1 else None)

    def opt_until(self, ch: list[Any]) -> tuple[str, object]:
        return "effective", (None, self.date([_tokens(ch, "DATE")[0]]))

    def rule(self, ch: list[Any]) -> ast.Rule:
        name_token = _tokens(ch, "STRING")[0]
        options = [c for c in ch if isinstance(c, tuple)]
        nodes = _nodes(ch)
        condition = next(n for n in nodes if isinstance(n, ast.Expr))
        actions = [n for n in nodes if isinstance(n, ast.ActionNode)]
        rule = ast.Rule(*_pos(ch[0]), name=_unquote(name_token), condition=condition,
                        actions=actions)
        for key, value in options:
            if key == "priority":
                rule.priority, rule.explicit_priority = int(value), True
            elif key == "enabled":
                rule.enabled, rule.explicit_enabled = bool(value), True
            else:
                start, end = value
                rule.effective_from = _date_value(start)
                rule.effective_until = _date_value(end)
        return rule

    def _action(self, verb: str, ch: list[Any], cond: ast.Expr | None = None,
                **params: object) -> ast.ActionNode:
        return ast.ActionNode(*_pos(ch[0]), verb=verb, cond=cond, params=params)

    def act_reject(self, ch: list[Any]) -> ast.ActionNode:
        code, message = _tokens(ch, "STRING")
        return self._action("reject", ch, code=_unquote(code), message=_unquote(message),
                            message_pos=_pos(message))

    def act_hold(self, ch: list[Any]) -> ast.ActionNode:
        code, message = _tokens(ch, "STRING")
        return self._action("hold", ch, code=_unquote(code), message=_unquote(message),
                            message_pos=_pos(message))

    def act_require(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("require", ch, cond=ch[1])

    def act_exclude(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("exclude", ch, cond=ch[1])

    def act_restrict(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("restrict", ch, cond=ch[1])

    def act_prefer(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("prefer", ch, cond=ch[1], weight=ch[-1][0])

    def act_max_shipments(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("max_shipments", ch, n=_number(ch[1]), n_pos=_pos(ch[1]))

    def act_fallback(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("fallback", ch, mode=str(ch[1]), mode_pos=_pos(ch[1]))

    def act_optimise(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("optimise", ch, method=str(ch[1]), method_pos=_pos(ch[1]))

    def act_safety_stock(self, ch: list[Any]) -> ast.ActionNode:
        cond = ch[3] if len(ch) > 3 else None
        return self._action("safety_stock", ch, cond=cond, units=_number(ch[1]),
                            units_pos=_pos(ch[1]))

    def act_allocate(self, ch: list[Any]) -> ast.ActionNode:
        _, amount, unit, _to, target, value = ch
        return self._action("allocate", ch, amount=_number(amount), unit=str(unit),
                            unit_pos=_pos(unit), target=str(target), target_pos=_pos(target),
                            value=_unquote(value))

    def act_priority(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("priority", ch, value=ch[1][0])

    def act_choose(self, ch: list[Any]) -> ast.ActionNode:
        return self._action("choose", ch, mode=str(ch[1]), mode_pos=_pos(ch[1]),
                            meeting_promise=len(ch) > 2)

    def act_alert(self, ch: list[Any]) -> ast.ActionNode:
        severity = ch[2]
        message = ch[4]
        recipients = ch[5] if len(ch) > 5 else []
        return self._action("alert", ch, severity=str(severity), severity_pos=_pos(severity),
                            message=_unquote(message), message_pos=_pos(message),
                            recipients=recipients)

    def recipients(self, ch: list[Any]) -> list[str]:
        return [_unquote(t) for t in _tokens(ch, "STRING")]

    # ----------------------------------------------------------------------- header
    def rs_name(self, ch: list[Any]) -> tuple[str, bool, tuple[int, int]]:
        token = ch[0]
        if token.type == "STRING":
            return _unquote(token), True, _pos(token)
        return str(token), False, _pos(token)

    def event_name(self, ch: list[Any]) -> tuple[str, tuple[int, int]]:
        return "".join(str(t) for t in ch), _pos(ch[0])

    def policy(self, ch: list[Any]) -> tuple[str, tuple[int, int]]:
        return str(ch[1]), _pos(ch[1])

    def header(self, ch: list[Any]) -> ast.Header:
        kind = ch[0]
        name, quoted, _ = ch[2]
        event, event_pos = ch[4]
        policy, policy_pos = ch[5] if len(ch) > 5 else ("all", _pos(kind))
        return ast.Header(*_pos(kind), kind=str(kind), name=name, name_quoted=quoted, event=event,
                          policy=policy, policy_explicit=len(ch) > 5, kind_pos=_pos(kind),
                          event_pos=event_pos, policy_pos=policy_pos)

    def item(self, ch: list[Any]) -> ast.Node:
        node: ast.Node = ch[0]
        return node

    def start(self, ch: list[Any]) -> ast.Ruleset:
        header: ast.Header = ch[0]
        return _assemble(header, ch[1:])


def _date_value(literal: ast.Literal | None) -> dt.date | None:
    if literal is None:
        return None
    value = literal.value
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def _assemble(header: ast.Header, items: Sequence[ast.Node]) -> ast.Ruleset:
    return ast.Ruleset(
        header.line, header.column, header=header,
        consts=[i for i in items if isinstance(i, ast.ConstDecl)],
        tables=[i for i in items if isinstance(i, ast.ListTable | ast.MapTable
                                               | ast.DecisionTable)],
        rules=[i for i in items if isinstance(i, ast.Rule)],
        items=list(items),
    )


@functools.cache
def _lark() -> Lark:
    grammar = resources.files("dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer=RuleLexer, start=["start", "item", "expr"],
                keep_all_tokens=True, maybe_placeholders=False, transformer=_Build())


def parse(source: str) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    """Parse a whole ruleset; return the AST (None if nothing usable) and every diagnostic."""
    reporter = Reporter(source)
    _STATE.reporter = reporter
    try:
        if len(source) > MAX_SOURCE_CHARS:
            reporter.add("E100", f"the ruleset is longer than {MAX_SOURCE_CHARS} characters", 1, 1)
            return None, reporter.sorted()
        whole = True
        try:
            tree: ast.Ruleset = _lark().parse(source, start="start")  # type: ignore[assignment]
        except UnexpectedInput:
            whole = False
            tree = _parse_by_declaration(source, reporter)
        except RecursionError:  # pragma: no cover - the LALR parser is iterative; belt and braces
            reporter.add("E108", "the ruleset is nested too deeply", 1, 1)
            return None, reporter.sorted()
        _limit_depth(tree, reporter, getattr(lexer.sizes, "counts", None) if whole else None)
        return tree, reporter.sorted()
    finally:
        _STATE.reporter = None


def parse_expression(text: str, line: int, column: int,
                     reporter: Reporter) -> ast.Expr | None:
    """Parse one expression written inside a message template, positioned in the file."""
    _STATE.reporter = reporter
    padded = "\n" * (line - 1) + " " * (column - 1) + text
    try:
        node = _lark().parse(padded, start="expr")
    except UnexpectedInput as error:
        explain(_lark(), error, padded, reporter)
        return None
    finally:
        _STATE.reporter = None
    if not isinstance(node, ast.Expr) or ast.depth(node) > MAX_DEPTH:
        reporter.add("E108", "this placeholder is not a simple expression", line, column)
        return None
    return node


def _parse_by_declaration(source: str, reporter: Reporter) -> ast.Ruleset:
    """Parse the header and every declaration on its own, reporting each one's first error."""
    starts = [m.start() for m in _DECL_START.finditer(source)]
    head_end = starts[0] if starts else len(source)
    header: ast.Header | None = None
    try:
        parsed: ast.Ruleset = _lark().parse(source[:head_end], start="start")  # type: ignore[assignment]
        header = parsed.header
    except UnexpectedInput as error:
        if _COMMENT.sub("", source[:head_end]).strip():
            explain(_lark(), error, source[:head_end], reporter)
        else:
            # Nothing but comments before the first rule: Lark's "expected a name, found
            # the end of the file" would point at an end the analyst never wrote.
            line = source.count("\n", 0, head_end) + 1
            column = head_end - (source.rfind("\n", 0, head_end) + 1) + 1
            message = ("expected the ruleset's header before its first declaration" if starts
                       else "the ruleset is empty: expected its header")
            reporter.add("E102", message, line, column, suggestion=_HEADER_EXAMPLE)
    items: list[ast.Node] = []
    bounds = [*starts, len(source)]
    for begin, end in itertools.pairwise(bounds):
        # Padding with the preceding line breaks keeps Lark's line numbers true to the file.
        padding = "\n" * source.count("\n", 0, begin)
        column_pad = begin - (source.rfind("\n", 0, begin) + 1)
        chunk = padding + " " * column_pad + source[begin:end]
        try:
            items.append(_lark().parse(chunk, start="item"))  # type: ignore[arg-type]
        except UnexpectedInput as error:
            # The declaration ends where the next begins: "found the end of the file" would
            # name an end the analyst can see is not there.
            following = source[end:].split("\n", 1)[0].strip()
            shown = following if len(following) <= 30 else following[:30] + "..."
            explain(_lark(), error, chunk, reporter,
                    f"the next declaration (`{shown}`)" if end < len(source) else
                    "the end of the file")
    if header is None:
        header = ast.Header(1, 1, kind="", name="", name_quoted=False, event="", policy="all",
                            policy_explicit=False)
    return _assemble(header, items)


def _limit_depth(tree: ast.Ruleset, reporter: Reporter, counts: list[int] | None) -> None:
    """Drop declarations nested beyond MAX_DEPTH: later stages recurse over expressions (but
    loop along a chain such as `a or b or c`, which `ast.depth` counts as one level).

    `counts` (tokens per declaration, from the lexer) spares measuring declarations too short
    to be that deep, which is nearly all of them.
    """
    kept: list[ast.Node] = []
    sizes = counts[1:] if counts and len(counts) == len(tree.items) + 1 else None
    for index, item in enumerate(tree.items):
        if sizes is not None and sizes[index] < MAX_DEPTH:
            kept.append(item)
        elif ast.depth(item) > MAX_DEPTH:
            reporter.add("E108", f"this declaration is nested more than {MAX_DEPTH} levels deep",
                         item.line, item.column,
                         suggestion="split the condition with named constants or several rules")
        else:
            kept.append(item)
    if len(kept) != len(tree.items):
        rebuilt = _assemble(tree.header, kept)
        tree.items, tree.consts, tree.tables, tree.rules = (
            rebuilt.items, rebuilt.consts, rebuilt.tables, rebuilt.rules)
