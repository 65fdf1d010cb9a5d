"""HTTP API benchmark: orders per second and latency through the whole pipeline, over HTTP.

    .venv/bin/python -m bench.http_bench                 # the documented run (~1 minute)
    .venv/bin/python -m bench.http_bench --quick         # a smoke run (~15 seconds)
    .venv/bin/python -m bench.http_bench --write         # also update docs/benchmarks.md

For each database (SQLite file, then a throw-away PostgreSQL database on 127.0.0.1:5432) the
benchmark migrates a fresh database, seeds three warehouses and 200 SKUs with ample stock,
starts the real app under uvicorn in a child process on a loopback port, and drives it from
this process with N concurrent keep-alive HTTP clients for a fixed time:

- **ceiling**: `POST /bench/parse` on the same server: the body is parsed and validated into
  `OrderIn` and echoed, nothing else (no auth, no database); the most this server can do;
- **orders**: `POST /v1/orders` with a channel key: a 5-line order (5 distinct SKUs drawn
  from 200 stocked at all three warehouses) is authenticated,
  validated, sourced, reserved atomically, persisted with its shipments, traces, audit entry
  and outbox events, and returned as decided.

Both phases run against the same server process, one after the other, after a warm-up.
Throughput is completed requests per second of wall time; latencies are per request as the
client saw them. Every order must come back 201 and `released`, or the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import random
import re
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

SECRET = "http-bench-secret-0123456789abcdef0123456789"
# A catalogue of 200 SKUs stocked everywhere; each order draws 5 distinct ones, so concurrent
# orders contend for stock rows the way a real assortment does, not all for the same five.
SKUS = tuple(f"BENCH-{n:03d}" for n in range(200))
LINES = 5
LOCATIONS = (("DAL-01", "75201"), ("RNO-02", "89501"), ("EWR-03", "07114"))
ANALYSIS = """
**Reading the figures.** req/s and latencies are wall-clock on shared cores and move with
whatever else runs; *server CPU ms/req* moves less, and its ratio is what this server could
sustain unloaded (the database server's own CPU excluded). An HTTP order is now one
transaction: the order is decided in the transaction that creates it (the pipeline runs
in-process), its audit entry is written there too, and the response is the order as that
transaction committed it, not read back. On PostgreSQL that is 18 statements (the channel's
order id, products, stock, customer, locations and capacity counts read once each, one
conditional UPDATE per line, one INSERT per table) where it was 32 in two transactions plus
a third for the audit entry. Called in-process (the route function without HTTP, CPU time,
300 orders, both versions in the same minute) a 5-line order went from 9.8 to 5.9 ms on
SQLite and from 16.5 to 9.1 ms on PostgreSQL; about a third of the PostgreSQL figure is the
driver waiting on and decoding round trips, a tenth the Decider. Under uvicorn
on the loaded machine it measures more (thread hand-offs, and CPU time itself inflates when
two cores run seven or more busy processes: 12-14 ms per PostgreSQL order across runs at a
load of 5-7, against 15.4 ms for the old path at a load of 1.2). The target is **not met** on
PostgreSQL: orders/ceiling req/s was 0.18-0.25 across full runs on the loaded machine (0.14
before these changes), and p99 is far above 50 ms. With 8 closed-loop clients p99 is
queueing: at ~50 orders/s each request waits behind the seven others (8 / 50 per second is
160 ms on average), so p99 ≤ 50 ms needs about 250 orders/s from one process, i.e. ~3 ms of
CPU per order, or fewer clients, or more server processes. SQLite's p99 adds its busy
handler's back-off sleeps when eight threads queue for the one writer.
"""
SECTION = "## HTTP API"
DOC = ROOT / "docs" / "benchmarks.md"


@dataclass
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_seconds: float = 0.0

    @property
    def cpu_ms(self) -> float:
        """Server-process CPU per request: what the request costs, whatever else the machine
        is doing (the database server's own CPU is not included)."""
        return self.server_cpu_seconds * 1000 / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --- the server (child process) -------------------------------------------------------------


def _settings(url: str) -> Any:
    from ordo.settings import load_settings

    return load_settings(
        database_url=url, environment="test", secret_key=SECRET, log_level="WARNING"
    )


def _serve(url: str, port: int) -> None:
    """Child process: the real app for `url`, plus the parse-only ceiling route."""
    import uvicorn

    from api.app import create_app
    from api.schemas.orders import OrderIn
    from ordo.bootstrap import build_app_container

    container = build_app_container(_settings(url))
    app = create_app(container)

    def parse_only(body: OrderIn) -> OrderIn:
        return body

    # Real types, not this module's postponed strings, so FastAPI reads `body` as the JSON body.
    parse_only.__annotations__ = {"body": OrderIn, "return": OrderIn}
    app.post("/bench/parse", include_in_schema=False)(parse_only)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measured(pid: int, run: Callable[[], Phase]) -> Phase:
    before = _cpu_seconds(pid)
    phase = run()
    phase.server_cpu_seconds = _cpu_seconds(pid) - before
    return phase


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the data -------------------------------------------------------------------------------


def _prepare(url: str) -> str:
    """Migrate, seed, and return a channel key for `url`."""
    from decimal import Decimal

    from engine.adapters.migrations import upgrade
    from engine.adapters.orm_api import SqlApiKeyStore
    from engine.domain.catalog import Location, LocationType, Product
    from engine.domain.inventory import Stock
    from engine.domain.values import Address
    from engine.service_layer.auth import create_api_key
    from ordo.bootstrap import build_app_container

    upgrade(url)
    with build_app_container(_settings(url)) as container:
        with container.uow_factory() as uow:
            for code, postal in LOCATIONS:
                uow.locations.add(
                    Location(code, code, LocationType.WAREHOUSE, Address(postal_code=postal))
                )
            for sku in SKUS:
                uow.products.add(Product(sku, sku, price=Decimal("12.50"), weight_kg=0.5))
                for code, _ in LOCATIONS:
                    uow.stock.add(Stock(sku, code, on_hand=50_000_000))
            uow.commit()
        _, key = create_api_key(
            SqlApiKeyStore(container.session_factory),
            "bench",
            "channel",
            server_secret=SECRET,
            channel="bench",
        )
    return key


def _order() -> dict[str, Any]:
    return {
        "channel_order_id": f"B-{secrets.token_hex(8)}",
        "customer_id": "C-BENCH",
        "email": "bench@example.com",
        "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
        "lines": [
            {"sku": sku, "quantity": 1 + i % 2} for i, sku in enumerate(random.sample(SKUS, LINES))
        ],
    }


# --- the load generator ---------------------------------------------------------------------


async def _drive(
    base: str,
    path: str,
    headers: dict[str, str],
    clients: int,
    seconds: float,
    check: Callable[[httpx.Response], bool],
) -> Phase:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def one_client(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            body = _order()
            started = time.perf_counter()
            response = await client.post(path, json=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if not check(response):
                errors += 1
                if errors <= 3:
                    print(f"  unexpected {response.status_code}: {response.text[:300]}")

    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one_client(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return Phase(path, len(latencies), errors, elapsed, latencies)


def _released(response: httpx.Response) -> bool:
    return response.status_code == 201 and response.json().get("status") == "released"


def _parsed(response: httpx.Response) -> bool:
    return response.status_code == 200


def run_database(
    label: str, url: str, clients: int, seconds: float, warmup: float
) -> dict[str, Phase]:
    key = _prepare(url)
    port = _free_port()
    context = multiprocessing.get_context("spawn")
    server = context.Process(target=_serve, args=(url, port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        headers = {"X-API-Key": key}
        asyncio.run(_drive(base, "/v1/orders", headers, clients, warmup, _released))
        asyncio.run(_drive(base, "/bench/parse", {}, clients, warmup / 2, _parsed))
        pid = int(server.pid or 0)
        ceiling = _measured(
            pid, lambda: asyncio.run(_drive(base, "/bench/parse", {}, clients, seconds, _parsed))
        )
        orders = _measured(
            pid,
            lambda: asyncio.run(_drive(base, "/v1/orders", headers, clients, seconds, _released)),
        )
    finally:
        server.terminate()
        server.join(10)
    for phase in (ceiling, orders):
        if phase.errors:
            raise SystemExit(f"{label} {phase.name}: {phase.errors} unexpected responses")
    return {"ceiling": ceiling, "orders": orders}


def _wait_ready(base: str, server: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not server.is_alive():
            raise SystemExit("the server process exited during start-up")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /health within 60 seconds")


# --- databases ------------------------------------------------------------------------------


def _sqlite(directory: str) -> str:
    return f"sqlite:///{directory}/bench.sqlite3"


def _postgres_create() -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"ordo_bench_{secrets.token_hex(4)}"
    admin = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]

    def drop() -> None:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


# --- report ---------------------------------------------------------------------------------


def report(results: dict[str, dict[str, Phase]], clients: int, seconds: float) -> str:
    lines = [
        SECTION,
        "",
        "`.venv/bin/python -m bench.http_bench` — the real app under uvicorn (one process) on a",
        f"loopback port, {clients} concurrent keep-alive clients in one asyncio process, "
        f"{seconds:.0f} s per phase",
        "after a warm-up. **orders**: `POST /v1/orders`, a 5-line order (5 of 200 SKUs stocked at",
        "3 warehouses) authenticated, validated,",
        "sourced, reserved atomically, persisted with shipments, traces, audit entry and outbox",
        "events, returned decided (every response checked: 201 and `released`). **ceiling**: the",
        "same server's `POST /bench/parse`, which only parses and validates the same body.",
        "",
        "| database | phase | req/s | p50 ms | p99 ms | requests | server CPU ms/req "
        "| orders ÷ ceiling (req/s) | (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, phases in results.items():
        ceiling, orders = phases["ceiling"], phases["orders"]
        ratio = orders.rate / ceiling.rate if ceiling.rate else 0.0
        cpu_ratio = ceiling.cpu_ms / orders.cpu_ms if orders.cpu_ms else 0.0
        for name, phase in (("ceiling", ceiling), ("orders", orders)):
            cells = f"{ratio:.3f}× | {cpu_ratio:.3f}×" if name == "orders" else " | "
            lines.append(
                f"| {label} | {name} | {phase.rate:,.0f} | {phase.pct(50):.1f} | "
                f"{phase.pct(99):.1f} | {phase.requests:,} | {phase.cpu_ms:.2f} | {cells} |"
            )
    lines += [
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores shared "
        f"with the load generator (and other work), Python {platform.python_version()}; "
        f"1-minute load average at the end: {os.getloadavg()[0]:.1f}.",
        "Target (issue 5): orders ≥ 0.25× the ceiling on PostgreSQL with p99 ≤ 50 ms.",
        "",
        *ANALYSIS.strip("\n").splitlines(),
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace (or append) this benchmark's own section of docs/benchmarks.md, nothing else."""
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--only", choices=("sqlite", "postgres"), default=None)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 12.0)
    warmup = 1.0 if args.quick else 3.0
    results: dict[str, dict[str, Phase]] = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as directory:
            print("SQLite ...", flush=True)
            results["SQLite"] = run_database(
                "SQLite", _sqlite(directory), args.clients, seconds, warmup
            )
    if args.only in (None, "postgres"):
        url, drop = _postgres_create()
        try:
            print("PostgreSQL ...", flush=True)
            results["PostgreSQL"] = run_database("PostgreSQL", url, args.clients, seconds, warmup)
        finally:
            drop()
    text = report(results, args.clients, seconds)
    print(text)
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
