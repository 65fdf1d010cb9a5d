"""Assign order lines to locations at least cost: a greedy heuristic and an exact MIP.

The cost of a plan is the sum, over the locations it ships from, of a fixed cost (the split
penalty, the distance to the customer and the base of the shipping estimate) plus, per unit,
a variable cost (its weight times the estimated rate per kg, less the rule scores of that
location for that line), plus a large penalty for every unit left unfilled. Both solvers
minimise that same function within the split limit and the stock of every (SKU, location),
so their answers are directly comparable and `auto` can keep the cheaper one. For the usual
split limit of two, `best_of_two` finds the cheapest plan by pricing every location and pair.

Everything here is deterministic: ties are broken by location code, then line order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

# A unit left unfilled costs more than any plausible shipment, so filling always wins.
UNFILLED_PENALTY = 10_000.0
METHODS = ("greedy", "exact", "auto")


# Not frozen (but hashed by value, as before): a frozen dataclass sets each field through
# `object.__setattr__`, and every order builds these. Treat it as read-only.
@dataclass(slots=True, unsafe_hash=True)
class LineDemand:
    line_id: str
    sku: str
    quantity: int


# Not frozen, for the same reason as `LineDemand`; treat it as read-only.
@dataclass(slots=True)
class Problem:
    """Lines, the stock each location may give each SKU, and the two parts of the cost.

    `stock[(sku, location)]` is shared by every line of that SKU; `unit_cost[(line_id,
    location)]` exists only for the candidate pairs (a missing pair is not allowed).
    """

    lines: tuple[LineDemand, ...]
    stock: Mapping[tuple[str, str], int]
    fixed_cost: Mapping[str, float]
    unit_cost: Mapping[tuple[str, str], float]
    max_shipments: int
    # Per location, in code order, each candidate pair's line and unit cost (what `_entries`
    # groups `unit_cost` into), when the caller built them alongside; else worked out here.
    entries: Entries | None = field(default=None, compare=False, repr=False)

    def candidates(self, line: LineDemand) -> list[str]:
        return sorted(
            loc
            for (line_id, loc) in self.unit_cost
            if line_id == line.line_id and self.stock.get((line.sku, loc), 0) > 0
        )


@dataclass(slots=True)
class Plan:
    """Units of each line per location, what stayed unfilled, and what it costs."""

    allocations: dict[str, dict[str, int]] = field(default_factory=dict)
    unfilled: dict[str, int] = field(default_factory=dict)
    cost: float = 0.0
    method: str = "greedy"

    @property
    def locations(self) -> list[str]:
        return sorted({loc for per_line in self.allocations.values() for loc in per_line})


def plan_cost(
    problem: Problem, allocations: Mapping[str, Mapping[str, int]]
) -> tuple[float, dict[str, int]]:
    used = {loc for per_line in allocations.values() for loc, qty in per_line.items() if qty > 0}
    # In code order: a set's order follows string hashing, which differs between processes,
    # and float sums in another order may differ in the last bit.
    cost = sum(problem.fixed_cost[loc] for loc in sorted(used))
    unfilled = {}
    for line in problem.lines:
        given = allocations.get(line.line_id, {})
        cost += sum(problem.unit_cost[(line.line_id, loc)] * qty for loc, qty in given.items())
        missing = line.quantity - sum(given.values())
        unfilled[line.line_id] = missing
        cost += UNFILLED_PENALTY * missing
    return round(cost, 6), unfilled


def _finish(problem: Problem, allocations: dict[str, dict[str, int]], method: str) -> Plan:
    clean = {}
    for line in problem.lines:
        given = allocations.get(line.line_id, {})
        kept = {loc: given[loc] for loc in sorted(given) if given[loc] > 0}
        if kept:
            clean[line.line_id] = kept
    cost, unfilled = plan_cost(problem, clean)
    return Plan(clean, unfilled, cost, method)


Entries = dict[str, list[tuple[LineDemand, float]]]


def _entries(problem: Problem) -> Entries:
    """Per location, in code order: the lines it is a candidate for, with their unit cost."""
    by_id = {line.line_id: line for line in problem.lines}
    by_loc: Entries = defaultdict(list)
    for (line_id, loc), unit in problem.unit_cost.items():
        by_loc[loc].append((by_id[line_id], unit))
    return {loc: by_loc[loc] for loc in sorted(by_loc)}


def _coverage(
    entries: list[tuple[LineDemand, float]],
    loc: str,
    remaining: Mapping[str, int],
    left: Mapping[tuple[str, str], int],
) -> tuple[int, float]:
    """Units a location could add now, and their variable cost (without taking them)."""
    units, cost = 0, 0.0
    used: dict[str, int] = {}
    for line, unit in entries:
        wanted = remaining[line.line_id]
        if wanted <= 0:
            continue
        take = min(wanted, left.get((line.sku, loc), 0) - used.get(line.sku, 0))
        if take > 0:
            used[line.sku] = used.get(line.sku, 0) + take
            units += take
            cost += unit * take
    return units, cost


def _take(
    entries: list[tuple[LineDemand, float]],
    loc: str,
    remaining: dict[str, int],
    left: dict[tuple[str, str], int],
    allocations: dict[str, dict[str, int]],
) -> None:
    for line, _ in sorted(entries, key=lambda e: e[1]):
        take = min(remaining[line.line_id], left.get((line.sku, loc), 0))
        if take > 0:
            allocations[line.line_id][loc] = allocations[line.line_id].get(loc, 0) + take
            left[(line.sku, loc)] -= take
            remaining[line.line_id] -= take


def greedy(problem: Problem) -> Plan:
    """Open locations one at a time by cost per unit covered; the last allowed one by total.

    Each opened location gives every line what it can; a plan from one location alone is
    also priced, and kept when cheaper (a split may lose to a single shipment)."""
    entries = problem.entries if problem.entries is not None else _entries(problem)
    remaining = {line.line_id: line.quantity for line in problem.lines}
    left = dict(problem.stock)
    allocations: dict[str, dict[str, int]] = defaultdict(dict)
    opened: set[str] = set()
    skus = {line.sku for line in problem.lines}
    distinct = len(skus) == len(problem.lines)
    fixed = problem.fixed_cost
    # The first round prices every location against the whole order and untouched stock:
    # exactly what `_best_single` needs, so it is kept rather than computed twice.
    first: dict[str, tuple[int, float]] | None = None
    while len(opened) < problem.max_shipments:
        outstanding = sum(remaining.values())
        if outstanding <= 0:
            break
        last = len(opened) + 1 == problem.max_shipments
        best: tuple[float, int, str] | None = None
        priced: dict[str, tuple[int, float]] | None = {} if first is None else None
        for loc, loc_entries in entries.items():
            if loc in opened:
                continue
            if distinct:
                # `_coverage` when no two lines share a SKU (the usual order): nothing to net
                # off, and written out because it runs for every location in every round.
                units, variable = 0, 0.0
                for line, unit in loc_entries:
                    wanted = remaining[line.line_id]
                    if wanted <= 0:
                        continue
                    have = left.get((line.sku, loc), 0)
                    take = have if have < wanted else wanted
                    if take > 0:
                        units += take
                        variable += unit * take
            else:
                units, variable = _coverage(loc_entries, loc, remaining, left)
            if priced is not None:
                priced[loc] = (units, variable)
            if units == 0:
                continue
            total = fixed[loc] + variable
            # The last shipment must also weigh what it leaves behind; earlier ones are
            # compared per unit so a cheap partial source can be combined with others.
            key = total + UNFILLED_PENALTY * (outstanding - units) if last else total / units
            if best is None or (key, -units, loc) < best:
                best = (key, -units, loc)
        if first is None:
            first = priced
        if best is None:
            break
        opened.add(best[2])
        _take(entries[best[2]], best[2], remaining, left, allocations)
    plan = _finish(problem, allocations, "greedy")
    # With distinct SKUs a single location's priced cost is the cost of the plan it would
    # build, summed in another order: one clearly dearer than greedy's is not built at all.
    beat = plan.cost if distinct else None
    if len(opened) == 1:
        # Greedy opened one location with the whole order and untouched stock: the plan
        # `_best_single` would build from that location is this one, so only another
        # location's single plan can be cheaper.
        single = _best_single(problem, entries, first, unless=next(iter(opened)), beat=beat)
    else:
        single = _best_single(problem, entries, first, beat=beat)
    return single if single is not None and single.cost < plan.cost else plan


# How far a priced cost may sit above a plan's cost and still be built and compared exactly:
# the two are the same terms summed in different orders, so they differ by rounding alone
# (far below a cent), and a margin of a whole unit of cost leaves no doubt.
_PRICED_MARGIN = 1.0


def _best_single(
    problem: Problem,
    entries: Entries,
    priced: Mapping[str, tuple[int, float]] | None = None,
    unless: str | None = None,
    beat: float | None = None,
) -> Plan | None:
    """The cheapest plan shipping all it can from one location (`priced`: each location's
    coverage of the whole order from untouched stock, when already known), or None when
    there is none, the cheapest is from location `unless`, or it surely costs more than
    `beat` (pass it only when no two lines share a SKU: then the priced cost is the plan's)."""
    full = {line.line_id: line.quantity for line in problem.lines}
    outstanding = sum(full.values())
    best: tuple[float, str] | None = None
    for loc, loc_entries in entries.items():
        if priced is not None:
            units, variable = priced[loc]
        else:
            units, variable = _coverage(loc_entries, loc, full, problem.stock)
        if units == 0:
            continue
        cost = problem.fixed_cost[loc] + variable + UNFILLED_PENALTY * (outstanding - units)
        if best is None or (cost, loc) < best:
            best = (cost, loc)
    if best is None or best[1] == unless:
        return None
    if beat is not None and best[0] > beat + _PRICED_MARGIN:
        return None
    allocations: dict[str, dict[str, int]] = defaultdict(dict)
    _take(entries[best[1]], best[1], dict(full), dict(problem.stock), allocations)
    return _finish(problem, allocations, "greedy")


# The exact solver's work is bounded by branch-and-bound nodes, not seconds: a wall-clock
# limit made the chosen plan depend on how busy the machine was, so the same order replayed
# twice could be decided differently. The time limit is only a safety net far above any
# node-limited solve of a model `solve` lets through.
EXACT_NODE_LIMIT = 2000
EXACT_SAFETY_SECONDS = 10.0


def exact(
    problem: Problem,
    node_limit: int = EXACT_NODE_LIMIT,
    time_limit_s: float = EXACT_SAFETY_SECONDS,
) -> Plan:
    """Solve the assignment as a mixed-integer programme with HiGHS.

    Columns: one binary per location (used or not), one integer per candidate (line,
    location) pair, one continuous shortfall per line. Rows: each line's units are assigned
    or short; a pair takes nothing from an unused location; lines of one SKU share its stock
    at a location; at most `max_shipments` locations are used. Built with the array API:
    the expression API costs more than the solve at this size."""
    import highspy
    import numpy as np

    locs = sorted({loc for (_, loc) in problem.unit_cost})
    loc_index = {loc: i for i, loc in enumerate(locs)}
    pairs = [(line, loc) for line in problem.lines for loc in problem.candidates(line)]
    n_loc, n_pair, n_line = len(locs), len(pairs), len(problem.lines)
    costs = [problem.fixed_cost[loc] for loc in locs]
    costs += [problem.unit_cost[(line.line_id, loc)] for line, loc in pairs]
    costs += [UNFILLED_PENALTY] * n_line
    upper = [1.0] * n_loc
    upper += [float(min(line.quantity, problem.stock[(line.sku, loc)])) for line, loc in pairs]
    upper += [float(line.quantity) for line in problem.lines]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_max_nodes", node_limit)
    h.setOptionValue("time_limit", time_limit_s)
    # One thread: the decision runs inside a request; HiGHS's pool only adds contention.
    h.setOptionValue("threads", 1)
    n_cols = n_loc + n_pair + n_line
    h.addCols(
        n_cols,
        np.array(costs),
        np.zeros(n_cols),
        np.array(upper),
        0,
        np.array([], dtype=np.int32),
        np.array([], dtype=np.int32),
        np.array([]),
    )
    integer = highspy.HighsVarType.kInteger
    h.changeColsIntegrality(
        n_loc + n_pair,
        np.arange(n_loc + n_pair, dtype=np.int32),
        np.array([integer] * (n_loc + n_pair)),
    )
    rows: list[tuple[float, float, list[int], list[float]]] = []
    line_index = {line.line_id: i for i, line in enumerate(problem.lines)}
    per_line: dict[int, list[int]] = defaultdict(list)
    shared: dict[tuple[str, str], list[int]] = defaultdict(list)
    for p, (line, loc) in enumerate(pairs):
        col = n_loc + p
        per_line[line_index[line.line_id]].append(col)
        shared[(line.sku, loc)].append(col)
        rows.append((-highspy.kHighsInf, 0.0, [col, loc_index[loc]], [1.0, -upper[col]]))
    for i, line in enumerate(problem.lines):
        cols = [*per_line[i], n_loc + n_pair + i]
        rows.append((line.quantity, line.quantity, cols, [1.0] * len(cols)))
    for key, cols in shared.items():
        if len(cols) > 1:
            rows.append((-highspy.kHighsInf, problem.stock[key], cols, [1.0] * len(cols)))
    if n_loc:
        rows.append((-highspy.kHighsInf, problem.max_shipments, list(range(n_loc)), [1.0] * n_loc))
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for _, _, cols, coefs in rows:
        starts.append(len(index))
        index += cols
        value += coefs
    h.addRows(
        len(rows),
        np.array([r[0] for r in rows], dtype=float),
        np.array([r[1] for r in rows], dtype=float),
        len(index),
        np.array(starts, dtype=np.int32),
        np.array(index, dtype=np.int32),
        np.array(value, dtype=float),
    )
    h.run()
    if h.getInfo().primal_solution_status != int(highspy.SolutionStatus.kSolutionStatusFeasible):
        # No feasible point within the limits (it cannot happen for a sane model, since
        # leaving every unit short is feasible): fall back to the greedy plan.
        return greedy(problem)
    solution = h.getSolution().col_value
    allocations: dict[str, dict[str, int]] = defaultdict(dict)
    for p, (line, loc) in enumerate(pairs):
        qty = round(solution[n_loc + p])
        if qty > 0:
            allocations[line.line_id][loc] = qty
    return _finish(problem, allocations, "exact")


def _per_line(
    line: LineDemand, unit: float, stock: Mapping[tuple[str, str], int], loc: str
) -> tuple[int, float]:
    """Units a location alone gives a line, and what they change in the plan's cost: each
    unit it fills costs its unit cost instead of the unfilled penalty."""
    take = min(line.quantity, stock.get((line.sku, loc), 0)) if unit < UNFILLED_PENALTY else 0
    return take, (unit - UNFILLED_PENALTY) * take


def best_of_two(problem: Problem) -> Plan:
    """The least-cost plan from at most two locations, by trying every single location and
    every pair: exact, like `exact`, for a split limit of two when no two lines share a SKU.

    Given its locations, each line is independent: it fills all it can (a unit filled always
    costs less than the unfilled penalty), the cheaper location first. So a pair's cost is
    the two single-location costs, corrected for the lines both could serve. Work grows with
    locations × candidate pairs, where the MIP's grew with its branch and bound (a 20-line
    order at 50 locations cost the MIP 0.1-1.3 s of CPU)."""
    if problem.max_shipments > 2 or len({line.sku for line in problem.lines}) < len(problem.lines):
        raise ValueError("best_of_two needs a split limit of at most two and distinct SKUs")
    stock = problem.stock
    # Per location, in code order: per line it can serve, (units, change in cost, unit cost).
    serves: dict[str, dict[str, tuple[int, float, float]]] = defaultdict(dict)
    by_id = {line.line_id: line for line in problem.lines}
    for (line_id, loc), unit in problem.unit_cost.items():
        take, delta = _per_line(by_id[line_id], unit, stock, loc)
        if take > 0:
            serves[loc][line_id] = (take, delta, unit)
    locs = sorted(serves)
    # Costs below leave out what every plan shares: the penalty of leaving everything unfilled.
    alone = {loc: sum(serves[loc][line_id][1] for line_id in sorted(serves[loc])) for loc in locs}
    best: tuple[float, tuple[str, ...]] | None = None
    for i, a in enumerate(locs):
        single = (problem.fixed_cost[a] + alone[a], (a,))
        if best is None or single < best:
            best = single
        if problem.max_shipments < 2:
            continue
        at_a = serves[a]
        for b in locs[i + 1 :]:
            at_b = serves[b]
            delta = alone[a] + alone[b]
            # Sorted: the float sum must not follow set order (string hashing per process).
            for line_id in sorted(at_a.keys() & at_b.keys()):
                delta += _both(by_id[line_id].quantity, at_a[line_id], at_b[line_id])
            pair = (problem.fixed_cost[a] + problem.fixed_cost[b] + delta, (a, b))
            if pair < best:
                best = pair
    if best is None:
        return _finish(problem, {}, "exact")
    allocations: dict[str, dict[str, int]] = defaultdict(dict)
    chosen = best[1]
    for line in problem.lines:
        offers = sorted(
            (serves[loc][line.line_id][2], loc, serves[loc][line.line_id][0])
            for loc in chosen
            if line.line_id in serves[loc]
        )
        wanted = line.quantity
        for _, loc, take in offers:
            given = min(take, wanted)
            if given > 0:
                allocations[line.line_id][loc] = given
                wanted -= given
    return _finish(problem, allocations, "exact")


def _both(wanted: int, at_a: tuple[int, float, float], at_b: tuple[int, float, float]) -> float:
    """What a line both locations of a pair serve changes in the pair's cost, against the two
    single-location figures already counted: the cheaper (then `a`) fills first, `b` tops up."""
    first, second = (at_b, at_a) if at_b[2] < at_a[2] else (at_a, at_b)
    from_second = min(second[0], wanted - first[0])
    joint = first[1] + (second[2] - UNFILLED_PENALTY) * from_second
    return joint - at_a[1] - at_b[1]


def solve(problem: Problem, method: str = "auto", exact_limit: int = 400) -> Plan:
    """One entry point: `greedy`, `exact`, or `auto` (exact only where it may improve greedy).

    `auto` keeps greedy's plan when it ships from one or two locations and fills every unit
    (a single full shipment cannot be beaten; among pairs greedy is rarely wrong, and a MIP
    costs milliseconds), and otherwise, when the model is small enough (lines × candidates
    within `exact_limit`), looks for the cheapest plan and keeps whichever is cheaper: with a
    split limit of two and no SKU on two lines, by pricing every location and pair
    (`best_of_two`, about 2 ms for 20 lines at 50 locations), else with the MIP (`exact`,
    which at that size cost 0.1-1.3 s of CPU: its root cuts, not its node limit).
    """
    if method not in METHODS:
        raise ValueError(f"unknown optimiser '{method}', expected one of {', '.join(METHODS)}")
    if method == "exact":
        return exact(problem)
    plan = greedy(problem)
    if method == "greedy":
        return plan
    improvable = len(plan.locations) > 2 or (
        len(plan.locations) > 1 and sum(plan.unfilled.values()) > 0
    )
    if improvable and 0 < len(problem.unit_cost) <= exact_limit and problem.max_shipments > 1:
        # Up to two shipments of distinct SKUs, every plan can simply be priced; the MIP is
        # for the rest.
        distinct = len({line.sku for line in problem.lines}) == len(problem.lines)
        better = best_of_two(problem) if problem.max_shipments <= 2 and distinct else exact(problem)
        if better.cost < plan.cost - 1e-6:
            return better
    return plan
