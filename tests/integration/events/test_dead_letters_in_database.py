"""The in-process bus's dead letters live in the database: a worker's outlive its restart, and
the API, in another process, lists them and redrives them back to a worker through the outbox
with their own event id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, insert, select

from engine.adapters.bus import InProcessBus
from engine.adapters.bus.dead_letters_sql import SqlDeadLetterStore
from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.orm import outbox
from engine.domain.values import utcnow
from engine.service_layer.outbox import OutboxRelay
from tests.support.engines import an_engine


class Process:
    """What one Ordo process holds: its own engine on the shared database, its own bus."""

    def __init__(self, engine: Engine, max_deliveries: int = 1) -> None:
        self.engine = engine
        self.bus = InProcessBus(
            max_deliveries=max_deliveries, dead_letters=SqlDeadLetterStore(engine)
        )
        self.relay = OutboxRelay(SqlOutboxStore(engine), self.bus)


@pytest.fixture
def processes(database_url: str) -> Iterator[tuple[Process, Process]]:
    """A worker and an API over the same database, each with its own connections."""
    with an_engine(database_url) as worker, an_engine(database_url) as api:
        yield Process(worker), Process(api)


def committed_event(engine: Engine, name: str = "order.received") -> str:
    """An event as the unit of work leaves it: an outbox row, whose id is its event id."""
    with engine.begin() as connection:
        row_id = connection.execute(
            insert(outbox)
            .values(name=name, payload={"order_id": "ord_1"}, partition_key="ord_1",
                    created_at=utcnow())
            .returning(outbox.c.id)
        ).scalar_one()  # fmt: skip
    return str(row_id)


def dead_letter(worker: Process) -> str:
    """The worker relays the event, its handler fails, and the bus parks it."""
    assert worker.relay.run_once() == 1
    [message] = worker.bus.consume("worker-1", count=10)
    assert worker.bus.fail(message, "KeyError: 'carrier'", consumer="worker-1")
    return message.event_id


def test_dead_letters_outlive_the_bus_that_parked_them(database_url: str) -> None:
    with an_engine(database_url) as engine:
        first = Process(engine)
        for name in ("order.received", "shipment.shipped"):
            committed_event(engine, name)
            dead_letter(first)

        restarted = InProcessBus(dead_letters=SqlDeadLetterStore(engine))

        letters = restarted.dead_letters()
        assert [letter.name for letter in letters] == ["shipment.shipped", "order.received"]
        assert (letters[0].error, letters[0].consumer, letters[0].attempts) == (
            "KeyError: 'carrier'", "worker-1", 1,
        )  # fmt: skip
        assert letters[0].payload == {"order_id": "ord_1"}
        assert [letter.name for letter in restarted.dead_letters(limit=1)] == ["shipment.shipped"]


def test_the_api_sees_what_a_worker_parked_and_redrives_it_back_to_the_worker(
    processes: tuple[Process, Process],
) -> None:
    worker, api = processes
    committed_event(worker.engine)
    event_id = dead_letter(worker)

    [letter] = api.bus.dead_letters()
    assert letter.event_id == event_id
    assert api.bus.redrive(letter.id)

    assert api.bus.dead_letters() == [] and worker.bus.dead_letters() == []
    assert api.bus.pending_count() == 0  # not onto the API's own bus: no worker reads that
    assert worker.relay.run_once() == 1
    [again] = worker.bus.consume("worker-1", count=10)
    assert (again.event_id, again.payload) == (event_id, {"order_id": "ord_1"})


def test_a_letter_whose_event_left_the_outbox_is_redriven_under_the_same_event_id(
    processes: tuple[Process, Process],
) -> None:
    worker, api = processes
    committed_event(worker.engine)
    event_id = dead_letter(worker)
    purged = SqlOutboxStore(worker.engine).purge(utcnow() + timedelta(seconds=1))
    assert purged == 1

    [letter] = api.bus.dead_letters()
    assert api.bus.redrive(letter.id)

    assert worker.relay.run_once() == 1
    [again] = worker.bus.consume("worker-1", count=10)
    assert again.event_id == event_id
    # The next event the database numbers is still a new one.
    assert int(committed_event(worker.engine)) > int(event_id)


def test_redriving_a_letter_that_is_not_there_changes_nothing(
    processes: tuple[Process, Process],
) -> None:
    worker, api = processes
    committed_event(worker.engine)
    dead_letter(worker)
    with worker.engine.begin() as connection:
        connection.execute(delete(outbox))

    assert not api.bus.redrive("999")
    assert not api.bus.redrive("not-a-number")
    assert len(api.bus.dead_letters()) == 1
    with worker.engine.connect() as connection:
        assert connection.execute(select(outbox.c.id)).all() == []
