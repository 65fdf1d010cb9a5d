"""The checked program: what the checker learned about a ruleset, shared by both runners.

The checker annotates the AST instead of rewriting it: a type for every expression, what every
name refers to, the values of constants and tables, parsed message templates and regex programs.
Both runners read the same `Program`, which is how they keep one semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl import ast
from dsl.regex import Regex
from dsl.schema import Type

VALIDATION_ACTIONS = ("reject", "hold")
ACTIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    "validation": VALIDATION_ACTIONS,
    "sourcing": ("require", "exclude", "prefer", "max_shipments", "fallback", "optimise"),
    "reservation": ("safety_stock", "allocate", "priority"),
    "carrier": ("restrict", "exclude", "prefer", "choose"),
    "alert": ("alert",),
}
# Actions whose condition is evaluated by the host once per candidate (location or carrier).
CANDIDATE_ACTIONS = ("require", "exclude", "prefer", "restrict", "safety_stock")
POLICIES = ("first", "all", "best_score")
FALLBACK_MODES = ("backorder", "dropship", "preorder", "hold")
CHOOSE_MODES = ("cheapest", "fastest")
# How the engine assigns an order's lines to locations (its optimiser settings, by name).
OPTIMISER_METHODS = ("greedy", "exact", "auto")
SEVERITIES = ("low", "medium", "high", "critical")
ALLOCATION_TARGETS = ("channel", "customer_group")
ALLOCATION_UNITS = ("units", "percent")


@dataclass(frozen=True)
class Ref:
    """What a `Name` refers to: a fact root, a bound variable, a constant, a table, a candidate."""

    kind: str  # "root", "candidate", "var", "const", "table"
    name: str


@dataclass
class DecisionRows:
    """A decision table ready to run: rows of (cells, result) and the `otherwise` value.

    A cell is (op, value) with op in any, ==, !=, <, <=, >, >=, in.
    """

    rows: list[tuple[list[tuple[str, object]], object]]
    otherwise: object
    param_types: list[Type]


@dataclass
class MapData:
    entries: dict[object, object]
    default: object


@dataclass
class Template:
    """A message with `{expression}` placeholders: literal parts and expressions, in order."""

    parts: list[str | ast.Expr]

    @property
    def is_static(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)


@dataclass
class Program:
    """A ruleset that passed the checker, with everything the runners need."""

    tree: ast.Ruleset
    kind: str
    candidate: str  # "location", "carrier" or "" when the kind has no candidate
    types: dict[ast.Node, Type] = field(default_factory=dict)
    refs: dict[ast.Name, Ref] = field(default_factory=dict)
    consts: dict[str, object] = field(default_factory=dict)
    lists: dict[str, tuple[object, ...]] = field(default_factory=dict)
    maps: dict[str, MapData] = field(default_factory=dict)
    decisions: dict[str, DecisionRows] = field(default_factory=dict)
    templates: dict[tuple[ast.ActionNode, str], Template] = field(default_factory=dict)
    regexes: dict[ast.Matches, Regex] = field(default_factory=dict)
    # Per rule, found while checking so later stages need not walk the tree again.
    windows: dict[ast.Rule, list[ast.Window]] = field(default_factory=dict)
    clocked: set[ast.Rule] = field(default_factory=set)  # uses now, today or effective dates

    @property
    def rules(self) -> list[ast.Rule]:
        """Rules in evaluation order: higher priority first, then source order."""
        return sorted(self.tree.rules, key=lambda r: -r.priority)

    def type_of(self, node: ast.Node) -> Type:
        return self.types[node]
