"""Typing of binary operators: arithmetic, comparisons, boolean logic, membership, text tests.

Kept apart from the checker because it is a table of the language's rules more than code: which
operand types an operator accepts, what it yields, and when units disagree. Results that can be
missing at run time (division by zero, date overflow, missing fields) are typed optional, which
tells the compiler to use the null-safe operations.
"""

from __future__ import annotations

from dsl import ast
from dsl.diagnostics import WARNING, Reporter
from dsl.schema import ANY, BOOL, DURATION, INT, NUMBER, STR, Type

ARITHMETIC = ("+", "-", "*", "/", "%")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_ORDERED = ("int", "number", "money", "quantity", "duration", "date", "datetime", "str")


def binary(rep: Reporter, node: ast.Binary, left: Type, right: Type) -> Type:
    op = node.op
    if op in ("and", "or"):
        for side, type_ in ((node.left, left), (node.right, right)):
            if type_.kind not in ("bool", "any"):
                rep.add("E303", f"`{op}` joins tests that are true or false, not "
                        f"{type_.describe()}", side.line, side.column,
                        suggestion="compare the value with something first")
        return BOOL
    if left.kind == "any" or right.kind == "any":
        return BOOL if op not in ARITHMETIC else ANY
    if op in COMPARISONS:
        _compare(rep, node, left, right)
        return BOOL
    if op in ("in", "not in"):
        if right.kind != "list":
            rep.add("E301", f"`{op}` needs a list on its right, not {right.describe()}",
                    node.right.line, node.right.column,
                    suggestion="use `contains` to look for text inside text"
                    if right.kind == "str" else "")
        elif right.item is not None and right.item.kind != "any":
            _compare(rep, node, left, right.item, equality=True)
        return BOOL
    if op in ("starts with", "ends with"):
        if left.kind != "str" or right.kind != "str":
            rep.add("E301", f"`{op}` compares texts, not {left.describe()} and "
                    f"{right.describe()}", node.line, node.column)
        return BOOL
    if op == "contains":
        if left.kind == "list":
            if left.item is not None and left.item.kind != "any":
                _compare(rep, node, right, left.item, equality=True)
        elif left.kind != "str" or right.kind != "str":
            rep.add("E301", f"`contains` looks inside a text or a list, not inside "
                    f"{left.describe()}", node.line, node.column)
        return BOOL
    return _arithmetic(rep, node, left, right)


def _family(type_: Type) -> str:
    return "number" if type_.is_numeric else type_.kind


def _compare(rep: Reporter, node: ast.Binary, left: Type, right: Type,
             equality: bool = False) -> None:
    op = "==" if equality else node.op
    a, b = _family(left), _family(right)
    if {a, b} == {"quantity"} and left.unit != right.unit:
        _unit_mismatch(rep, node, left, right)
        return
    if {a, b} == {"money"} and left.unit != right.unit:
        rep.add("E402", f"amounts in {left.unit} and {right.unit} cannot be compared",
                node.line, node.column,
                suggestion="currencies are not converted; write the amount in "
                f"{left.unit}")
        return
    if {a, b} == {"quantity", "number"}:
        quantity_type = left if a == "quantity" else right
        rep.add("W401", f"a number is compared with {quantity_type.describe()}; it is read as "
                f"{'kg' if quantity_type.unit == 'mass' else 'km'}", node.line, node.column,
                severity=WARNING, suggestion="write the unit, e.g. `5 kg` or `30 km`")
        return
    if {a, b} == {"money", "number"} or a == b:
        if op not in ("==", "!=") and a not in _ORDERED and a != "number":
            rep.add("E301", f"{left.describe()} cannot be ordered with `{op}`", node.line,
                    node.column, suggestion="use == or !=")
        if a in ("record",):
            rep.add("E301", "records cannot be compared; compare one of their fields",
                    node.line, node.column)
        return
    if {a, b} == {"quantity", "money"}:
        _unit_mismatch(rep, node, left, right)
        return
    hint = ""
    if {a, b} == {"date", "datetime"}:
        hint = "use date(...) to take the date of a date and time"
    elif "str" in (a, b) and ("number" in (a, b) or "money" in (a, b)):
        hint = "numbers are written without quotes"
    elif "str" in (a, b) and ("date" in (a, b) or "datetime" in (a, b)):
        hint = "dates are written without quotes, e.g. 2025-03-31"
    rep.add("E301", f"cannot compare {left.describe()} with {right.describe()}", node.line,
            node.column, suggestion=hint)


def _unit_mismatch(rep: Reporter, node: ast.Binary, left: Type, right: Type) -> None:
    rep.add("E401", f"unit mismatch: {left.describe()} and {right.describe()} measure "
            "different things", node.line, node.column,
            suggestion="check the units of both sides")


def _arithmetic(rep: Reporter, node: ast.Binary, left: Type, right: Type) -> Type:
    op = node.op
    optional = left.optional or right.optional or op in ("/", "%")
    a, b = _family(left), _family(right)
    result: Type | None = None
    if a == b == "number":
        both_int = left.kind == right.kind == "int"
        result = INT if both_int and op != "/" else NUMBER
    elif op in ("+", "-") and a == b and a in ("money", "quantity") and left.unit == right.unit:
        result = left
    elif op in ("+", "-") and {a, b} == {"money", "number"}:
        result = left if a == "money" else right
    elif op in ("+", "-") and a == b == "duration":
        result = DURATION
    elif op == "+" and {a, b} in ({"date", "duration"}, {"datetime", "duration"}):
        result = left if a != "duration" else right
        optional = True  # far-away dates overflow
    elif op == "-" and a in ("date", "datetime") and b == "duration":
        result, optional = left, True
    elif op == "-" and a == b and a in ("date", "datetime"):
        result = DURATION
    elif op == "+" and a == b == "str":
        result = STR
    elif op == "*" and {a, b} <= {"number", "money", "quantity", "duration"} and \
            "number" in (a, b) and not (a == b == "number"):
        result = left if a != "number" else right
    elif op == "/" and a in ("money", "quantity", "duration") and b == "number":
        result = left
    elif op == "/" and a == b and a in ("money", "quantity", "duration") and \
            left.unit == right.unit:
        result = NUMBER
    if result is None:
        if a == b and a in ("quantity", "money") and left.unit != right.unit:
            _unit_mismatch(rep, node, left, right)
        else:
            rep.add("E301", f"cannot compute {left.describe()} {op} {right.describe()}",
                    node.line, node.column)
        return ANY
    return result.as_optional(optional)
