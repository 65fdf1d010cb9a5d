"""The synthetic history generator: deterministic, real US postal codes, the shape asked for."""

from __future__ import annotations

from pathlib import Path

from engine.adapters.geo import postal_code_coordinates
from engine.simulation.dataset import Dataset
from engine.simulation.generate import GeneratorSpec, generate_dataset

SPEC = GeneratorSpec(orders=200, locations=10, skus=50, customers=20, days=14, seed=5)


def test_a_spec_always_generates_the_same_history(tmp_path: Path) -> None:
    generate_dataset(SPEC, tmp_path / "a")
    generate_dataset(SPEC, tmp_path / "b")
    for name in ("orders.jsonl", "stock.jsonl", "receipts.jsonl", "locations.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_orders_have_two_to_five_lines_real_postal_codes_and_arrive_in_time_order(
    tmp_path: Path,
) -> None:
    data = Dataset(generate_dataset(SPEC, tmp_path / "ds"))
    orders = list(data.records("orders"))
    assert len(orders) == 200
    assert {len(order["lines"]) for order in orders} == {2, 3, 4, 5}
    assert all(
        len({line["sku"] for line in order["lines"]}) == len(order["lines"]) for order in orders
    )
    assert [o["created_at"] for o in orders] == sorted(o["created_at"] for o in orders)
    for order in orders[:25]:
        assert postal_code_coordinates(order["postal_code"]) == (order["lat"], order["lon"])
    locations = list(data.records("locations"))
    assert len(locations) == 10 and {loc["type"] for loc in locations} == {"warehouse", "store"}
    skus = {product["sku"] for product in data.records("products")}
    assert {line["sku"] for order in orders for line in order["lines"]} <= skus
