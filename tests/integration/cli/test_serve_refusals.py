"""`ordo serve` against a database it cannot serve from says so in one line and exits 1,
before uvicorn starts (whose startup failure would print the reason under a traceback)."""

from __future__ import annotations

import os
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
        "run `ordo db upgrade` first"
    )
