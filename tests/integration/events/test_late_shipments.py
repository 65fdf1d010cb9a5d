"""The lateness clock's query: open shipments past their promise, the same on the in-memory
store, SQLite and PostgreSQL, and the clock flags exactly those once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest

from engine.adapters.database import make_engine
from engine.adapters.memory import InMemoryUnitOfWork
from engine.adapters.shipment_queries import LatenessFlags, open_past_promise
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.fulfilment import ShipmentStatus
from engine.service_layer.alerts import LatenessClock
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support import builders as b

UowFactory = Callable[[], UnitOfWork]
TODAY = date(2026, 3, 10)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def uow_factory(request: pytest.FixtureRequest) -> Iterator[UowFactory]:
    if request.param == "memory":
        shared = InMemoryUnitOfWork()
        yield lambda: shared
        return
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    factory = make_session_factory(engine)
    yield lambda: SqlAlchemyUnitOfWork(factory)
    engine.dispose()


def add_shipments(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.shipments.add(b.a_shipment(id="F-1", promised_date=date(2026, 3, 6)))
        uow.shipments.add(b.a_shipment(
            id="F-2", promised_date=date(2026, 3, 9), status=ShipmentStatus.RELEASED,
            created_at=b.at(1),
        ))  # fmt: skip
        uow.shipments.add(b.a_shipment(id="F-3", promised_date=TODAY))  # due today: not late
        uow.shipments.add(b.a_shipment(id="F-4", promised_date=date(2026, 3, 1),
                                       status=ShipmentStatus.DELIVERED))  # fmt: skip
        uow.shipments.add(b.a_shipment(id="F-5", promised_date=date(2026, 3, 1),
                                       status=ShipmentStatus.CANCELLED))  # fmt: skip
        uow.shipments.add(b.a_shipment(id="F-6", promised_date=None))
        uow.commit()


def test_open_shipments_past_their_promise_are_the_undelivered_uncancelled_overdue_ones(
    uow_factory: UowFactory,
) -> None:
    add_shipments(uow_factory)
    with uow_factory() as uow:
        assert [s.id for s in open_past_promise(uow.shipments, TODAY)] == ["F-2", "F-1"]
        assert [s.id for s in open_past_promise(uow.shipments, TODAY, limit=1)] == ["F-2"]
        assert [s.id for s in open_past_promise(uow.shipments, TODAY, 1, 1)] == ["F-1"]
        assert open_past_promise(uow.shipments, date(2026, 3, 6)) == []


def test_the_clock_with_the_query_flags_each_late_shipment_once(uow_factory: UowFactory) -> None:
    add_shipments(uow_factory)
    clock = LatenessClock(
        uow_factory, LatenessFlags(), page_size=1, past_promise=open_past_promise
    )
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert clock.tick(now) == 2
    assert clock.tick(now) == 0  # already flagged
