"""The outbox on SQLite and PostgreSQL: a rollback publishes nothing, a crash loses nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from engine.adapters.bus import InProcessBus
from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.events import OrderReceived
from engine.domain.inventory import Stock
from engine.domain.values import utcnow
from engine.service_layer.outbox import OutboxRelay
from tests.integration.events.helpers import outbox_rows, run


class Boom(Exception):
    pass


def test_a_failure_after_the_state_change_but_before_commit_publishes_nothing(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with pytest.raises(Boom), uow:
        uow.stock.add(Stock(sku="SKU-1", location_code="DAL-01", on_hand=5))
        uow.record(OrderReceived(order_id="o-1", channel="web"))
        raise Boom("the process fails before commit")
    bus = InProcessBus()
    assert OutboxRelay(SqlOutboxStore(engine), bus).drain() == 0
    assert bus.pending_count() == 0
    assert outbox_rows(database_url) == []
    with uow:
        assert uow.stock.get(("SKU-1", "DAL-01")) is None
    engine.dispose()


def test_events_are_written_with_the_change_and_published_once_by_the_relay(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow:
        uow.stock.add(Stock(sku="SKU-1", location_code="DAL-01", on_hand=5))
        uow.record(OrderReceived(order_id="o-1", channel="web"))
        uow.record(OrderReceived(order_id="o-2", channel="pos"))
        uow.commit()
    assert [(name, sent) for _, name, sent in outbox_rows(database_url)] == [
        ("order.received", False),
        ("order.received", False),
    ]
    bus = InProcessBus()
    relay = OutboxRelay(SqlOutboxStore(engine), bus)
    assert relay.drain() == 2
    assert relay.drain() == 0  # stamped: a second run publishes nothing again
    messages = bus.consume("t")
    assert [(m.name, m.payload["order_id"], m.partition_key) for m in messages] == [
        ("order.received", "o-1", "o-1"),
        ("order.received", "o-2", "o-2"),
    ]
    assert [m.event_id for m in messages] == [str(i) for i, _, _ in outbox_rows(database_url)]
    assert all(sent for _, _, sent in outbox_rows(database_url))
    engine.dispose()


def test_a_crash_right_after_commit_loses_nothing_once_the_relay_runs(database_url: str) -> None:
    crashed = run("commit-then-die", database_url, "25")
    assert crashed.returncode == 137, crashed.stderr
    engine = make_engine(database_url)
    bus = InProcessBus()
    assert OutboxRelay(SqlOutboxStore(engine), bus, batch_size=10).drain() == 25
    assert sorted(m.payload["order_id"] for m in bus.consume("t")) == sorted(
        f"crash-{n}" for n in range(25)
    )
    engine.dispose()


def test_concurrent_relays_never_publish_the_same_row_twice(database_url: str) -> None:
    engine = make_engine(database_url)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow:
        for n in range(400):
            uow.record(OrderReceived(order_id=f"o-{n}", channel="web"))
        uow.commit()
    buses = [InProcessBus() for _ in range(3)]
    relays = [OutboxRelay(SqlOutboxStore(engine), bus, batch_size=20) for bus in buses]
    threads = [threading.Thread(target=relay.drain) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    published = [m.event_id for bus in buses for m in bus.consume("t", count=1000)]
    assert len(published) == 400
    assert len(set(published)) == 400
    engine.dispose()


def test_purging_removes_only_rows_published_before_the_cut_off(database_url: str) -> None:
    engine = make_engine(database_url)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow:
        uow.record(OrderReceived(order_id="o-1", channel="web"))
        uow.commit()
    store = SqlOutboxStore(engine)
    OutboxRelay(store, InProcessBus()).drain()
    with uow:
        uow.record(OrderReceived(order_id="o-2", channel="web"))  # committed, not yet sent
        uow.commit()
    assert store.purge(utcnow() - timedelta(hours=1)) == 0
    assert store.purge(utcnow() + timedelta(seconds=1)) == 1
    assert [(name, sent) for _, name, sent in outbox_rows(database_url)] == [
        ("order.received", False)
    ]
    engine.dispose()


def test_a_relay_that_dies_after_publishing_publishes_again_and_effects_still_happen_once(
    database_url: str, redis_url: str
) -> None:
    from engine.adapters.bus.outbox_sql import SqlOutboxStore as Store
    from engine.worker import Worker, WorkerConfig
    from tests.integration.events.helpers import effects
    from tests.integration.events.procs import count_effect, make_bus

    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:
        for n in range(10):
            uow.record(OrderReceived(order_id=f"twice-{n}", channel="web"))
        uow.commit()
    died = run("publish-then-die", database_url, redis_url)
    assert died.returncode == 137 and died.stdout.strip() == "10", died.stderr
    assert all(not sent for _, _, sent in outbox_rows(database_url))  # never stamped

    bus, store = make_bus(redis_url), Store(engine)
    worker = Worker(
        bus=bus,
        uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
        handlers={"order.received": [count_effect]},
        relay=OutboxRelay(store, bus),
        config=WorkerConfig(name="w", block_ms=100),
    )
    deadline = time.monotonic() + 30
    while (bus.pending_count() or store.unpublished_count()) and time.monotonic() < deadline:
        worker.run_once()
    assert worker.processed == 20  # every event delivered twice...
    assert effects(database_url) == {f"twice-{n}": 1 for n in range(10)}  # ...effective once
    engine.dispose()
