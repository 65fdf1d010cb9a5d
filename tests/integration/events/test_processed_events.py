"""The processed-event ledger on SQLite and PostgreSQL: one row per (event, handler) in its own
table, written with the handler's effect, never in the audit log, purged with the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.adapters import orm
from engine.adapters.bus import InProcessBus
from engine.adapters.bus.base import Message
from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.bus.processed_events import processed, processed_events
from engine.adapters.database import make_engine
from engine.adapters.migrations import downgrade, upgrade
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.events import Event, OrderReceived
from engine.domain.values import utcnow
from engine.service_layer.outbox import OutboxRelay
from engine.service_layer.unit_of_work import UnitOfWork
from engine.worker import Worker, WorkerConfig
from tests.integration.events.helpers import effects


class Boom(Exception):
    pass


def count_effect(event: Event, uow: UnitOfWork) -> None:
    assert isinstance(event, OrderReceived)
    uow.stock.adjust(event.order_id, "EFFECT", 1)


def explode_after_effect(event: Event, uow: UnitOfWork) -> None:
    count_effect(event, uow)
    raise Boom("the handler fails after writing its effect")


def worker_for(database_url: str, bus: InProcessBus, handler: object = count_effect) -> Worker:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    return Worker(
        bus=bus,
        uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
        handlers={"order.received": [handler]},  # type: ignore[list-item]
        relay=OutboxRelay(SqlOutboxStore(engine), bus),
        config=WorkerConfig(name="w1", block_ms=0),
    )


def commit_orders(database_url: str, count: int) -> None:
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        for n in range(count):
            uow.record(OrderReceived(order_id=f"o-{n}", channel="web"))
        uow.commit()
    engine.dispose()


def rows_in(database_url: str, table: object) -> int:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
    engine.dispose()
    return int(count)


def records(database_url: str) -> list[tuple[str, str, str, str, int]]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        found = processed(connection)
    engine.dispose()
    return sorted((r.event_id, r.handler, r.event_name, r.consumer, r.attempt) for r in found)


def test_handling_events_records_them_as_processed_and_leaves_the_audit_log_untouched(
    database_url: str,
) -> None:
    commit_orders(database_url, 3)
    worker = worker_for(database_url, InProcessBus())
    while worker.run_once():
        pass
    assert effects(database_url) == {"o-0": 1, "o-1": 1, "o-2": 1}
    assert records(database_url) == [
        (str(n), "count_effect", "order.received", "w1", 1) for n in (1, 2, 3)
    ]
    assert rows_in(database_url, orm.audit_log) == 0


def test_a_redelivered_event_is_skipped_because_its_record_committed_with_the_effect(
    database_url: str,
) -> None:
    commit_orders(database_url, 1)
    bus = InProcessBus()
    worker = worker_for(database_url, bus)
    while worker.run_once():
        pass
    again = Message("1", "order.received", {"order_id": "o-0", "channel": "web"}, "o-0",
                    attempts=2)  # fmt: skip
    assert worker.handle_batch([again]) == 1
    assert effects(database_url) == {"o-0": 1}
    assert len(records(database_url)) == 1


def test_a_handler_that_fails_leaves_neither_its_effect_nor_a_record(database_url: str) -> None:
    commit_orders(database_url, 1)
    bus = InProcessBus(max_deliveries=1)
    worker = worker_for(database_url, bus, explode_after_effect)
    worker.run_once()
    assert worker.failed == 1
    assert effects(database_url) == {}
    assert records(database_url) == []
    assert [letter.event_id for letter in bus.dead_letters()] == ["1"]


def test_purging_the_outbox_also_drops_processed_records_older_than_the_cut_off(
    database_url: str,
) -> None:
    commit_orders(database_url, 2)
    worker = worker_for(database_url, InProcessBus())
    while worker.run_once():
        pass
    store = SqlOutboxStore(make_engine(database_url))
    assert store.purge(utcnow() - timedelta(hours=1)) == 0
    assert len(records(database_url)) == 2
    assert store.purge(utcnow() + timedelta(seconds=1)) == 2 + 2  # two outbox rows, two records
    assert records(database_url) == []
    store.engine.dispose()


def test_the_migration_moves_records_kept_in_the_audit_log_into_their_own_table(
    database_url: str,
) -> None:
    downgrade(database_url, "0003")
    engine = make_engine(database_url)
    handled = {
        "at": utcnow(), "actor": "worker:A", "action": "event.handled", "entity": "event",
        "before": {},
    }  # fmt: skip
    person = {"id": "a-1", "at": utcnow(), "actor": "alice", "action": "order.cancelled",
              "entity": "order", "entity_id": "o-9", "before": {}, "after": {}}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(orm.audit_log.insert(), [
            {**handled, "id": "evt:7:pipeline", "entity_id": "7",
             "after": {"event": "order.received", "handler": "pipeline", "attempt": 2}},
            person,
        ])  # fmt: skip
    engine.dispose()
    upgrade(database_url)
    assert records(database_url) == [("7", "pipeline", "order.received", "A", 2)]
    engine = make_engine(database_url)
    with engine.connect() as connection:
        left = connection.execute(select(orm.audit_log.c.id)).scalars().all()
        assert connection.execute(select(func.count()).select_from(processed_events)).scalar_one()
    engine.dispose()
    assert left == ["a-1"]  # people's entries stay
