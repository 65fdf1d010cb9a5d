"""The rate limiter's arithmetic on a fake clock: budgets per caller paced by GCRA, failed
sign-ins per address, how limits are written, which address a request counts against, and the
RateLimit fields that tell a client where it stands."""

from __future__ import annotations

import pytest

from api.rate_limit import RateLimited, client_of, fields
from engine.adapters import rate_limits
from engine.adapters.rate_limits import (
    MemoryBudgets,
    MemorySignInGuard,
    Rate,
    RateLimits,
    Standing,
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


def test_a_caller_may_spend_its_whole_budget_at_once_and_then_waits_for_one_request() -> None:
    budgets = MemoryBudgets(Clock())
    rate = Rate(5, 1)
    taken = [budgets.take("k", rate) for _ in range(6)]
    assert [standing.refused for standing in taken] == [False] * 5 + [True]
    assert [standing.remaining for standing in taken] == [4, 3, 2, 1, 0, 0]
    # One request comes back every w/q = 0.2 s, not the whole budget at a window's end.
    assert taken[-1].reset == pytest.approx(0.2)
    assert [standing.reset for standing in taken[:5]] == pytest.approx([0.2] * 5)


def test_no_burst_of_twice_the_limit_where_a_window_would_have_ended() -> None:
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(10, 60)
    budgets.take("k", rate)  # what opened a fixed window, ending 60 s from now
    clock.now += 59.9
    before = sum(not budgets.take("k", rate).refused for _ in range(10))
    clock.now += 0.2  # just past where that window ended
    after = sum(not budgets.take("k", rate).refused for _ in range(10))
    assert before == 10  # the budget was whole again: one came back every 6 s
    assert after == 0  # 0.2 s gives back no request, let alone a second budget


def test_a_caller_hammering_its_budget_gets_its_rate_and_no_more() -> None:
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(2, 10)
    start = clock.now
    allowed = []
    for _ in range(240):  # every half second for two minutes: ten times its rate
        if not budgets.take("k", rate).refused:
            allowed.append(clock.now - start)
        clock.now += 0.5
    # Its budget at once, then one request every 5 s: refusals take nothing from it, so
    # asking all the time does not lock it out, nor does it get more.
    assert allowed == [0.0, 0.5] + [5.0 * n for n in range(1, 24)]
    # Within any 10 s: never more than the budget plus the period's refill.
    assert max(sum(at <= t < at + 10 for t in allowed) for at in allowed) == 2 * 2 - 1


def test_a_caller_keeping_to_its_rate_after_spending_its_budget_is_never_refused() -> None:
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(3, 1)
    assert not any(budgets.take("k", rate).refused for _ in range(3))
    refused = 0
    for _ in range(30_000):  # a request every third of a second for nearly three hours
        clock.now += 1 / 3
        refused += budgets.take("k", rate).refused
    assert refused == 0
    assert budgets.take("k", rate).refused  # and not a request faster


def test_a_refused_caller_is_let_through_after_exactly_its_retry_after() -> None:
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(3, 10)
    for _ in range(3):
        budgets.take("k", rate)
    clock.now += 1.5
    refused = budgets.take("k", rate)
    assert refused.refused and refused.remaining == 0
    assert refused.reset == pytest.approx(10 / 3 - 1.5)
    waited = clock.now + refused.reset
    clock.now = waited - 0.001
    assert budgets.take("k", rate).refused
    clock.now = waited
    through = budgets.take("k", rate)
    assert not through.refused and through.remaining == 0
    assert through.reset == pytest.approx(10 / 3)


def test_an_idle_caller_gets_one_budgets_worth_not_what_it_saved_up() -> None:
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(600, 1)
    clock.now += 3600
    passed = sum(not budgets.take("k", rate).refused for _ in range(700))
    assert passed == 600


def test_a_storm_of_refusals_is_marked_to_be_logged_once_a_period() -> None:
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(1, 10)
    marks = []
    for _ in range(15):  # every 2 s for 30 s: one let through every 10 s
        standing = budgets.take("k", rate)
        if standing.refused:
            marks.append((clock.now - 50, standing.first_refusal))
        clock.now += 2
    assert [at for at, first in marks if first] == [2.0, 12.0, 22.0]
    assert len(marks) == 12


def test_each_caller_has_a_budget_of_its_own() -> None:
    budgets = MemoryBudgets(Clock())
    rate = Rate(1, 1)
    assert not budgets.take("a", rate).refused
    assert budgets.take("a", rate).refused
    assert not budgets.take("b", rate).refused


def test_made_up_addresses_cannot_grow_the_budgets_without_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "MAX_COUNTED_CLIENTS", 10)
    clock = Clock()
    budgets = MemoryBudgets(clock)
    for number in range(25):
        budgets.take(f"address:10.0.0.{number}", Rate(5, 60))
    assert len(budgets._budgets) <= 10


