"""Two PUTs creating the same new customer, product or location at once both succeed on
PostgreSQL. Each reads "no such record" and inserts it; the database gives the key to the
first commit and refuses the second's insert, which is then put again as a replace. The
record ends as the last writer's, the customer's `customer.updated` says created once (and
replaced only if the second body differs), and each request has its audit entry.

Each racer waits, after its read, for the other to have read too (MeetingAfterRead), so the
two race every run. On SQLite they cannot: the first read holds the file's one writer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters import orm
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.operations import AuditEntry
from engine.service_layer.catalog import put_customer, put_location, put_product
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.builders import a_customer, a_location, a_product
from tests.support.engines import an_engine
from tests.support.meeting_after_read import MeetingAfterRead

Put = Callable[[UnitOfWork, Any], Any]


def racing(sessions: sessionmaker[Session], repository: str, put: Put, *bodies: Any) -> list[Any]:
    """`put(uow, body)` for each body at once, each in its own thread and unit of work."""
    meeting = threading.Barrier(len(bodies))
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        futures = [
            pool.submit(put, MeetingAfterRead(sessions, meeting, repository), body)
            for body in bodies
        ]
        return [future.result(timeout=60) for future in futures]


def customer_events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(orm.outbox.c.payload)
            .where(orm.outbox.c.name == "customer.updated")
            .order_by(orm.outbox.c.id)
        ).all()
    return [dict(row.payload) for row in rows]


def audited(sessions: sessionmaker[Session], entity: str, key: str) -> list[AuditEntry]:
    with SqlAlchemyUnitOfWork(sessions) as uow:
        return list(uow.audit.list(entity=entity, entity_id=key))


def test_two_puts_creating_one_new_customer_at_once_both_succeed_and_the_last_wins(
    postgres_url: str,
) -> None:
    gold, silver = a_customer(id="C-9", tier="gold"), a_customer(id="C-9", tier="silver")
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)

        answers = racing(
            sessions, "customers", lambda uow, c: put_customer(uow, c, "admin:crm"), gold, silver
        )

        assert answers == [gold, silver]  # each request answers with the record it stored
        with SqlAlchemyUnitOfWork(sessions) as uow:
            stored = uow.customers.get("C-9")
        entries = audited(sessions, "customer", "C-9")
        assert customer_events(engine) == [
            {"customer_id": "C-9", "created": True},
            {"customer_id": "C-9", "created": False},
        ]
    assert [e.action for e in entries] == ["customer.put", "customer.put"]
    [created] = [e for e in entries if not e.before]
    [replaced] = [e for e in entries if e.before]
    # The request run again wrote last: its body is the record, the other's what it replaced.
    assert stored is not None and stored.tier == replaced.after["tier"]
    assert replaced.before["tier"] == created.after["tier"] != replaced.after["tier"]


def test_the_same_new_customer_put_twice_at_once_is_created_once_and_changed_by_neither(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)

        answers = racing(
            sessions,
            "customers",
            lambda uow, c: put_customer(uow, c, "admin:crm"),
            a_customer(id="C-9"),
            a_customer(id="C-9"),
        )

        assert answers == [a_customer(id="C-9")] * 2
        assert customer_events(engine) == [{"customer_id": "C-9", "created": True}]
        assert [e.action for e in audited(sessions, "customer", "C-9")] == ["customer.put"] * 2


PUTS: dict[str, tuple[str, Put, Any, Any, str]] = {
    "product": (
        "products",
        lambda uow, p: put_product(uow, p, "admin:pim", {"name": p.name}),
        a_product(sku="SHOE-9", name="Trail shoe"),
        a_product(sku="SHOE-9", name="Road shoe"),
        "SHOE-9",
    ),
    "location": (
        "locations",
        lambda uow, loc: put_location(uow, loc, "admin:ops", {"name": loc.name}),
        a_location(code="DAL-09", name="Dallas DC"),
        a_location(code="DAL-09", name="Dallas overflow"),
        "DAL-09",
    ),
}


@pytest.mark.parametrize("entity", list(PUTS))
def test_two_puts_creating_one_new_product_or_location_at_once_both_succeed(
    entity: str, postgres_url: str
) -> None:
    repository, put, first, second, key = PUTS[entity]
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)

        answers = racing(sessions, repository, put, first, second)

        assert answers == [first, second]
        with SqlAlchemyUnitOfWork(sessions) as uow:
            stored = getattr(uow, repository).get(key)
        entries = audited(sessions, entity, key)
    assert [e.action for e in entries] == [f"{entity}.put"] * 2
    [replaced] = [e for e in entries if e.before]
    assert stored is not None and stored.name == replaced.after["name"]
    assert replaced.before["name"] != replaced.after["name"]
