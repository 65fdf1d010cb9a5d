"""A chain of one operator (`a or b or ...`, `a + b - ...`) is one level of nesting, however long.

Regression tests for "a flat condition of 47 alternatives is refused as nested more than 48 levels
deep": the parser folds a chain into a left-leaning tree, one node per operator, and the depth
limit counted every node. Now every stage loops along a chain instead of recursing, so a chain
of 5,000 terms checks, formats, compiles and evaluates, alike on both runners, while real nesting
is still refused with E108.
"""

from __future__ import annotations

import ast as python_ast
import datetime as dt
from typing import Any

import pytest

import dsl
from dsl.formatter import format_source
from dsl.ruleset import Ruleset, analyze
from tests.unit.dsl.dsl_sample_schema import order, sample_schema

SCHEMA = sample_schema()
NOW = dt.datetime(2025, 3, 1, 12, 0)
LONG = 5000


def _ruleset(*conditions: str, policy: str = "all", head: str = "") -> str:
    rules = "".join(
        f'rule "Chain {index}" when {condition}\n  then hold code "C{index}" message "held"\n'
        for index, condition in enumerate(conditions)
    )
    return f"validation ruleset chains on order.received policy {policy}\n{head}{rules}"


def _states(count: int, op: str = "or", compare: str = "==") -> str:
    return f" {op} ".join(f'order.ship_to.state {compare} "S{i}"' for i in range(count))


def _shipping_to(state: str) -> dict[str, Any]:
    facts = order()
    facts["ship_to"]["state"] = state
    return facts


def _matched_alike(source: str, *orders: dict[str, Any]) -> list[list[str]]:
    """Rules matched per order by a source that checks cleanly; both runners must give the same
    matches and the same trace."""
    program, diagnostics = analyze(source, SCHEMA)  # what dsl.check and dsl.compile run
    assert program is not None and diagnostics == []
    compiled = Ruleset(program, "compiled", [])
    interpreted = Ruleset(program, "interpreted", [])
    matched = []
    for facts in orders:
        first = compiled.evaluate({"order": facts}, now=NOW)
        second = interpreted.evaluate({"order": facts}, now=NOW)
        assert [m.to_dict() for m in first.matches] == [m.to_dict() for m in second.matches]
        assert first.trace.to_dict() == second.trace.to_dict()
        matched.append([m.rule for m in first.matches])
    return matched


@pytest.mark.parametrize(("op", "compare"), [("or", "=="), ("and", "!=")])
def test_a_condition_of_47_tests_is_not_refused_as_nested_too_deeply(op: str, compare: str) -> None:
    assert dsl.check(_ruleset(_states(47, op, compare)), SCHEMA) == []


def _alternating(levels: int) -> str:
    condition = "true"
    for level in range(levels):
        condition = f"({condition}) {'or' if level % 2 else 'and'} true"
    return condition


NESTED = {
    "groups on the right": "true or (" * 60 + "true" + ")" * 60,
    "not after not": "not " * 60 + "true",
    "and and or alternating in groups": _alternating(60),
    "calls within calls": "length(" * 60 + '"x"' + ")" * 60 + " > 0",
}


@pytest.mark.parametrize("condition", NESTED.values(), ids=NESTED.keys())
def test_real_nesting_is_still_refused_as_nested_too_deeply(condition: str) -> None:
    found = dsl.check(_ruleset(condition), SCHEMA)
    assert [d.code for d in found] == ["E108"]
    assert found[0].message == "this declaration is nested more than 48 levels deep"


def test_5000_alternatives_match_alike_on_both_runners() -> None:
    source = _ruleset(_states(LONG))
    orders = [_shipping_to("S0"), _shipping_to(f"S{LONG - 1}"), _shipping_to("CA")]
    assert _matched_alike(source, *orders) == [["Chain 0"], ["Chain 0"], []]


def test_5000_conditions_joined_by_and_match_alike_on_both_runners() -> None:
    source = _ruleset(_states(LONG, "and", "!="))
    orders = [_shipping_to("CA"), _shipping_to("S2500")]
    assert _matched_alike(source, *orders) == [["Chain 0"], []]


SUMS = {
    "whole numbers": "order.priority" + " + 2 - 1" * (LONG // 2) + f" == {3 + LONG // 2}",
    "a value that may be missing": "order.ship_to.lat" + " + 1 - 1" * (LONG // 2) + " > 37",
    "money": "order.total" + " - 1 USD" * LONG + f" == {10 - LONG} USD",
    "products and quotients": "order.priority" + " * 2 / 2" * (LONG // 2) + " == 3",
    "text": "order.channel" + ' + "!"' * LONG + f' == "web{"!" * LONG}"',
    "short inline chains within": "order.priority"
    + " + (order.priority * 2 * 1)" * LONG
    + f" == {3 + 6 * LONG}",
}


@pytest.mark.parametrize("condition", SUMS.values(), ids=SUMS.keys())
def test_a_chain_of_5000_terms_computes_alike_on_both_runners(condition: str) -> None:
    source = _ruleset(condition)
    missing = order(priority=3)
    missing["ship_to"]["lat"] = None
    matched = _matched_alike(source, order(priority=3), missing)
    assert matched[0] == ["Chain 0"]
    assert matched[1] == ([] if "lat" in condition else ["Chain 0"])


def test_the_compiled_runner_keeps_short_sums_inline_and_folds_long_ones() -> None:
    short = dsl.compile(_ruleset("order.priority + 1 - 2 > 0"), SCHEMA)
    long = dsl.compile(_ruleset("order.priority" + " + 1" * LONG + " > 0"), SCHEMA)
    assert "(p0 + 1 - 2)" in short.source
    assert "_fold(" not in short.source
    assert "_fold(" in long.source


def test_the_compiled_runner_writes_5000_alternatives_as_one_flat_python_or() -> None:
    source = dsl.compile(_ruleset(_states(LONG)), SCHEMA).source
    tests = [
        n for n in python_ast.walk(python_ast.parse(source)) if isinstance(n, python_ast.BoolOp)
    ]
    assert max(len(n.values) for n in tests) == LONG


def test_formatting_5000_alternatives_puts_one_on_each_line_and_is_stable() -> None:
    once = format_source(_ruleset(_states(LONG)))
    assert format_source(once) == once
    assert once.count("\n   or order.ship_to.state == ") == LONG - 1
    assert dsl.check(once, SCHEMA) == []


def test_formatting_a_chain_keeps_only_the_parentheses_that_change_its_meaning() -> None:
    source = _ruleset("((order.priority + 1) + 2) * 3 - (4 - 5) > 0 and ((true or false) or true)")
    assert "when (order.priority + 1 + 2) * 3 - (4 - 5) > 0 and (true or false or true)\n" in (
        format_source(source)
    )


def test_a_constant_may_be_a_chain_of_5000_terms() -> None:
    source = _ruleset("order.priority < many", head="const many = 1" + " + 1" * LONG + "\n")
    assert _matched_alike(source, order(priority=LONG), order(priority=LONG + 1)) == [
        ["Chain 0"],
        [],
    ]


def test_warnings_about_rules_see_through_chains_of_5000_tests() -> None:
    impossible = (
        "order.total > 500 USD and " + _states(LONG, "and", "!=") + " and order.total < 100 USD"
    )
    source = _ruleset(_states(LONG), _states(LONG), impossible, policy="first")
    found = [(d.code, d.line) for d in dsl.check(source, SCHEMA)]
    assert found == [("W606", 4), ("W602", 6)]
