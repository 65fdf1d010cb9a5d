"""`ordo up` (what `make run` runs) starts the console next to the API, pointed at it, with
a history to simulate, and prints where it is and how to sign in; the printed key signs in to
the console in a browser."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.console.test_console_browser import CHROMIUM_ARGS, STEP_MS, chromium

START_SECONDS = 120


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"ordo up exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer in {START_SECONDS}s: {log.read_text()[-2000:]}")
        time.sleep(0.5)


def test_ordo_up_serves_the_console_pointed_at_the_api_and_prints_how_to_sign_in(
    tmp_path: Path,
) -> None:
    api_port, console_port = unused_port(), unused_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.upper().startswith("ORDO_")},
        "ORDO_DATA_DIR": str(tmp_path / "data"),
        "ORDO_API_PORT": str(api_port),
        "ORDO_CONSOLE_PORT": str(console_port),
        "COLUMNS": "200",  # one line per message, so the key is read back whole
    }
    log = tmp_path / "up.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ordo", "up"],
            cwd=tmp_path,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api = f"http://127.0.0.1:{api_port}"
    console = f"http://127.0.0.1:{console_port}"
    try:
        wait_until_up(f"{api}/health", process, log)
        wait_until_up(f"{console}/_stcore/health", process, log)
        output = log.read_text()
        assert f"console on {console}" in output
        assert "sign in to the console with the admin API key above" in output
        key = re.search(r"^(ordo_[A-Za-z0-9]+_[A-Za-z0-9_\-]+)\s*$", output, re.M)
        assert key, output
        assert "demo history for the console's Simulation page: acme-july" in output
        datasets = httpx.get(
            f"{api}/v1/simulations/datasets", headers={"X-API-Key": key.group(1)}, timeout=10
        ).json()
        assert [d["name"] for d in datasets] == ["acme-july"] and datasets[0]["orders"] > 100
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_default_timeout(STEP_MS)
                expect.set_options(timeout=STEP_MS)
                page.goto(console)
                # The console found the API through ORDO_API_URL, set by `ordo up`.
                expect(page.get_by_label("API address")).to_have_value(api)
                page.get_by_label("API key or token").fill(key.group(1))
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_text("(admin)")).to_be_visible()
                expect(page.get_by_role("link", name="Orders")).to_be_visible()
            finally:
                browser.close()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert "Traceback" not in log.read_text()
