"""A simulation started over HTTP packs shipments with the deployment's box catalogue
(ORDO_PACKAGING_FILE), as the live pipeline does, and names it in the results; a catalogue
broken since start-up is a problem naming the file and field, not a failed job."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.simulation.commands import datasets_dir
from engine.simulation.generate import GeneratorSpec, generate_dataset
from ordo.bootstrap import Container
from tests.e2e.conftest import Api, packing_container

BOXES = """boxes:
  - {code: SMALL, length_cm: 30, width_cm: 20, height_cm: 10, max_weight_kg: 3,
     tare_kg: 0.2, cost: 0.45}
"""


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Simulations read files, not the database: SQLite is enough to serve the API."""
    return sqlite_url


@pytest.fixture
def container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    """The app of a deployment that packs shipments (ORDO_PACKAGING_FILE set)."""
    with packing_container(database_url, tmp_path, BOXES) as built:
        yield built


def _wait(api: Api, job_id: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = api.get(f"/v1/simulations/{job_id}", role="analyst").json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"simulation {job_id} did not finish within {seconds} s")


def test_a_simulation_packs_with_the_deployments_boxes_and_names_them(api: Api) -> None:
    boxes = api.container.settings.packaging_file
    assert boxes is not None
    spec = GeneratorSpec(orders=40, locations=4, skus=20, customers=30, days=3)
    generate_dataset(spec, datasets_dir(Path(api.container.settings.data_dir)) / "history")
    started = api.post("/v1/simulations", role="analyst", json={"dataset": "history", "workers": 1})
    assert started.status_code == 202, started.text
    job = _wait(api, started.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    baseline = api.get(f"/v1/simulations/{job['id']}/result", role="analyst").json()
    run = baseline["runs"]["baseline"]
    assert run["packaging"]["path"] == str(boxes)
    assert run["kpis"]["parcels_per_shipment"] >= 1 and run["kpis"]["box_cost"] > 0

    boxes.write_text(BOXES.replace("max_weight_kg: 3", "max_weight_kg: 0"), encoding="utf-8")
    refused = api.post("/v1/simulations", role="analyst", json={"dataset": "history"})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert f"{boxes}: boxes.SMALL.max_weight_kg: expected a weight in kg above 0" in detail
    assert len(api.get("/v1/simulations", role="analyst").json()) == 1
