"""The canonical formatter behind `ordo rules fmt`.

It prints the AST back with one layout (a blank line between declarations, `when` and `then` on
their own lines, one action per line, the fewest parentheses that keep the meaning), so two
analysts' edits diff cleanly. Comments are kept: each one is placed above the declaration it
precedes or sits in. Formatting a formatted file changes nothing.
"""

from __future__ import annotations

from dsl import ast
from dsl.diagnostics import RuleError
from dsl.parser import parse

WIDTH = 96
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4,
               ">=": 4, "in": 4, "not in": 4, "starts with": 4, "ends with": 4,
               "contains": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_ATOM = 8


def format_source(source: str) -> str:
    """Return the canonical text of a ruleset; raise `RuleError` if it does not parse."""
    tree, diagnostics = parse(source)
    errors = [d for d in diagnostics if d.is_error]
    if tree is None or errors:
        raise RuleError(errors or diagnostics)
    comments = _comments(source)
    starts = [tree.header.line] + [item.line for item in tree.items]
    placed = _place_comments(comments, starts, source)
    blocks: list[str] = []
    header = tree.header
    name = _quote(header.name) if header.name_quoted else header.name
    head = f"{header.kind} ruleset {name} on {header.event}"
    if header.policy_explicit:
        head += f" policy {header.policy}"
    blocks.append(_with_comments(placed.get(0, []), head))
    for position, item in enumerate(tree.items, start=1):
        blocks.append(_with_comments(placed.get(position, []), _item(item)))
    text = "\n\n".join(blocks) + "\n"
    trailing = placed.get(-1, [])
    if trailing:
        text += "\n" + "\n".join(trailing) + "\n"
    return text


# ------------------------------------------------------------------------------ comments
def _comments(source: str) -> list[tuple[int, str]]:
    """(line, text) of every `#` comment, ignoring `#` inside quoted text."""
    found = []
    # Lines as the lexer counts them, at "\n" only: `splitlines` also breaks at "\r", "\f",
    # U+2028 and others, which may sit inside quoted text, and would turn the text after
    # them into a "comment" copied out on every run.
    for number, line in enumerate(source.split("\n"), start=1):
        in_string = escaped = False
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                found.append((number, line[index:].rstrip()))
                break
    return found


def _place_comments(comments: list[tuple[int, str]], starts: list[int],
                    source: str) -> dict[int, list[str]]:
    """Attach each comment to a declaration (index into `starts`), or -1 for the file's end."""
    lines = source.split("\n")  # as `_comments` and the lexer count them

    def quiet(first: int, last: int) -> bool:  # only blanks and comments on lines first..last
        return all(not lines[n - 1].strip() or lines[n - 1].strip().startswith("#")
                   for n in range(first, last + 1))

    placed: dict[int, list[str]] = {}
    for line, text in comments:
        following = [i for i, start in enumerate(starts) if start > line]
        own_line = quiet(line, line)
        if own_line and following and quiet(line + 1, starts[following[0]] - 1):
            target = following[0]
        elif own_line and not following and quiet(line + 1, len(lines)) and line > starts[-1]:
            target = -1
        else:
            target = max((i for i, start in enumerate(starts) if start <= line), default=0)
        placed.setdefault(target, []).append(text)
    return placed


def _with_comments(comments: list[str], text: str) -> str:
    return "\n".join([*comments, text])


# ------------------------------------------------------------------------------ declarations
def _item(item: ast.Node) -> str:
    if isinstance(item, ast.ConstDecl):
        return f"const {item.name} = {expr(item.expr)}"
    if isinstance(item, ast.ListTable):
        return f"table {item.name} = {expr(item.items)}"
    if isinstance(item, ast.MapTable):
        entries = [f"{expr(k)}: {expr(v)}" for k, v in item.entries]
        one_line = f"table {item.name} = {{{', '.join(entries)}}} default {expr(item.default)}"
        if len(one_line) <= WIDTH:
            return one_line
        body = "".join(f"  {entry},\n" for entry in entries)
        return f"table {item.name} = {{\n{body}}} default {expr(item.default)}"
    if isinstance(item, ast.DecisionTable):
        rows = [f"  row {', '.join(_cell(c) for c in row.cells)} -> {expr(row.result)}"
                for row in item.rows]
        return "\n".join([f"table {item.name}({', '.join(item.params)})", *rows,
                          f"  otherwise {expr(item.otherwise)}"])
    assert isinstance(item, ast.Rule)
    return _rule(item)


def _cell(cell: ast.Cell) -> str:
    if cell.value is None:
        return "any"
    value = expr(cell.value, 5)
    return value if cell.op == "==" else f"{cell.op} {value}"


def _rule(rule: ast.Rule) -> str:
    head = f"rule {_quote(rule.name)}"
    if rule.explicit_priority or rule.priority:
        head += f" priority {rule.priority}"
    if rule.explicit_enabled or not rule.enabled:
        head += " enabled" if rule.enabled else " disabled"
    if rule.effective_from is not None:
        head += f" effective from {rule.effective_from.isoformat()}"
        if rule.effective_until is not None:
            head += f" until {rule.effective_until.isoformat()}"
    elif rule.effective_until is not None:
        head += f" effective until {rule.effective_until.isoformat()}"
    condition = expr(rule.condition)
    cond = rule.condition
    if len(condition) + 7 > WIDTH and isinstance(cond, ast.Binary) and cond.op in ("and", "or"):
        parts = _chain(cond, cond.op)
        condition = f"\n   {cond.op} ".join(expr(p, _PRECEDENCE[cond.op] + 1) for p in parts)
    actions = [_action(a) for a in rule.actions]
    then = "\n       ".join(actions)
    return f"{head}\n  when {condition}\n  then {then}"


