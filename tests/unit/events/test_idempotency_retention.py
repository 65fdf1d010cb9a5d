"""The worker's `Janitor` deletes idempotency records past their retention, with the in-memory
store and the clock the worker hands its tickers: a retry with a purged key runs anew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.domain.access import IdempotencyRecord
from engine.domain.values import utcnow
from engine.service_layer.idempotency import Idempotency, InMemoryIdempotencyStore, Replay
from engine.worker import Janitor

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
RETENTION = timedelta(hours=72)


def a_record(key: str, age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord(key=key, owner="k-web", request_hash="0" * 64, created_at=NOW - age)


def a_store_with(*records: tuple[IdempotencyRecord, bool]) -> InMemoryIdempotencyStore:
    """Records, each finished (an answer kept) or left in flight."""
    store = InMemoryIdempotencyStore()
    for record, finished in records:
        assert store.insert(record)
        if finished:
            answer = {"id": record.key, "email": "ann@example.com"}
            store.complete(record.owner, record.key, 201, answer, record.created_at)
    return store


def test_answers_are_kept_for_three_days_unless_told_otherwise() -> None:
    assert Janitor().idempotency_retention == timedelta(hours=72)


def test_the_janitor_deletes_answers_older_than_the_retention_and_keeps_recent_ones() -> None:
    store = a_store_with(
        (a_record("old", RETENTION + timedelta(minutes=1)), True),
        (a_record("recent", RETENTION - timedelta(minutes=1)), True),
    )
    janitor = Janitor(idempotency=store, idempotency_retention=RETENTION)

    assert janitor.tick(NOW) == 1

    assert store.get("k-web", "old") is None
    kept = store.get("k-web", "recent")
    assert kept is not None and kept.response["email"] == "ann@example.com"


def test_a_request_left_in_flight_past_the_retention_is_deleted_so_its_key_is_free() -> None:
    store = a_store_with(
        (a_record("crashed", RETENTION + timedelta(hours=1)), False),
        (a_record("running", timedelta(seconds=30)), False),
    )

    assert Janitor(idempotency=store, idempotency_retention=RETENTION).tick(NOW) == 1

    assert store.get("k-web", "crashed") is None
    assert store.get("k-web", "running") is not None


def test_a_retry_after_the_purge_runs_anew_instead_of_replaying_the_first_answer() -> None:
    store = InMemoryIdempotencyStore()
    idempotency = Idempotency(store)
    assert idempotency.claim("k-web", "order-1", "hash") is None
    idempotency.finish("k-web", "order-1", 201, {"id": "ord_1"})
    assert idempotency.claim("k-web", "order-1", "hash") == Replay(201, {"id": "ord_1"})

    Janitor(idempotency=store, idempotency_retention=RETENTION).tick(utcnow() + RETENTION)

    assert idempotency.claim("k-web", "order-1", "hash") is None


def test_a_request_whose_record_was_purged_while_it_ran_still_finishes() -> None:
    store = InMemoryIdempotencyStore()
    idempotency = Idempotency(store)
    assert idempotency.claim("k-web", "slow", "hash") is None
    Janitor(idempotency=store, idempotency_retention=RETENTION).tick(utcnow() + RETENTION)

    idempotency.finish("k-web", "slow", 201, {"id": "ord_2"})

    assert store.get("k-web", "slow") is None


def test_the_janitor_purges_at_most_once_per_interval() -> None:
    store = a_store_with((a_record("old", RETENTION + timedelta(minutes=1)), True))
    janitor = Janitor(idempotency=store, idempotency_retention=RETENTION)
    assert janitor.tick(NOW - timedelta(minutes=20)) == 0  # nothing old enough yet
    store.insert(a_record("older", RETENTION + timedelta(hours=1)))

    assert janitor.tick(NOW - timedelta(minutes=15)) == 0  # within ten minutes of the last

    assert janitor.tick(NOW) == 2
