"""Orders shipped to (or from) a place without coordinates have no known distance: the
Decider measures 0 km there, and the distance KPIs must not count that as a distance."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from engine.simulation.dataset import DatasetWriter
from engine.simulation.diff import compare_runs
from engine.simulation.kpis import Kpis
from engine.simulation.replay import RunSpec, replay
from tests.unit.simulation.doubles import NearestStockDecider
from tests.unit.simulation.test_replay import NYC, order

BOSTON = {"postal_code": "02108", "country": "US", "lat": 42.3576, "lon": -71.0684}
PARIS = {"postal_code": "75001", "country": "FR", "lat": None, "lon": None}
# A location the import could not place: no coordinates, and no postal code to look up.
NOWHERE = {**NYC, "code": "NOWHERE", "postal_code": "", "lat": None, "lon": None}


def shipped_to(n: int, place: dict[str, Any], sku: str = "S1") -> dict[str, object]:
    return {**order(n, f"2025-07-01T0{n}:00:00Z", sku, 1), **place}


def dataset(path: Path, orders: list[dict[str, object]]) -> Path:
    with DatasetWriter(path) as writer:
        writer.write("locations", {**NYC, "daily_capacity": 100})
        writer.write("locations", NOWHERE)
        for sku, site in (("S1", "NYC"), ("S2", "NOWHERE")):
            writer.write(
                "stock", {"sku": sku, "location_code": site, "on_hand": 50, "safety_stock": 0}
            )
        for record in orders:
            writer.write("orders", record)
        writer.commit({"name": path.name})
    return path


def outcomes(run: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in (run / "orders.jsonl").read_text().splitlines()]


def test_an_order_shipped_abroad_is_left_out_of_the_distance_kpis_and_counted(
    tmp_path: Path,
) -> None:
    data = dataset(tmp_path / "ds", [shipped_to(1, BOSTON), shipped_to(2, PARIS)])
    run = replay(RunSpec(data, tmp_path / "run", {}, name="a"), NearestStockDecider())
    boston, paris = outcomes(run.out)
    known = boston["shipments"][0]["distance_km"]
    assert 290 < known < 320
    assert paris["outcome"] == "allocated"  # decided as before: only its distance is unknown
    assert paris["shipments"][0]["distance_km"] is None
    kpis = run.summary["kpis"]
    assert kpis["shipments"] == 2
    assert kpis["orders_without_distance"] == 1
    assert kpis["distance_km_mean"] == known
    assert abs(kpis["distance_km_p95"] - known) <= 0.1  # exact to its 0.1 km bin
    assert sum(kpis["distance_histogram_km"].values()) == 1
    with (run.out / "orders.csv").open(encoding="utf-8") as handle:
        rows = {row["order"]: row for row in csv.DictReader(handle)}
    assert rows["O1"]["distance_km"] == f"{known:.1f}" and rows["O2"]["distance_km"] == ""
    report = (run.out / "report.html").read_text(encoding="utf-8")
    assert "<th>Orders without a known distance</th><td>1</td>" in report
    other = replay(
        RunSpec(data, tmp_path / "b", {}, name="b"), NearestStockDecider(carrier="OTHER")
    )
    diff = compare_runs(run.out, other.out, tmp_path / "diff")
    assert diff["changed"] == 2 and diff["distance_delta_km"] == 0.0


def test_a_us_order_without_coordinates_but_with_a_known_postal_code_has_a_distance(
    tmp_path: Path,
) -> None:
    # The Decider falls back on the postal code's coordinates, so the distance it measured
    # is real (the test double does not, hence no check of the figure itself).
    data = dataset(tmp_path / "ds", [shipped_to(1, {**BOSTON, "lat": None, "lon": None})])
    run = replay(RunSpec(data, tmp_path / "run", {}), NearestStockDecider())
    [boston] = outcomes(run.out)
    assert boston["shipments"][0]["distance_km"] is not None
    assert run.summary["kpis"]["orders_without_distance"] == 0


def test_a_shipment_from_a_location_without_coordinates_has_no_distance(tmp_path: Path) -> None:
    data = dataset(tmp_path / "ds", [shipped_to(1, BOSTON, sku="S2")])
    run = replay(RunSpec(data, tmp_path / "run", {}), NearestStockDecider())
    [shipped] = outcomes(run.out)
    assert shipped["shipments"][0]["location"] == "NOWHERE"
    assert shipped["shipments"][0]["distance_km"] is None
    kpis = run.summary["kpis"]
    assert kpis["orders_without_distance"] == 1
    assert kpis["distance_km_mean"] is None and kpis["distance_km_p95"] is None


def test_an_order_with_one_shipment_of_unknown_distance_is_counted_once() -> None:
    kpis = Kpis()
    shipment = {"rate": 5.0, "carrier": "C", "service": "ground", "location": "A"}
    kpis.add({
        "outcome": "allocated", "code": "", "lines": 2, "lines_backordered": 0, "units": 2,
        "allocated": 2, "backordered": 0, "requested": None, "promised": None,
        "shipments": [{**shipment, "distance_km": 120.0}, {**shipment, "distance_km": None}],
    })  # fmt: skip
    figures = kpis.to_dict()
    assert figures["orders_without_distance"] == 1
    assert figures["distance_km_mean"] == 120.0
    assert figures["shipping_cost"] == 10.0  # the rate is still the one the pipeline quoted
