"""Budgets paced in Redis: every API process (and host) takes from one budget per key, paced
by GCRA on Redis's own clock (no burst of twice the limit where a window would end, the
spent budget coming back one request at a time), and an unreachable Redis leaves each
process counting alone rather than refusing requests or failing them.

Each test counts under a key prefix of its own and deletes what it wrote."""

from __future__ import annotations

import logging
import time
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
    RedisBudgets,
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


def _process(redis_url: str, prefix: str, clock: Clock | None = None) -> RedisBudgets:
    """What one API process holds: a client of its own, the shared budgets."""
    return RedisBudgets(budgets_client(redis_url), clock=clock or Clock(), prefix=prefix)


def test_two_processes_take_from_one_budget(redis_url: str, prefix: str) -> None:
    one, other = _process(redis_url, prefix), _process(redis_url, prefix)
    taken = [process.take("key-1", RATE) for process in (one, other, one, other, one, other)]
    assert [standing.remaining for standing in taken] == [4, 3, 2, 1, 0, 0]
    assert [standing.refused for standing in taken] == [False] * 5 + [True]
    assert taken[-1].first_refusal
    # Another key, and the same key under another rate, have budgets of their own.
    assert other.take("key-2", RATE).remaining == 4
    assert one.take("key-1", Rate(5, 1)).remaining == 4


def test_a_refusal_says_exactly_when_one_request_comes_back_by_redis_clock(
    redis_url: str, prefix: str
) -> None:
    client = budgets_client(redis_url)
    process = RedisBudgets(client, prefix=prefix)
    key = process.key("key-1", RATE)
    spent = [process.take("key-1", RATE) for _ in range(5)]
    assert [standing.reset for standing in spent] == pytest.approx([12.0] * 5, abs=0.05)
    refused = process.take("key-1", RATE)
    assert refused.refused and 11.9 < refused.reset <= 12.0  # w/q, less what has passed
    # The budget is whole again when its TAT passes, 60 s on, and is forgotten then.
    assert 59_000 < client.pttl(key) <= 60_000
    tat = float(client.hget(key, "tat") or 0)
    client.hset(key, "tat", repr(tat - 12_000_000))  # as if 12 s had passed
    assert not process.take("key-1", RATE).refused
    assert process.take("key-1", RATE).refused


def test_no_burst_of_twice_the_limit_where_a_window_would_have_ended(
    redis_url: str, prefix: str
) -> None:
    process = _process(redis_url, prefix)
    rate = Rate(5, 2)  # a request back every 0.4 s
    opened = time.monotonic()
    process.take("key-1", rate)  # what opened a fixed window, ending 2 s from now
    time.sleep(1.8 - (time.monotonic() - opened))
    burst = time.monotonic()
    before = sum(not process.take("key-1", rate).refused for _ in range(5))
    time.sleep(max(0.0, 2.1 - (time.monotonic() - opened)))  # past where the window ended
    after = sum(not process.take("key-1", rate).refused for _ in range(5))
    elapsed = time.monotonic() - burst
    assert before == 5
    # The budget once, plus what came back while the two bursts were sent: a window's end
    # would have given a second budget, 4 + 5 within 0.3 s.
    assert before + after <= rate.requests + int(elapsed / 0.4)


def test_a_caller_that_spent_its_budget_is_let_through_at_its_rate_not_a_window_later(
    redis_url: str, prefix: str
) -> None:
    process = _process(redis_url, prefix)
    rate = Rate(5, 1)  # a request back every 0.2 s
    assert not any(process.take("key-1", rate).refused for _ in range(5))
    start = time.monotonic()
    paced = []
    for n in range(1, 9):  # at four fifths of its rate, from the moment its budget was spent
        time.sleep(max(0.0, start + 0.25 * n - time.monotonic()))
        paced.append(process.take("key-1", rate))
    assert not [standing for standing in paced if standing.refused]


def test_a_budget_expires_once_it_would_be_whole_again(redis_url: str, prefix: str) -> None:
    client = budgets_client(redis_url)
    process = RedisBudgets(client, prefix=prefix)
    process.take("key-1", RATE)
    process.take("key-1", RATE)
    assert 23_000 < client.pttl(process.key("key-1", RATE)) <= 24_000  # two requests' worth


def test_a_fixed_windows_count_left_in_redis_is_not_read_as_a_budget(
    redis_url: str, prefix: str
) -> None:
    client = budgets_client(redis_url)
    client.set(f"{prefix}:60s:key-1", 4, px=60_000)  # the previous release's count
    standing = RedisBudgets(client, prefix=prefix).take("key-1", RATE)
    assert not standing.refused and standing.remaining == 4


def test_many_requests_at_once_from_many_processes_let_exactly_the_limit_through(
    redis_url: str, prefix: str
) -> None:
    processes = [_process(redis_url, prefix) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda n: processes[n % 4].take("key-1", RATE), range(40)))
    allowed = [standing for standing in taken if not standing.refused]
    assert sorted(standing.remaining for standing in allowed) == [0, 1, 2, 3, 4]
    assert sum(standing.first_refusal for standing in taken) == 1


def test_two_clients_hammering_one_budget_together_get_its_rate_between_them(
    redis_url: str, prefix: str
) -> None:
    processes = [_process(redis_url, prefix) for _ in range(2)]
    rate = Rate(10, 1)  # a request back every 0.1 s

    def hammer(n: int) -> bool:
        # 200 requests over 0.6 s, from 8 threads and 2 clients.
        time.sleep(max(0.0, start + n * 0.003 - time.monotonic()))
        return not processes[n % 2].take("key-1", rate).refused

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = sum(pool.map(hammer, range(200)))
    elapsed = time.monotonic() - start
    # The budget, then what came back meanwhile: not a budget per client.
    assert rate.requests + int(0.5 / 0.1) <= allowed <= rate.requests + int(elapsed / 0.1) + 1


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
    assert [process.take("key-1", RATE).remaining for _ in range(3)] == [4, 3, 2]
    _unreachable(process.client)
    with caplog.at_level(logging.WARNING, logger="ordo.auth"):
        # Counted here from nothing: never stricter than the shared count, never a failure.
        alone = [process.take("key-1", RATE) for _ in range(6)]
        clock.now += REDIS_RETRY_SECONDS / 2
        alone.append(process.take("key-1", RATE))
    assert [standing.remaining for standing in alone] == [4, 3, 2, 1, 0, 0, 0]
    assert [standing.refused for standing in alone] == [False] * 5 + [True, True]
    warnings = [r.getMessage() for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "requests per key and per anonymous address are counted in this process only"
    )
    _reachable(process.client, port)
    clock.now += REDIS_RETRY_SECONDS / 2
    # Back to the shared budget, which kept the three taken before the outage.
    assert process.take("key-1", RATE).remaining == 1


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
    process = RedisBudgets(counting, clock=clock)
    with caplog.at_level(logging.WARNING, logger="ordo.auth"):
        taken = [process.take("key-1", Rate(2, 60)) for _ in range(3)]
        assert attempts == 1  # the others did not wait on Redis again
        clock.now += REDIS_RETRY_SECONDS
        process.take("key-1", Rate(2, 60))
        assert attempts == 2
    assert [standing.refused for standing in taken] == [False, False, True]
