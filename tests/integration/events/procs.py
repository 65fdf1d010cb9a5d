"""Processes the event tests start and kill: a worker, and steps that die at a chosen moment.

Run as `python tests/integration/events/procs.py <command> ...` with the repository root on
PYTHONPATH. Each command builds its objects here (a miniature composition root), so a test can
`kill -9` a real process in the middle of real work.

The effect the tests count: every `order.received` adds one unit of stock `<order_id>` at
location `EFFECT`. That is deliberately not idempotent on its own; only the worker's
processed-event record keeps it at exactly one per event.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import redis

from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.bus.redis_streams import RedisStreamsBus
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.events import Event, OrderReceived
from engine.service_layer.outbox import OutboxRelay
from engine.service_layer.unit_of_work import UnitOfWork
from engine.worker import Worker, WorkerConfig, run_workers

EFFECT = "EFFECT"
BUS_OPTIONS = {"partitions": 4, "claim_idle_ms": 1000, "lease_ms": 1000, "max_deliveries": 20}


def count_effect(event: Event, uow: UnitOfWork) -> None:
    assert isinstance(event, OrderReceived)
    time.sleep(float(os.environ.get("ORDO_TEST_HANDLER_SLEEP", "0.004")))
    uow.stock.adjust(event.order_id, EFFECT, 1)


def make_bus(redis_url: str) -> RedisStreamsBus:
    return RedisStreamsBus(redis.Redis.from_url(redis_url), **BUS_OPTIONS)  # type: ignore[arg-type]


def worker(database_url: str, redis_url: str, name: str) -> None:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    bus = make_bus(redis_url)
    built = Worker(
        bus=bus,
        uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
        handlers={"order.received": [count_effect]},
        relay=OutboxRelay(SqlOutboxStore(engine), bus, batch_size=50),
        config=WorkerConfig(name=name, batch_size=20, block_ms=200, grace_seconds=5),
    )
    print("ready", flush=True)
    run_workers([built])


def commit_then_die(database_url: str, orders: int) -> None:
    """Commit orders' events, then die before any relay could publish them."""
    factory = make_session_factory(make_engine(database_url))
    uow = SqlAlchemyUnitOfWork(factory)
    with uow:
        for n in range(orders):
            uow.record(OrderReceived(order_id=f"crash-{n}", channel="web"))
        uow.commit()
    os._exit(137)


def publish_then_die(database_url: str, redis_url: str) -> None:
    """Publish a batch of outbox rows to Redis, then die before stamping them published."""
    engine = make_engine(database_url)
    store = SqlOutboxStore(engine)
    bus = make_bus(redis_url)
    with store.claim(1000) as batch:
        for row in batch.rows:
            bus.publish(row.name, row.payload, row.partition_key, event_id=str(row.id))
        print(len(batch.rows), flush=True)
        os._exit(137)


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker")
    w.add_argument("database_url")
    w.add_argument("redis_url")
    w.add_argument("name")
    c = sub.add_parser("commit-then-die")
    c.add_argument("database_url")
    c.add_argument("orders", type=int)
    p = sub.add_parser("publish-then-die")
    p.add_argument("database_url")
    p.add_argument("redis_url")
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker(args.database_url, args.redis_url, args.name)
    elif args.command == "commit-then-die":
        commit_then_die(args.database_url, args.orders)
    else:
        publish_then_die(args.database_url, args.redis_url)


if __name__ == "__main__":
    main(sys.argv[1:])