def _chain(node: ast.Expr, op: str) -> list[ast.Expr]:
    """The operands of a chain of `op` (`a`, `b`, `c` of `a or b or c`), left to right."""
    operands = []
    while isinstance(node, ast.Binary) and node.op == op:
        operands.append(node.right)
        node = node.left
    operands.append(node)
    return operands[::-1]


def _action(action: ast.ActionNode) -> str:
    p = action.params
    verb = action.verb
    if verb in ("reject", "hold"):
        return f"{verb} code {_quote(str(p['code']))} message {_quote(str(p['message']))}"
    if verb in ("require", "exclude", "restrict"):
        assert action.cond is not None
        return f"{verb} {expr(action.cond)}"
    if verb == "prefer":
        assert action.cond is not None
        return f"prefer {expr(action.cond)} weight {_number(p['weight'])}"
    if verb == "max_shipments":
        return f"max_shipments {p['n']}"
    if verb == "fallback":
        return f"fallback {p['mode']}"
    if verb == "optimise":
        return f"optimise {p['method']}"
    if verb == "safety_stock":
        where = f" where {expr(action.cond)}" if action.cond is not None else ""
        return f"safety_stock {p['units']}{where}"
    if verb == "allocate":
        return (f"allocate {_number(p['amount'])} {p['unit']} to {p['target']} "
                f"{_quote(str(p['value']))}")
    if verb == "priority":
        return f"priority {p['value']}"
    if verb == "choose":
        return f"choose {p['mode']}" + (" meeting promise" if p["meeting_promise"] else "")
    recipients = p.get("recipients") or []
    to = (" to " + ", ".join(_quote(r) for r in recipients)) if recipients else ""  # type: ignore[attr-defined]
    return f"alert severity {p['severity']} message {_quote(str(p['message']))}{to}"


def _number(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _quote(text: str) -> str:
    """Quote a text so that the parser reads back exactly `text` (see parser._unquote)."""
    out = []
    for index, char in enumerate(text):
        if char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\\":
            after = text[index + 1:index + 2]
            # A lone backslash (as in a pattern's \d) stays as written.
            out.append("\\\\" if after in ('"', "\\", "n", "t", "") else "\\")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


# ------------------------------------------------------------------------------ expressions
def expr(node: ast.Expr, context: int = 0) -> str:
    """Print `node` where the surrounding syntax binds with precedence `context`."""
    text, precedence = _print(node)
    return f"({text})" if precedence < context else text


def _print(node: ast.Expr) -> tuple[str, int]:
    if isinstance(node, ast.Literal):
        return node.text, _ATOM
    if isinstance(node, ast.Name):
        return node.name, _ATOM
    if isinstance(node, ast.Now | ast.Today):
        return ("now" if isinstance(node, ast.Now) else "today"), _ATOM
    if isinstance(node, ast.Field):
        return f"{expr(node.obj, _ATOM)}.{node.name}", _ATOM
    if isinstance(node, ast.Index):
        return f"{expr(node.obj, _ATOM)}[{expr(node.key)}]", _ATOM
    if isinstance(node, ast.Call):
        return f"{node.func}({', '.join(expr(a) for a in node.args)})", _ATOM
    if isinstance(node, ast.ListExpr):
        return "[" + ", ".join(expr(i) for i in node.items) + "]", _ATOM
    if isinstance(node, ast.Unary):
        if node.op == "not":
            return f"not {expr(node.operand, 3)}", 3
        return f"-{expr(node.operand, 7)}", 7
    if isinstance(node, ast.Binary):
        return _binary(node)
    if isinstance(node, ast.Matches):
        return f"{expr(node.subject, 5)} matches {_quote(node.pattern)}", 4
    if isinstance(node, ast.Presence):
        return f"{expr(node.subject, 5)} is {'present' if node.present else 'missing'}", 4
    # The constructs below end with an open-ended expression (`where ...`), so anywhere but at
    # the top of a condition they are wrapped in parentheses: precedence 0.
    if isinstance(node, ast.Quantifier):
        return (f"{node.op} {node.var} in {expr(node.collection, _ATOM)} where "
                f"{expr(node.cond)}"), 0
    if isinstance(node, ast.Aggregate):
        where = f" where {expr(node.cond)}" if node.cond is not None else ""
        return (f"{node.op} {expr(node.value)} for {node.var} in "
                f"{expr(node.collection, _ATOM)}{where}"), 0
    assert isinstance(node, ast.Window)
    value = f" {expr(node.value)}" if node.value is not None else ""
    by = f" by {expr(node.by, _ATOM)}" if node.by is not None else ""
    return f"{node.op}{value} within {expr(node.within, 5)}{by}", 0


def _binary(node: ast.Binary) -> tuple[str, int]:
    """Print binary operators one chain at a time, looping along the left operands: a condition
    may join thousands of tests, too many to recurse through."""
    first, links = ast.left_spine(node)
    text, precedence = _print(first)
    start = 0
    while start < len(links):
        end = start + 1
        while end < len(links) and ast.continues_chain(links[end]):
            end += 1
        level = _PRECEDENCE[links[start].op]
        # Comparisons do not chain: both sides are sums.
        left, right = (5, 5) if level == 4 else (level, level + 1)
        parts = [text if precedence >= left else f"({text})"]
        parts += [f" {link.op} {expr(link.right, right)}" for link in links[start:end]]
        text, precedence = "".join(parts), level
        start = end
    return text, precedence
