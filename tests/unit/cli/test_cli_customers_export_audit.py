"""`ordo customers export` is audited as `customer.export` for the operator at the terminal,
with the counts of what it wrote out and none of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.domain.orders import OrderStatus
from engine.service_layer import audit
from ordo.bootstrap import build_app_container
from ordo.cli import app
from ordo.settings import load_settings
from tests.support.builders import a_customer, an_order
from tests.unit.cli.test_cli_customers import store

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'ordo.db'}"
    monkeypatch.setenv("ORDO_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    store(url, a_customer(), an_order(status=OrderStatus.DELIVERED))
    return url


def test_the_export_is_audited_for_the_operator_with_counts_only(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "ann")  # the operator the audit log names

    result = runner.invoke(app, ["customers", "export", "C-1", "--out", str(tmp_path / "c1.json")])

    assert result.exit_code == 0, result.output
    with build_app_container(load_settings(database_url=database)) as container:
        entries = audit.entries(container.uow_factory(), entity="customer", entity_id="C-1")
    [entry] = [e for e in entries if e.action == "customer.export"]
    assert entry.actor == "cli:ann"
    assert entry.after["exported"]["customers"] == entry.after["exported"]["orders"] == 1
    assert "ada@example.com" not in repr(entry) and "Ada Lovelace" not in repr(entry)
