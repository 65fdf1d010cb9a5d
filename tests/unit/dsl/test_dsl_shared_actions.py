"""Actions whose `where` test reads only the candidate are built once and shared; the rest
are built per evaluation, because their answer depends on the facts evaluated."""

from __future__ import annotations

import datetime as dt

import pytest

import dsl
from tests.unit.dsl.dsl_sample_schema import order, sample_schema

NOW = dt.datetime(2025, 3, 1, 12, 0)
SOURCE = """sourcing ruleset shared on order.received policy all

rule "Stores are preferred"
  when true
  then prefer location.type == "store" weight 2

rule "Stores in the customer's state are preferred"
  when true
  then prefer location.state == order.ship_to.state weight 3
"""
STORE_IN_CA = {
    "code": "S1",
    "type": "store",
    "tags": [],
    "postal_code": "94105",
    "state": "CA",
    "lat": 37.7,
    "lon": -122.4,
    "daily_capacity": 10,
    "services": ["ship"],
}
STORE_IN_NY = {**STORE_IN_CA, "code": "S2", "state": "NY"}


@pytest.mark.parametrize("runner", ["compiled", "interpreted"])
def test_a_test_of_the_candidate_alone_is_shared_and_one_reading_the_order_is_not(
    runner: str,
) -> None:
    ruleset = dsl.compile(SOURCE, sample_schema(), runner=runner)
    in_ca = order()
    in_ny = order(ship_to={**in_ca["ship_to"], "state": "NY"})
    first = ruleset.evaluate({"order": in_ca}, now=NOW).matches
    second = ruleset.evaluate({"order": in_ny}, now=NOW).matches
    assert first[0] is second[0]
    assert first[1] is not second[1]
    assert [a.applies(STORE_IN_CA) for a in first[1].actions] == [True]
    assert [a.applies(STORE_IN_CA) for a in second[1].actions] == [False]
    assert [a.applies(STORE_IN_NY) for a in second[1].actions] == [True]
    # The shared one answers from the candidate, whichever order it was built for.
    assert [a.applies(STORE_IN_NY) for a in second[0].actions] == [True]
    test = second[0].actions[0].bound_test()
    assert test is not None and test(STORE_IN_NY)
