"""Fixtures every tier shares: throw-away SQLite/PostgreSQL databases and a Redis slot.

- `sqlite_url`: a migrated SQLite file of its own for each test (always available).
- `postgres_url`: a migrated database `ordo_test_<random>` on 127.0.0.1:5432, dropped after.
- `database_url`: the same test once per database, ids "sqlite" and "postgres".
- `redis_url`: `redis://127.0.0.1:6379/<n>` with a database number this session owns,
  flushed after each test.
- `shop`: a fake Shopify and WooCommerce admin API (`tests.support.fake_shop`) serving on a
  free local port for the test, which the integration and end-to-end tests of Ordo calling
  the shop share. A few files give the name to something else (Ordo itself with its shop
  connectors, a world of stock), and their own fixture stands in for this one there.

PostgreSQL and Redis skip with the reason when unreachable, and fail under `CI=true`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import servers

if TYPE_CHECKING:
    from tests.support.fake_shop import FakeShop


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the servers they need, so `-m "not postgres"` works without bookkeeping."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        params = list(getattr(getattr(item, "callspec", None), "params", {}).values())
        if "postgres_url" in names or "postgres" in params:
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in names:
            item.add_marker(pytest.mark.redis)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return servers.sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    return servers.sqlite_copy(_sqlite_template, tmp_path)


@pytest.fixture(scope="session")
def _postgres_problem() -> str | None:
    return servers.postgres_reachable()


@pytest.fixture(scope="session")
def _postgres_databases(
    _postgres_problem: str | None,
) -> Iterator[servers.PostgresDatabases | None]:
    if _postgres_problem is not None:
        yield None
        return
    with servers.postgres_template() as template:
        databases = servers.PostgresDatabases(template)
        yield databases
        databases.close()


@pytest.fixture
def postgres_url(
    _postgres_problem: str | None, _postgres_databases: servers.PostgresDatabases | None
) -> Iterator[str]:
    if _postgres_problem is not None or _postgres_databases is None:
        servers.unavailable(_postgres_problem or "PostgreSQL template database was not created")
    name = _postgres_databases.acquire()
    yield servers.pg_url(name)
    _postgres_databases.release(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture(scope="session")
def _redis_db() -> Iterator[int | None]:
    if servers.redis_reachable() is not None:
        yield None
        return
    with servers.claimed_redis_db() as number:
        yield number


@pytest.fixture
def redis_url(_redis_db: int | None) -> Iterator[str]:
    if _redis_db is None:
        servers.unavailable(servers.redis_reachable() or "Redis database was not claimed")
    servers.flush_redis_db(_redis_db)
    yield f"redis://{servers.REDIS_HOST}:{servers.REDIS_PORT}/{_redis_db}"
    servers.flush_redis_db(_redis_db)


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    # Imported here: the fake shop brings in the composition root, which the unit tier,
    # sharing this file, has no need of.
    from tests.support.fake_shop import fake_shop

    with fake_shop() as found:
        yield found
