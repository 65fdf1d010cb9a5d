"""The API's side of its rate limits (`engine/adapters/rate_limits.py`): whom each limit
counts, and the 429 `application/problem+json` that answers a request over one.

Both limits are applied where the caller is identified (`api/deps.py`), not in a middleware
of their own: a key's limit is its role's, which only authentication knows, and a
middleware would have to authenticate every request a second time to learn it. There:

- a client address locked out for failed sign-ins is refused before its credential is
  looked at (`refuse_locked_out`, from this process's memory; `refuse_locked_out_anywhere`
  also asks Redis, just before a credential that is not cached is looked up in the database,
  which is what a key guesser's every request is);
- a refused credential is counted against its address (`count_failed_sign_in`);
- an identified caller takes one request from its key's budget (`charge`), once per request
  however many times the request is authenticated (the idempotency middleware does it
  before the route).

Routes that take no credential (`/health`, `/docs`, `/openapi.json`) are never limited. A
sales channel's webhook signed by its connector is charged to the connector
(`connector:<name>`) at the channel role's rate.

The 429 names the limit in `detail`, and carries `Retry-After` (whole seconds, rounded up)
and the `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-11
(`"key";q=600;w=1`, `"key";r=0;t=1`). Each throttled caller is logged once per period of its
limit on `ordo.auth`, and a lockout once when it starts: a storm leaves a line, not a flood.
"""

from __future__ import annotations

import logging
import math
import socket
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import Scope

from api.openapi_amend import PROBLEM_CONTENT, amend_operations
from engine.adapters.rate_limits import Rate, RateLimits
from engine.domain.access import Principal

auth_log = logging.getLogger("ordo.auth")

KEY_POLICY = "key"
SIGN_IN_POLICY = "sign-in"
# Set on a request's scope once its caller was charged: a second authentication of the same
# request (the route's, after the idempotency middleware's) takes nothing more.
_CHARGED = "ordo.rate_limit_charged"
_IPV4_MAPPED = bytes(10) + b"\xff\xff"  # ::ffff:a.b.c.d, an IPv4 client of a dual stack


class RateLimited(HTTPException):
    """A 429, answered by the app's handler of HTTP errors (`api/errors.py`) as a problem
    with the code `too_many_requests` and these headers."""

    def __init__(self, detail: str, policy: str, rate: Rate, retry_after: float) -> None:
        wait = max(1, math.ceil(retry_after))
        super().__init__(
            429,
            detail,
            headers={
                "Retry-After": str(wait),
                "RateLimit-Policy": f'"{policy}";q={rate.requests};w={rate.seconds}',
                "RateLimit": f'"{policy}";r=0;t={wait}',
            },
        )


def client_of(scope: Scope) -> str:
    """The address failed sign-ins are counted against: the client's, as the server gives
    it (uvicorn takes it from `X-Forwarded-For` only when the peer is a proxy it trusts,
    `FORWARDED_ALLOW_IPS`; this never reads the header itself). An IPv6 client counts as its
    /64, the block one subscriber is given: otherwise each guess could come from a new
    address."""
    client = scope.get("client")
    host = str(client[0]) if client else "unknown"
    if ":" not in host:
        return host
    try:  # inet_pton, not ipaddress: a tenth of the time, on every request from IPv6
        packed = socket.inet_pton(socket.AF_INET6, host)
    except OSError:  # a zone index (fe80::1%eth0), or not an address at all
        return host
    if packed[:12] == _IPV4_MAPPED:
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    return socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8)) + "/64"


def refuse_locked_out(limits: RateLimits, scope: Scope) -> None:
    """Refuse a request from an address this process knows is locked out (no I/O)."""
    guard = limits.sign_ins
    if guard is None:
        return
    client = client_of(scope)
    left = guard.locked(client)
    if left is not None:
        raise _locked_out(limits, client, left)


