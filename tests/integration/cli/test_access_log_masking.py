"""`ordo serve`'s access log keeps no personal data from query strings: each request is logged
with its path and its parameters' names, the values masked (`/v1/orders?email=…`), in one
process and in several."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from engine.adapters.migrations import upgrade
from tests.integration.cli.test_up import ADMIN_KEY, unused_port, wait_for

SECRET = "a-secret-for-the-access-log-test-0123456789abcdef"
EMAIL = "ada.lovelace@example.com"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_access_log_names_the_query_parameters_but_not_their_values(
    tmp_path: Path, workers: str
) -> None:
    database = tmp_path / "ordo.sqlite3"
    upgrade(f"sqlite:///{database}")
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("ORDO_")}
    environment |= {
        "ORDO_DATABASE_URL": f"sqlite:///{database}",
        "ORDO_SECRET_KEY": SECRET,
        "ORDO_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "ORDO_LOG_LEVEL": "INFO",
    }
    port = unused_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ordo", "serve", "--port", str(port), "--workers", workers],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process)
        answer = httpx.get(
            f"http://127.0.0.1:{port}/v1/orders",
            params={"email": EMAIL, "status": "received"},
            headers={"X-API-Key": ADMIN_KEY},
            timeout=10,
        )
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert answer.status_code < 500, answer.text
    assert f'"GET /v1/orders?email=…&status=… HTTP/1.1" {answer.status_code}' in output, output
    assert "ada.lovelace" not in output and "example.com" not in output, output
