"""Budgets counted in Redis: every API process (and host) takes from one budget per key, the
window is Redis's own expiry, and an unreachable Redis leaves each process counting alone
rather than refusing requests or failing them.

Each test counts under a key prefix of its own and deletes what it wrote."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from engine.adapters.rate_limits import (
    REDIS_RETRY_SECONDS,
    Rate,
    RateLimits,
    RedisWindows,
    budgets_client,
)

RATE = Rate(5, 60)


class Clock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    prefix = f"test-rate:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def _process(redis_url: str, prefix: str, clock: Clock | None = None) -> RedisWindows:
    """What one API process holds: a client of its own, the shared counts."""
    return RedisWindows(budgets_client(redis_url), clock=clock or Clock(), prefix=prefix)


def test_two_processes_take_from_one_budget(redis_url: str, prefix: str) -> None:
    one, other = _process(redis_url, prefix), _process(redis_url, prefix)
    taken = [process.take("key-1", RATE) for process in (one, other, one, other, one, other)]
    assert [standing.count for standing in taken] == [1, 2, 3, 4, 5, 6]
    assert [standing.refused for standing in taken] == [False] * 5 + [True]
    assert taken[-1].first_refusal
    # Another key, and the same key under another period, count apart.
    assert other.take("key-2", RATE).count == 1
    assert one.take("key-1", Rate(5, 1)).count == 1


def test_the_window_is_redis_expiry_opened_by_the_first_request(
    redis_url: str, prefix: str
) -> None:
    client = budgets_client(redis_url)
    process = RedisWindows(client, prefix=prefix)
    first = process.take("key-1", RATE)
    assert 59.0 < first.reset <= 60.0
    assert 59_000 < client.pttl(f"{prefix}:60s:key-1") <= 60_000
    client.pexpire(f"{prefix}:60s:key-1", 1_500)  # as if 58.5 s had passed
    later = process.take("key-1", RATE)
    assert later.count == 2 and 1.0 < later.reset <= 1.5
    client.delete(f"{prefix}:60s:key-1")  # as its expiry does
    assert process.take("key-1", RATE).count == 1


def test_a_count_left_without_an_expiry_is_given_one(redis_url: str, prefix: str) -> None:
    client = budgets_client(redis_url)
    client.set(f"{prefix}:60s:key-1", 3)
    standing = RedisWindows(client, prefix=prefix).take("key-1", RATE)
    assert standing.count == 4 and standing.reset == 60.0
    assert 59_000 < client.pttl(f"{prefix}:60s:key-1") <= 60_000


def test_many_requests_at_once_from_many_processes_let_exactly_the_limit_through(
    redis_url: str, prefix: str
) -> None:
    processes = [_process(redis_url, prefix) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda n: processes[n % 4].take("key-1", RATE), range(40)))
    assert sum(not standing.refused for standing in taken) == RATE.requests
    assert sum(standing.first_refusal for standing in taken) == 1
    assert sorted(standing.count for standing in taken) == list(range(1, 41))


def test_anonymous_requests_share_one_budget_per_address_across_processes(
    redis_url: str, prefix: str
) -> None:
    limits = [
        RateLimits({"anonymous": Rate(2, 60)}, budgets=_process(redis_url, prefix))
        for _ in range(2)
    ]
    taken = [limits[n % 2].take_anonymous("203.0.113.7") for n in range(3)]
    assert [standing is not None and standing.refused for standing in taken] == [
        False,
        False,
        True,
    ]


def _unreachable(client: redis.Redis) -> None:
    """Point `client` at a port where no Redis listens, as if Redis went down."""
    client.connection_pool.connection_kwargs["port"] = 9
    client.connection_pool.reset()  # drop the connections made to the port before


def _reachable(client: redis.Redis, port: int) -> None:
    client.connection_pool.connection_kwargs["port"] = port
    client.connection_pool.reset()


def test_when_redis_goes_down_a_process_counts_alone_says_so_once_and_returns_to_redis(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    process = _process(redis_url, prefix, clock)
    port: Any = process.client.connection_pool.connection_kwargs["port"]
    assert [process.take("key-1", RATE).count for _ in range(3)] == [1, 2, 3]
    _unreachable(process.client)
    with caplog.at_level(logging.WARNING, logger="ordo.auth"):
        # Counted here from nothing: never stricter than the shared count, never a failure.
        alone = [process.take("key-1", RATE) for _ in range(6)]
        clock.now += REDIS_RETRY_SECONDS / 2
        alone.append(process.take("key-1", RATE))
    assert [standing.count for standing in alone] == [1, 2, 3, 4, 5, 6, 7]
    assert [standing.refused for standing in alone] == [False] * 5 + [True, True]
    warnings = [r.getMessage() for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "requests per key and per anonymous address are counted in this process only"
    )
    _reachable(process.client, port)
    clock.now += REDIS_RETRY_SECONDS / 2
    # Back to the shared count, which kept the three from before the outage.
    assert process.take("key-1", RATE).count == 4


def test_a_process_with_redis_down_from_the_start_asks_it_once_per_retry_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts = 0

    class Counting(redis.Redis):
        def execute_command(self, *args: Any, **options: Any) -> Any:
            nonlocal attempts
            attempts += 1
            return super().execute_command(*args, **options)

    clock = Clock()
    client = budgets_client("redis://127.0.0.1:9/0")
    counting = Counting(connection_pool=client.connection_pool, retry=client.get_retry())
    process = RedisWindows(counting, clock=clock)
    with caplog.at_level(logging.WARNING, logger="ordo.auth"):
        taken = [process.take("key-1", Rate(2, 60)) for _ in range(3)]
        assert attempts == 1  # the others did not wait on Redis again
        clock.now += REDIS_RETRY_SECONDS
        process.take("key-1", Rate(2, 60))
        assert attempts == 2
    assert [standing.refused for standing in taken] == [False, False, True]
