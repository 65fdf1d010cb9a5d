"""End-to-end fixtures: the real app over HTTP on a migrated SQLite or PostgreSQL database.

`api` is a client speaking HTTP to the ASGI app (httpx through Starlette's TestClient); the
keys it holds were issued the way an operator issues them (`create_api_key` on the SQL key
store), one per role.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from engine.adapters.orm_api import SqlApiKeyStore
from engine.domain.access import Role
from engine.service_layer.auth import create_api_key
from ordo.bootstrap import Container, build_app_container, build_workers
from ordo.settings import load_settings

SECRET = "e2e-secret-key-that-is-long-enough-0123456789"
LOCATIONS = {
    "DAL-01": {
        "name": "Dallas DC",
        "type": "warehouse",
        "address": {"postal_code": "75201", "city": "Dallas", "state": "TX"},
    },
    "RNO-02": {
        "name": "Reno DC",
        "type": "warehouse",
        "address": {"postal_code": "89501", "city": "Reno", "state": "NV"},
    },
}


def order(
    channel_order_id: str = "W-1", sku: str = "SHOE-42", quantity: int = 1, **extra: Any
) -> dict[str, Any]:
    """An order as the `web` channel sends it."""
    return {
        "channel_order_id": channel_order_id,
        "customer_id": "C-1",
        "email": "ada@example.com",
        "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
        "lines": [{"sku": sku, "quantity": quantity}],
        **extra,
    }


@dataclass
class Api:
    """An HTTP client plus one API key per role; `as_(role)` sends that role's key."""

    client: TestClient
    keys: dict[str, str] = field(default_factory=dict)
    container: Any = None
    app: Any = None

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role], **extra}

    def get(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(role, **kw.pop("headers", {})), **kw)

    def post(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers(role, **kw.pop("headers", {})), **kw)

    def seed(self, sku: str = "SHOE-42", units: int = 10, location: str = "DAL-01") -> None:
        """A location, a product and stock, the way an admin sets them up over HTTP."""
        if self.get(f"/v1/locations/{location}").status_code == 404:
            assert (
                self.put(f"/v1/locations/{location}", json=LOCATIONS[location]).status_code == 200
            )
        if self.get(f"/v1/products/{sku}").status_code == 404:
            assert (
                self.put(f"/v1/products/{sku}", json={"name": sku, "price": "20.00"}).status_code
                == 200
            )
        if units:
            receipt = {"sku": sku, "location_code": location, "quantity": units}
            response = self.post("/v1/inventory/receipts", json=receipt)
            assert response.status_code == 200, response.text

    def put(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.put(path, headers=self.headers(role, **kw.pop("headers", {})), **kw)


def run_worker(api: Api, rounds: int = 8) -> None:
    """One worker (`ordo worker`'s), run `rounds` times: the outbox relayed and every event
    it carries handed to the observers, and what they raise after them."""
    [worker] = build_workers(api.container, name="w1")
    for _ in range(rounds):
        worker.run_once()


def build_container(database_url: str, data_dir: Path | None = None, **settings: Any) -> Container:
    """The composition root's container; files (simulation jobs, data sets) go to `data_dir`;
    `settings`, any others the deployment sets."""
    loaded = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=data_dir or Path(tempfile.mkdtemp(prefix="ordo-e2e-")),
        **settings,
    )
    return build_app_container(loaded)


def packing_container(database_url: str, tmp_path: Path, boxes: str, **settings: Any) -> Container:
    """The container of a deployment that packs shipments into the box catalogue `boxes`
    (YAML, written to `tmp_path` as ORDO_PACKAGING_FILE), with any other `settings`."""
    catalogue = tmp_path / "boxes.yaml"
    catalogue.write_text(boxes, encoding="utf-8")
    return build_container(database_url, tmp_path / "data", packaging_file=catalogue, **settings)


def issue_role_keys(container: Container) -> dict[str, str]:
    store = SqlApiKeyStore(container.session_factory)
    scopes: dict[Role, dict[str, Any]] = {
        Role.CHANNEL: {"channel": "web"},
        Role.WAREHOUSE: {"locations": ["DAL-01"]},
        Role.CUSTOMER: {"customer_id": "C-1"},
    }
    keys = {}
    for role in Role:
        _, plaintext = create_api_key(
            store, f"e2e-{role}", role, server_secret=SECRET, **scopes.get(role, {})
        )
        keys[str(role)] = plaintext
    return keys


@contextmanager
def shop_api(
    database_url: str, data_dir: Path, connectors: dict[str, Any], **settings: Any
) -> Iterator[Api]:
    """Ordo over HTTP with storefront channel connectors (`ORDO_CHANNEL_CONNECTORS`) and
    any other settings given, and ten units of SHOE-42 and SOCK-M at Dallas to order."""
    loaded = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=data_dir,
        channel_connectors=json.dumps(connectors),
        **settings,
    )
    with build_app_container(loaded) as container:
        app = create_app(container)
        with TestClient(app, raise_server_exceptions=False) as client:
            api = Api(client, issue_role_keys(container), container, app)
            api.seed("SHOE-42", units=10)
            api.seed("SOCK-M", units=10)
            yield api


def wire_pipeline(container: Container) -> Container:
    """Kept for tests/e2e/console, which imports it: the composition root now wires the bus,
    the registry and the decider itself, so this only fills them if a container lacks them."""
    if container.bus is None:
        from engine.pipeline.carriers import load_catalog
        from engine.pipeline.decide import Decider
        from engine.rules.registry import RulesetRegistry
        from engine.service_layer.messagebus import build_bus

        container.rulesets = container.rulesets or RulesetRegistry()
        container.decider = Decider(container.rulesets, load_catalog())
        container.bus = build_bus(container.uow_factory, container.decider)
    return container


@pytest.fixture
def container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    with build_container(database_url, tmp_path / "data") as built:
        yield built


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
def api(app: FastAPI, container: Container) -> Iterator[Api]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, keys=issue_role_keys(container), container=container, app=app)
