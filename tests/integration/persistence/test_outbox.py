"""Events are written to the outbox in the transaction of the change they describe."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from sqlalchemy import Engine, select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.errors import Conflict
from engine.domain.events import Event, StockAdjusted
from engine.domain.orders import OrderStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


def _outbox(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(orm.outbox).order_by(orm.outbox.c.id)).mappings()
        return [dict(r) for r in rows]


def test_commit_writes_one_outbox_row_per_event_with_the_order_as_partition_key(
    sql_uow_factory: UowFactory, db_engine: Engine
) -> None:
    with sql_uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()
    with sql_uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.hold("fraud", "score 91", b.at(7))
        uow.record(StockAdjusted("SKU-1", "DAL-01", -2, 98, 83, "damaged"))
        uow.commit()

    rows = _outbox(db_engine)

    assert [(r["name"], r["partition_key"]) for r in rows] == [
        ("order.status_changed", "O-1"),
        ("order.held", "O-1"),
        ("stock.adjusted", None),
    ]
    assert rows[0]["payload"] == {
        "order_id": "O-1",
        "from_status": "validated",
        "to_status": "held",
        "reason": "fraud",
    }
    assert all(r["published_at"] is None and r["created_at"] is not None for r in rows)


def test_a_rollback_leaves_no_outbox_rows(sql_uow_factory: UowFactory, db_engine: Engine) -> None:
    with sql_uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()
    with sql_uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.SOURCED)
        uow.record(StockAdjusted("SKU-1", "DAL-01", 1, 1, 1))

    assert _outbox(db_engine) == []


def test_a_commit_that_fails_writes_neither_the_change_nor_its_events(postgres_url: str) -> None:
    # PostgreSQL only: SQLite runs one transaction at a time (BEGIN IMMEDIATE), so two units
    # of work can never hold the same order at once there.
    db_engine = make_engine(postgres_url)
    session_factory = make_session_factory(db_engine)

    def sql_uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    with sql_uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()
    with sql_uow_factory() as first, sql_uow_factory() as second:
        mine, theirs = first.orders.get("O-1"), second.orders.get("O-1")
        assert mine is not None and theirs is not None
        theirs.transition(OrderStatus.CANCELLED, "customer asked")
        second.commit()
        mine.transition(OrderStatus.SOURCED)
        with pytest.raises(Conflict, match="changed by someone else"):
            first.commit()

    assert [r["payload"]["to_status"] for r in _outbox(db_engine)] == ["cancelled"]  # type: ignore[index]
    with sql_uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None and order.status is OrderStatus.CANCELLED
    db_engine.dispose()


@dataclasses.dataclass(frozen=True)
class Nested(Event):
    name = "test.nested"
    lines: Any
    detail: Any


def test_an_events_nested_data_is_stored_as_its_payload_whatever_it_holds(
    sql_uow_factory: UowFactory, db_engine: Engine
) -> None:
    event = Nested([{"sku": "A", "qty": 2}, ("B", 1.5)], {"tags": ["x"], "n": None, "ok": True})
    with sql_uow_factory() as uow:
        uow.record(event)
        uow.commit()

    [row] = _outbox(db_engine)

    assert row["payload"] == json.loads(json.dumps(event.payload()))