def test_room_is_made_by_dropping_budgets_that_are_whole_again_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "MAX_COUNTED_CLIENTS", 3)
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(2, 60)
    budgets.take("address:old", rate)
    clock.now += 30  # its budget is whole again: forgetting it changes nothing
    budgets.take("k", rate)
    budgets.take("k", rate)
    budgets.take("address:new", rate)
    budgets.take("address:newer", rate)
    assert set(budgets._budgets) == {"k", "address:new", "address:newer"}
    assert budgets.take("k", rate).refused  # the spent budget was kept


def test_a_roles_rate_is_its_own_else_the_star_one_and_zero_means_no_limit() -> None:
    limits = RateLimits(parse_rates("channel=2/s,*=1/s,admin=0", ROLES))
    assert limits.rate_for("channel") == Rate(2, 1)
    assert limits.rate_for("support") == Rate(1, 1)
    assert limits.rate_for("admin") is None
    assert all(limits.take("admin-key", "admin") is None for _ in range(100))
    assert RateLimits(parse_rates("channel=2/s", ROLES)).rate_for("support") is None


def test_anonymous_requests_are_counted_per_address_apart_from_any_key() -> None:
    limits = RateLimits(parse_rates("anonymous=2/min,*=1/min", ROLES))
    assert limits.anonymous == Rate(2, 60)
    taken = [limits.take_anonymous("203.0.113.7") for _ in range(3)]
    assert [standing is not None and standing.refused for standing in taken] == [
        False,
        False,
        True,
    ]
    other = limits.take_anonymous("198.51.100.9")
    assert other is not None and not other.refused
    # A key whose id happens to be an address is not that address's anonymous budget.
    key = limits.take("203.0.113.7", "channel")
    assert key is not None and not key.refused


def test_the_ratelimit_fields_name_the_policy_its_limit_and_what_is_left_of_it() -> None:
    assert fields("key", Standing(Rate(600, 1), 599, 1 / 600)) == (
        (b"ratelimit-policy", b'"key";q=600;w=1'),
        (b"ratelimit", b'"key";r=599;t=1'),
    )
    # Seconds rounded up, so a client waiting `t` never comes back before a request is.
    assert fields("anonymous", Standing(Rate(60, 60), 0, 12.2))[1] == (
        b"ratelimit",
        b'"anonymous";r=0;t=13',
    )


def test_the_ratelimit_fields_say_when_one_more_request_comes_back_not_when_a_window_ends() -> None:
    clock = Clock()
    budgets = MemoryBudgets(clock)
    rate = Rate(2, 10)
    assert fields("key", budgets.take("k", rate))[1] == (b"ratelimit", b'"key";r=1;t=5')
    clock.now += 1  # the budget spent: the first request comes back 5 s after it was taken
    assert fields("key", budgets.take("k", rate))[1] == (b"ratelimit", b'"key";r=0;t=4')
    clock.now += 8.5  # 9.5 s in: one came back at 5 s (taken now), the next comes at 10 s
    assert fields("key", budgets.take("k", rate))[1] == (b"ratelimit", b'"key";r=0;t=1')


