"""Units of work for the persistence tests: on a real database, or on any backend at all.

`sql_uow_factory` makes SQLAlchemy units of work on the test's database (SQLite and
PostgreSQL through `database_url`); `uow_factory` adds the in-memory unit of work, so the
contract tests prove the fake used by unit tests behaves like the databases it stands for.
A factory returns a new unit of work on the same data each time it is called, like separate
requests would get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from engine.adapters.memory import InMemoryUnitOfWork
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.engines import an_engine, uow_factory_on
from tests.support.migration_steps import MigrationSteps

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    with an_engine(database_url) as engine:
        yield engine


@pytest.fixture
def sql_uow_factory(db_engine: Engine) -> UowFactory:
    return uow_factory_on(db_engine)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def uow_factory(request: pytest.FixtureRequest) -> Iterator[UowFactory]:
    if request.param == "memory":
        shared = InMemoryUnitOfWork()
        yield lambda: shared
        return
    with an_engine(request.getfixturevalue(f"{request.param}_url")) as engine:
        yield uow_factory_on(engine)


@pytest.fixture
def migration(request: pytest.FixtureRequest, database_url: str) -> MigrationSteps:
    """The test module's migration (its `MIGRATION`: the end of the migration file's name) on
    the test's database, which starts at the newest revision."""
    return MigrationSteps.named(database_url, str(request.module.MIGRATION))
