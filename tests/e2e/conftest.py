"""End-to-end fixtures: the real app over HTTP on a migrated SQLite or PostgreSQL database.

`api` is a client speaking HTTP to the ASGI app (httpx through Starlette's TestClient); the
keys it holds were issued the way an operator issues them (`create_api_key` on the SQL key
store), one per role.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from engine.adapters.orm_api import SqlApiKeyStore
from engine.domain.access import Role
from engine.service_layer.auth import create_api_key
from ordo.bootstrap import Container, build_app_container
from ordo.settings import load_settings

SECRET = "e2e-secret-key-that-is-long-enough-0123456789"


@dataclass
class Api:
    """An HTTP client plus one API key per role; `as_(role)` sends that role's key."""

    client: TestClient
    keys: dict[str, str] = field(default_factory=dict)
    container: Any = None

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role], **extra}

    def get(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(role, **kw.pop("headers", {})), **kw)

    def post(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers(role, **kw.pop("headers", {})), **kw)

    def put(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.put(path, headers=self.headers(role, **kw.pop("headers", {})), **kw)


def build_container(database_url: str) -> Container:
    settings = load_settings(database_url=database_url, environment="test", secret_key=SECRET)
    return build_app_container(settings)


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


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    with build_container(database_url) as built:
        yield built


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
def api(app: FastAPI, container: Container) -> Iterator[Api]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, keys=issue_role_keys(container), container=container)
