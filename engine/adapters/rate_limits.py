"""Rate limits: requests per API key by role, per anonymous client address, and failed
sign-ins per client address.

Two mechanisms, both consulted by the API on every request a limit applies to (`api/deps.py`,
`api/rate_limit.py`):

- Budgets, paced by GCRA, the generic cell rate algorithm (as redis-cell and redis-gcra do
  it): a caller (a key id, or `address:<client>` for requests without a credential) limited
  to `q` requests per `w` seconds has a budget of `q` requests that gains one back every
  `w / q` seconds. It may spend the whole budget at once, and is then let through at `q`
  per `w`: at most `q` requests within any moment, `q + n` within any `n * w / q` seconds,
  `q` per `w` on average however long it keeps at it. No window ends, so a caller cannot
  send `q` at the end of one and `q` more at the start of the next, as it could with the
  fixed windows this replaced. The budget is one number, the theoretical arrival time
  (TAT): when it will be whole again. A request is let through when the budget holds one
  (`TAT + w / q - w <= now`), which moves the TAT on by `w / q` (from now, if it had
  passed); the seconds until that holds are an exact `Retry-After`.
  Why GCRA: one number per caller (the sliding log, which alone both bounds every stretch
  of `w` seconds to `q` and lets `q` through at once, keeps `q` times per caller, up to a
  billion) and no arithmetic guessing where the previous window's requests fell (the
  sliding-window counter's). What it allows: a caller that saved up a whole budget and then
  keeps to its full rate sends `2q - 1` in its first `w` seconds (the budget, then the
  period's refill at `q / w`), spread out, never `2q` within moments. GCRA with no budget
  to save up (a tolerance of 0) would hold every stretch of `w` seconds to `q`, but refuse
  any two requests less than `w / q` apart: `/docs` and the `/openapi.json` it loads at
  once, under `anonymous=60/min`; the parallel requests of a console page.
  A refused request takes nothing from the budget (fixed windows counted it): a caller
  that keeps asking faster than its rate gets its rate, not nothing for as long as it
  keeps asking. Refusals are counted for the log instead: the first in each period of the
  limit is the one to log (`Standing.first_refusal`, the budget's second number: the end of
  its quiet time), so a storm leaves a line a period. Where a caller stands is what the
  `RateLimit` field says: `r` requests it may send now, and `t` seconds until its budget
  holds one more (after a refusal, its `Retry-After`). `MemoryBudgets` paces in this
  process (a dictionary look-up, no I/O); `RedisBudgets` in Redis (one Lua script: TIME,
  HMGET, HSET and PEXPIRE), so `ordo serve --workers N` and several hosts share one
  budget, timed by Redis's clock, not the hosts'.
- `SignInGuard`: refused credentials per client address, in a sliding window (a sliding
  log): an address limited to `q` failures per `w` seconds is locked out by the failure
  that makes `q` within any `w` seconds (less than `w` from the first of them to it),
  wherever those seconds fall. These are fail2ban's semantics (a ban after `maxretry`
  failures "during the last findtime seconds") and those of the `limits` library's moving
  window. The lockout lasts a cool-down, during which the API refuses the address's
  requests without checking their credential, and starts the count over. The guard keeps
  the times of an address's last `q - 1` failures, oldest first: the next failure locks
  out when there are `q - 1` and the oldest is less than `w` old (one comparison; a new
  time pushes the oldest out).
  Why not the budgets' scheme or another cheap one: each lets about `2q` failures through
  within `w` seconds. Fixed windows (what this replaced): `q - 1` in a window, most of them
  just before its end, and `q - 1` just after. GCRA with a budget of `q` (one failure back
  every `w / q`): a guesser that spent its budget goes on at `q` per `w`, so `q - 1` at once
  and nearly `q` more within the same `w`. The sliding-window counter (the previous window's
  count weighted by how much of it is still in view, plus the current one's) guesses where
  the previous window's failures fell: `q - 1` at its very end read as gone by the time the
  next window ends, and nearly `q` more go through just before. GCRA with no budget would
  hold every `w` to `q`, but lock out two mistyped keys sent moments apart: failures are not
  paced. The log alone bounds every stretch of `w` seconds to `q - 1` failures without a
  lockout. Its cost, `q - 1` times an address (8 bytes each here), is small for the limits a
  guard is set to (`20/min` by default), and this process keeps at most `MAX_FAILURE_TIMES`
  of them in all, over however many addresses (under any limit up to that many).
  `MemorySignInGuard` counts in this process; `RedisSignInGuard` in Redis (one Lua script:
  the lockout's PTTL, TIME, LINDEX, then LPUSH, LTRIM and PEXPIRE on the address's list, or
  the lockout's SET PX), timed by Redis's clock, so `ordo serve --workers N` and several
  hosts count together.

Whatever counts in Redis fails open: if Redis does not answer, the process counts on its own
(as without Redis) and asks again `REDIS_RETRY_SECONDS` later, logging it once a minute. A
Redis outage never answers a request with a 500, nor refuses more than each process's own
count would.

`RateLimits` bundles them for the app; `ordo.bootstrap.build_rate_limits` builds it from
`ORDO_RATE_LIMITS`, `ORDO_FAILED_SIGN_IN_LIMIT` and `ORDO_FAILED_SIGN_IN_LOCKOUT_SECONDS`.
Nothing here does I/O when it is built.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
import threading
import time
from array import array
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import redis

log = logging.getLogger("ordo.auth")

Clock = Callable[[], float]

# A limit's period, as written after the slash: `600/s`, `50/10s`, `1000/min`, `5/h`, `1/day`.
_UNITS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}  # fmt: skip
_SHORT = ((86400, "day"), (3600, "h"), (60, "min"), (1, "s"))
_RATE = re.compile(r"(\d+)\s*/\s*(\d*)\s*([A-Za-z]+)")
# A longer period is a quota, not a rate limit; a larger count is a typo.
MAX_PERIOD_SECONDS = 86400
MAX_REQUESTS = 1_000_000_000
ANY_ROLE = "*"
# Not a role: the budget of each client address's requests that name no credential. `*` does
# not cover it: anonymous requests are limited only when it is named.
ANONYMOUS = "anonymous"
RATE_FORMS = "a count per period such as 600/s, 50/10s, 1000/min or 5/h (0: no limit)"
# Addresses counted at once before the oldest counts are dropped: made-up addresses (IPv6
# gives an attacker many) must not grow a process's memory without bound.
MAX_COUNTED_CLIENTS = 100_000
# Failure times a process keeps in all (8 bytes each), over the addresses whose failures it
# counts: under a limit of `q`, each keeps up to `q - 1`, so a high limit counts fewer
# addresses at once rather than keeping more than about 8 MB of times. (A limit above this
# many failures a period, which guards nothing, keeps one address's `q - 1`.)
MAX_FAILURE_TIMES = 1_000_000
# After Redis failed to answer, how long a process counts failed sign-ins on its own before
# asking it again: one sign-in in this long waits out the client's retries, not every one.
REDIS_RETRY_SECONDS = 10.0
# How long a request waits on Redis for its budget (to connect, or for the answer; tried
# twice) before the process counts on its own: a Redis that stalls delays the requests in
# flight then by twice this at most, and then none for REDIS_RETRY_SECONDS.
REDIS_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `requests` per `seconds`."""

    requests: int
    seconds: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def written(self) -> str:
        """As the settings take it: `600/s`, `50/10s`, `1000/min`."""
        for size, unit in _SHORT:
            if self.seconds % size == 0:
                count = self.seconds // size
                return f"{self.requests}/{'' if count == 1 else count}{unit}"
        raise AssertionError("every whole number of seconds is a multiple of 1")

    def period(self) -> str:
        """'a second', 'every 10 seconds', 'a minute', 'every 5 minutes', 'an hour'."""
        for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
            if self.seconds % size == 0:
                count = self.seconds // size
                if count == 1:
                    return f"an {unit}" if unit == "hour" else f"a {unit}"
                return f"every {count} {unit}s"
        raise AssertionError("every whole number of seconds is a multiple of 1")


