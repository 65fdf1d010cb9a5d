"""Failed sign-ins counted in Redis: every API process (and host) counts together, the limit
holds within any stretch of its period on Redis's own clock (real seconds here: a period is
at least one), the failure times expire a period after the last and the lockout with its
cool-down, and an unreachable Redis leaves each process counting alone rather than failing
sign-ins."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from engine.adapters.rate_limits import REDIS_RETRY_SECONDS, Rate, RedisSignInGuard

LIMIT = Rate(5, 60)


class Clock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


def _guard(redis_url: str, lockout: float = 120, limit: Rate = LIMIT) -> RedisSignInGuard:
    """What one API process holds: a client of its own, the shared counts."""
    return RedisSignInGuard(redis.Redis.from_url(redis_url), limit, lockout)


def test_processes_count_one_addresss_failures_together(redis_url: str) -> None:
    one, other = _guard(redis_url), _guard(redis_url)
    assert [one.failed("203.0.113.7") for _ in range(2)] == [None, None]
    assert [other.failed("203.0.113.7") for _ in range(2)] == [None, None]
    lockout = one.failed("203.0.113.7")
    assert lockout is not None and lockout.started
    assert lockout.seconds == pytest.approx(120, abs=0.01)
    # The other process had not seen the lockout: it learns it from Redis, then holds it.
    assert other.locked("203.0.113.7") is None
    assert other.locked_anywhere("203.0.113.7") == pytest.approx(120, abs=1)
    assert other.locked("203.0.113.7") == pytest.approx(120, abs=1)
    assert other.locked_anywhere("198.51.100.9") is None


def test_many_failures_at_once_start_exactly_one_lockout(redis_url: str) -> None:
    guards = [_guard(redis_url) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: guards[n % 4].failed("203.0.113.7"), range(40)))
    started = [result for result in results if result is not None and result.started]
    assert len(started) == 1
    # Four went before the fifth locked; the rest found the lockout in place.
    assert sum(result is None for result in results) == LIMIT.requests - 1


def test_failures_straddling_where_a_window_would_have_ended_lock_out_at_the_limit(
    redis_url: str,
) -> None:
    # Two processes, limited to three failures a second (a period to wait out for real).
    one, other = _guard(redis_url, limit=Rate(3, 1)), _guard(redis_url, limit=Rate(3, 1))
    assert one.failed("203.0.113.7") is None
    time.sleep(0.6)
    assert other.failed("203.0.113.7") is None
    time.sleep(0.5)  # the first failure is now more than a second old
    assert one.failed("203.0.113.7") is None  # the second within the last second
    lockout = other.failed("203.0.113.7")  # the third, with the second less than 0.5 s ago
    assert lockout is not None and lockout.started
    assert lockout.seconds == pytest.approx(120, abs=0.01)


def test_a_steady_trickle_below_the_limit_never_locks_out_but_one_more_within_a_period_does(
    redis_url: str,
) -> None:
    guard = RedisSignInGuard(redis.Redis.from_url(redis_url), Rate(3, 1), lockout_seconds=120)
    # A failure every 0.55 s: two in any second, never three.
    for _ in range(4):
        assert guard.failed("203.0.113.7") is None
        assert guard.locked_anywhere("203.0.113.7") is None
        time.sleep(0.55)
    assert guard.failed("203.0.113.7") is None
    lockout = guard.failed("203.0.113.7")  # at once: the third within a second
    assert lockout is not None and lockout.started


def test_the_failure_times_expire_a_period_after_the_last_and_the_lockout_with_its_cool_down(
    redis_url: str,
) -> None:
    client = redis.Redis.from_url(redis_url)
    guard = RedisSignInGuard(client, LIMIT, lockout_seconds=90, prefix="t")
    guard.failed("203.0.113.7")
    assert 59_000 < client.pttl("t:failure-times:203.0.113.7") <= 60_000
    for _ in range(LIMIT.requests - 2):
        guard.failed("203.0.113.7")
    # The times of the last limit - 1 failures, no more: what the next one is judged by.
    assert client.llen("t:failure-times:203.0.113.7") == LIMIT.requests - 1
    assert guard.failed("203.0.113.7") is not None
    assert 89_000 < client.pttl("t:locked:203.0.113.7") <= 90_000
    assert client.exists("t:failure-times:203.0.113.7") == 0  # counting starts over after it


def test_a_count_the_fixed_windows_left_under_the_old_key_is_not_read(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("t:failures:203.0.113.7", 4, px=60_000)  # a process of the version before
    guard = RedisSignInGuard(client, LIMIT, lockout_seconds=90, prefix="t")
    assert guard.failed("203.0.113.7") is None


def test_a_lockout_that_ended_in_redis_is_no_longer_found(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    guard = RedisSignInGuard(client, Rate(1, 60), lockout_seconds=120, prefix="t")
    assert guard.failed("203.0.113.7") is not None
    client.delete("t:locked:203.0.113.7")  # as its expiry does
    fresh = RedisSignInGuard(client, Rate(1, 60), lockout_seconds=120, prefix="t")
    assert fresh.locked_anywhere("203.0.113.7") is None


class _CountingRedis(redis.Redis):
    """A client of a port where no Redis listens, counting its attempts."""

    attempts = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        type(self).attempts += 1
        return super().execute_command(*args, **options)


def test_without_redis_a_process_counts_alone_asks_again_later_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    unreachable = _CountingRedis(host="127.0.0.1", port=9, retry=Retry(NoBackoff(), 0))
    guard = RedisSignInGuard(unreachable, Rate(3, 60), lockout_seconds=120, clock=clock)
    with caplog.at_level(logging.WARNING, logger="ordo.auth"):
        assert guard.locked_anywhere("203.0.113.7") is None
        results = [guard.failed("203.0.113.7") for _ in range(3)]
        assert _CountingRedis.attempts == 1  # the rest did not wait on Redis again
        clock.now += REDIS_RETRY_SECONDS
        assert guard.locked_anywhere("203.0.113.7") == pytest.approx(120 - REDIS_RETRY_SECONDS)
        assert _CountingRedis.attempts == 2
    assert results[:2] == [None, None]
    assert results[2] is not None and results[2].started
    warnings = [r.getMessage() for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(warnings) == 1
