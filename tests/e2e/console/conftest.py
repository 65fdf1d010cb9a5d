"""The console against a real API: uvicorn on a loopback port over a migrated SQLite file.

`world` (one per test module, so a module's changes never leak into another's) holds the
demo data set, the shipped rulesets published as version 1 by an admin over HTTP, and a few
orders ingested through the pipeline so they carry decision traces. `console(world, role)`
is an `AppTest` of `admin_ui/app.py` signed in through its own form with that role's key.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from rich.console import Console
from streamlit.testing.v1 import AppTest

from api.app import create_app
from engine.adapters.migrations import upgrade
from engine.domain.operations import Alert
from engine.domain.values import utcnow
from engine.simulation.commands import import_command
from ordo import demo
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, issue_role_keys, wire_pipeline
from tests.e2e.live import serve

if TYPE_CHECKING:
    from tests.e2e.console.gateway import Gateway

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "admin_ui" / "app.py"
RULESETS = ROOT / "rulesets"
EXAMPLE = ROOT / "docs" / "examples" / "simulation"
DATASET = "acme-july"
# Generous: the first run of a page imports plotly and pandas.
TIMEOUT = 60

# Orders a support person will look for; ingested through the API, so each is decided.
EMAIL = "grace.hopper@example.com"
ORDERS = [
    {
        "channel": "web",
        "channel_order_id": "CONSOLE-1",
        "customer_id": "CUST-00001",
        "email": EMAIL,
        "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY", "name": "Grace"},
        "lines": [{"sku": "APP-BBC-BLACK", "quantity": 2}, {"sku": "APP-BBC-KHAKI", "quantity": 1}],
    },
    {
        "channel": "web",
        "channel_order_id": "CONSOLE-2",
        "customer_id": "CUST-00002",
        "email": "alan.turing@example.com",
        "ship_to": {"postal_code": "94105", "city": "San Francisco", "state": "CA"},
        "lines": [{"sku": "APP-BBC-BLACK", "quantity": 1}],
    },
]

ALERT = Alert(
    id="alt_console_1",
    rule="shipment_alerts: Too many late shipments from one carrier",
    severity="warning",
    key="carrier:RPS",
    message="6 late shipments from RPS within an hour",
    created_at=utcnow(),
)


@dataclass
class World:
    url: str
    keys: dict[str, str]
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    live: dict[str, str] = field(default_factory=dict)  # ruleset name -> live version id
    # The API's database, for a test playing another process on it (a worker parking events).
    database_url: str = ""

    def http(self, role: str = "admin") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"X-API-Key": self.keys[role]}, timeout=TIMEOUT
        )


def publish_shipped_rulesets(http: httpx.Client) -> dict[str, str]:
    live = {}
    for path in sorted(RULESETS.glob("*.ordo")):
        draft = http.post("/v1/rulesets/drafts", json={"source": path.read_text()})
        assert draft.status_code == 201, draft.text
        done = http.post(f"/v1/rulesets/versions/{draft.json()['id']}/publish", json={})
        assert done.status_code == 200, done.text
        live[done.json()["name"]] = done.json()["id"]
    return live


@pytest.fixture(autouse=True)
def keep_the_main_module() -> Iterator[None]:
    """Streamlit's script runner makes each page script `sys.modules["__main__"]` and never
    puts the real one back; a later test that starts a spawned process pool (a simulation
    job) would then make its children re-run that temporary page script and die."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{data_dir}/ordo.sqlite3"
    upgrade(url)
    # The worked example's history (two bad rows skipped) is what the simulation page replays.
    quiet = Console(file=io.StringIO())
    import_command(quiet, data_dir, DATASET, {}, EXAMPLE / "mapping.yaml", keep_going=True)
    settings = load_settings(
        database_url=url, environment="test", secret_key=SECRET, data_dir=data_dir
    )
    with build_app_container(settings) as container:
        wire_pipeline(container)
        keys = issue_role_keys(container)
        demo.seed_demo(container.uow_factory)
        with container.uow_factory() as uow:
            # Alerts come from the worker's alert rules; one stands in for them here.
            uow.alerts.add(ALERT)
            uow.commit()
        # The console signs in to ORDO_API_URL only, as `ordo console` sets it.
        with serve(create_app(container)) as base, pytest.MonkeyPatch.context() as patch:
            patch.setenv("ORDO_API_URL", base)
            built = World(url=base, keys=keys, database_url=url)
            with built.http() as http:
                built.live = publish_shipped_rulesets(http)
                for body in ORDERS:
                    answer = http.post("/v1/orders", json=body)
                    assert answer.status_code == 201, answer.text
                    built.orders[body["channel_order_id"]] = answer.json()
            yield built


def console(world: World, role: str = "admin") -> AppTest:
    """The console, signed in through its form with `role`'s key."""
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.run()
    app.text_input[1].set_value(world.keys[role])
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert app.session_state["ordo_principal"]["role"] == role
    return app


def open_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"screens/{page}.py").run()
    assert not app.exception, app.exception
    return app


def texts(app: AppTest) -> str:
    """Every message, caption, markdown and code block on the page, as one string."""
    parts: list[str] = []
    for kind in ("error", "warning", "success", "info", "caption", "markdown", "code", "title"):
        parts.extend(str(element.value) for element in getattr(app, kind))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def gateway_server(world: World) -> Iterator[Gateway]:
    """The API behind a gateway failing the routes a test adds to `failing`, or losing their
    answers (`losing`) (gateway.py)."""
    from tests.e2e.console.gateway import Gateway, gateway_app  # it imports this module

    gateway = Gateway(url="", keys=world.keys)
    with serve(gateway_app(world.url, gateway)) as url:
        gateway.url = url
        yield gateway


@pytest.fixture
def gateway(gateway_server: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    gateway_server.failing.clear()
    gateway_server.losing.clear()
    gateway_server.lost.clear()
    # The console signs in to ORDO_API_URL only: this test's console goes through the gateway.
    monkeypatch.setenv("ORDO_API_URL", gateway_server.url)
    yield gateway_server
    gateway_server.failing.clear()
    gateway_server.losing.clear()
