"""The abstract syntax tree of a ruleset.

Plain dataclasses that keep the line and column of the source they came from, so every later
stage (checker, lints, runners, formatter) can point at the analyst's text. Nodes compare by
identity (`eq=False`), which lets the checker key its type table by node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(eq=False)
class Node:
    line: int
    column: int

    def children(self) -> Iterator[Node]:
        """Sub-nodes in source order; the generic walkers (depth, lints) rely on this."""
        return iter(())


# ------------------------------------------------------------------------------------ expressions
class Expr(Node):
    """Marker base for expressions."""


@dataclass(eq=False)
class Literal(Expr):
    """A constant written in the source.

    `kind` is number, string, bool, date, datetime, duration, mass, length or money; `value` is
    already in the base unit (kg, km, seconds as a timedelta, the currency's own amount), and
    `text` keeps the spelling (`2 lb`) for the formatter and for messages.
    """

    value: object
    kind: str
    text: str
    unit: str = ""


@dataclass(eq=False)
class Name(Expr):
    name: str


@dataclass(eq=False)
class Field(Expr):
    """`obj.name`; the node sits where `obj` starts, `name_column` is where the field name is."""

    obj: Expr
    name: str
    name_line: int = 0
    name_column: int = 0

    def children(self) -> Iterator[Node]:
        yield self.obj


@dataclass(eq=False)
class Index(Expr):
    obj: Expr
    key: Expr

    def children(self) -> Iterator[Node]:
        yield self.obj
        yield self.key


@dataclass(eq=False)
class Call(Expr):
    func: str
    args: list[Expr]

    def children(self) -> Iterator[Node]:
        yield from self.args


@dataclass(eq=False)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr

    def children(self) -> Iterator[Node]:
        yield self.operand


@dataclass(eq=False)
class Binary(Expr):
    """Arithmetic, comparison, boolean, membership and string tests.

    `op` is one of + - * / % == != < <= > >= and or in `not in` `starts with` `ends with`
    contains.
    """

    op: str
    left: Expr
    right: Expr

    def children(self) -> Iterator[Node]:
        yield self.left
        yield self.right


@dataclass(eq=False)
class Matches(Expr):
    subject: Expr
    pattern: str

    def children(self) -> Iterator[Node]:
        yield self.subject


@dataclass(eq=False)
class Presence(Expr):
    """`x is present` (present=True) or `x is missing`."""

    subject: Expr
    present: bool

    def children(self) -> Iterator[Node]:
        yield self.subject


@dataclass(eq=False)
class ListExpr(Expr):
    items: list[Expr]

    def children(self) -> Iterator[Node]:
        yield from self.items


@dataclass(eq=False)
class Quantifier(Expr):
    """`any|all|count VAR in COLLECTION where COND`."""

    op: str
    var: str
    collection: Expr
    cond: Expr

    def children(self) -> Iterator[Node]:
        yield self.collection
        yield self.cond


@dataclass(eq=False)
class Aggregate(Expr):
    """`sum|min|max VALUE for VAR in COLLECTION [where COND]`."""

    op: str
    value: Expr
    var: str
    collection: Expr
    cond: Expr | None

    def children(self) -> Iterator[Node]:
        yield self.collection
        yield self.value
        if self.cond is not None:
            yield self.cond


@dataclass(eq=False)
class Window(Expr):
    """`count within DURATION [by KEY]` or `sum VALUE within DURATION [by KEY]` (alert rules)."""

    op: str
    value: Expr | None
    within: Expr
    by: Expr | None

    def children(self) -> Iterator[Node]:
        if self.value is not None:
            yield self.value
        yield self.within
        if self.by is not None:
            yield self.by


@dataclass(eq=False)
class Now(Expr):
    pass


@dataclass(eq=False)
class Today(Expr):
    pass


# ----------------------------------------------------------------------------------- declarations
@dataclass(eq=False)
class ConstDecl(Node):
    name: str
    expr: Expr

    def children(self) -> Iterator[Node]:
        yield self.expr


@dataclass(eq=False)
class ListTable(Node):
    name: str
    items: ListExpr

    def children(self) -> Iterator[Node]:
        yield self.items


@dataclass(eq=False)
class MapTable(Node):
    name: str
    entries: list[tuple[Expr, Expr]]
    default: Expr

    def children(self) -> Iterator[Node]:
        for key, value in self.entries:
            yield key
            yield value
        yield self.default


@dataclass(eq=False)
class Cell(Node):
    """One condition cell of a decision-table row: `any`, a value, `< value` or `in [..]`."""

    op: str  # "any", "==", "!=", "<", "<=", ">", ">=", "in"
    value: Expr | None

    def children(self) -> Iterator[Node]:
        if self.value is not None:
            yield self.value


@dataclass(eq=False)
class Row(Node):
    cells: list[Cell]
    result: Expr

    def children(self) -> Iterator[Node]:
        yield from self.cells
        yield self.result


@dataclass(eq=False)
class DecisionTable(Node):
    name: str
    params: list[str]
    rows: list[Row]
    otherwise: Expr

    def children(self) -> Iterator[Node]:
        yield from self.rows
        yield self.otherwise


Table = ListTable | MapTable | DecisionTable


# ------------------------------------------------------------------------------------ rules
@dataclass(eq=False)
class ActionNode(Node):
    """One action after `then`.

    `verb` names it (reject, hold, require, exclude, restrict, prefer, max_shipments, fallback,
    optimise, safety_stock, allocate, priority, choose, alert); `cond` is the candidate test of
    actions about a location or carrier; `params` holds the literal parameters exactly as written.
    """

    verb: str
    cond: Expr | None = None
    params: dict[str, object] = field(default_factory=dict)

    def children(self) -> Iterator[Node]:
        if self.cond is not None:
            yield self.cond


@dataclass(eq=False)
class Rule(Node):
    name: str
    condition: Expr
    actions: list[ActionNode]
    priority: int = 0
    enabled: bool = True
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    # True when the source says `priority`, so the formatter can keep an explicit `priority 0`.
    explicit_priority: bool = False
    explicit_enabled: bool = False

    def children(self) -> Iterator[Node]:
        yield self.condition
        yield from self.actions


@dataclass(eq=False)
class Header(Node):
    kind: str
    name: str
    name_quoted: bool
    event: str
    policy: str
    policy_explicit: bool
    kind_pos: tuple[int, int] = (1, 1)
    event_pos: tuple[int, int] = (1, 1)
    policy_pos: tuple[int, int] = (1, 1)


@dataclass(eq=False)
class Ruleset(Node):
    header: Header
    consts: list[ConstDecl]
    tables: list[Table]
    rules: list[Rule]
    # Declarations in source order, for the formatter.
    items: list[Node] = field(default_factory=list)

    def children(self) -> Iterator[Node]:
        yield from self.items


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself included), iteratively so depth cannot overflow."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(current.children())))


# Operators that chain: `a or b or c`, `a + b - c`, `a * b / c`. The parser folds a chain into a
# left-leaning tree of `Binary` nodes, one per operator, so its left spine grows with its length.
CHAIN_GROUPS = {
    "or": "or",
    "and": "and",
    "+": "sum",
    "-": "sum",
    "*": "product",
    "/": "product",
    "%": "product",
}


def continues_chain(node: Binary) -> bool:
    """Whether `node`'s left operand is the previous link of the same chain (`a or b` in
    `a or b or c`)."""
    left = node.left
    return (
        isinstance(left, Binary)
        and node.op in CHAIN_GROUPS
        and CHAIN_GROUPS.get(left.op) == CHAIN_GROUPS[node.op]
    )


def left_spine(node: Binary) -> tuple[Expr, list[Binary]]:
    """The operand at the bottom left of nested binary operators and the operators above it,
    innermost first, which is evaluation order: `a or b or c` gives `a` and [`a or b`, `... or c`].

    Passes walk this list in a loop instead of recursing into `left`, so a chain of thousands of
    conditions costs no stack.
    """
    links: list[Binary] = []
    current: Expr = node
    while isinstance(current, Binary):
        links.append(current)
        current = current.left
    links.reverse()
    return current, links


def conjuncts(node: Expr) -> list[Expr]:
    """The tests joined by `and` in `node` (itself if it is no `and`), in source order."""
    found: list[Expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Binary) and current.op == "and":
            stack.append(current.right)
            stack.append(current.left)
        else:
            found.append(current)
    return found


def depth(node: Node) -> int:
    """Nesting depth, computed without recursion (the parser rejects absurd depths with it).

    A chain of one operator group (`or`, `and`, `+ -`, `* / %`) is one level however long: every
    pass loops over a chain rather than recursing along it, so only real nesting (parentheses on
    the right, `not`, calls, quantifiers) costs stack.
    """
    best = 0
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        if isinstance(current, Binary) and continues_chain(current):
            stack.append((current.left, level))
            stack.append((current.right, level + 1))
        else:
            stack.extend((child, level + 1) for child in current.children())
    return best
