"""`ordo serve --workers 2` as a real process: several API processes on one port, each with
the settings this run was given (file and flags), stopping cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from engine.adapters.migrations import upgrade
from tests.integration.cli.test_up import ADMIN_KEY, unused_port, wait_for

SECRET = "a-secret-only-the-settings-file-knows-0123456789"


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_serve_with_two_workers_answers_from_processes_that_read_the_same_settings(
    tmp_path: Path,
) -> None:
    database = tmp_path / "ordo.sqlite3"
    upgrade(f"sqlite:///{database}")
    # The key is checked against the secret in the file: a worker that did not read the
    # file would refuse it.
    settings_file = tmp_path / "ordo.env"
    settings_file.write_text(
        f"ORDO_DATABASE_URL=sqlite:///{database}\n"
        f"ORDO_SECRET_KEY={SECRET}\n"
        f"ORDO_BOOTSTRAP_ADMIN_KEY={ADMIN_KEY}\n"
    )
    port = unused_port()
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("ORDO_")}
    command = ["--settings", str(settings_file), "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "ordo", *command],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health", process).status_code == 200
        workers = _children(process.pid)
        answers = [
            httpx.get(
                f"http://127.0.0.1:{port}/v1/locations",
                headers={"X-API-Key": ADMIN_KEY},
                timeout=10,
            ).status_code
            for _ in range(20)
        ]
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert len(workers) >= 2, output
    assert answers == [200] * 20, output
    assert process.returncode == 0, output
    assert "Traceback" not in output
