"""The rate limiter's arithmetic on a fake clock: token buckets per key, failed sign-ins per
address, how limits are written, and which address a request counts against."""

from __future__ import annotations

import pytest

from api.rate_limit import client_of
from engine.adapters import rate_limits
from engine.adapters.rate_limits import (
    MemorySignInGuard,
    Rate,
    RateLimits,
    TokenBuckets,
    parse_rate,
    parse_rates,
    written_rates,
)

ROLES = ("admin", "channel", "support")


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_bucket_lets_a_whole_periods_requests_through_then_refuses() -> None:
    buckets = TokenBuckets(Clock())
    rate = Rate(5, 1)
    assert [buckets.take("k", rate) for _ in range(5)] == [None] * 5
    refused = buckets.take("k", rate)
    assert refused is not None
    assert refused.rate == rate
    assert refused.retry_after == pytest.approx(0.2)


def test_tokens_come_back_at_the_limits_pace_and_never_beyond_one_periods_worth() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock)
    rate = Rate(600, 1)
    for _ in range(600):
        assert buckets.take("k", rate) is None
    clock.now += 0.25  # 150 tokens
    assert [buckets.take("k", rate) is None for _ in range(151)] == [True] * 150 + [False]
    clock.now += 3600  # idle for an hour: still one second's burst, not an hour's
    passed = sum(buckets.take("k", rate) is None for _ in range(700))
    assert passed == 600


def test_the_wait_is_what_the_missing_fraction_of_a_token_takes() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock)
    rate = Rate(2, 10)  # a token every 5 s
    buckets.take("k", rate)
    buckets.take("k", rate)
    clock.now += 4
    refused = buckets.take("k", rate)
    assert refused is not None and refused.retry_after == pytest.approx(1.0)


def test_a_refused_request_takes_nothing_so_a_storm_does_not_push_the_wait_back() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock)
    rate = Rate(1, 1)
    buckets.take("k", rate)
    for _ in range(100):
        assert buckets.take("k", rate) is not None
    clock.now += 1
    assert buckets.take("k", rate) is None


def test_only_the_first_refusal_in_each_period_is_marked_to_be_logged() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock)
    rate = Rate(1, 10)
    buckets.take("k", rate)
    marks = []
    for _ in range(4):
        refused = buckets.take("k", rate)
        assert refused is not None
        marks.append(refused.first)
        clock.now += 3
    assert marks == [True, False, False, False]
    clock.now += 10
    buckets.take("k", rate)  # the token that came back
    again = buckets.take("k", rate)
    assert again is not None and again.first


def test_each_key_has_a_bucket_of_its_own() -> None:
    buckets = TokenBuckets(Clock())
    rate = Rate(1, 1)
    assert buckets.take("a", rate) is None
    assert buckets.take("a", rate) is not None
    assert buckets.take("b", rate) is None


def test_a_roles_rate_is_its_own_else_the_star_one_and_zero_means_no_limit() -> None:
    limits = RateLimits(parse_rates("channel=2/s,*=1/s,admin=0", ROLES))
    assert limits.rate_for("channel") == Rate(2, 1)
    assert limits.rate_for("support") == Rate(1, 1)
    assert limits.rate_for("admin") is None
    assert all(limits.take("admin-key", "admin") is None for _ in range(100))
    assert RateLimits(parse_rates("channel=2/s", ROLES)).rate_for("support") is None


@pytest.mark.parametrize(
    ("written", "rate", "normal"),
    [("600/s", Rate(600, 1), "600/s"), ("50/10s", Rate(50, 10), "50/10s"),
     ("1000/min", Rate(1000, 60), "1000/min"), (" 5 / h ", Rate(5, 3600), "5/h"),
     ("20/5min", Rate(20, 300), "20/5min"), ("3/90s", Rate(3, 90), "3/90s"),
     ("1/day", Rate(1, 86400), "1/day"), ("7/2hours", Rate(7, 7200), "7/2h")],
)  # fmt: skip
def test_a_rate_is_a_count_per_period_and_is_written_back_in_its_shortest_form(
    written: str, rate: Rate, normal: str
) -> None:
    assert parse_rate(written) == rate
    assert rate.written() == normal


@pytest.mark.parametrize("written", ["0", "0/s"])
def test_a_rate_of_zero_is_no_limit(written: str) -> None:
    assert parse_rate(written) is None


