"""Two real worker processes share the Redis stream; `kill -9` one mid-batch; nothing is lost
and nothing happens twice (checked in PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import redis

from engine.adapters.bus.processed_events import processed
from engine.adapters.bus.redis_streams import RedisStreamsBus
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.events import OrderReceived
from tests.integration.events.helpers import effects, start
from tests.integration.events.procs import make_bus

ORDERS = 600


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.05)


def held_by(bus: RedisStreamsBus, consumer: str) -> int:
    """Entries delivered to `consumer` and not yet acknowledged, over every partition."""
    held = 0
    for partition in range(bus.partitions):
        try:
            held += len(
                bus.client.xpending_range(
                    bus.stream(partition), bus.group, "-", "+", 1000, consumername=consumer
                )
            )
        except redis.ResponseError:
            continue  # no stream (or group) on this partition yet
    return held


def handled_by(database_url: str) -> list[tuple[str, int]]:
    """(worker, delivery attempt) of every processed-event record."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        records = processed(connection)
    engine.dispose()
    return [(record.consumer, record.attempt) for record in records]


def test_two_workers_share_the_stream_and_killing_one_loses_and_repeats_nothing(
    postgres_url: str, redis_url: str
) -> None:
    uow = SqlAlchemyUnitOfWork(make_session_factory(make_engine(postgres_url)))
    with uow:
        for n in range(ORDERS):
            uow.record(OrderReceived(order_id=f"o-{n:04d}", channel="web"))
        uow.commit()

    # The victim's handlers are slow, so its batches last seconds and the kill lands inside
    # one: killed in the few milliseconds between acknowledging a batch and reading the next,
    # it would hold nothing for the survivor to take over (a CI run once caught exactly that).
    victim = start("worker", postgres_url, redis_url, "A", env={"ORDO_TEST_HANDLER_SLEEP": "0.1"})
    survivor = start(
        "worker", postgres_url, redis_url, "B", env={"ORDO_TEST_HANDLER_SLEEP": "0.01"}
    )
    processes: list[subprocess.Popen[str]] = [victim, survivor]
    bus = make_bus(redis_url)
    try:
        wait_for(
            lambda: (
                len(effects(postgres_url)) >= ORDERS // 4
                and any(actor == "A" for actor, _ in handled_by(postgres_url))
                and held_by(bus, "A") >= 2
            ),
            60,
            "a quarter done, the victim among the handlers and holding a batch",
        )
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(10) == -signal.SIGKILL
        wait_for(
            lambda: len(effects(postgres_url)) == ORDERS and bus.pending_count() == 0,
            90,
            "the survivor to finish every event",
        )
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(20) == 0, survivor.stderr.read() if survivor.stderr else ""
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)

    assert effects(postgres_url) == {f"o-{n:04d}": 1 for n in range(ORDERS)}
    handled = handled_by(postgres_url)
    assert len(handled) == ORDERS
    assert {actor for actor, _ in handled} == {"A", "B"}
    # The victim died holding a batch: the survivor took those entries over with XAUTOCLAIM.
    assert any(actor == "B" and attempt >= 2 for actor, attempt in handled)
    assert bus.dead_letters() == []