def test_a_refusals_fields_agree_with_its_retry_after() -> None:
    refused = RateLimited("over", "key", Rate(3, 10), retry_after=6.2)
    assert refused.status_code == 429
    assert refused.headers == {
        "Retry-After": "7",
        "RateLimit-Policy": '"key";q=3;w=10',
        "RateLimit": '"key";r=0;t=7',
    }


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
    [("chanel=5/s", "'chanel' is not a role (one of admin, channel, support), anonymous or * "
                    "(did you mean channel?)"),
     ("anonymos=5/s", "'anonymos' is not a role (one of admin, channel, support), anonymous "
                      "or * (did you mean anonymous?)"),
     ("anonymous=5/s,anonymous=6/s", "role 'anonymous' is given twice"),
     ("anonymous=many", "anonymous: must be a count per period such as 600/s"),
     ("anonymous=5/2days", "anonymous: must be at most 1,000,000,000 requests per period"),
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


def test_failures_a_period_apart_or_more_do_not_add_up() -> None:
    clock = Clock()
    guard = MemorySignInGuard(Rate(3, 60), lockout_seconds=30, clock=clock)
    guard.failed("a")
    guard.failed("a")
    clock.now += 60
    assert guard.failed("a") is None
    assert guard.failed("a") is None
    assert guard.locked("a") is None


def test_failures_straddling_where_a_window_would_have_ended_lock_out_at_the_limit() -> None:
    # A fixed window opened by the first failure ends at 60 s: one failure to open it, three
    # just before its end and four just after would all have gone through, seven within 2 s.
    clock = Clock()
    guard = MemorySignInGuard(Rate(5, 60), lockout_seconds=120, clock=clock)
    assert guard.failed("a") is None
    clock.now += 59
    assert [guard.failed("a") for _ in range(3)] == [None, None, None]
    clock.now += 2  # the first failure is now more than a period old
    assert guard.failed("a") is None  # the fourth within the last period
    lockout = guard.failed("a")  # the fifth
    assert lockout is not None and lockout.started and lockout.seconds == 120


def test_a_steady_trickle_below_the_limit_never_locks_out_but_one_more_within_a_period_does() -> (
    None
):
    clock = Clock()
    guard = MemorySignInGuard(Rate(3, 60), lockout_seconds=120, clock=clock)
    # Two failures in any minute, for ten minutes: never three within one.
    for _ in range(19):
        assert guard.failed("a") is None
        assert guard.locked("a") is None
        clock.now += 31
    clock.now -= 30  # one second after the last: the third within a minute
    lockout = guard.failed("a")
    assert lockout is not None and lockout.started


def test_the_lockout_lasts_its_cool_down_from_the_failure_that_reached_the_limit() -> None:
    clock = Clock()
    guard = MemorySignInGuard(Rate(3, 60), lockout_seconds=120, clock=clock)
    guard.failed("a")
    clock.now += 59.5
    guard.failed("a")
    clock.now += 1  # past where a window opened by the first failure would have ended
    assert guard.failed("a") is None  # two within the last minute
    clock.now += 10
    assert guard.failed("a") is not None  # the third: locked out until 120 s from now
    clock.now += 119.5
    assert guard.locked("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert guard.locked("a") is None
    # The lockout started the count over: the failures before it no longer count.
    assert [guard.failed("a") for _ in range(2)] == [None, None]
    assert guard.locked("a") is None


def test_made_up_addresses_cannot_grow_the_counts_without_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "MAX_COUNTED_CLIENTS", 10)
    clock = Clock()
    guard = MemorySignInGuard(Rate(5, 60), lockout_seconds=30, clock=clock)
    for number in range(25):
        guard.failed(f"10.0.0.{number}")
    assert len(guard._failures) <= 10


def test_a_high_limit_counts_fewer_addresses_at_once_to_keep_the_failure_times_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "MAX_FAILURE_TIMES", 40)
    clock = Clock()
    guard = MemorySignInGuard(Rate(9, 60), lockout_seconds=30, clock=clock)
    for number in range(25):
        for _ in range(8):
            guard.failed(f"10.0.0.{number}")
    kept = sum(len(times) for times in guard._failures.values())
    assert len(guard._failures) <= 5 and kept <= 40


def test_room_is_made_by_dropping_addresses_whose_failures_are_a_period_old_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "MAX_COUNTED_CLIENTS", 3)
    clock = Clock()
    guard = MemorySignInGuard(Rate(3, 60), lockout_seconds=30, clock=clock)
    guard.failed("old")
    clock.now += 30
    guard.failed("recent")
    guard.failed("recent")
    clock.now += 30
    guard.failed("new")  # three counted: room made by dropping "old" alone
    guard.failed("newer")
    assert set(guard._failures) == {"recent", "new", "newer"}
    assert guard.failed("recent") is not None  # its two failures were kept


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
