"""`ordo up` (what `make run` calls) as a real process: migrate, seed, serve, stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ordo.bootstrap import build_app_container
from ordo.settings import load_settings

STARTUP_SECONDS = 90
ADMIN_KEY = "ordo_0a0b0c0d_" + "an-admin-secret-for-this-test-only"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"ordo up exited early with {process.returncode}"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {STARTUP_SECONDS}s")


def test_ordo_up_seeds_serves_the_api_runs_a_worker_and_stops_cleanly(tmp_path: Path) -> None:
    api_port, console_port = unused_port(), unused_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.upper().startswith("ORDO_")},
        "ORDO_DATA_DIR": str(tmp_path / "data"),
        "ORDO_API_PORT": str(api_port),
        "ORDO_CONSOLE_PORT": str(console_port),
        "ORDO_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "ordo", "up"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        openapi = wait_for(f"http://127.0.0.1:{api_port}/openapi.json", process)
        docs = httpx.get(f"http://127.0.0.1:{api_port}/docs", timeout=5)
        locations = httpx.get(
            f"http://127.0.0.1:{api_port}/v1/locations",
            headers={"X-API-Key": ADMIN_KEY},
            timeout=5,
        )
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert openapi.status_code == 200, output
    assert openapi.json()["info"]["title"] == "Ordo"
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert locations.status_code == 200, locations.text
    assert len(locations.json()) == 20
    assert process.returncode == 0, output
    assert "Traceback" not in output
    # The worker child got SIGTERM from `up` and finished its batch rather than being killed.
    assert "worker started" in output and "stopped after" in output, output
    url = f"sqlite:///{tmp_path / 'data' / 'ordo.sqlite3'}"
    with (
        build_app_container(load_settings(database_url=url)) as container,
        container.uow_factory() as uow,
    ):
        assert len(uow.locations.list(limit=100)) == 20
