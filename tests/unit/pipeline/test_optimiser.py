"""The sourcing optimiser: greedy and exact minimise the same cost within the split limit."""

from __future__ import annotations

import pytest

from engine.pipeline.optimiser import (
    LineDemand,
    Plan,
    Problem,
    best_of_two,
    exact,
    greedy,
    plan_cost,
    solve,
)


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


def _random_problem(seed: int, lines: int, locations: int, max_shipments: int) -> Problem:
    """A problem of distinct SKUs where most locations hold part of a few lines, so plans
    leave units unfilled and pairs compete (the case `auto` hands on from greedy)."""
    import random

    rng = random.Random(seed)
    demand = tuple(LineDemand(f"l{n}", f"S{n}", rng.randint(1, 4)) for n in range(lines))
    codes = [f"L{n:02d}" for n in range(locations)]
    stock: dict[tuple[str, str], int] = {}
    unit: dict[tuple[str, str], float] = {}
    for line in demand:
        for loc in rng.sample(codes, rng.randint(1, max(1, locations // 2))):
            stock[(line.sku, loc)] = rng.randint(1, 4)
            unit[(line.line_id, loc)] = round(rng.uniform(-2.0, 6.0), 3)
    fixed = {loc: round(rng.uniform(5.0, 40.0), 3) for loc in codes}
    return Problem(demand, stock, fixed, unit, max_shipments)


def _cheapest_by_brute_force(problem: Problem) -> float:
    """Every set of at most `max_shipments` locations, every split of every line over it."""
    from itertools import combinations, product

    locs = sorted(problem.fixed_cost)
    # Per line only the variable cost decides; the set's fixed costs are priced at the end
    # (a location a line's best split leaves unused is also tried as a smaller set).
    no_fixed = dict.fromkeys(locs, 0.0)
    best = plan_cost(problem, {})[0]
    for size in range(1, problem.max_shipments + 1):
        for chosen in combinations(locs, size):
            allocations: dict[str, dict[str, int]] = {}
            for line in problem.lines:
                usable = [loc for loc in chosen if (line.line_id, loc) in problem.unit_cost]
                ranges = [range(min(line.quantity, problem.stock.get((line.sku, loc), 0)) + 1)
                          for loc in usable]  # fmt: skip
                options = [
                    dict(zip(usable, split, strict=True))
                    for split in product(*ranges)
                    if sum(split) <= line.quantity
                ]
                allocations[line.line_id] = min(
                    options,
                    key=lambda given, line=line: plan_cost(
                        Problem((line,), problem.stock, no_fixed, problem.unit_cost, 2),
                        {line.line_id: {loc: q for loc, q in given.items() if q}},
                    )[0],
                )
            best = min(best, plan_cost(problem, allocations)[0])
    return best


@pytest.mark.parametrize("max_shipments", [1, 2])
def test_pricing_every_pair_finds_the_cheapest_plan_and_never_a_dearer_one_than_the_mip(
    max_shipments: int,
) -> None:
    for seed in range(60):
        problem = _random_problem(seed, lines=2 + seed % 5, locations=4 + seed % 6,
                                  max_shipments=max_shipments)  # fmt: skip
        paired = best_of_two(problem)
        assert paired.cost == pytest.approx(_cheapest_by_brute_force(problem), abs=1e-6), seed
        # The MIP stops within its relative gap, which the unfilled penalty makes wide.
        assert paired.cost <= exact(problem).cost + 1e-6, seed
        assert len(paired.locations) <= max_shipments
        assert paired.cost == plan_cost(problem, paired.allocations)[0]
        for line in problem.lines:
            given = paired.allocations.get(line.line_id, {})
            assert sum(given.values()) + paired.unfilled[line.line_id] == line.quantity
            for loc, qty in given.items():
                assert qty <= problem.stock[(line.sku, loc)]


def test_a_pair_fills_a_line_from_its_cheaper_location_first_and_tops_up_from_the_other() -> None:
    problem = Problem(
        lines=(LineDemand("1", "A", 5), LineDemand("2", "B", 2)),
        stock={("A", "X"): 3, ("A", "Y"): 4, ("B", "Y"): 2},
        fixed_cost={"X": 1.0, "Y": 1.0},
        unit_cost={("1", "X"): 1.0, ("1", "Y"): 2.0, ("2", "Y"): 1.0},
        max_shipments=2,
    )
    plan = best_of_two(problem)
    assert plan.allocations == {"1": {"X": 3, "Y": 2}, "2": {"Y": 2}}
    assert plan.cost == pytest.approx(1 + 1 + 3 + 4 + 2)


def test_auto_prices_every_pair_instead_of_running_the_mip_when_at_most_two_may_ship(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine.pipeline import optimiser

    def no_mip(problem: Problem, *args: object, **kwargs: object) -> Plan:
        raise AssertionError("the MIP ran")

    problem = _problem(max_shipments=2)
    expected = exact(problem)
    monkeypatch.setattr(optimiser, "exact", no_mip)
    for seed in range(40):
        random_problem = _random_problem(seed, lines=8, locations=10, max_shipments=2)
        assert solve(random_problem, "auto").cost <= greedy(random_problem).cost
    plan = solve(problem, "auto")
    assert (plan.allocations, plan.cost) == (expected.allocations, expected.cost)


def test_auto_still_runs_the_mip_for_three_shipments_or_lines_sharing_a_sku(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine.pipeline import optimiser

    ran: list[int] = []
    real = optimiser.exact

    def counted(problem: Problem, *args: object, **kwargs: object) -> Plan:
        ran.append(problem.max_shipments)
        return real(problem)

    monkeypatch.setattr(optimiser, "exact", counted)
    three = [_random_problem(seed, lines=8, locations=10, max_shipments=3) for seed in range(20)]
    for problem in three:
        solve(problem, "auto")
    assert ran and set(ran) == {3}
    with pytest.raises(ValueError, match="split limit of at most two and distinct SKUs"):
        best_of_two(three[0])


def test_pricing_pairs_does_not_depend_on_the_order_the_candidates_come_in() -> None:
    problem = _random_problem(11, lines=9, locations=12, max_shipments=2)
    shuffled = Problem(
        problem.lines,
        dict(reversed(list(problem.stock.items()))),
        dict(reversed(list(problem.fixed_cost.items()))),
        dict(reversed(list(problem.unit_cost.items()))),
        2,
    )
    first, second = best_of_two(problem), best_of_two(shuffled)
    assert (first.allocations, first.cost) == (second.allocations, second.cost)


@pytest.mark.parametrize("max_shipments", [1, 2, 3])
def test_greedy_skips_building_a_single_location_plan_only_when_it_is_surely_dearer(
    max_shipments: int,
) -> None:
    # Greedy prices every single-location plan and builds only one that may beat its own:
    # the priced cost is the built plan's cost (the same terms, summed in another order).
    from engine.pipeline.optimiser import _best_single, _entries, _finish, _take

    for seed in range(60):
        problem = _random_problem(seed, lines=4, locations=6, max_shipments=max_shipments)
        entries = _entries(problem)
        full = {line.line_id: line.quantity for line in problem.lines}
        for loc, loc_entries in entries.items():
            taken: dict[str, dict[str, int]] = {line.line_id: {} for line in problem.lines}
            _take(loc_entries, loc, dict(full), dict(problem.stock), taken)
            built = _finish(problem, taken, "greedy")
            units = sum(full.values()) - sum(built.unfilled.values())
            variable = sum(
                problem.unit_cost[(line_id, loc)] * qty
                for line_id, given in built.allocations.items()
                for qty in given.values()
            )
            priced = problem.fixed_cost[loc] + variable + 10_000.0 * (sum(full.values()) - units)
            if units:
                assert priced == pytest.approx(built.cost, abs=1e-6), (seed, loc)
        plan = greedy(problem)
        unbounded = _best_single(problem, entries)
        if unbounded is not None and unbounded.cost < plan.cost:
            assert plan == unbounded, seed
