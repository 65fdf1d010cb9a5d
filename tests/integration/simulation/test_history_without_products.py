"""A history exported without a product master still replays through the real Decider: its
SKUs become plain products instead of every order being rejected as an unknown SKU."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from engine.simulation.dataset import Dataset, DatasetWriter
from engine.simulation.generate import GeneratorSpec, generate_dataset
from engine.simulation.replay import RunSpec, run_simulation
from engine.simulation.rulesets import read_rulesets, shipped_rulesets_dir


def test_orders_of_a_history_without_products_are_sourced_not_rejected(tmp_path: Path) -> None:
    spec = GeneratorSpec(orders=40, locations=10, skus=30, customers=20, days=5, seed=5)
    source = Dataset(generate_dataset(spec, tmp_path / "generated"))
    with DatasetWriter(tmp_path / "no-products") as writer:
        for kind in ("locations", "orders", "receipts"):
            for record in source.records(kind):
                writer.write(kind, record)
        for record in source.records("stock"):
            writer.write("stock", {**record, "on_hand": 1_000})
        writer.commit({"name": "no-products"})
    run = RunSpec(
        tmp_path / "no-products", tmp_path / "run", read_rulesets([shipped_rulesets_dir()])
    )
    result = run_simulation(run)
    rows = [json.loads(line) for line in (result.out / "orders.jsonl").read_text().splitlines()]
    assert len(rows) == 40
    assert [row for row in rows if row["outcome"] == "rejected"] == []
    assert Counter(row["outcome"] for row in rows)["allocated"] > 30
    assert result.summary["products_synthesised"] is True
