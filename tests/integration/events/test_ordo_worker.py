"""`ordo worker` as an operator runs it: two processes on one Redis share the pipeline's work
on new orders; `kill -9` one and every order is still decided exactly once (PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import redis
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.bus.processed_events import processed
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.commands import AddressInput, CreateOrder, LineInput
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider
from engine.rules.registry import RulesetRegistry
from engine.service_layer.messagebus import build_bus
from ordo.demo import seed_demo
from ordo.demo.stock import plan_stock
from ordo.demo.world import build_world

ROOT = Path(__file__).resolve().parents[3]
ORDERS = 150
NOW = datetime.now(UTC)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.1)


def seed(database_url: str) -> None:
    factory = make_session_factory(make_engine(database_url))
    seed_demo(lambda: SqlAlchemyUnitOfWork(factory), now=NOW)


def partition_holders(redis_url: str) -> set[str]:
    """Which workers hold the bus's leases (default prefix `ordo`, 8 partitions)."""
    client = redis.Redis.from_url(redis_url)
    try:
        return {str(v.decode()) for p in range(8) if (v := client.get(f"ordo:lease:{p}"))}
    finally:
        client.close()


def new_orders(database_url: str) -> list[str]:
    """Take ORDERS new orders the way the API does when workers run the pipeline: committed
    with their `order.received` event, not processed in-process."""
    factory = make_session_factory(make_engine(database_url))
    world = build_world(NOW.date())
    stocked = sorted({s.sku for s in plan_stock(world.products, world.locations) if s.on_hand > 20})
    bus = build_bus(
        lambda: SqlAlchemyUnitOfWork(factory),
        Decider(RulesetRegistry(), load_catalog()),
        process_in_process=False,
    )
    ids = []
    for n in range(ORDERS):
        customer = world.customers[n % len(world.customers)]
        command = CreateOrder(
            channel="web",
            channel_order_id=f"CLI-{n}",
            customer_id=customer.id,
            email=customer.email,
            ship_to=AddressInput(postal_code="75201", city="Dallas", state="TX"),
            lines=(LineInput(sku=stocked[n % len(stocked)], quantity=1, price=Decimal("10")),),
        )
        bus.handle(command)
        with SqlAlchemyUnitOfWork(factory) as uow:
            order = uow.orders.get_by_channel_id("web", f"CLI-{n}")
            assert order is not None and order.status == "received"
            ids.append(order.id)
    return ids


def statuses(database_url: str, ids: list[str]) -> dict[str, str]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(orm.orders.c.id, orm.orders.c.status).where(orm.orders.c.id.in_(ids))
        ).all()
    engine.dispose()
    return {str(i): str(s) for i, s in rows}


def pipeline_runs(database_url: str) -> list[tuple[str, str]]:
    """(worker, event id) of every order.received the pipeline handled."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        records = processed(connection, handler="pipeline")
    engine.dispose()
    return [(r.consumer, r.event_id) for r in records if r.event_name == "order.received"]


def ordo_worker(name: str, database_url: str, redis_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ORDO_DATABASE_URL": database_url, "ORDO_REDIS_URL": redis_url,
           "ORDO_LOG_LEVEL": os.environ.get("ORDO_TEST_WORKER_LOG", "WARNING")}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "ordo", "worker", "--name", name],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_two_ordo_workers_share_new_orders_and_killing_one_loses_none(
    postgres_url: str, redis_url: str
) -> None:
    seed(postgres_url)
    victim = ordo_worker("A", postgres_url, redis_url)
    survivor = ordo_worker("B", postgres_url, redis_url)
    try:
        # Orders arrive once both workers hold partitions: a worker alone on the stream for
        # its first second could otherwise decide them all before the other takes a share.
        wait_for(lambda: partition_holders(redis_url) == {"A", "B"}, 60, "both to hold leases")
        ids = new_orders(postgres_url)
        decided = lambda: [s for s in statuses(postgres_url, ids).values() if s != "received"]  # noqa: E731
        # Both have taken a share of the stream before one dies.
        wait_for(
            lambda: {w for w, _ in pipeline_runs(postgres_url)} == {"A", "B"},
            90,
            "both workers to decide orders",
        )
        assert len(decided()) < ORDERS, "the victim must die with work left"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        wait_for(lambda: len(decided()) == ORDERS, 120, "every order to be decided")
        survivor.send_signal(signal.SIGTERM)
        code = survivor.wait(30)
        assert code == 0, survivor.stderr.read() if survivor.stderr else code
    finally:
        for process in (victim, survivor):
            if process.poll() is None:
                process.kill()
                process.wait(10)
        if os.environ.get("ORDO_TEST_WORKER_LOG"):
            for process in (victim, survivor):
                print(process.stderr.read() if process.stderr else "")

    runs = pipeline_runs(postgres_url)
    per_event = Counter(event_id for _, event_id in runs)
    assert len(per_event) == ORDERS and set(per_event.values()) == {1}
    assert {worker for worker, _ in runs} == {"A", "B"}
