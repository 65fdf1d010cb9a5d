"""The unit of work on SQLAlchemy: one session per `with uow:` block, events into the outbox.

`commit()` flushes every repository's changes and inserts one `outbox` row per event in the
same transaction, so an event is stored if and only if the state change it describes is.
The outbox relay (engine.service_layer.outbox) publishes rows whose `published_at` is NULL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters import catalogue_cache, driver, orm, sealed_rows
from engine.adapters import repositories as repos
from engine.adapters.box_stock_repository import SqlBoxStock
from engine.adapters.early_cancellations import SqlEarlyCancellations
from engine.adapters.edi_repository import SqlEdi
from engine.adapters.field_crypto import FieldCipher
from engine.adapters.report_queries import SqlReportQueries
from engine.adapters.stock_repository import SqlStock
from engine.domain.events import Event
from engine.service_layer.unit_of_work import UnitOfWork


def make_session_factory(
    engine: Engine, cipher: FieldCipher | None = None
) -> sessionmaker[Session]:
    # Entities are translated by hand, so nothing needs expiring after a commit. Every session
    # of the factory shares one catalogue cache (engine/adapters/catalogue_cache.py), and the
    # cipher of personal columns when ORDO_DATA_KEYS is set (engine/adapters/sealed_rows.py).
    info: dict[str, Any] = {catalogue_cache.CACHE: catalogue_cache.CatalogueCache()}
    if cipher is not None:
        info[sealed_rows.CIPHER] = cipher
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=info)


def outbox_row(event: Event, now: datetime) -> dict[str, Any]:
    order_id = getattr(event, "order_id", None)
    return {
        "name": event.name,
        "payload": event.field_values(),  # serialised within this commit: no copy needed
        "partition_key": order_id if isinstance(order_id, str) else None,
        "created_at": now,
        "published_at": None,
    }


# The repositories a unit of work offers, built on first use: most transactions touch two or
# three of the fifteen, and building, flushing and resetting all of them on every transaction
# cost as much as the one UPDATE a reservation runs.
_REPOSITORIES: dict[str, Callable[[Session], Any]] = {
    "orders": repos.SqlOrders,
    "products": repos.SqlProducts,
    "locations": repos.SqlLocations,
    "customers": repos.SqlCustomers,
    "stock": SqlStock,
    "reservations": repos.SqlReservations,
    "shipments": repos.SqlShipments,
    "returns": repos.SqlReturns,
    "inbound": repos.SqlInbound,
    "alerts": repos.SqlAlerts,
    "rulesets": repos.SqlRulesets,
    "traces": repos.SqlTraces,
    "tickets": repos.SqlTickets,
    # Printed labels, apart from the shipments and returns every listing reads.
    "labels": repos.SqlLabels,
    # EDI control numbers, 850 envelopes and the partners' mailbox (docs/edi.md).
    "edi": SqlEdi,
    # Shops' cancellations of orders not here yet (engine.service_layer.channel_cancellations).
    "early_cancellations": SqlEarlyCancellations,
    # How many of each box each location has (docs/packaging.md#boxes-in-stock).
    "box_stock": SqlBoxStock,
    "audit": repos.SqlAuditLog,
    # Not a repository: the reports' aggregate queries (engine.service_layer.analytics).
    "reports": SqlReportQueries,
    # Not a repository: copies of a customer's personal data, redacted on erasure.
    "personal_copies": repos.SqlPersonalCopies,
}
_AGGREGATES = ("orders", "shipments", "returns")


class SqlAlchemyUnitOfWork(UnitOfWork):
    """`with uow:` opens a session and fresh repositories; leaving without commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        super().__init__()
        self.session_factory = session_factory
        self.session: Session | None = None
        self._repositories: list[repos.SqlRepository[Any, Any]] = []

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not set yet: a repository this transaction asks for first.
        build = _REPOSITORIES.get(name)
        if build is None or name.startswith("_"):
            raise AttributeError(name)
        if self.session is None:
            raise RuntimeError(f"use uow.{name} inside `with uow:`")
        repository = build(self.session)
        setattr(self, name, repository)
        if isinstance(repository, repos.SqlRepository):
            self._repositories.append(repository)
        return repository

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        self._drop_repositories()
        self.session = self.session_factory()
        super().__enter__()
        return self

    def __exit__(self, *args: Any) -> None:
        try:
            super().__exit__(*args)
        finally:
            if self.session is not None:
                self.session.close()
                self.session = None
            self._drop_repositories()

    def _drop_repositories(self) -> None:
        built = [name for name in self.__dict__ if name in _REPOSITORIES]
        for name in built:
            del self.__dict__[name]
        self._repositories = []

    def _aggregate_repositories(self) -> list[repos.SqlRepository[str, Any]]:
        return [self.__dict__[name] for name in _AGGREGATES if name in self.__dict__]

    def _commit(self, events: list[Event]) -> None:
        session = self._require_session()
        # On PostgreSQL every row the commit adds goes in one statement (engine.adapters.driver).
        with driver.deferred_inserts(session.connection()):
            repos.flush_all(self._repositories)
            labels = self.__dict__.get("labels")
            if labels is not None:
                labels.flush()
            audit = self.__dict__.get("audit")
            if audit is not None:
                audit.flush()
            if events:
                now = datetime.now(UTC)
                # On the driver's cursor, as the repositories write.
                driver.insert_rows(
                    session.connection(), orm.outbox, [outbox_row(e, now) for e in events]
                )
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
        for name in ("labels", "audit"):
            held = self.__dict__.get(name)
            if held is not None:
                held.reset()

    def _require_session(self) -> Session:
        if self.session is None:
            raise RuntimeError("use the unit of work inside `with uow:` before committing")
        return self.session
