"""A simulation packs dangerous goods as the box catalogue it is given says (`hazmat: apart`):
the replay's Decider and the parcels its results record keep them apart alike."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from engine.simulation.generate import GeneratorSpec, generate_dataset
from engine.simulation.replay import RunSpec, run_simulation
from engine.simulation.rulesets import read_rulesets, shipped_rulesets_dir
from tests.unit.simulation.test_simulated_packaging import BOXES, boxes_file, outcomes

ORDERS = 60
TRACED = frozenset(f"H{n:07d}" for n in range(1, ORDERS + 1))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated history whose every third SKU is a dangerous good (the generator makes
    one in a hundred so), its manifest's checksum made to match."""
    path = tmp_path_factory.mktemp("history") / "hazardous"
    spec = GeneratorSpec(orders=ORDERS, locations=6, skus=30, customers=40, days=4)
    generate_dataset(spec, path)
    products = path / "products.jsonl"
    records = [json.loads(line) for line in products.read_text(encoding="utf-8").splitlines()]
    for n, record in enumerate(records):
        record["hazmat"] = n % 3 == 0
    products.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    manifest["sha256"]["products.jsonl"] = hashlib.sha256(products.read_bytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def certified_everywhere(history: Path) -> dict[str, str]:
    """The shipped rulesets, with every generated location certified for dangerous goods
    (the shipped routing certifies two sites the generator does not make)."""
    rulesets = read_rulesets([shipped_rulesets_dir()])
    locations = (history / "locations.jsonl").read_text(encoding="utf-8").splitlines()
    codes = [json.loads(line)["code"] for line in locations]
    certified = 'table hazmat_sites = ["DAL-01", "RNO-02"]'
    assert certified in rulesets["routing"]
    rulesets["routing"] = rulesets["routing"].replace(
        certified, f"table hazmat_sites = {json.dumps(codes)}"
    )
    return rulesets


def packed_parcels(history: Path, out: Path, mode: str) -> list[tuple[int, list[list[str]]]]:
    """Each traced shipment of a replay packing with `hazmat: mode`: the parcels its results
    record, and the SKUs of each parcel the Decider priced (from its trace)."""
    directory = out / mode
    directory.mkdir(parents=True)
    boxes = boxes_file(directory, f"hazmat: {mode}\n{BOXES}")
    spec = RunSpec(history, directory / "run", certified_everywhere(history), packaging=boxes,
                   trace_orders=TRACED)  # fmt: skip
    run_simulation(spec)
    traces = {
        record["order"]: record["trace"]
        for record in map(json.loads, (spec.out / "traces.jsonl").read_text().splitlines())
    }
    found = []
    for outcome in outcomes(spec.out):
        trace: dict[str, Any] | None = traces.get(outcome["order"])
        for shipment in outcome["shipments"] if trace else ():
            packing = trace["carriers"][shipment["location"]]["packing"]
            found.append((shipment["parcels"], [sorted(p["units"]) for p in packing["parcels"]]))
    return found


def test_a_replay_with_a_catalogue_keeping_dangerous_goods_apart_packs_them_apart(
    history: Path, tmp_path: Path
) -> None:
    dangerous = {
        record["sku"]
        for record in map(json.loads, (history / "products.jsonl").read_text().splitlines())
        if record["hazmat"]
    }

    def mixes(skus: list[str]) -> bool:
        return len({sku in dangerous for sku in skus}) > 1

    mixed = packed_parcels(history, tmp_path, "mixed")
    assert any(mixes(skus) for _, parcels in mixed for skus in parcels)
    apart = packed_parcels(history, tmp_path, "apart")
    assert len(apart) > 10
    assert not any(mixes(skus) for _, parcels in apart for skus in parcels)
    assert any(set(skus) <= dangerous for _, parcels in apart for skus in parcels)
    # The results count the parcels the Decider priced, packed apart too.
    assert all(count == len(parcels) for count, parcels in apart)
    assert sum(count for count, _ in apart) > sum(count for count, _ in mixed)
