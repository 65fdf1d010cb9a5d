"""The fixed table of operations rules may call at run time, shared by both runners.

Every operation that is not a plain Python operator on two non-missing values lives here: the
null-safe comparisons and arithmetic, text tests, bounded pattern matching, distance, date helpers,
aggregates, table lookups, window counters and message formatting. The interpreter calls these
functions directly and the compiler emits calls to them through `BUILTINS`, the only names
generated code can reach, so both runners agree by construction.

The operations are total on facts that follow the schema: a missing value, a division by zero, a
date out of range or a number past a float's range yields None (a missing value: it equals
nothing, so only `!=` and `not in` hold for it) instead of raising, so the order in which a
runner evaluates the parts of a condition can never change its outcome.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dsl.regex import Regex
from dsl.windows import WindowStore

EARTH_RADIUS_KM = 6371.0088


def lt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a < b


def le(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a <= b


def gt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a > b


def ge(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a >= b


def add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return a + b
    except OverflowError:
        return None


def sub(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return a - b
    except OverflowError:
        return None


def mul(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return a * b
    except OverflowError:
        return None


def div(a: Any, b: Any) -> Any:
    if a is None or b is None or not b:
        return None
    try:
        return a / b
    except OverflowError:
        return None


def mod(a: Any, b: Any) -> Any:
    if a is None or b is None or not b:
        return None
    try:
        return a % b
    except OverflowError:  # an int past a float's range against a float: 10**400 % 2.5
        return None


def neg(a: Any) -> Any:
    if a is None:
        return None
    try:
        return -a
    except OverflowError:  # the most negative duration has no positive twin
        return None


def member(item: Any, collection: Any) -> bool:
    return collection is not None and item in collection


def contains(container: Any, item: Any) -> bool:
    if container is None or item is None:
        return False
    return item in container


def starts_with(text: Any, prefix: Any) -> bool:
    return isinstance(text, str) and isinstance(prefix, str) and str.startswith(text, prefix)


def ends_with(text: Any, suffix: Any) -> bool:
    return isinstance(text, str) and isinstance(suffix, str) and str.endswith(text, suffix)


def matches(regex: Regex, text: Any) -> bool:
    return isinstance(text, str) and regex.search(text)


def present(value: Any) -> bool:
    return value is not None


def items(collection: Any) -> Iterable[Any]:
    return () if collection is None else collection


def item_at(collection: Any, position: Any) -> Any:
    if collection is None or position is None or not 0 <= position < len(collection):
        return None
    return collection[position]


def distance(a: Any, b: Any) -> float | None:
    """Great-circle distance in km between two records with `lat` and `lon`."""
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = a.get("lat"), a.get("lon"), b.get("lat"), b.get("lon")
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    try:
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lon2 - lon1)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    except (OverflowError, ValueError):  # an int past a float's range, an infinite angle
        return None


def date_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def days(value: Any) -> float | None:
    return None if value is None else value.total_seconds() / 86400


def hours(value: Any) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def lower(value: Any) -> str | None:
    return None if value is None else str.lower(value)


def upper(value: Any) -> str | None:
    return None if value is None else str.upper(value)


def length(value: Any) -> int | None:
    return None if value is None else len(value)


def absolute(value: Any) -> Any:
    return None if value is None else abs(value)


def round_half_up(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return math.floor(value + 0.5)
    except (OverflowError, ValueError):
        return None


def agg_sum(values: Iterable[Any]) -> Any:
    total: Any = 0
    for value in values:
        if value is not None:
            try:
                total = total + value
            except OverflowError:  # durations past 999,999,999 days: no value, as `add`
                return None
    return total


def agg_min(values: Iterable[Any]) -> Any:
    present_values = [v for v in values if v is not None]
    return min(present_values) if present_values else None


def agg_max(values: Iterable[Any]) -> Any:
    present_values = [v for v in values if v is not None]
    return max(present_values) if present_values else None


def lookup(table: Mapping[Any, Any], key: Any, default: Any) -> Any:
    return table.get(key, default) if key is not None else default


_CELL_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lt, "<=": le, ">": gt, ">=": ge,
    "in": member,
}


def decide(rows: Sequence[tuple[Sequence[tuple[str, Any]], Any]], otherwise: Any,
           args: Sequence[Any]) -> Any:
    """First row of a decision table whose every cell accepts its argument; else `otherwise`."""
    for cells, result in rows:
        for (op, expected), arg in zip(cells, args, strict=True):
            if op != "any" and not _CELL_TESTS[op](arg, expected):
                break
        else:
            return result
    return otherwise


def window(store: WindowStore | None, rule: str, key: Any, now: dt.datetime, value: Any,
           seconds: float, want_sum: bool) -> float:
    """Record this event in the rule's window and return the count (or sum) inside it."""
    if store is None:
        raise LookupError("this ruleset counts over time windows; pass `windows=` to evaluate")
    try:
        amount = 0.0 if value is None else float(value)
    except OverflowError:  # an int past a float's range adds nothing, like a missing value
        amount = 0.0
    count, total = store.observe(rule, "" if key is None else str(key), now, amount,
                                 dt.timedelta(seconds=seconds))
    return total if want_sum else count


