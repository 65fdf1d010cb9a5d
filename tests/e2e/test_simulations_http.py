"""Simulations over HTTP: replay a generated history under the published rules and a draft."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from engine.service_layer import audit
from engine.simulation.commands import datasets_dir
from engine.simulation.dataset import Dataset, to_order
from engine.simulation.generate import GeneratorSpec, generate_dataset
from tests.e2e.conftest import Api

STRICT_VALIDATION = """validation ruleset order_validation on order.received policy all

rule "Everything over 50 USD is reviewed"
  when order.total > 50 USD
  then hold code "review" message "order {order.id} is reviewed"
"""


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Simulations read files, not the database: SQLite is enough to serve the API."""
    return sqlite_url


def _wait(api: Api, job_id: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = api.get(f"/v1/simulations/{job_id}", role="analyst").json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"simulation {job_id} did not finish within {seconds} s")


def test_an_analyst_replays_history_under_a_draft_and_sees_which_orders_change(api: Api) -> None:
    data_dir = Path(api.container.settings.data_dir)
    spec = GeneratorSpec(orders=120, locations=6, skus=30, customers=50, days=5)
    generate_dataset(spec, datasets_dir(data_dir) / "history")
    [dataset] = api.get("/v1/simulations/datasets", role="analyst").json()
    assert (dataset["name"], dataset["orders"]) == ("history", 120)

    draft = api.post("/v1/rulesets/drafts", role="analyst", json={"source": STRICT_VALIDATION})
    started = api.post(
        "/v1/simulations",
        role="analyst",
        json={"dataset": "history", "drafts": [draft.json()["id"]], "workers": 1},
    )
    assert started.status_code == 202, started.text
    job = _wait(api, started.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"]["done"] == 240

    result = api.get(f"/v1/simulations/{job['id']}/result", role="analyst").json()
    assert set(result["runs"]) == {"baseline", "draft"}
    changed_count = result["diffs"]["draft"]["changed"]
    assert changed_count > 0
    changed = api.get(f"/v1/simulations/{job['id']}/changed?limit=1000", role="analyst").json()
    assert len(changed) == changed_count
    assert all(row["changes"] for row in changed)
    held = [row for row in changed if row["outcome_b"] == "held"]
    assert held, "the draft holds every order over 50 USD, so some outcomes must change to held"

    one = held[0]["order"]
    both = api.get(f"/v1/simulations/{job['id']}/orders/{one}", role="analyst").json()
    assert both["decisions"]["draft"]["outcome"] == "held"
    assert both["decisions"]["baseline"]["outcome"] != "held"


def test_an_unknown_data_set_or_job_is_named_in_the_problem(api: Api) -> None:
    missing = api.post("/v1/simulations", role="analyst", json={"dataset": "nope"})
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]
    unknown = api.get("/v1/simulations/abcdef012345", role="analyst")
    assert unknown.status_code == 404
    assert "abcdef012345" in unknown.json()["detail"]


def test_a_draft_that_does_not_compile_is_refused_at_the_start_naming_it(api: Api) -> None:
    generate_dataset(
        GeneratorSpec(orders=10, locations=3, skus=10, customers=5, days=2),
        datasets_dir(Path(api.container.settings.data_dir)) / "small",
    )
    broken = STRICT_VALIDATION.replace("order.total > 50 USD", "order.totl > 50 USD")
    draft = api.post("/v1/rulesets/drafts", role="analyst", json={"source": broken}).json()
    started = api.post(
        "/v1/simulations", role="analyst", json={"dataset": "small", "drafts": [draft["id"]]}
    )
    assert started.status_code == 422, started.text
    problem = started.json()
    assert problem["detail"] == (
        f"draft {draft['id']} (order_validation v{draft['version']}) does not compile: 1 error, "
        "listed with their lines and columns"
    )
    [found] = problem["diagnostics"]
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "order.totl" in text)
    assert (found["line"], found["severity"]) == (line, "error")
    assert "totl" in found["message"]
    assert api.get("/v1/simulations", role="analyst").json() == []


