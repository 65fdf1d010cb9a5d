"""The per-order diff of two runs names exactly the orders decided differently, and how."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.simulation.dataset import Dataset, DatasetWriter
from engine.simulation.diff import DiffError, changed_order_ids, compare_runs, what_changed
from engine.simulation.generate import GeneratorSpec, generate_dataset
from engine.simulation.replay import RunSpec, replay
from tests.unit.simulation.doubles import NearestStockDecider


def plentiful(tmp_path: Path) -> Path:
    """A history where stock never runs out, so each order's decision stands on its own."""
    source = generate_dataset(
        GeneratorSpec(orders=300, locations=10, skus=40, customers=30), tmp_path / "gen"
    )
    data = Dataset(source)
    with DatasetWriter(tmp_path / "ds") as writer:
        for kind in ("locations", "products", "orders"):
            for record in data.records(kind):
                writer.write(kind, record)
        for record in data.records("stock"):
            writer.write("stock", {**record, "on_hand": 1_000_000})
        writer.commit({"name": "plentiful"})
    return tmp_path / "ds"


def test_the_diff_names_exactly_the_orders_a_stricter_decider_rejects(tmp_path: Path) -> None:
    data = plentiful(tmp_path)
    a = replay(RunSpec(data, tmp_path / "a", {}, name="a"), NearestStockDecider(max_units=12)).out
    b = replay(RunSpec(data, tmp_path / "b", {}, name="b"), NearestStockDecider(max_units=4)).out
    expected = [
        record["id"]
        for record in Dataset(data).records("orders")
        if 4 < sum(line["quantity"] for line in record["lines"]) <= 12
    ]
    diff = compare_runs(a, b, tmp_path / "diff")
    assert expected
    assert changed_order_ids(tmp_path / "diff") == expected
    assert diff["changed"] == len(expected)
    assert diff["changes"]["outcome"] == len(expected)


def test_a_different_carrier_is_a_carrier_change_with_no_cost_or_distance_change(
    tmp_path: Path,
) -> None:
    data = plentiful(tmp_path)
    a = replay(RunSpec(data, tmp_path / "a", {}, name="a"), NearestStockDecider(carrier="ONE")).out
    b = replay(RunSpec(data, tmp_path / "b", {}, name="b"), NearestStockDecider(carrier="TWO")).out
    diff = compare_runs(a, b, tmp_path / "diff")
    shipped = diff["kpis"]["a"]["orders"] - diff["kpis"]["a"]["rejected"]
    assert diff["changed"] == shipped
    assert diff["changes"] == {
        "outcome": 0,
        "location": 0,
        "carrier": shipped,
        "split": 0,
        "units": 0,
    }
    assert (diff["cost_delta"], diff["distance_delta_km"]) == (0, 0)
    first = json.loads((tmp_path / "diff" / "changed_orders.jsonl").read_text().splitlines()[0])
    assert first["carriers_a"] == ["ONE/ground"] and first["carriers_b"] == ["TWO/ground"]


def test_changes_of_location_split_and_cost_are_told_apart() -> None:
    one = {
        "location": "A",
        "carrier": "X",
        "service": "g",
        "rate": 5.0,
        "distance_km": 10.0,
        "units": 2,
    }
    a = {
        "outcome": "allocated",
        "allocated": 2,
        "backordered": 0,
        "shipments": [one],
        "shipping_cost": 5.0,
    }
    moved = {**a, "shipments": [{**one, "location": "B"}]}
    split = {**a, "shipments": [{**one, "units": 1}, {**one, "location": "B", "units": 1}]}
    assert what_changed(a, a) == []
    assert what_changed(a, moved) == ["location", "units"]
    assert what_changed(a, split) == ["location", "split", "units"]


def test_runs_over_different_histories_are_refused(tmp_path: Path) -> None:
    one = generate_dataset(
        GeneratorSpec(orders=20, locations=4, skus=10, customers=5), tmp_path / "one"
    )
    two = generate_dataset(
        GeneratorSpec(orders=20, locations=4, skus=10, customers=5, seed=8), tmp_path / "two"
    )
    a = replay(RunSpec(one, tmp_path / "a", {}), NearestStockDecider()).out
    b = replay(RunSpec(two, tmp_path / "b", {}), NearestStockDecider()).out
    with pytest.raises(DiffError, match="replayed different histories"):
        compare_runs(a, b, tmp_path / "diff")
    assert not (tmp_path / "diff").exists()
