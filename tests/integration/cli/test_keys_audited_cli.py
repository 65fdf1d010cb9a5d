"""Keys issued and revoked from the command line are in the audit log the API serves, under
the operator's name (`cli:<OS user>`), like the API's own key changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.support.cli import ordo

KEY = re.compile(r"ordo_([0-9a-f]+)_[A-Za-z0-9_\-]+")
CONFIGURED = "ordo_c0ffee42_" + "s3cret-value-for-tests-only-0123456789"


@pytest.fixture(autouse=True)
def _operator(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    # getpass reads LOGNAME first: the operator the entries must name.
    monkeypatch.setenv("LOGNAME", "ann")
    monkeypatch.setenv("ORDO_DATABASE_URL", database_url)


def key_entries(database_url: str, admin_key: str) -> list[dict[str, Any]]:
    """`GET /v1/audit?entity=api_key` as an admin sees it, oldest first."""
    with (
        build_app_container(load_settings(database_url=database_url)) as container,
        TestClient(create_app(container)) as client,
    ):
        answer = client.get("/v1/audit?entity=api_key", headers={"X-API-Key": admin_key})
    assert answer.status_code == 200, answer.text
    return list(reversed(answer.json()))


def test_keys_created_and_revoked_by_the_cli_are_audited_for_the_operator(
    database_url: str,
) -> None:
    admin = KEY.search(ordo("keys", "create", "ops", "--role", "admin"))
    temp = KEY.search(ordo("keys", "create", "temp", "--role", "analyst"))
    assert admin is not None and temp is not None
    ordo("keys", "revoke", temp.group(1))
    ordo("keys", "revoke", temp.group(1))  # revoked already: nothing changes, nothing audited
    entries = key_entries(database_url, admin.group(0))
    assert [(e["actor"], e["action"], e["entity_id"], e["after"]) for e in entries] == [
        ("cli:ann", "key.issue", admin.group(1), {"name": "ops", "role": "admin"}),
        ("cli:ann", "key.issue", temp.group(1), {"name": "temp", "role": "analyst"}),
        ("cli:ann", "key.revoke", temp.group(1), {"revoked": True}),
    ]


def test_the_first_admin_key_issued_by_the_demo_is_audited(database_url: str) -> None:
    issued = KEY.search(ordo("demo", "--no-live"))
    assert issued is not None
    [entry] = key_entries(database_url, issued.group(0))
    assert (entry["actor"], entry["action"], entry["entity_id"]) == (
        "cli:ann",
        "key.issue",
        issued.group(1),
    )


def test_a_configured_bootstrap_key_is_audited_once_when_registered(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_BOOTSTRAP_ADMIN_KEY", CONFIGURED)
    ordo("demo", "--no-live")
    ordo("demo", "--no-live")  # registered already: no second entry
    [entry] = key_entries(database_url, CONFIGURED)
    assert (entry["actor"], entry["action"], entry["entity_id"]) == (
        "cli:ann",
        "key.issue",
        "c0ffee42",
    )
    assert entry["after"]["name"] == "bootstrap admin (ORDO_BOOTSTRAP_ADMIN_KEY)"