def parse_rate(text: str) -> Rate | None:
    """`600/s` -> Rate(600, 1); `0` -> None (no limit); anything else a ValueError saying
    which forms are taken."""
    written = str(text).strip()
    if written == "0":
        return None
    match = _RATE.fullmatch(written)
    unit = match.group(3).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(f"must be {RATE_FORMS}, got {written!r}")
    requests = int(match.group(1))
    seconds = int(match.group(2) or 1) * _UNITS[unit]
    if requests == 0:
        return None
    if requests > MAX_REQUESTS or not 1 <= seconds <= MAX_PERIOD_SECONDS:
        raise ValueError(
            f"must be at most {MAX_REQUESTS:,} requests per period, and a period from 1 "
            f"second to 1 day, got {written!r}"
        )
    return Rate(requests, seconds)


def parse_rates(text: str, names: Collection[str]) -> dict[str, Rate | None]:
    """`channel=600/s,support=50/s` -> {"channel": Rate(600, 1), ...}: comma-separated
    `name=rate` pairs, `name` one of `names` (the roles), `anonymous` (requests without a
    credential, per client address) or `*` (every role not given); a rate of 0 is None, no
    limit (even with `*` given). Raises ValueError naming the pair at fault."""
    rates: dict[str, Rate | None] = {}
    for pair in (part.strip() for part in str(text).split(",")):
        if not pair:
            continue
        name, equals, written = (piece.strip() for piece in pair.partition("="))
        if not equals or not name:
            raise ValueError(f"expected role=rate pairs such as channel=600/s, got {pair!r}")
        if name not in (ANY_ROLE, ANONYMOUS) and name not in names:
            close = difflib.get_close_matches(name, [*names, ANONYMOUS], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            known = ", ".join(sorted(names))
            raise ValueError(f"{name!r} is not a role (one of {known}), {ANONYMOUS} or *{hint}")
        if name in rates:
            raise ValueError(f"role {name!r} is given twice")
        try:
            rates[name] = parse_rate(written)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    return rates


def written_rates(rates: Mapping[str, Rate | None]) -> str:
    """The inverse of `parse_rates`, in the order given."""
    return ",".join(f"{name}={rate.written() if rate else 0}" for name, rate in rates.items())


@dataclass(slots=True)  # not frozen: one is made per counted request, and freezing triples that
class Standing:
    """Where a caller stands once a request was counted: its limit, whether the request was
    refused (and whether it is the refusal to log), the requests it may still send at once,
    and the seconds until its budget holds one more (after a refusal: how long to wait).
    Read-only by convention."""

    rate: Rate
    remaining: int  # the `RateLimit` field's `r`
    reset: float  # the `RateLimit` field's `t`; after a refusal, `Retry-After`
    refused: bool = False
    # The refusal to log: the caller's first in a period of its limit, so a storm leaves a
    # line a period, not one a request.
    first_refusal: bool = False


class Budgets(Protocol):
    """Requests per caller, paced by the generic cell rate algorithm (the module's
    docstring says how)."""

    # True when `take` does I/O (Redis): the API then calls it off the event loop.
    shared: ClassVar[bool]

    def take(self, caller: str, rate: Rate) -> Standing:
        """Count a request of `caller` against `rate`; where it stands afterwards."""
        ...


def _interval(rate: Rate) -> float:
    """The seconds one request takes of a budget: `w / q`."""
    return rate.seconds / rate.requests


def _tolerance(interval: float) -> float:
    """How early a request may come and still be in time: a microsecond (Redis's clock
    ticks in them), less for rates of over a thousand a millisecond. Without it, float
    rounding could refuse a caller that waited exactly its `Retry-After`."""
    return min(1e-6, interval / 1000)


def _standing(rate: Rate, slack: float, refused: bool, first_refusal: bool) -> Standing:
    """Where a caller stands with `slack` seconds of its budget unused (`now + w - TAT`):
    `slack // interval` requests left, and one more once slack reaches the next multiple."""
    interval = _interval(rate)
    remaining = 0 if refused else int((slack + _tolerance(interval)) // interval)
    return Standing(rate, remaining, (remaining + 1) * interval - slack, refused, first_refusal)


class MemoryBudgets:
    """Budgets paced in this process. Called from the event loop only, so without a lock
    (a budget's read and write never interleave with another request's); `RedisBudgets`
    locks around it when it counts here from its thread pool while Redis is down."""

    shared: ClassVar[bool] = False

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        # caller -> [TAT, end of its quiet time]; a caller whose TAT and quiet time have
        # both passed stands as one never seen, so dropping it loses nothing.
        self._budgets: dict[str, list[float]] = {}

    def take(self, caller: str, rate: Rate) -> Standing:
        now = self.clock()
        budget = self._budgets.get(caller)
        tat = now if budget is None else max(budget[0], now)
        interval = _interval(rate)
        due = tat + interval  # the TAT if this request is let through
        if due - rate.seconds > now + _tolerance(interval):
            assert budget is not None  # a budget nobody took from holds at least one request
            first = budget[1] <= now
            if first:
                budget[1] = now + rate.seconds
            return _standing(rate, now + rate.seconds - tat, True, first)
        if budget is None:  # addresses without a credential are many: keep them bounded
            _make_room(self._budgets, lambda kept: kept[0] <= now and kept[1] <= now)
            self._budgets[caller] = [due, -math.inf]
        else:
            budget[0] = due
        return _standing(rate, now + rate.seconds - due, False, False)


# KEYS: the caller's budget, a hash of its TAT (`tat`) and the end of its quiet time
# (`quiet`: no refusal before it is logged), in microseconds of Redis's clock. ARGV: the
# period and the interval (microseconds, the interval fractional). Returns whether the
# request was refused, whether it is the refusal to log, the requests left, and the
# microseconds (rounded up) until the budget holds one more: `MemoryBudgets.take` and
# `_standing`, line for line. The hash expires when both times have passed, when it would
# stand as a budget nobody took from. TIME before a write needs Redis 5 or later (scripts
# replicated by their effects).
_TAKE = """
local clock = redis.call('time')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local period, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local tolerance = math.min(1, interval / 1000)
local kept = redis.call('hmget', KEYS[1], 'tat', 'quiet')
local tat = math.max(tonumber(kept[1]) or now, now)
local quiet = tonumber(kept[2]) or 0
local due = tat + interval
local refused, first, remaining = 0, 0, 0
if due - period > now + tolerance then
  refused = 1
  if quiet <= now then
    first = 1
    quiet = now + period
    redis.call('hset', KEYS[1], 'quiet', string.format('%.17g', quiet))
  end
else
  tat = due
  redis.call('hset', KEYS[1], 'tat', string.format('%.17g', tat))
end
if refused == 0 or first == 1 then
  redis.call('pexpire', KEYS[1], math.ceil((math.max(tat, quiet) - now) / 1000))
end
local slack = now + period - tat
if refused == 0 then remaining = math.floor((slack + tolerance) / interval) end
return {refused, first, remaining, math.ceil((remaining + 1) * interval - slack)}
"""


@dataclass
class _Outage:
    """When Redis last failed to answer: ask it again `REDIS_RETRY_SECONDS` later, and say
    so on `ordo.auth` at most once a minute, naming what is counted alone meanwhile."""

    clock: Clock
    counted: str
    until: float = -math.inf
    complained: float = -math.inf

    def ongoing(self) -> bool:
        return self.clock() < self.until

    def began(self, error: Exception) -> None:
        now = self.clock()
        self.until = now + REDIS_RETRY_SECONDS
        if now - self.complained >= 60:
            self.complained = now
            log.warning(
                "%s counted in this process only: Redis is unreachable (%s: %s)",
                self.counted,
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
            )


def budgets_client(url: str, timeout: float = REDIS_TIMEOUT_SECONDS) -> redis.Redis:
    """A Redis client for `RedisBudgets` (connects on first use): every request waits on it,
    so it gives up after `timeout` seconds and retries once at once (a connection Redis
    closed while idle), never after a back-off."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1)
    )


@dataclass
class RedisBudgets:
    """Budgets paced in Redis, shared by every API process and host: one round trip (the
    `_TAKE` script, atomic, timed by Redis's clock) per counted request. Blocking: the API
    calls it from its thread pool. If Redis does not answer, each process paces on its own
    (`local`, as without Redis: never stricter than the shared budget) and asks Redis again
    `REDIS_RETRY_SECONDS` later: an outage refuses nothing and answers nothing with a 500."""

    client: redis.Redis
    clock: Clock = time.monotonic
    prefix: str = "ordo:rate"
    shared: ClassVar[bool] = True
    local: MemoryBudgets = field(init=False)

    def __post_init__(self) -> None:
        self.local = MemoryBudgets(self.clock)
        self._local_lock = threading.Lock()
        self._outage = _Outage(self.clock, "requests per key and per anonymous address are")
        self._script = self.client.register_script(_TAKE)  # no I/O: loaded on first call

    def take(self, caller: str, rate: Rate) -> Standing:
        import redis

        if not self._outage.ongoing():
            try:
                refused, first, remaining, reset_us = self._script(
                    keys=[self.key(caller, rate)],
                    args=[rate.seconds * 1_000_000, _interval(rate) * 1_000_000],
                )
                return Standing(
                    rate, int(remaining), int(reset_us) / 1_000_000, bool(refused), bool(first)
                )
            except redis.RedisError as error:
                self._outage.began(error)
        with self._local_lock:
            return self.local.take(caller, rate)

    def key(self, caller: str, rate: Rate) -> str:
        """Where `caller`'s budget under `rate` is kept: a budget per rate, so a key whose
        role's rate changed starts with a whole one (and a fixed window's count, a string
        under `<prefix>:<w>s:<caller>` before this scheme, is never read as a budget)."""
        return f"{self.prefix}:{rate.requests}/{rate.seconds}s:{caller}"


@dataclass(frozen=True, slots=True)
class Lockout:
    """A client address locked out for `seconds` more; `started` when the failure just
    counted locked it (the one to log)."""

    seconds: float
    started: bool


class SignInGuard(Protocol):
    """Failed sign-ins per client address, and the lockouts they lead to."""

    limit: Rate
    lockout_seconds: float

    def locked(self, client: str) -> float | None:
        """Seconds left of `client`'s lockout as this process knows it (no I/O), or None."""
        ...

    def locked_anywhere(self, client: str) -> float | None:
        """Seconds left of `client`'s lockout, asking whatever is shared (may do I/O)."""
        ...

    def failed(self, client: str) -> Lockout | None:
        """Count a refused credential from `client` (may do I/O); the lockout it is under
        afterwards, if any."""
        ...


class MemorySignInGuard:
    """Failed sign-ins counted in this process, in a sliding window of the limit's period
    (the module's docstring says why). Thread-safe: the API counts from its thread pool as
    well as its event loop."""

    def __init__(self, limit: Rate, lockout_seconds: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.lockout_seconds = lockout_seconds
        self.clock = clock
        # client -> the times of its last `limit - 1` failures, oldest first. An array of
        # doubles, not a list of floats: a quarter of the memory, for every address counted.
        self._failures: dict[str, array[float]] = {}
        self._locked: dict[str, float] = {}  # client -> end of its lockout
        self._lock = threading.Lock()

    def locked(self, client: str) -> float | None:
        if not self._locked:  # nearly always: costs a request nothing
            return None
        until = self._locked.get(client)
        if until is None:
            return None
        left = until - self.clock()
        if left > 0:
            return left
        with self._lock:
            self._locked.pop(client, None)
        return None

    def locked_anywhere(self, client: str) -> float | None:
        return self.locked(client)

    def failed(self, client: str) -> Lockout | None:
        now = self.clock()
        period, before = self.limit.seconds, self.limit.requests - 1
        with self._lock:
            until = self._locked.get(client)
            if until is not None and until > now:
                return Lockout(until - now, started=False)
            times = self._failures.get(client)
            # The limit-th failure within a period: the `before` kept are all less than a
            # period old, which the oldest of them says.
            if before == 0 or (
                times is not None and len(times) == before and times[0] > now - period
            ):
                self._failures.pop(client, None)
                _make_room(self._locked, lambda ends: ends <= now)
                self._locked[client] = now + self.lockout_seconds
                return Lockout(self.lockout_seconds, started=True)
            if times is None:
                # An address whose last failure is a period old counts as one never seen.
                room = min(MAX_COUNTED_CLIENTS, max(1, MAX_FAILURE_TIMES // before))
                _make_room(self._failures, lambda kept: kept[-1] <= now - period, room)
                times = self._failures[client] = array("d")
            elif len(times) == before:
                del times[0]
            times.append(now)
        return None

    def remember(self, client: str, seconds: float) -> None:
        """Hold a lockout learnt elsewhere (Redis) for the `seconds` it has left."""
        now = self.clock()
        with self._lock:
            _make_room(self._locked, lambda ends: ends <= now)
            self._locked[client] = now + seconds


def _make_room(
    entries: dict[str, Any], ended: Callable[[Any], bool], room: int | None = None
) -> None:
    """Keep `entries` under `room` (MAX_COUNTED_CLIENTS if not given): drop those `ended`,
    else all of them (every one current: starting over beats growing without bound)."""
    room = MAX_COUNTED_CLIENTS if room is None else room
    if len(entries) < room:
        return
    for key in [key for key, value in entries.items() if ended(value)]:
        del entries[key]
    if len(entries) >= room:
        entries.clear()


# KEYS: the times of the address's last `limit - 1` failures (a list, newest first, in
# microseconds of Redis's clock), its lockout. ARGV: the period (microseconds), `limit - 1`,
# the lockout (ms). Returns the lockout's milliseconds left (-2: none) and whether this call
# started it: `MemorySignInGuard.failed`, line for line. The list expires a period after
# its newest time, when it would count as none; the lockout starts the count over. TIME
# before a write needs Redis 5 or later (scripts replicated by their effects).
_FAILED = """
local locked = redis.call('pttl', KEYS[2])
if locked > 0 then return {locked, 0} end
local clock = redis.call('time')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local period, before = tonumber(ARGV[1]), tonumber(ARGV[2])
if before > 0 then
  local oldest = tonumber(redis.call('lindex', KEYS[1], before - 1))
  if oldest == nil or oldest <= now - period then
    redis.call('lpush', KEYS[1], string.format('%.17g', now))
    redis.call('ltrim', KEYS[1], 0, before - 1)
    redis.call('pexpire', KEYS[1], math.ceil(period / 1000))
    return {-2, 0}
  end
end
redis.call('del', KEYS[1])
redis.call('set', KEYS[2], '1', 'PX', ARGV[3])
return {tonumber(ARGV[3]), 1}
"""


@dataclass
class RedisSignInGuard:
    """Failed sign-ins counted in Redis, shared by every API process and host.

    A lockout found in Redis is also held in this process (`local`), so the process refuses
    that address's later requests without asking Redis again. If Redis cannot be reached,
    the process counts and checks on its own (logged once a minute) and tries Redis again
    `REDIS_RETRY_SECONDS` later: sign-ins are neither refused nor each kept waiting on the
    client's own retries while Redis is down."""

    client: redis.Redis
    limit: Rate
    lockout_seconds: float
    clock: Clock = time.monotonic
    prefix: str = "ordo:sign-in"
    local: MemorySignInGuard = field(init=False)

    def __post_init__(self) -> None:
        self.local = MemorySignInGuard(self.limit, self.lockout_seconds, self.clock)
        self._outage = _Outage(self.clock, "failed sign-ins are")
        self._script = self.client.register_script(_FAILED)  # no I/O: loaded on first call

    def locked(self, client: str) -> float | None:
        return self.local.locked(client)

    def locked_anywhere(self, client: str) -> float | None:
        import redis

        if self._outage.ongoing():
            return self.local.locked(client)
        try:
            left_ms = int(self.client.pttl(self._key(client, "locked")))
        except redis.RedisError as error:
            self._outage.began(error)
            return self.local.locked(client)
        if left_ms <= 0:
            return self.local.locked(client)
        self.local.remember(client, left_ms / 1000)
        return left_ms / 1000

    def failed(self, client: str) -> Lockout | None:
        import redis

        if self._outage.ongoing():
            return self.local.failed(client)
        try:
            left_ms, started = self._script(
                keys=[self._key(client, "failure-times"), self._key(client, "locked")],
                args=[self.limit.seconds * 1_000_000, self.limit.requests - 1,
                      math.ceil(self.lockout_seconds * 1000)],
            )  # fmt: skip
        except redis.RedisError as error:
            self._outage.began(error)
            return self.local.failed(client)
        if int(left_ms) <= 0:
            return None
        self.local.remember(client, int(left_ms) / 1000)
        return Lockout(int(left_ms) / 1000, started=bool(started))

    def _key(self, client: str, what: str) -> str:
        """`<prefix>:failure-times:<client>`, a list (the fixed windows' count was a string
        under `failures`, never read as a list), and `<prefix>:locked:<client>`."""
        return f"{self.prefix}:{what}:{client}"


@dataclass
class RateLimits:
    """What the API enforces: a rate per role for each key (`rates`, by role name; `*` for
    the roles not named), one for each client address's requests without a credential
    (`rates["anonymous"]`), the budgets they are counted in, and the failed sign-in guard
    (None: no lockouts)."""

    rates: Mapping[str, Rate | None]
    sign_ins: SignInGuard | None = None
    budgets: Budgets = field(default_factory=MemoryBudgets)
    # Worked out once: whether any key is limited, and the anonymous budget (None: none).
    keys_limited: bool = field(init=False)
    anonymous: Rate | None = field(init=False)

    def __post_init__(self) -> None:
        self.keys_limited = any(rate for name, rate in self.rates.items() if name != ANONYMOUS)
        self.anonymous = self.rates.get(ANONYMOUS)

    @property
    def any_budget(self) -> bool:
        """Whether any request is counted against a budget (the API then sends the
        `RateLimit` fields); False with lockouts alone."""
        return self.keys_limited or self.anonymous is not None

    def rate_for(self, role: str) -> Rate | None:
        """The limit of `role`'s keys: its own (None when 0), else `*`'s, else none."""
        return self.rates.get(role, self.rates.get(ANY_ROLE))

    def take(self, caller: str, role: str) -> Standing | None:
        """Count a request of `caller` (a key id) of `role`: where it stands, or None when
        its role has no limit. May do I/O when the budgets are `shared`."""
        rate = self.rate_for(role)
        return None if rate is None else self.budgets.take(caller, rate)

    def take_anonymous(self, client: str) -> Standing | None:
        """Count a request without a credential from `client` (an address); None when
        anonymous requests have no limit. May do I/O when the budgets are `shared`."""
        rate = self.anonymous
        return None if rate is None else self.budgets.take(f"address:{client}", rate)