def fmt(value: Any, spec: str) -> str:
    """Show a value in a message: money with two decimals and its currency, units spelled out."""
    if value is None:
        return "(missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        if spec.startswith("money:"):
            return f"{value:.2f} {spec[6:]}"
        if spec == "mass":
            return f"{value:g} kg"
        if spec == "length":
            return f"{value:g} km"
    except OverflowError:  # an int past a float's range is no usable number: as arithmetic
        return "(missing)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_text(value)
    return str(value)


# Units a duration is shown in, largest first, as the language writes them (`3 days`).
_DURATION_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_text(value: dt.timedelta) -> str:
    """A duration as a rule would write it: `1 day`, `36 hours`, `90 minutes`, `2.5 days`.

    The largest unit above seconds it is a whole number of, else the largest unit it is at
    least one of, with as many digits as other numbers in messages get (`{value:g}`)."""
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    for name, seconds in _DURATION_UNITS[:-1]:
        if micros and micros % (seconds * 1_000_000) == 0:
            return _count(micros // (seconds * 1_000_000), name)
    for name, seconds in _DURATION_UNITS:
        if abs(micros) >= seconds * 1_000_000:
            return _count(micros / (seconds * 1_000_000), name)
    return _count(micros / 1_000_000, "second")


def _count(number: float, unit: str) -> str:
    text = str(number) if isinstance(number, int) else f"{number:g}"
    return f"{text} {unit}" + ("" if text in ("1", "-1") else "s")


def format_spec(kind: str, unit: str) -> str:
    """The `fmt` spec for a type, decided once at compile time."""
    if kind == "money":
        return f"money:{unit}"
    if kind == "quantity":
        return unit
    return "plain"


def fold(operations: Sequence[Callable[[Any, Any], Any]], operands: Sequence[Any]) -> Any:
    """`a op b op c ...` left to right: the compiled form of a long arithmetic chain."""
    result = operands[0]
    for index, operation in enumerate(operations, start=1):
        result = operation(result, operands[index])
    return result


# The only names compiled rules can call. Keep it to pure functions of their arguments.
BUILTINS: dict[str, Callable[..., Any]] = {
    "_lt": lt, "_le": le, "_gt": gt, "_ge": ge, "_add": add, "_sub": sub, "_mul": mul,
    "_div": div, "_mod": mod, "_neg": neg, "_member": member, "_contains": contains,
    "_starts": starts_with, "_ends": ends_with, "_matches": matches, "_present": present,
    "_items": items, "_item_at": item_at, "_distance": distance, "_date": date_of,
    "_days": days, "_hours": hours, "_lower": lower, "_upper": upper, "_length": length,
    "_abs": absolute, "_round": round_half_up, "_sum": agg_sum, "_min": agg_min,
    "_max": agg_max, "_lookup": lookup, "_decide": decide, "_window": window, "_fmt": fmt,
    "_any": any, "_all": all, "_count": sum, "_fold": fold,
}

FUNCTION_IMPLS: dict[str, Callable[..., Any]] = {
    "distance": distance, "date": date_of, "days": days, "hours": hours, "lower": lower,
    "upper": upper, "length": length, "abs": absolute, "round": round_half_up,
}
