"""Alert-rule time windows kept in Redis, so several workers count together.

Implements the rule language's `WindowStore` protocol (docs/dev/dsl-contract.md). Each
(rule, key) pair is a sorted set scored by observation time in milliseconds plus a hash of
values; one Lua script adds the observation, drops what fell out of the window and returns
(count, sum), so the read is atomic with the write whichever worker makes it.

Delivery is at least once, so the same event can be observed twice. `for_event(event_id)`
returns a view whose observations are named after the event: a redelivered event replaces its
own entry instead of being counted again.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import redis

_OBSERVE = """
local key, values = KEYS[1], KEYS[2]
local at, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
-- ZADD/HSET on the same member overwrite: a redelivered event is not counted twice
redis.call('zadd', key, at, member)
redis.call('hset', values, member, ARGV[4])
local expired = redis.call('zrangebyscore', key, '-inf', at - window)
if #expired > 0 then
  redis.call('zremrangebyscore', key, '-inf', at - window)
  redis.call('hdel', values, unpack(expired))
end
local inside = redis.call('zrangebyscore', key, '(' .. (at - window), at)
local total = 0
if #inside > 0 then
  for _, v in ipairs(redis.call('hmget', values, unpack(inside))) do
    total = total + (tonumber(v) or 0)
  end
end
redis.call('pexpire', key, window * 2)
redis.call('pexpire', values, window * 2)
return {#inside, tostring(total)}
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisWindowStore:
    """`observe(rule, key, at, value, window) -> (count, sum)` shared by every worker."""

    def __init__(
        self, client: redis.Redis, prefix: str = "ordo:window", event_id: str = ""
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.event_id = event_id
        self._script = client.register_script(_OBSERVE)

    def for_event(self, event_id: str) -> RedisWindowStore:
        """A view that names its observations after `event_id` (idempotent under redelivery)."""
        view = RedisWindowStore.__new__(RedisWindowStore)
        view.client, view.prefix, view.event_id = self.client, self.prefix, event_id
        view._script = self._script
        return view

    def observe(
        self, rule: str, key: str, at: datetime, value: float, window: timedelta
    ) -> tuple[int, float]:
        name = self.event_id or secrets.token_hex(8)
        base = f"{self.prefix}:{rule}:{key}"
        reply = self._script(
            keys=[base, f"{base}:values"],
            args=[_ms(at), int(window.total_seconds() * 1000), name, repr(float(value))],
        )
        count, total = reply
        return int(count), float(total)
