"""The sourcing optimiser: greedy and exact minimise the same cost within the split limit."""

from __future__ import annotations

import pytest

from engine.pipeline.optimiser import LineDemand, Problem, exact, greedy, plan_cost, solve


def _problem(max_shipments: int = 3) -> Problem:
    # Line 1 (5 A) and line 2 (3 B). X has all of A but 1 B; Y has everything but is
    # expensive; Z has B only and is cheap.
    return Problem(
        lines=(LineDemand("1", "A", 5), LineDemand("2", "B", 3)),
        stock={("A", "X"): 5, ("B", "X"): 1, ("A", "Y"): 5, ("B", "Y"): 3, ("B", "Z"): 3},
        fixed_cost={"X": 10.0, "Y": 30.0, "Z": 5.0},
        unit_cost={("1", "X"): 1, ("2", "X"): 1, ("1", "Y"): 1, ("2", "Y"): 1, ("2", "Z"): 0.5},
        max_shipments=max_shipments,
    )


def test_greedy_splits_when_two_cheap_locations_beat_one_dear_one() -> None:
    plan = greedy(_problem())
    assert plan.allocations == {"1": {"X": 5}, "2": {"Z": 3}}
    assert plan.cost == pytest.approx(10 + 5 + 5 + 1.5)


def test_a_split_limit_of_one_ships_everything_from_the_one_complete_location() -> None:
    for method in ("greedy", "exact", "auto"):
        plan = solve(_problem(max_shipments=1), method)
        assert plan.allocations == {"1": {"Y": 5}, "2": {"Y": 3}}, method


def test_exact_finds_a_cheaper_plan_than_greedy_where_greedy_is_myopic() -> None:
    # Greedy opens the cheapest-per-unit location first (M covers A and B cheaply but not C),
    # then needs two more; the exact solver sees that P and Q together cover all three.
    problem = Problem(
        lines=(LineDemand("a", "A", 1), LineDemand("b", "B", 1), LineDemand("c", "C", 2)),
        stock={
            ("A", "M"): 1,
            ("B", "M"): 1,
            ("A", "P"): 1,
            ("C", "P"): 1,
            ("B", "Q"): 1,
            ("C", "Q"): 1,
        },
        fixed_cost={"M": 10.0, "P": 11.0, "Q": 11.0},
        unit_cost={
            ("a", "M"): 0,
            ("b", "M"): 0,
            ("a", "P"): 0,
            ("c", "P"): 0,
            ("b", "Q"): 0,
            ("c", "Q"): 0,
        },
        max_shipments=3,
    )
    fast, best = greedy(problem), exact(problem)
    assert sum(fast.unfilled.values()) == 0 and sum(best.unfilled.values()) == 0
    assert best.cost == 22.0 < fast.cost
    assert solve(problem, "auto").cost == 22.0


def test_units_no_location_has_are_reported_unfilled() -> None:
    problem = Problem(
        lines=(LineDemand("1", "A", 10),),
        stock={("A", "X"): 4},
        fixed_cost={"X": 1.0},
        unit_cost={("1", "X"): 0.0},
        max_shipments=2,
    )
    for method in ("greedy", "exact"):
        plan = solve(problem, method)
        assert plan.allocations == {"1": {"X": 4}}
        assert plan.unfilled == {"1": 6}


def test_two_lines_of_one_sku_never_take_more_than_the_location_holds() -> None:
    problem = Problem(
        lines=(LineDemand("1", "A", 3), LineDemand("2", "A", 3)),
        stock={("A", "X"): 4, ("A", "Y"): 10},
        fixed_cost={"X": 1.0, "Y": 2.0},
        unit_cost={("1", "X"): 0, ("2", "X"): 0, ("1", "Y"): 0, ("2", "Y"): 0},
        max_shipments=2,
    )
    for method in ("greedy", "exact"):
        plan = solve(problem, method)
        from_x = sum(per.get("X", 0) for per in plan.allocations.values())
        assert from_x <= 4
        assert plan_cost(problem, plan.allocations)[1] == {"1": 0, "2": 0}


def test_an_unknown_method_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown optimiser 'magic'"):
        solve(_problem(), "magic")
