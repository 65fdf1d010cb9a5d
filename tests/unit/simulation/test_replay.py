"""Replaying a data set: time order, stock as it was, receipts on their dates, KPIs, determinism."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.simulation.dataset import DatasetWriter
from engine.simulation.errors import SimulationError
from engine.simulation.generate import GeneratorSpec, generate_dataset
from engine.simulation.replay import RunSpec, replay
from tests.unit.simulation.doubles import NearestStockDecider

NYC = {"code": "NYC", "name": "", "type": "warehouse", "postal_code": "10001", "country": "US",
       "lat": 40.75, "lon": -73.99, "daily_capacity": 1, "cutoff": "15:00", "tags": [],
       "services": ["ship"], "enabled": True}  # fmt: skip


def order(
    n: int, at: str, sku: str, quantity: int, requested: str | None = None
) -> dict[str, object]:
    return {
        "id": f"O{n}", "created_at": at, "channel": "web", "customer_id": "C",
        "postal_code": "10001",
        "country": "US", "lat": 40.75, "lon": -73.99, "service_level": "standard",
        "requested_date": requested, "priority": 0, "customer_tier": "standard", "currency": "USD",
        "email": "", "lines": [{"id": "1", "sku": sku, "quantity": quantity, "price": "10.00"}],
    }  # fmt: skip


def tiny_dataset(path: Path, orders: list[dict[str, object]]) -> Path:
    with DatasetWriter(path) as writer:
        writer.write("locations", NYC)
        writer.write(
            "stock", {"sku": "S1", "location_code": "NYC", "on_hand": 3, "safety_stock": 0}
        )
        writer.write(
            "receipts",
            {
                "sku": "S1",
                "location_code": "NYC",
                "quantity": 5,
                "expected_on": "2025-07-03",
                "kind": "purchase_order",
                "reference": "",
            },
        )
        for record in orders:
            writer.write("orders", record)
        writer.commit({"name": path.name})
    return path


def outcomes(run: Path) -> list[dict[str, object]]:
    return [json.loads(text) for text in (run / "orders.jsonl").read_text().splitlines()]


def test_reservations_consume_stock_and_receipts_land_on_their_date(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "ds", [
        order(1, "2025-07-01T09:00:00Z", "S1", 2),
        order(2, "2025-07-01T10:00:00Z", "S1", 2),   # only 1 left: backordered
        order(3, "2025-07-03T08:00:00Z", "S1", 4),   # 1 + 5 received on the 3rd
    ])  # fmt: skip
    result = replay(RunSpec(data, tmp_path / "run", {}), NearestStockDecider())
    assert [o["outcome"] for o in outcomes(result.out)] == ["allocated", "backordered", "allocated"]
    kpis = result.summary["kpis"]
    assert kpis["units_ordered"] == 8
    assert kpis["units_allocated"] == 6
    assert kpis["fill_rate"] == 0.75
    assert kpis["lines_backordered"] == 1


def test_capacity_already_used_today_is_passed_to_the_decider_and_breaches_are_counted(
    tmp_path: Path,
) -> None:
    data = tiny_dataset(tmp_path / "ds", [
        order(1, "2025-07-03T09:00:00Z", "S1", 1),
        order(2, "2025-07-03T10:00:00Z", "S1", 1),
        order(3, "2025-07-04T10:00:00Z", "S1", 1),
    ])  # fmt: skip
    decider = NearestStockDecider()
    result = replay(RunSpec(data, tmp_path / "run", {}), decider)
    assert decider.calls == [("O1", {}), ("O2", {"NYC": 1}), ("O3", {})]
    # The double ignores capacity (1 a day), so the 3rd of July is one breach by one shipment.
    assert result.summary["kpis"]["capacity_breaches"] == 1
    assert result.summary["kpis"]["shipments_over_capacity"] == 1


def test_promise_dates_met_compare_the_promise_with_the_requested_date(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "ds", [
        order(1, "2025-07-01T09:00:00Z", "S1", 1, requested="2025-07-10"),
        order(2, "2025-07-01T10:00:00Z", "S1", 1, requested="2025-07-02"),
    ])  # fmt: skip
    kpis = replay(RunSpec(data, tmp_path / "run", {}), NearestStockDecider()).summary["kpis"]
    assert (kpis["promises_requested"], kpis["promises_met"]) == (2, 1)


def test_rejections_and_rule_hits_are_counted(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "ds", [order(1, "2025-07-01T09:00:00Z", "S1", 20),
                                          order(2, "2025-07-01T09:30:00Z", "S1", 1)])  # fmt: skip
    summary = replay(RunSpec(data, tmp_path / "run", {}), NearestStockDecider()).summary
    assert summary["kpis"]["rejected"] == 1
    assert summary["kpis"]["reasons"] == {"too_many_units": 1}
    assert summary["rule_hits"] == {"checks: too many units": 1, "routing: nearest first": 1}


def test_the_same_inputs_give_byte_identical_results(tmp_path: Path) -> None:
    data = generate_dataset(
        GeneratorSpec(orders=400, locations=12, skus=80, customers=50), tmp_path / "ds"
    )
    first = replay(RunSpec(data, tmp_path / "a", {}), NearestStockDecider()).out
    second = replay(RunSpec(data, tmp_path / "b", {}), NearestStockDecider()).out
    for name in ("summary.json", "orders.jsonl", "orders.csv", "report.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_limit_replays_only_the_first_orders_and_says_so(tmp_path: Path) -> None:
    data = generate_dataset(
        GeneratorSpec(orders=50, locations=5, skus=20, customers=10), tmp_path / "ds"
    )
    result = replay(RunSpec(data, tmp_path / "run", {}, limit=7), NearestStockDecider())
    assert result.orders == 7
    assert len(outcomes(result.out)) == 7
    assert result.summary["limit"] == 7


def test_rule_hits_are_found_in_every_trace_layout_the_pipeline_uses() -> None:
    from engine.simulation.outcome import fired_rules

    trace = {
        "validation": {"outcome": "pass", "rulesets": [{"ruleset": "v", "matched": ["a"]}]},
        "reservation": {"rulesets": {"1": [{"ruleset": "r", "matched": ["b"]}],
                                     "2": [{"ruleset": "r", "matched": ["b", "c"]}]}},
        "carriers": {"DC-1": {"rulesets": [{"ruleset": "c", "matched": ["d"]}]}},
        "sourcing": {"lines": {"1": {"candidates": [{"ruleset": "not a trace"}]}}},
    }  # fmt: skip
    assert sorted(fired_rules(trace)) == ["c: d", "r: b", "r: b", "r: c", "v: a"]


def test_rule_hits_count_in_place_and_keep_names_that_compare_equal_apart() -> None:
    from engine.simulation.outcome import count_fired_rules

    # A hand-made trace: 1, 1.0 and True are equal as keys but are three different names.
    trace = {"checks": {"rulesets": [{"ruleset": "n", "matched": [1, 1.0, True, "one"]}]}}
    counts: dict[str, int] = {"n: one": 5}
    count_fired_rules(trace, counts)
    count_fired_rules(trace, counts)
    assert counts == {"n: one": 7, "n: 1": 2, "n: 1.0": 2, "n: True": 2}


def test_full_traces_are_kept_only_for_the_orders_asked_for(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "ds", [order(1, "2025-07-01T09:00:00Z", "S1", 1),
                                          order(2, "2025-07-01T09:30:00Z", "S1", 1)])  # fmt: skip
    spec = RunSpec(data, tmp_path / "run", {}, trace_orders=frozenset({"O2"}))
    out = replay(spec, NearestStockDecider()).out
    [kept] = [json.loads(text) for text in (out / "traces.jsonl").read_text().splitlines()]
    assert kept["order"] == "O2"
    assert kept["trace"]["sourcing"]["rulesets"][0]["matched"] == ["nearest first"]
    untraced = replay(RunSpec(data, tmp_path / "plain", {}), NearestStockDecider()).out
    assert not (untraced / "traces.jsonl").exists()


def test_a_date_range_records_exactly_the_orders_created_within_it(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "ds", [
        order(1, "2025-07-01T09:00:00Z", "S1", 2),   # before: decided, moves stock, unrecorded
        order(2, "2025-07-02T10:00:00Z", "S1", 2),   # only 1 left: backordered
        order(3, "2025-07-03T08:00:00Z", "S1", 4),   # 1 + 5 received on the 3rd
        order(4, "2025-07-04T08:00:00Z", "S1", 1),   # after: not replayed
    ])  # fmt: skip
    decider = NearestStockDecider()
    spec = RunSpec(data, tmp_path / "run", {}, date_from=date(2025, 7, 2), date_to=date(2025, 7, 3))
    result = replay(spec, decider)
    assert [o["order"] for o in outcomes(result.out)] == ["O2", "O3"]
    assert [o["outcome"] for o in outcomes(result.out)] == ["backordered", "allocated"]
    assert [order_id for order_id, _ in decider.calls] == ["O1", "O2", "O3"]
    assert result.orders == 2
    assert result.summary["kpis"]["units_ordered"] == 6
    assert (result.summary["date_from"], result.summary["date_to"]) == ("2025-07-02", "2025-07-03")


def test_a_date_range_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="date_from 2025-07-05 is after date_to 2025-07-04"):
        RunSpec(
            tmp_path, tmp_path / "run", {}, date_from=date(2025, 7, 5), date_to=date(2025, 7, 4)
        )


def test_a_date_range_no_order_falls_in_is_refused_and_keeps_the_last_results(
    tmp_path: Path,
) -> None:
    data = tiny_dataset(tmp_path / "ds", [order(1, "2025-07-01T09:00:00Z", "S1", 2)])
    out = replay(RunSpec(data, tmp_path / "run", {}), NearestStockDecider()).out
    kept = (out / "orders.jsonl").read_bytes()
    later = RunSpec(data, tmp_path / "run", {}, date_from=date(2030, 1, 1))
    with pytest.raises(SimulationError) as refused:
        replay(later, NearestStockDecider())
    assert str(refused.value).startswith(
        "no order of data set 'ds' was created from 2030-01-01 to its end: its orders run from"
    )
    assert (out / "orders.jsonl").read_bytes() == kept
