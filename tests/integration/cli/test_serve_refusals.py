"""`ordo serve` against a database it cannot serve from says so in one line and exits 1,
before uvicorn starts (whose startup failure would print the reason under a traceback); so
does `ordo db upgrade` on a database a newer Ordo migrated."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.cli.test_up import unused_port


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_database_without_the_schema_asks_for_db_upgrade(
    tmp_path: Path, workers: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("ORDO_")}
    environment["ORDO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"
    command = ["serve", "--port", str(unused_port()), "--workers", workers]
    finished = subprocess.run(
        [sys.executable, "-m", "ordo", *command],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output
    assert "Traceback" not in output
    assert output.strip() == (
        "error: the database has no Ordo schema yet (table ruleset_versions is missing): "
        "run `ordo db upgrade` first; if it was upgraded before, its schema is damaged (a "
        "table dropped, or a partial restore): restore it from a backup"
    )


def test_a_database_from_a_newer_ordo_is_named_by_its_revision_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ordo.cli import app

    database = tmp_path / "newer.sqlite3"
    monkeypatch.setenv("ORDO_DATABASE_URL", f"sqlite:///{database}")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert said.startswith(
        "error: the database is at schema revision 9999, which this Ordo does not know"
    )


def test_db_upgrade_on_a_schema_at_the_newest_revision_but_missing_a_table_says_it_is_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ordo.cli import app

    database = tmp_path / "damaged.sqlite3"
    monkeypatch.setenv("ORDO_DATABASE_URL", f"sqlite:///{database}")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TABLE api_keys")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert said == (
        "error: the database is at the newest schema revision but lacks table(s) api_keys: "
        "its schema is damaged (a table dropped by hand, or a partial restore), which `ordo db "
        "upgrade` cannot repair; restore the database from a backup, or point "
        "ORDO_DATABASE_URL at a new one and run `ordo db upgrade`"
    )
