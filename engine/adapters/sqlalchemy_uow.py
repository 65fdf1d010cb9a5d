"""The unit of work on SQLAlchemy: one session per `with uow:` block, events into the outbox.

`commit()` flushes every repository's changes and inserts one `outbox` row per event in the
same transaction, so an event is stored if and only if the state change it describes is.
The outbox relay (engine.service_layer.outbox) publishes rows whose `published_at` is NULL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters import orm
from engine.adapters import repositories as repos
from engine.adapters.stock_repository import SqlStock
from engine.domain.events import Event
from engine.service_layer.unit_of_work import UnitOfWork


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Entities are translated by hand, so nothing needs expiring after a commit.
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def outbox_row(event: Event, now: datetime) -> dict[str, Any]:
    order_id = getattr(event, "order_id", None)
    return {
        "name": event.name,
        "payload": event.payload(),
        "partition_key": order_id if isinstance(order_id, str) else None,
        "created_at": now,
        "published_at": None,
    }


class SqlAlchemyUnitOfWork(UnitOfWork):
    """`with uow:` opens a session and fresh repositories; leaving without commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        super().__init__()
        self.session_factory = session_factory
        self.session: Session | None = None
        self._repositories: list[repos.SqlRepository[Any, Any]] = []

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        session = self.session = self.session_factory()
        self.orders = repos.SqlOrders(session)
        self.products = repos.SqlProducts(session)
        self.locations = repos.SqlLocations(session)
        self.customers = repos.SqlCustomers(session)
        self.stock = SqlStock(session)
        self.reservations = repos.SqlReservations(session)
        self.shipments = repos.SqlShipments(session)
        self.returns = repos.SqlReturns(session)
        self.inbound = repos.SqlInbound(session)
        self.alerts = repos.SqlAlerts(session)
        self.rulesets = repos.SqlRulesets(session)
        self.traces = repos.SqlTraces(session)
        self.audit = repos.SqlAuditLog(session)
        self._repositories = [
            self.orders, self.products, self.locations, self.customers, self.stock,
            self.reservations, self.shipments, self.returns, self.inbound, self.alerts,
            self.rulesets, self.traces,
        ]  # fmt: skip
        super().__enter__()
        return self

    def __exit__(self, *args: Any) -> None:
        try:
            super().__exit__(*args)
        finally:
            if self.session is not None:
                self.session.close()
                self.session = None

    def _commit(self, events: list[Event]) -> None:
        session = self._require_session()
        repos.flush_all(self._repositories)
        if events:
            now = datetime.now(UTC)
            session.execute(insert(orm.outbox), [outbox_row(e, now) for e in events])
        session.commit()
        self._forget()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()
        self._forget()
        self._recorded.clear()

    def _forget(self) -> None:
        for repository in self._repositories:
            repository.reset()

    def _require_session(self) -> Session:
        if self.session is None:
            raise RuntimeError("use the unit of work inside `with uow:` before committing")
        return self.session
