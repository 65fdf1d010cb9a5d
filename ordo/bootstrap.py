"""The composition root: the one place that turns settings into live objects and wires them.

Nothing here runs at import time. `build_app_container(settings)` creates the database engine,
the session factory and the unit-of-work factory, and hands back a `Container` that the CLI,
the API (`api.app.create_app(container)`), the worker and the tests pass around instead of
reaching for globals. Each component owner wires their part in `build_app_container` with a
few lines; the slots they fill are listed on `Container`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.service_layer.unit_of_work import UnitOfWork
from ordo.settings import Settings

log = logging.getLogger(__name__)


class UowFactory(Protocol):
    """Makes a fresh unit of work for one business transaction."""

    def __call__(self) -> UnitOfWork: ...


@dataclass
class Container:
    """Everything a running Ordo process shares, built once from the settings."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    uow_factory: UowFactory
    # Slots the pipeline, rules and events owners fill as their components land; typed `Any`
    # until then so this file does not pin names that are still being written.
    bus: Any = None  # engine.service_layer.messagebus: dispatches commands and events
    rulesets: Any = None  # engine.rules.registry.RulesetRegistry: published, compiled rulesets
    decider: Any = None  # engine.pipeline.Decider: pure sourcing/carrier decisions
    event_bus: Any = None  # engine.adapters.bus: in-process, or Redis Streams when configured

    def close(self) -> None:
        """Return pooled connections; safe to call twice."""
        self.engine.dispose()

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build_app_container(settings: Settings) -> Container:
    """Build the engine and factories for `settings`; opens no connection until first use."""
    ensure_sqlite_directory(settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    container = Container(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        uow_factory=uow_factory,
    )
    log.debug("container built for %s", engine.url.render_as_string(hide_password=True))
    return container


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder an SQLite file lives in, so a fresh checkout needs no manual step."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def configure_logging(settings: Settings) -> None:
    """One log format for every Ordo process, at the configured level."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if settings.log_level != "DEBUG":
        # Alembic narrates every plugin and migration at INFO; only its warnings help an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)
