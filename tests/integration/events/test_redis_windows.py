"""The Redis window store: atomic across workers, idempotent per event, sliding in time."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import redis

from engine.adapters.windows_redis import RedisWindowStore

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_several_workers_counting_at_once_agree_with_a_single_worker(redis_url: str) -> None:
    rng = random.Random(7)
    observations = [
        (f"evt-{n}", rng.choice(["UPS", "DHL"]), T0 + timedelta(minutes=n), rng.randint(1, 9))
        for n in range(150)
    ]

    def run(prefix: str, workers: int) -> dict[str, tuple[int, float]]:
        clients = [redis.Redis.from_url(redis_url) for _ in range(workers)]
        stores = [RedisWindowStore(c, prefix=prefix) for c in clients]

        def observe(index: int) -> None:
            event_id, carrier, at, value = observations[index]
            store = stores[index % workers].for_event(event_id)
            store.observe("late", carrier, at, float(value), HOUR)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(observe, range(len(observations))))
        # One more observation per key at the end reads the final window.
        final = {
            carrier: stores[0].for_event(f"final-{carrier}").observe(
                "late", carrier, T0 + timedelta(minutes=150), 0.0, HOUR
            )
            for carrier in ("UPS", "DHL")
        }
        for client in clients:
            client.close()
        return final

    single = run("single", 1)
    shared = run("shared", 4)
    assert shared == single
    # And both equal the arithmetic: minutes 91..149 fall inside the hour ending at minute 150.
    for carrier in ("UPS", "DHL"):
        inside = [o for o in observations if o[1] == carrier and o[2] > T0 + timedelta(minutes=90)]
        assert single[carrier] == (len(inside) + 1, float(sum(o[3] for o in inside)))


def test_an_event_delivered_twice_is_counted_once(redis_url: str) -> None:
    store = RedisWindowStore(redis.Redis.from_url(redis_url))
    assert store.for_event("e1").observe("r", "k", T0, 2.0, HOUR) == (1, 2.0)
    assert store.for_event("e1").observe("r", "k", T0, 2.0, HOUR) == (1, 2.0)
    assert store.for_event("e2").observe("r", "k", T0, 3.0, HOUR) == (2, 5.0)


def test_observations_older_than_the_window_stop_counting(redis_url: str) -> None:
    store = RedisWindowStore(redis.Redis.from_url(redis_url))
    store.for_event("a").observe("r", "k", T0, 1.0, HOUR)
    store.for_event("b").observe("r", "k", T0 + timedelta(minutes=30), 1.0, HOUR)
    assert store.for_event("c").observe("r", "k", T0 + timedelta(minutes=61), 1.0, HOUR) == (2, 2.0)
    assert store.for_event("d").observe("r", "other", T0, 1.0, HOUR) == (1, 1.0)
