"""`ordo preorders release`: run the pre-order release by hand, and fail in one clear line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", f"sqlite:///{tmp_path / 'ordo.db'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0


def test_help_says_what_the_release_does_and_takes() -> None:
    result = runner.invoke(app, ["preorders", "release", "--help"])
    assert result.exit_code == 0
    assert "Source the pre-orders whose product is out" in result.output
    assert "--today" in result.output


def test_a_date_that_is_not_a_date_is_refused_naming_the_option() -> None:
    result = runner.invoke(app, ["preorders", "release", "--today", "15/12/2026"])
    assert result.exit_code == 2
    assert "Invalid value for '--today'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command", [["preorders", "release", "--today"], ["simulate", "x", "--from"]]
)
def test_a_day_that_is_not_on_the_calendar_is_called_so_not_a_format_mismatch(
    command: list[str],
) -> None:
    result = runner.invoke(app, [*command, "2026-02-30"])
    assert result.exit_code == 2
    said = " ".join(result.output.replace("│", " ").split())
    assert "'2026-02-30': not a day of the calendar (day is out of range for month)" in said


@pytest.mark.parametrize(
    ("day", "said"),
    [
        ("0001-01-01", "expected a day from 1900-01-01 to 9000-12-31"),
        ("20260105", "expected YYYY-MM-DD"),
    ],
)
def test_a_day_outside_1900_to_9000_or_not_written_yyyy_mm_dd_is_refused(
    day: str, said: str
) -> None:
    result = runner.invoke(app, ["preorders", "release", "--today", day])
    assert result.exit_code == 2
    assert said in " ".join(result.output.replace("│", " ").split())


@pytest.mark.usefixtures("database")
def test_a_date_after_today_is_one_red_line_and_exit_1() -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    result = runner.invoke(app, ["preorders", "release", "--today", later])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"error: cannot release pre-orders as of {later}")


@pytest.mark.usefixtures("database")
def test_with_nothing_due_it_says_so() -> None:
    result = runner.invoke(app, ["preorders", "release", "--today", "2026-01-05"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "pre-orders out by 2026-01-05: 0 released"
