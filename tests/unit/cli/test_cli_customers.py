"""`ordo customers export|erase`: a customer's personal data from the terminal, asking before it
erases, and failing in one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.domain.catalog import Customer
from engine.domain.orders import Order, OrderStatus
from engine.service_layer import audit
from ordo.bootstrap import build_app_container
from ordo.cli import app
from ordo.settings import load_settings
from tests.support.builders import a_customer, an_order

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database holding Ada (C-1), her record and her delivered order O-1."""
    url = f"sqlite:///{tmp_path / 'ordo.db'}"
    monkeypatch.setenv("ORDO_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    store(url, a_customer(), an_order(status=OrderStatus.DELIVERED))
    return url


def store(url: str, *records: Customer | Order) -> None:
    with (
        build_app_container(load_settings(database_url=url)) as container,
        container.uow_factory() as uow,
    ):
        for record in records:
            if isinstance(record, Customer):
                uow.customers.add(record)
            else:
                uow.orders.add(record)
        uow.commit()


def test_help_names_both_commands() -> None:
    result = runner.invoke(app, ["customers", "--help"])

    assert result.exit_code == 0
    assert "export" in result.output and "erase" in result.output


@pytest.mark.usefixtures("database")
def test_the_export_is_the_api_s_document_on_the_terminal() -> None:
    result = runner.invoke(app, ["customers", "export", "C-1"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["customer"]["name"] == "Ada Lovelace"
    assert [o["id"] for o in document["orders"]] == ["O-1"]
    assert document["orders"][0]["ship_to"]["line1"] == "1 Elm St"


@pytest.mark.usefixtures("database")
def test_the_export_goes_to_a_file_with_out(tmp_path: Path) -> None:
    target = tmp_path / "c-1.json"

    result = runner.invoke(app, ["customers", "export", "C-1", "--out", str(target)])

    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["customer_id"] == "C-1"
    assert "1 order(s)" in result.output and str(target) in result.output


@pytest.mark.usefixtures("database")
def test_an_unknown_customer_is_one_red_line_and_exit_1() -> None:
    for command in (["export", "C-9"], ["erase", "C-9", "--reason", "r", "--yes"]):
        result = runner.invoke(app, ["customers", *command])

        assert result.exit_code == 1
        assert result.output.strip() == "error: customer 'C-9' does not exist"


@pytest.mark.usefixtures("database")
def test_erase_asks_first_and_a_no_erases_nothing() -> None:
    result = runner.invoke(app, ["customers", "erase", "C-1", "--reason", "request 7"], input="n\n")

    assert result.exit_code == 1
    assert "Erase the personal data of customer C-1? This cannot be undone" in result.output
    exported = runner.invoke(app, ["customers", "export", "C-1"]).output
    assert json.loads(exported)["customer"]["email"] == "ada@example.com"


@pytest.mark.usefixtures("database")
def test_erase_says_what_it_erased_and_the_second_time_that_nothing_was_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGNAME", "ann")  # the operator the audit log names
    first = runner.invoke(app, ["customers", "erase", "C-1", "--reason", "request 7"], input="y\n")
    again = runner.invoke(app, ["customers", "erase", "C-1", "--reason", "request 7", "--yes"])

    assert first.exit_code == 0, first.output
    assert "customer C-1 erased: customers 1, orders 1" in first.output
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "customer C-1: nothing left to erase (erased before)"
    document = json.loads(runner.invoke(app, ["customers", "export", "C-1"]).output)
    assert document["customer"]["email"].endswith("@erased.invalid")
    assert document["audit"][-1]["actor"] == "cli:ann"


def test_an_open_order_refuses_the_erasure_naming_it(database: str) -> None:
    store(database, an_order(id="O-2", channel_order_id="W-2", status=OrderStatus.RELEASED))

    result = runner.invoke(app, ["customers", "erase", "C-1", "--reason", "request 7", "--yes"])

    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert said.startswith("error: customer C-1 has 1 order(s) not finished (O-2)")
    assert "Traceback" not in result.output


def test_a_blank_or_missing_reason_is_refused_before_anything_runs() -> None:
    blank = runner.invoke(app, ["customers", "erase", "C-1", "--reason", " ", "--yes"])
    missing = runner.invoke(app, ["customers", "erase", "C-1", "--yes"])

    assert blank.exit_code == 1
    assert blank.output.strip() == "error: --reason: say why the customer's personal data is erased"
    assert missing.exit_code == 2
    assert "--reason" in missing.output


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
