"""The lateness clock's "reported once" markers on SQLite and PostgreSQL: their own table, one
row per flag however many workers tick, and the migration that moves them out of the audit log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from engine.adapters import orm
from engine.adapters import translation as tr
from engine.adapters.database import make_engine
from engine.adapters.migrations import downgrade, upgrade
from engine.adapters.shipment_queries import LatenessFlags, open_past_promise
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.domain.orders import Hold, OrderStatus
from engine.service_layer.alerts import LatenessClock
from engine.service_layer.unit_of_work import ShipmentRepository, UnitOfWork
from tests.support import builders as b
from tests.support.stored_rows import insert_as_stored

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


WorkerClock = Callable[..., LatenessClock]


@pytest.fixture
def a_worker_clock() -> Iterator[WorkerClock]:
    """Clocks as separate worker processes have them: each its own engine and flag ledger."""
    engines: list[Engine] = []

    def make(database_url: str, **kw: Any) -> LatenessClock:
        engines.append(make_engine(database_url))
        factory = make_session_factory(engines[-1])

        def uows() -> UnitOfWork:
            return SqlAlchemyUnitOfWork(factory)

        return LatenessClock(uows, LatenessFlags(), **kw)

    yield make
    for engine in engines:
        engine.dispose()


def add_late_shipment(database_url: str, shipment_id: str = "F-late") -> None:
    # A row as stored, not through the repository: the migration tests call this on older
    # schemas, and today's repository also writes the daily counts those do not have yet.
    shipment = b.a_shipment(id=shipment_id, promised_date=date(2026, 3, 6))
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(*insert_as_stored(connection, tr.shipment_row(shipment)))
    engine.dispose()


def late_events(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(orm.outbox.c.payload).where(orm.outbox.c.name == "shipment.late")
        ).scalars()
        found = sorted(str(payload["shipment_id"]) for payload in rows)
    engine.dispose()
    return found


def table_rows(database_url: str, table: object) -> list[tuple[object, ...]]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(select(table))]  # type: ignore[call-overload]
    engine.dispose()
    return sorted(rows, key=repr)


def test_a_late_shipment_is_flagged_in_its_own_table_and_the_audit_log_stays_empty(
    database_url: str, a_worker_clock: WorkerClock
) -> None:
    add_late_shipment(database_url)
    clock = a_worker_clock(database_url, past_promise=open_past_promise)
    assert clock.tick(NOW) == 1
    assert clock.tick(NOW) == 0
    assert [row[:3] for row in table_rows(database_url, orm.lateness_flags)] == [
        ("shipment", "F-late", "late")
    ]
    assert table_rows(database_url, orm.audit_log) == []
    assert late_events(database_url) == ["F-late"]


def test_a_second_worker_finds_the_first_ones_flag_in_the_table(
    database_url: str, a_worker_clock: WorkerClock
) -> None:
    add_late_shipment(database_url)
    assert a_worker_clock(database_url).tick(NOW) == 1
    assert a_worker_clock(database_url).tick(NOW) == 0  # nothing cached: the key says no
    assert late_events(database_url) == ["F-late"]


def test_two_workers_ticking_at_once_flag_the_same_late_shipment_once(
    database_url: str, a_worker_clock: WorkerClock
) -> None:
    add_late_shipment(database_url)
    add_late_shipment(database_url, "F-later")
    # On PostgreSQL both workers read the late page before either claims a flag, so both try
    # to insert the same rows. SQLite's transactions take the write lock as they begin
    # (BEGIN IMMEDIATE), so there the second simply queues behind the first.
    both_read = threading.Barrier(2) if "postgresql" in database_url else None

    def reads_then_waits(
        shipments: ShipmentRepository, today: date, limit: int, offset: int
    ) -> Sequence[FulfillmentOrder]:
        page = open_past_promise(shipments, today, limit, offset)
        if both_read is not None and offset == 0:
            both_read.wait(timeout=30)
        return page

    clocks = [a_worker_clock(database_url, past_promise=reads_then_waits) for _ in range(2)]
    emitted: list[int] = []
    failures: list[BaseException] = []

    def tick(clock: LatenessClock) -> None:
        try:
            emitted.append(clock.tick(NOW))
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=tick, args=(clock,)) for clock in clocks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(emitted) in ([0, 2], [1, 1])  # either way: each shipment once
    assert late_events(database_url) == ["F-late", "F-later"]
    assert len(table_rows(database_url, orm.lateness_flags)) == 2


def test_the_migration_moves_the_clock_markers_out_of_the_audit_log(
    database_url: str, a_worker_clock: WorkerClock
) -> None:
    downgrade(database_url, "0004")
    add_late_shipment(database_url)
    marker = {"at": NOW, "actor": "worker:clock", "before": {}}
    person = {"id": "a-1", "at": NOW, "actor": "alice", "action": "order.cancelled",
              "entity": "order", "entity_id": "O-9", "before": {}, "after": {}}  # fmt: skip
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(orm.audit_log.insert(), [
            {**marker, "id": "flag:shipment:F-late:late", "action": "shipment.flagged",
             "entity": "shipment", "entity_id": "F-late", "after": {"flag": "late"}},
            {**marker, "id": "flag:order:O-7:held:2026-03-09T08:00:00+00:00",
             "action": "order.flagged", "entity": "order", "entity_id": "O-7",
             "after": {"flag": "held:2026-03-09T08:00:00+00:00"}},
            person,
        ])  # fmt: skip
    engine.dispose()

    upgrade(database_url)

    assert [row[:3] for row in table_rows(database_url, orm.lateness_flags)] == [
        ("order", "O-7", "held:2026-03-09T08:00:00+00:00"),
        ("shipment", "F-late", "late"),
    ]
    assert [row[0] for row in table_rows(database_url, orm.audit_log)] == ["a-1"]
    # The shipment was reported before the upgrade; a worker after it does not report it again.
    assert a_worker_clock(database_url).tick(NOW) == 0
    assert late_events(database_url) == []


def test_downgrading_puts_the_markers_back_where_the_older_clock_looks(
    database_url: str, a_worker_clock: WorkerClock
) -> None:
    add_late_shipment(database_url)
    assert a_worker_clock(database_url).tick(NOW) == 1
    downgrade(database_url, "0004")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        audit = connection.execute(
            select(orm.audit_log.c.id, orm.audit_log.c.action, orm.audit_log.c.after)
        ).all()
    engine.dispose()
    assert [tuple(row) for row in audit] == [
        ("flag:shipment:F-late:late", "shipment.flagged", {"flag": "late"})
    ]
    upgrade(database_url)
    assert table_rows(database_url, orm.audit_log) == []
    assert len(table_rows(database_url, orm.lateness_flags)) == 1


def test_a_long_hold_is_reported_once_and_a_later_hold_of_the_same_order_again(
    database_url: str, a_worker_clock: WorkerClock
) -> None:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    first = NOW - timedelta(hours=30)
    with SqlAlchemyUnitOfWork(factory) as uow:
        held = [Hold("fraud", "score 91", placed_at=first)]
        uow.orders.add(b.a_plain_order(7, status=OrderStatus.HELD, holds=held))
        uow.commit()
    assert a_worker_clock(database_url).tick(NOW) == 1
    assert a_worker_clock(database_url).tick(NOW + timedelta(hours=1)) == 0
    with SqlAlchemyUnitOfWork(factory) as uow:
        order = uow.orders.get("O-7")
        assert order is not None
        order.holds = [Hold("fraud", "score 91", placed_at=first, released_at=NOW),
                       Hold("address", "no such street", placed_at=NOW)]  # fmt: skip
        uow.commit()
    assert a_worker_clock(database_url).tick(NOW + timedelta(hours=25)) == 1
    engine.dispose()
    flags = [row[:3] for row in table_rows(database_url, orm.lateness_flags)]
    assert flags == [
        ("order", "O-7", f"held:{first.isoformat()}"),
        ("order", "O-7", f"held:{NOW.isoformat()}"),
    ]


def test_the_purge_forgets_finished_and_stale_flags_and_keeps_those_that_stop_a_report(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    placed = NOW - timedelta(hours=30)
    with SqlAlchemyUnitOfWork(factory) as uow:
        for shipment_id in ("F-late", "F-done", "F-repromised"):
            uow.shipments.add(b.a_shipment(id=shipment_id, promised_date=date(2026, 3, 6)))
        for number in (7, 8, 9):
            held = [Hold("fraud", "score 91", placed_at=placed)]
            uow.orders.add(b.a_plain_order(number, status=OrderStatus.HELD, holds=held))
        uow.commit()
    flags = LatenessFlags(retention=timedelta(days=3))
    clock = LatenessClock(lambda: SqlAlchemyUnitOfWork(factory), flags)
    assert clock.tick(NOW) == 6
    with engine.begin() as connection:  # markers of no shipment or order: one young, one old
        connection.execute(orm.lateness_flags.insert(), [
            {"entity": "shipment", "entity_id": "F-gone", "flag": "late", "flagged_at": NOW},
            {"entity": "carrier", "entity_id": "ups", "flag": "x", "flagged_at": NOW},
            {"entity": "carrier", "entity_id": "dhl", "flag": "x",
             "flagged_at": NOW - timedelta(days=4)},
        ])  # fmt: skip
    with SqlAlchemyUnitOfWork(factory) as uow:
        done, repromised = uow.shipments.get("F-done"), uow.shipments.get("F-repromised")
        cancelled, released = uow.orders.get("O-8"), uow.orders.get("O-9")
        assert done and repromised and cancelled and released
        done.move(ShipmentStatus.DELIVERED, NOW)
        repromised.promised_date = date(2026, 4, 30)
        cancelled.status = OrderStatus.CANCELLED
        released.holds = [Hold("fraud", "score 91", placed_at=placed, released_at=NOW)]
        released.status = OrderStatus.VALIDATED
        uow.commit()

    with SqlAlchemyUnitOfWork(factory) as uow:
        assert flags.purge(uow, NOW) == 4  # finished or gone: F-done, O-8, F-gone; old: dhl
        uow.commit()
    assert [row[:2] for row in table_rows(database_url, orm.lateness_flags)] == [
        ("carrier", "ups"),
        ("order", "O-7"),
        ("order", "O-9"),
        ("shipment", "F-late"),
        ("shipment", "F-repromised"),
    ]
    later = NOW + timedelta(days=10)
    with SqlAlchemyUnitOfWork(factory) as uow:
        assert flags.purge(uow, later) == 3  # past retention and reportable no more
        uow.commit()
    # Still late and still held: kept however old, so neither is reported again.
    assert [row[:2] for row in table_rows(database_url, orm.lateness_flags)] == [
        ("order", "O-7"),
        ("shipment", "F-late"),
    ]
    assert clock.tick(later) == 0
    assert LatenessClock(lambda: SqlAlchemyUnitOfWork(factory), LatenessFlags()).tick(later) == 0
    engine.dispose()


def test_the_tick_purges_a_delivered_shipments_flag_and_a_new_worker_does_not_report_it(
    database_url: str, a_worker_clock: WorkerClock
) -> None:
    add_late_shipment(database_url)
    add_late_shipment(database_url, "F-still")
    assert a_worker_clock(database_url, past_promise=open_past_promise).tick(NOW) == 2
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        shipment = uow.shipments.get("F-late")
        assert shipment is not None
        shipment.move(ShipmentStatus.DELIVERED, NOW)
        uow.commit()
    engine.dispose()
    assert a_worker_clock(database_url, past_promise=open_past_promise).tick(NOW) == 0
    assert [row[:2] for row in table_rows(database_url, orm.lateness_flags)] == [
        ("shipment", "F-still")
    ]
    assert late_events(database_url) == ["F-late", "F-still"]
