"""A ruleset's scenarios run over HTTP decide as the deployment does: with its box catalogue
(ORDO_PACKAGING_FILE), so a draft is tested, and gated when published, on the carriers its
live decisions would choose, and its scenarios may expect parcels and boxes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ordo.bootstrap import Container
from tests.e2e.conftest import Api, build_container, issue_role_keys, packing_container
from tests.e2e.test_rulesets_http import CHECKS, draft
from tests.unit.pipeline.test_scenario_packaging import BOXES, PLATES, WORLD

SCENARIOS = WORLD + PLATES


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Scenarios run in memory: SQLite is enough to serve the API."""
    return sqlite_url


@pytest.fixture
def container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    """The app of a deployment that packs shipments into the sample boxes."""
    with packing_container(database_url, tmp_path, BOXES.read_text(encoding="utf-8")) as built:
        yield built


def scenario_run(api: Api, version_id: str) -> dict[str, Any]:
    response = api.post(f"/v1/rulesets/versions/{version_id}/test", role="analyst", json={})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_scenarios_pack_with_the_deployments_boxes_and_gate_the_publish(api: Api) -> None:
    saved = draft(api, CHECKS.format(limit=5000), SCENARIOS)
    assert scenario_run(api, saved["id"])["passed"] == 1
    published = api.post(f"/v1/rulesets/versions/{saved['id']}/publish", role="analyst", json={})
    assert published.status_code == 200, published.text


def test_without_a_catalogue_the_same_scenarios_see_one_parcel(
    database_url: str, tmp_path: Path
) -> None:
    with (
        build_container(database_url, tmp_path / "plain") as plain,
        TestClient(create_app(plain), raise_server_exceptions=False) as client,
    ):
        api = Api(client=client, keys=issue_role_keys(plain), container=plain, app=client.app)
        saved = draft(api, CHECKS.format(limit=5000), SCENARIOS)
        [result] = scenario_run(api, saved["id"])["results"]
        assert not result["passed"]
        assert "got {'EWR-01': 'PCL/ground'}" in result["message"]
        assert "(no box catalogue: each shipment is one parcel, in no box)" in result["message"]
        refused = api.post(f"/v1/rulesets/versions/{saved['id']}/publish", role="analyst", json={})
        assert refused.status_code == 422


def test_scenarios_sent_may_pack_with_none_but_not_name_a_catalogue_file(api: Api) -> None:
    saved = draft(api, CHECKS.format(limit=5000), SCENARIOS)
    path = f"/v1/rulesets/versions/{saved['id']}/test"
    unpacked = api.post(path, role="analyst", json={"scenarios": "packaging: none\n" + SCENARIOS})
    assert unpacked.status_code == 200, unpacked.text
    [result] = unpacked.json()["results"]
    assert "(no box catalogue: each shipment is one parcel, in no box)" in result["message"]

    named = "packaging: /etc/ordo/boxes.yaml\n" + SCENARIOS
    refused = api.post(path, role="analyst", json={"scenarios": named})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    detail = refused.json()["detail"]
    assert "`packaging: /etc/ordo/boxes.yaml`" in detail
    assert "a catalogue's file is not read from a request" in detail
