"""The console in a real browser: API and `streamlit run` as a subprocess, Debian's headless
Chromium driven by Playwright. Sign in, open the rules page, save a draft with an error, see
the diagnostic at its line, and keep a screenshot in artifacts/console-rules.png.

Chromium comes from the system (scripts/install-system-deps.sh, run by `make test`); when it
is missing this test fails with that instruction, it never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.console.conftest import APP, DATASET, EXAMPLE, ROOT, World

ARTIFACT = ROOT / "artifacts" / "console-rules.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_SECONDS = 60
STEP_MS = 60_000


def chromium() -> str:
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail(
        "Debian's chromium is not installed: run scripts/install-system-deps.sh "
        "(make test does so under CI) and try again"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def console_url(world: World, tmp_path: Path) -> Iterator[str]:
    """`streamlit run admin_ui/app.py` on a free port, pointed at the test API."""
    port = free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ],
        env={**os.environ, "ORDO_API_URL": world.url},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so cleanup reaches any children
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}: {_tail(tmp_path)}")
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text.strip() == "ok":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start in {START_SECONDS}s: {_tail(tmp_path)}")
            time.sleep(0.3)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def _tail(tmp_path: Path) -> str:
    return (tmp_path / "streamlit.log").read_text(errors="replace")[-2000:]


def test_an_analyst_signs_in_saves_a_broken_draft_and_sees_the_error_at_its_line(
    world: World, console_url: str
) -> None:
    with world.http() as http:
        source = http.get(f"/v1/rulesets/versions/{world.live['routing']}").json()["source"]
    broken = source.replace("when order.total < 50 USD", "when order.totl < 50 USD")
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "order.totl" in text)
    column = broken.splitlines()[line - 1].index("totl") + 1
    ARTIFACT.parent.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            page.set_default_timeout(STEP_MS)
            expect.set_options(timeout=STEP_MS)
            page.goto(console_url)
            page.get_by_label("API key or token").fill(world.keys["analyst"])
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="Rulesets").click()
            editor = page.get_by_role("textbox", name="Rules", exact=True)
            # The text a person sees is the textarea's value: its text content is only what
            # it was first drawn with, which depends on when Streamlit filled it in.
            expect(editor).to_have_value(re.compile("sourcing ruleset routing"))
            editor.fill(broken)
            # Ctrl+Enter hands the text to Streamlit before the button is pressed.
            editor.press("Control+Enter")
            page.get_by_role("button", name="Save draft").click()
            expect(page.get_by_text("Saved as version 2. 1 error(s)")).to_be_visible()
            # Streamlit renders the backticks as code, so match the words around them.
            message = page.get_by_text(f"Line {line}, column {column}:")
            expect(message).to_be_visible()
            expect(message).to_contain_text("has no field totl. Did you mean total?")
            listing = page.locator("code").filter(has_text="^ error: `order` has no field")
            expect(listing).to_be_visible()
            message.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACT), full_page=True)
        finally:
            browser.close()
    assert ARTIFACT.stat().st_size > 10_000


def finished_simulation(world: World) -> tuple[str, str]:
    """A simulation of the example's routing draft run over HTTP: (job id, a changed order)."""
    with world.http("analyst") as http:
        draft = http.post(
            "/v1/rulesets/drafts", json={"source": (EXAMPLE / "routing_draft.ordo").read_text()}
        ).json()
        job = http.post(
            "/v1/simulations",
            json={"dataset": DATASET, "drafts": [draft["id"]], "limit": 60, "workers": 1},
        ).json()
        deadline = time.monotonic() + 120
        while (state := http.get(f"/v1/simulations/{job['id']}").json())["status"] not in (
            "succeeded",
            "failed",
        ):
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert state["status"] == "succeeded", state
        changed = http.get(f"/v1/simulations/{job['id']}/changed").json()
    assert changed, "the draft changed no order; the example should change some"
    return job["id"], changed[-1]["order"]


def test_a_link_to_a_simulated_order_opens_its_two_decisions_after_sign_in(
    world: World, console_url: str
) -> None:
    job_id, order_id = finished_simulation(world)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2400})
            page.set_default_timeout(STEP_MS)
            expect.set_options(timeout=STEP_MS)
            page.goto(f"{console_url}/simulation?job={job_id}&order={order_id}")
            page.get_by_label("API key or token").fill(world.keys["analyst"])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Orders decided differently")).to_be_visible()
            picked = page.get_by_role("combobox", name="Compare one order's two decisions")
            expect(picked).to_have_value(order_id)
            expect(page.get_by_text("baseline:", exact=False).first).to_be_visible()
            expect(page.get_by_text("draft:", exact=False).first).to_be_visible()
        finally:
            browser.close()