def test_two_drafts_of_one_ruleset_are_refused_rather_than_one_picked_silently(api: Api) -> None:
    generate_dataset(
        GeneratorSpec(orders=10, locations=3, skus=10, customers=5, days=2),
        datasets_dir(Path(api.container.settings.data_dir)) / "small",
    )
    first = api.post("/v1/rulesets/drafts", role="analyst", json={"source": STRICT_VALIDATION})
    second = api.post(
        "/v1/rulesets/drafts",
        role="analyst",
        json={"source": STRICT_VALIDATION.replace("50 USD", "60 USD")},
    )
    ids = [first.json()["id"], second.json()["id"]]
    started = api.post("/v1/simulations", role="analyst", json={"dataset": "small", "drafts": ids})
    assert started.status_code == 422, started.text
    assert started.json()["detail"].endswith(
        "are both of order_validation: a simulation runs one version of a ruleset"
    )


def test_the_results_of_a_job_that_failed_are_a_409_and_the_job_says_why(api: Api) -> None:
    generate_dataset(
        GeneratorSpec(orders=10, locations=3, skus=10, customers=5, days=2),
        datasets_dir(Path(api.container.settings.data_dir)) / "small",
    )
    future = {"dataset": "small", "workers": 0, "date_from": "2099-01-01"}
    job = _wait(api, api.post("/v1/simulations", role="analyst", json=future).json()["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("no order of data set 'small' was created from 2099-01-01")
    results = api.get(f"/v1/simulations/{job['id']}/result", role="analyst")
    assert results.status_code == 409, results.text
    assert results.json()["detail"] == (
        f"simulation {job['id']} is failed, not finished with results"
    )


def test_a_date_range_replays_only_the_orders_created_on_those_days(api: Api) -> None:
    data_dir = Path(api.container.settings.data_dir)
    spec = GeneratorSpec(orders=60, locations=4, skus=20, customers=20, days=5)
    path = generate_dataset(spec, datasets_dir(data_dir) / "week")
    days = [to_order(r).created_at.date() for r in Dataset(path).records("orders")]
    first, last = sorted(set(days))[1], sorted(set(days))[2]
    expected = sum(1 for day in days if first <= day <= last)
    assert 0 < expected < len(days)

    started = api.post(
        "/v1/simulations",
        role="analyst",
        json={"dataset": "week", "workers": 0, "date_from": str(first), "date_to": str(last)},
    )
    assert started.status_code == 202, started.text
    job = _wait(api, started.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"]["done"] == expected
    result = api.get(f"/v1/simulations/{job['id']}/result", role="analyst").json()
    summary = result["runs"]["baseline"]
    assert (summary["date_from"], summary["date_to"]) == (str(first), str(last))


def test_a_date_range_that_ends_before_it_starts_is_a_problem_naming_date_to(api: Api) -> None:
    reversed_range = api.post(
        "/v1/simulations",
        role="analyst",
        json={"dataset": "week", "date_from": "2025-07-05", "date_to": "2025-07-04"},
    )
    assert reversed_range.status_code == 422, reversed_range.text
    problem = reversed_range.json()
    assert "date_to" in problem["detail"]
    assert "must not be before date_from" in problem["detail"]


def test_a_start_whose_audit_entry_cannot_be_written_runs_no_job(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_dataset(
        GeneratorSpec(orders=10, locations=3, skus=10, customers=5, days=2),
        datasets_dir(Path(api.container.settings.data_dir)) / "small",
    )

    def audit_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO audit_log", {}, Exception("database is locked"))

    monkeypatch.setattr(audit, "append", audit_down)
    started = api.post("/v1/simulations", role="analyst", json={"dataset": "small"})

    assert started.status_code >= 500
    assert api.get("/v1/simulations", role="analyst").json() == []


def test_a_start_is_audited_under_the_id_of_the_job_it_starts(api: Api) -> None:
    generate_dataset(
        GeneratorSpec(orders=10, locations=3, skus=10, customers=5, days=2),
        datasets_dir(Path(api.container.settings.data_dir)) / "small",
    )
    job = _wait(
        api, api.post("/v1/simulations", role="analyst", json={"dataset": "small"}).json()["id"]
    )

    [entry] = api.get(f"/v1/audit?entity=simulation&entity_id={job['id']}").json()
    assert (entry["action"], entry["after"]["dataset"]) == ("simulation.start", "small")
