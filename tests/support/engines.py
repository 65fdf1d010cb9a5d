"""Engines and units of work on a test database, as the integration tests open them."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from sqlalchemy import Engine, inspect

from engine.adapters import migrations
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


def columns_of(engine: Engine, table: str) -> set[str]:
    """The names of `table`'s columns as the database has them now (a migration test's
    before and after)."""
    return {str(column["name"]) for column in inspect(engine).get_columns(table)}


def uow_factory_on(engine: Engine) -> Callable[[], SqlAlchemyUnitOfWork]:
    """A fresh unit of work per call, all on one session factory: one process's requests."""
    sessions = make_session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def migration_named(name: str) -> ModuleType:
    """The migration module whose file ends in `_<name>.py`, found by name, not number: two
    migrations of one day may be renumbered when they land."""
    [path] = (Path(migrations.__file__).parent / "versions").glob(f"*_{name}.py")
    spec = importlib.util.spec_from_file_location(f"{name}_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