@pytest.mark.parametrize("written", ["600", "600/fortnight", "s/600", "-1/s", "1.5/s"])
def test_a_rate_in_no_known_form_is_refused_naming_the_forms(written: str) -> None:
    with pytest.raises(ValueError, match=r"600/s, 50/10s, 1000/min or 5/h"):
        parse_rate(written)


@pytest.mark.parametrize("written", ["5/2days", "5/0s", "2000000000/s"])
def test_a_period_longer_than_a_day_or_none_at_all_or_a_huge_count_is_refused(
    written: str,
) -> None:
    with pytest.raises(ValueError, match="a period from 1 second to 1 day"):
        parse_rate(written)


@pytest.mark.parametrize(
    ("rate", "period"),
    [(Rate(1, 1), "a second"), (Rate(1, 10), "every 10 seconds"), (Rate(1, 60), "a minute"),
     (Rate(1, 300), "every 5 minutes"), (Rate(1, 3600), "an hour"), (Rate(1, 86400), "a day")],
)  # fmt: skip
def test_a_period_reads_as_words(rate: Rate, period: str) -> None:
    assert rate.period() == period


def test_role_rates_are_pairs_written_back_as_given() -> None:
    rates = parse_rates(" channel=600/s , support=50/10s,*=1000/min,admin=0 ", ROLES)
    assert rates == {
        "channel": Rate(600, 1),
        "support": Rate(50, 10),
        "*": Rate(1000, 60),
        "admin": None,
    }
    assert written_rates(rates) == "channel=600/s,support=50/10s,*=1000/min,admin=0"
    assert parse_rates("", ROLES) == {}


@pytest.mark.parametrize(
    ("written", "message"),
    [("chanel=5/s", "'chanel' is not a role (one of admin, channel, support, or *) "
                    "(did you mean channel?)"),
     ("channel=5/s,channel=6/s", "role 'channel' is given twice"),
     ("channel", "expected role=rate pairs such as channel=600/s, got 'channel'"),
     ("=5/s", "expected role=rate pairs such as channel=600/s, got '=5/s'"),
     ("support=lots", "support: must be a count per period")],
)  # fmt: skip
def test_role_rates_that_do_not_read_are_refused_naming_the_pair(
    written: str, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        parse_rates(written, ROLES)
    assert str(refused.value).startswith(message)


def test_the_failure_that_reaches_the_limit_locks_the_address_out_once() -> None:
    clock = Clock()
    guard = MemorySignInGuard(Rate(3, 60), lockout_seconds=120, clock=clock)
    assert guard.failed("a") is None
    assert guard.failed("a") is None
    assert guard.locked("a") is None
    lockout = guard.failed("a")
    assert lockout is not None and lockout.started and lockout.seconds == 120
    clock.now += 20
    assert guard.locked("a") == pytest.approx(100)
    again = guard.failed("a")
    assert again is not None and not again.started and again.seconds == pytest.approx(100)
    assert guard.locked("b") is None


def test_a_lockout_ends_after_its_cool_down_and_counting_starts_over() -> None:
    clock = Clock()
    guard = MemorySignInGuard(Rate(2, 60), lockout_seconds=30, clock=clock)
    guard.failed("a")
    guard.failed("a")
    clock.now += 30
    assert guard.locked("a") is None
    assert guard.failed("a") is None


def test_failures_in_different_windows_do_not_add_up() -> None:
    clock = Clock()
    guard = MemorySignInGuard(Rate(3, 60), lockout_seconds=30, clock=clock)
    guard.failed("a")
    guard.failed("a")
    clock.now += 60
    assert guard.failed("a") is None
    assert guard.failed("a") is None
    assert guard.locked("a") is None


def test_made_up_addresses_cannot_grow_the_counts_without_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "MAX_COUNTED_CLIENTS", 10)
    clock = Clock()
    guard = MemorySignInGuard(Rate(5, 60), lockout_seconds=30, clock=clock)
    for number in range(25):
        guard.failed(f"10.0.0.{number}")
    assert len(guard._counts) <= 10


@pytest.mark.parametrize(
    ("host", "counted"),
    [("203.0.113.7", "203.0.113.7"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
     ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"), ("::ffff:198.51.100.4", "198.51.100.4"),
     ("fe80::1%eth0", "fe80::1%eth0"), ("testclient", "testclient")],
)  # fmt: skip
def test_a_request_counts_against_its_address_and_an_ipv6_one_against_its_64(
    host: str, counted: str
) -> None:
    assert client_of({"client": (host, 1234)}) == counted


def test_a_request_without_a_client_address_counts_as_unknown() -> None:
    assert client_of({"client": None}) == "unknown"