def refuse_locked_out_anywhere(limits: RateLimits, scope: Scope) -> None:
    """`refuse_locked_out`, asking Redis too when failed sign-ins are shared (blocking: run
    it off the event loop, where the database look-up it precedes runs)."""
    guard = limits.sign_ins
    if guard is None:
        return
    client = client_of(scope)
    left = guard.locked_anywhere(client)
    if left is not None:
        raise _locked_out(limits, client, left)


async def count_failed_sign_in(limits: RateLimits, scope: Scope, key_id: str) -> None:
    """Count a refused credential against its address, logging the lockout it starts."""
    guard = limits.sign_ins
    if guard is None:
        return
    client = client_of(scope)
    lockout = await run_in_threadpool(guard.failed, client)
    if lockout is not None and lockout.started:
        auth_log.warning(
            "client %s locked out for %s after %d failed sign-ins within %s (the last "
            "named key id %s): its requests are refused (429) without their credential "
            "being checked",
            client,
            _duration(lockout.seconds),
            guard.limit.requests,
            _within(guard.limit),
            key_id,
        )


def charge(limits: RateLimits, scope: Scope, principal: Principal) -> None:
    """Take one request from `principal`'s budget, or refuse it (429)."""
    if _CHARGED in scope:
        return
    scope[_CHARGED] = True
    throttled = limits.take(principal.key_id, principal.role)
    if throttled is None:
        return
    rate, role = throttled.rate, str(principal.role)
    if throttled.first:
        auth_log.warning(
            "rate limit: %s (key id %s, client %s) is over its role's %s; refused (429) "
            "until it slows down, logged once %s",
            principal.actor,
            principal.key_id,
            client_of(scope),
            _allowance(rate),
            rate.period(),
        )
    raise RateLimited(
        f"this key ({principal.key_id}, role {role}) may send {_allowance(rate)}; "
        f"try again in {_duration(throttled.retry_after)}",
        KEY_POLICY,
        rate,
        throttled.retry_after,
    )


def _locked_out(limits: RateLimits, client: str, left: float) -> RateLimited:
    guard = limits.sign_ins
    assert guard is not None
    return RateLimited(
        f"too many failed sign-ins from {client}: after {guard.limit.requests} within "
        f"{_within(guard.limit)}, its requests are refused for {_duration(guard.lockout_seconds)} "
        f"without their credential being checked; try again in {_duration(left)}",
        SIGN_IN_POLICY,
        guard.limit,
        left,
    )


def _allowance(rate: Rate) -> str:
    """'600 requests a second', '50 requests every 10 seconds'."""
    noun = "request" if rate.requests == 1 else "requests"
    return f"{rate.requests:,} {noun} {rate.period()}"


def _within(rate: Rate) -> str:
    """A rate's period as a stretch of time: 'a minute', '10 seconds'."""
    return rate.period().removeprefix("every ")


def _duration(seconds: float) -> str:
    """0.43 -> '0.5 s' (rounded up: sooner would be refused again); 287.2 -> '288 s'."""
    if seconds < 10:
        return f"{max(0.1, math.ceil(seconds * 10) / 10):.1f} s"
    return f"{math.ceil(seconds)} s"


def document(app: FastAPI) -> None:
    """Add the 429 to every operation of the OpenAPI document that takes a credential."""
    response = {
        "description": "Too many requests: this key is over its role's rate limit, or this "
        "client address is locked out after too many failed sign-ins. `Retry-After` says "
        "when to try again; `RateLimit-Policy` and `RateLimit` name the limit.",
        "headers": {
            name: {"schema": {"type": "string"}, "description": description}
            for name, description in (
                ("Retry-After", "Seconds to wait before trying again."),
                ("RateLimit-Policy", 'The limit that refused, such as `"key";q=600;w=1`.'),
                ("RateLimit", 'What is left of it, such as `"key";r=0;t=1`.'),
            )
        },
        "content": PROBLEM_CONTENT,
    }

    def amend(path: str, method: str, operation: dict[str, Any]) -> None:
        if operation.get("security"):
            operation.setdefault("responses", {}).setdefault("429", dict(response))

    amend_operations(app, amend)
