"""Schemathesis fuzzes every operation of the app's own OpenAPI document.

Generated requests, valid and invalid, go through the real app on a migrated SQLite database
with an admin key; every answer must be free of server errors, use a documented status code
and content type, and match its documented schema; invalid input must be refused. The
document is the contract the console and channel clients are generated from.

(Schemathesis's own pytest plugin does not run under pytest 9 yet, so this drives its
strategies with Hypothesis directly, one test per operation.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from api.app import create_app
from engine.service_layer.auth import InMemoryApiKeyStore
from engine.service_layer.idempotency import InMemoryIdempotencyStore
from engine.service_layer.rulesets_service import InMemoryScenarioStore
from tests.e2e.conftest import build_container, issue_role_keys

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
EXAMPLES = 20


class _Offline:
    """Enough of a container to render the OpenAPI document at collection time (no I/O)."""

    settings = type("S", (), {"secret_key": "collection-only"})()
    session_factory = uow_factory = bus = rulesets = None


def _operations() -> list[str]:
    offline = create_app(
        _Offline(),
        keys=InMemoryApiKeyStore(),
        idempotency=InMemoryIdempotencyStore(),
        scenarios=InMemoryScenarioStore(),
    )
    paths = offline.openapi()["paths"]
    return [f"{method.upper()} {path}" for path, ops in paths.items() for method in ops]


@pytest.fixture
def fuzzed(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[FastAPI, str]]:
    with build_container(sqlite_url, tmp_path / "data") as container:
        # Limits off: thousands of generated requests on one key must meet the contract,
        # not its rate limit (tests/e2e/test_rate_limits_http.py covers the 429s).
        container.rate_limits = None
        app = create_app(container)
        with TestClient(app):  # runs the app's start-up, as uvicorn would
            yield app, issue_role_keys(container)["admin"]


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("label", _operations())
def test_every_operation_honours_the_openapi_contract(
    label: str, fuzzed: tuple[FastAPI, str]
) -> None:
    app, admin_key = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    method, path = label.split(" ", 1)
    operation = schema[path][method.lower()]
    headers = {"X-API-Key": admin_key}
    _fuzz(operation, GenerationMode.POSITIVE, headers)
    try:
        _fuzz(operation, GenerationMode.NEGATIVE, headers)
    except Unsatisfiable:
        # An operation that takes no input (the health check) has no invalid input to send;
        # its positive run above still checked it.
        assert not operation.body and not list(operation.iter_parameters())
