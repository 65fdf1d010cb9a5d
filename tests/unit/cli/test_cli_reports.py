"""`ordo report ...`: the period reports at the terminal, as tables or as the API's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app
from tests.support.engines import an_engine, uow_factory_on
from tests.unit.reports.report_history import build

runner = CliRunner()
PERIOD = ["--from", "2026-03-01", "--to", "2026-03-07"]


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'ordo.db'}"
    monkeypatch.setenv("ORDO_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with an_engine(url) as engine:
        build(uow_factory_on(engine)())


def test_json_prints_the_report_as_the_api_answers_it(history: None) -> None:
    result = runner.invoke(app, ["report", "sales", *PERIOD, "--json"])
    assert result.exit_code == 0, result.output
    sales = json.loads(result.output)
    assert sales["period"] == {"from": "2026-03-01", "to": "2026-03-07", "days": 7}
    assert (sales["orders"], sales["units"]) == (6, 10)
    assert sales["revenue"] == {"EUR": "22.00", "USD": "46.50"}


def test_tables_show_each_figure_with_the_counts_behind_its_rate(history: None) -> None:
    result = runner.invoke(app, ["report", "fulfilment", *PERIOD])
    assert result.exit_code == 0, result.output
    assert "fulfilment report, 2026-03-01 to 2026-03-07 (7 days, UTC)" in result.output
    assert "66.67% (2/3)" in result.output  # ups on time, and the split orders
    for name in ("sales", "operations", "customers", "inventory"):
        shown = runner.invoke(app, ["report", name, *PERIOD])
        assert shown.exit_code == 0, shown.output
    assert "SKU-B" in runner.invoke(app, ["report", "inventory", *PERIOD]).output


def test_a_period_that_runs_backwards_is_refused_in_one_line(history: None) -> None:
    result = runner.invoke(
        app, ["report", "customers", "--from", "2026-03-07", "--to", "2026-03-01"]
    )
    assert result.exit_code == 1
    assert "error: the period runs backwards: 'to' (2026-03-01) is before 'from'" in result.output
    assert "Traceback" not in result.output


def test_a_day_that_is_not_one_is_refused_naming_the_option() -> None:
    result = runner.invoke(app, ["report", "sales", "--to", "07/03/2026"])
    assert result.exit_code == 2
    assert "'--to'" in result.output
    assert "expected YYYY-MM-DD" in " ".join(result.output.replace("│", " ").split())
