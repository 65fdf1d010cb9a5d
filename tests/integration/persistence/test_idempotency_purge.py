"""The SQL idempotency store's retention purge on SQLite and PostgreSQL: one DELETE by age takes
the records created before the cut-off, finished or left in flight, and keeps the rest; the
index it uses comes and goes with migration 0016."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import ModuleType

from sqlalchemy import Engine, event, inspect

from engine.adapters import migrations
from engine.adapters.orm_api import SqlIdempotencyStore
from engine.adapters.sqlalchemy_uow import make_session_factory
from engine.domain.access import IdempotencyRecord, IdempotencyState
from engine.service_layer.idempotency import Idempotency
from tests.support.engines import an_engine, migration_named

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CUT_OFF = NOW - timedelta(hours=72)
INDEX = "ix_idempotency_keys_created_at"


def this_migration() -> ModuleType:
    return migration_named("idempotency_retention")


def a_store_on(engine: Engine) -> SqlIdempotencyStore:
    store = SqlIdempotencyStore(make_session_factory(engine))
    for key, created, finished in (
        ("old-done", CUT_OFF - timedelta(minutes=1), True),
        ("old-in-flight", CUT_OFF - timedelta(hours=5), False),
        ("recent-done", CUT_OFF + timedelta(minutes=1), True),
        ("recent-in-flight", NOW - timedelta(seconds=30), False),
    ):
        assert store.insert(IdempotencyRecord(key, "k-web", "0" * 64, created))
        if finished:
            answer = {"id": key, "email": "ann@example.com"}
            store.complete("k-web", key, 201, answer, created + timedelta(seconds=1))
    return store


def test_old_records_are_deleted_finished_or_in_flight_and_recent_ones_are_kept(
    database_url: str,
) -> None:
    with an_engine(database_url) as engine:
        store = a_store_on(engine)

        assert store.purge(CUT_OFF) == 2

        assert store.get("k-web", "old-done") is None
        assert store.get("k-web", "old-in-flight") is None
        kept = store.get("k-web", "recent-done")
        assert kept is not None and kept.state is IdempotencyState.DONE
        assert kept.response == {"id": "recent-done", "email": "ann@example.com"}
        running = store.get("k-web", "recent-in-flight")
        assert running is not None and running.state is IdempotencyState.IN_FLIGHT
        assert store.purge(CUT_OFF) == 0


def test_the_purge_is_one_delete_by_age(database_url: str) -> None:
    with an_engine(database_url) as engine:
        store = a_store_on(engine)
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

        store.purge(CUT_OFF)

        [purge] = [s for s in statements if "idempotency_keys" in s]
        assert purge.startswith("DELETE FROM idempotency_keys WHERE idempotency_keys.created_at <")


def test_a_key_whose_record_was_purged_runs_anew_and_finishes(database_url: str) -> None:
    with an_engine(database_url) as engine:
        store = a_store_on(engine)
        idempotency = Idempotency(store)
        assert idempotency.claim("k-web", "fresh", "hash") is None
        store.purge(datetime.now(UTC) + timedelta(seconds=1))  # while "fresh" still runs

        idempotency.finish("k-web", "fresh", 201, {"id": "ord_1"})  # finds nothing to keep

        assert store.get("k-web", "fresh") is None
        assert idempotency.claim("k-web", "old-done", "0" * 64) is None


def test_the_migration_adds_the_age_index_and_its_downgrade_drops_it_keeping_the_records(
    database_url: str,
) -> None:
    with an_engine(database_url) as engine:
        a_store_on(engine)
        assert INDEX in {i["name"] for i in inspect(engine).get_indexes("idempotency_keys")}

    migrations.downgrade(database_url, str(this_migration().down_revision))

    with an_engine(database_url) as engine:
        assert INDEX not in {i["name"] for i in inspect(engine).get_indexes("idempotency_keys")}
        assert SqlIdempotencyStore(make_session_factory(engine)).get("k-web", "old-done")
    migrations.upgrade(database_url)
    assert migrations.current(database_url) == migrations.head()
    with an_engine(database_url) as engine:
        assert INDEX in {i["name"] for i in inspect(engine).get_indexes("idempotency_keys")}
        assert SqlIdempotencyStore(make_session_factory(engine)).purge(CUT_OFF) == 2
