"""Engines and units of work on a test database, as the integration tests open them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory


@contextmanager
def an_engine(url: str) -> Iterator[Engine]:
    """Ordo's engine for `url`, its pooled connections returned when the block ends."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def uow_factory_on(engine: Engine) -> Callable[[], SqlAlchemyUnitOfWork]:
    """A fresh unit of work per call, all on one session factory: one process's requests."""
    sessions = make_session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(sessions)
