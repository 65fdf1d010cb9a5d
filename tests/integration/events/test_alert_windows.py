"""Windowed alert rules counted by several workers at once agree with a single worker.

Real pieces throughout: the rule language compiles the alert ruleset against the engine's
schema, the window store and the bus are Redis, alerts are stored in PostgreSQL. The events of
one carrier are spread over every partition, so several workers count the same window at the
same moment and race to open the same alert.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import redis
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.bus.redis_streams import RedisStreamsBus
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.adapters.windows_redis import RedisWindowStore
from engine.rules.registry import compile_source
from engine.service_layer.alerts import AlertEvaluator, AlertRecorder
from engine.service_layer.outbox import OutboxRelay
from engine.worker import Worker, WorkerConfig

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CARRIERS = ["ups", "ups", "dhl", "swift", "ups", "dhl"]
EVENTS = 90
RULESET = """
alert ruleset {name} on shipment.late

rule "Too many late shipments from one carrier"
  when count within 1 hour by event.carrier > 3
  then alert severity high
       message "More than 3 late shipments from {{event.carrier}} within an hour"
       to "ops@example.com"
"""


def run(name: str, workers: int, database_url: str, redis_url: str) -> dict[str, int]:
    """Publish the same late shipments under `name`, consume them with `workers` workers,
    return {carrier: occurrences of its alert}."""
    program = compile_source(RULESET.format(name=name), name, 1).program
    client = redis.Redis.from_url(redis_url)
    options = {"partitions": 4, "prefix": name, "claim_idle_ms": 300, "lease_ms": 900}
    publisher = RedisStreamsBus(client, **options)  # type: ignore[arg-type]

    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    evaluator = AlertEvaluator(
        lambda: [program], RedisWindowStore(client, prefix=f"{name}:window"), clock=lambda: NOW
    )
    buses = [RedisStreamsBus(client, **options) for _ in range(workers)]  # type: ignore[arg-type]
    crew = [
        Worker(
            bus=buses[i],
            uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
            observers=[evaluator, AlertRecorder()],
            # Triggers go back through the outbox, partitioned by (rule, key), to the recorder.
            relay=OutboxRelay(SqlOutboxStore(engine), buses[i]),
            config=WorkerConfig(name=f"{name}-{i}", batch_size=5, block_ms=100),
        )
        for i in range(workers)
    ]
    threads = [threading.Thread(target=w.run, kwargs={"max_seconds": 60}) for w in crew]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    # Publish once the partitions are spread over the crew, so every worker takes a share.
    while not all(b.owned(w.config.name) for b, w in zip(buses, crew, strict=True)):
        assert time.monotonic() < deadline, "partitions were never spread over the workers"
        time.sleep(0.05)
    for n in range(EVENTS):
        carrier = CARRIERS[n % len(CARRIERS)]
        payload = {"shipment_id": f"F-{n}", "order_id": f"O-{n}", "carrier": carrier,
                   "location_code": "DAL-01", "hours_late": 2.0}
        publisher.publish("shipment.late", payload, f"O-{n}", event_id=f"{name}-{n}")
    store = SqlOutboxStore(engine)
    while (publisher.pending_count() or store.unpublished_count()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for worker in crew:
        worker.stop()
    for thread in threads:
        thread.join(30)
    assert publisher.pending_count() == 0, "workers did not finish in time"
    assert publisher.dead_letters() == []
    if workers > 1:
        assert all(w.processed > 0 for w in crew), "every worker should have taken a share"

    with engine.connect() as connection:
        rows = connection.execute(
            select(orm.alerts.c.key, orm.alerts.c.occurrences).where(
                orm.alerts.c.rule.startswith(f"{name}/")
            )
        ).all()
    engine.dispose()
    keys = [key for key, _ in rows]
    assert len(keys) == len(set(keys)), f"one open alert per carrier, got {keys}"
    return {str(key): int(occurrences) for key, occurrences in rows}


def test_window_counts_with_several_workers_equal_a_single_workers_count(
    postgres_url: str, redis_url: str
) -> None:
    single = run("single", 1, postgres_url, redis_url)
    several = run("several", 3, postgres_url, redis_url)
    assert several == single
    # 90 events: ups 45, dhl 30, swift 15; each fires from its 4th event on.
    assert single == {"ups": 42, "dhl": 27, "swift": 12}
