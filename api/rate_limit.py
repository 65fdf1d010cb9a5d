"""The API's side of its rate limits (`engine/adapters/rate_limits.py`): whom each limit
counts, the `RateLimit-Policy` and `RateLimit` fields that tell a client where it stands,
and the 429 `application/problem+json` that answers a request over a limit.

A key's limit is applied where the caller is identified (`api/deps.py`), not in a middleware
of its own: a key's limit is its role's, which only authentication knows, and a middleware
would have to authenticate every request a second time to learn it. There:

- a client address locked out for failed sign-ins is refused before its credential is
  looked at (`refuse_locked_out`, from this process's memory; `refuse_locked_out_anywhere`
  also asks Redis, just before a credential that is not cached is looked up in the database,
  which is what a key guesser's every request is);
- a refused credential is counted against its address (`count_failed_sign_in`);
- an identified caller takes one request from its key's budget (`charge`), once per request
  however many times the request is authenticated (the idempotency middleware does it
  before the route).

`RateLimitFields`, a middleware installed only when a budget is set, does the rest: it counts
a request that names no credential against its client address's `anonymous` budget (and
refuses it over that, before anything else runs), and adds the two fields to the answer of
every request counted against a budget, a 200 as much as a 401 or 404.

A sales channel's webhook signed by its connector is charged to the connector
(`connector:<name>`) at the channel role's rate; signed webhooks are never anonymous.

The fields are those of draft-ietf-httpapi-ratelimit-headers-11: `RateLimit-Policy:
"key";q=600;w=1` (the limit: `q` requests per `w` seconds) and `RateLimit: "key";r=599;t=1`
(`r` requests the caller may send now, and `t` seconds, rounded up, until its budget holds
one more: the working group's "until additional quota is made available"). Budgets are
paced (GCRA, `engine/adapters/rate_limits.py`), not counted in windows, so `t` is never a
window's end: a caller that spent its budget gets a request back every `w / q` seconds.
The 429 names the limit in `detail` and carries `Retry-After` (the same whole seconds as
`t`) and the two fields with `r=0`. Each throttled caller is logged at most once per period
of its limit on `ordo.auth`, and a lockout once when it starts: a storm leaves a line, not
a flood.
"""

from __future__ import annotations

import functools
import logging
import math
import socket
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.openapi_amend import PROBLEM_CONTENT, amend_operations
from engine.adapters.rate_limits import Rate, RateLimits, Standing
from engine.domain.access import Principal

auth_log = logging.getLogger("ordo.auth")

KEY_POLICY = "key"
ANONYMOUS_POLICY = "anonymous"
SIGN_IN_POLICY = "sign-in"
# Set on a request's scope once its caller was charged: a second authentication of the same
# request (the route's, after the idempotency middleware's) takes nothing more.
_CHARGED = "ordo.rate_limit_charged"
# Where a request that passed its budget left it, and that budget's policy name: what
# `RateLimitFields` writes into the answer.
_STANDING = "ordo.rate_limit_standing"
_POLICY = "ordo.rate_limit_policy"
# The routes whose credential is a signature over the body, checked by the route itself (a
# channel's orders, the helpdesk's ticket updates): their deliveries are never anonymous,
# or one busy shop's webhooks, sent from a few addresses, would be refused.
SIGNED_WEBHOOKS = ("/v1/channels/", "/v1/ticketing/", "/v1/carriers/")
_CREDENTIAL_HEADERS = (b"x-api-key", b"authorization")
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


async def charge(limits: RateLimits, scope: Scope, principal: Principal) -> None:
    """Take one request from `principal`'s budget, or refuse it (429). Called only when some
    key is limited (`limits.keys_limited`); Redis is asked from the thread pool."""
    if _CHARGED in scope:
        return
    scope[_CHARGED] = True
    rate = limits.rate_for(principal.role)
    if rate is None:
        return
    budgets = limits.budgets
    if budgets.shared:
        standing = await run_in_threadpool(budgets.take, principal.key_id, rate)
    else:
        standing = budgets.take(principal.key_id, rate)
    if not standing.refused:
        scope[_STANDING] = standing
        scope[_POLICY] = KEY_POLICY
        return
    if standing.first_refusal:
        auth_log.warning(
            "rate limit: %s (key id %s, client %s) is over its role's %s; refused (429) "
            "until it slows down, logged at most once %s",
            principal.actor,
            principal.key_id,
            client_of(scope),
            _allowance(rate),
            rate.period(),
        )
    raise RateLimited(
        f"this key ({principal.key_id}, role {principal.role}) may send {_allowance(rate)}; "
        f"try again in {_duration(standing.reset)}",
        KEY_POLICY,
        rate,
        standing.reset,
    )


async def charge_anonymous(limits: RateLimits, scope: Scope) -> RateLimited | None:
    """Take one request from its client address's anonymous budget: the refusal (429) when
    it is over, else None."""
    client = client_of(scope)
    if limits.budgets.shared:
        standing = await run_in_threadpool(limits.take_anonymous, client)
    else:
        standing = limits.take_anonymous(client)
    if standing is None:
        return None
    if not standing.refused:
        scope[_STANDING] = standing
        scope[_POLICY] = ANONYMOUS_POLICY
        return None
    rate = standing.rate
    if standing.first_refusal:
        auth_log.warning(
            "rate limit: client %s is over the %s allowed without a credential; its "
            "anonymous requests are refused (429) until it slows down, logged at most once %s",
            client,
            _allowance(rate),
            rate.period(),
        )
    return RateLimited(
        f"this client address ({client}) may send {_allowance(rate)} without a credential; "
        f"try again in {_duration(standing.reset)}, or send one (X-API-Key, or "
        "Authorization: Bearer)",
        ANONYMOUS_POLICY,
        rate,
        standing.reset,
    )


def fields(policy: str, standing: Standing) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """The `RateLimit-Policy` and `RateLimit` fields, as ASGI headers, of a request that
    passed `policy`'s budget and left it at `standing`: `"key";q=600;w=1` and
    `"key";r=599;t=1`. `t` is rounded up, as `Retry-After` is: the draft's whole seconds,
    never sooner than the budget holds one more. On every counted request: what does not
    change with it is formatted once per limit."""
    rate = standing.rate
    policy_field, left = _constant_parts(policy, rate.requests, rate.seconds)
    return policy_field, (
        b"ratelimit",
        left % (standing.remaining, math.ceil(standing.reset)),
    )


@functools.lru_cache(maxsize=64)
def _constant_parts(policy: str, requests: int, seconds: int) -> tuple[tuple[bytes, bytes], bytes]:
    """A limit's `RateLimit-Policy` header, and its `RateLimit` value to fill in."""
    quoted = f'"{policy}"'.encode()
    return (
        (b"ratelimit-policy", b"%s;q=%d;w=%d" % (quoted, requests, seconds)),
        quoted + b";r=%d;t=%d",
    )


class RateLimitFields:
    """Counts each request that names no credential against its client address's anonymous
    budget, refusing it (429) over that before anything else runs; and adds the
    `RateLimit-Policy` and `RateLimit` fields to the answer of every request counted against
    a budget (`charge`, `charge_anonymous`). A refusal carries its own fields.

    Added (by `api.app.create_app`) only when a budget is set, outside the idempotency
    middleware (which charges a write's key before the route) and inside the error
    middleware: an app without budgets pays nothing for it."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits
        self._public: frozenset[str] | None = None  # worked out at the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.limits.anonymous is not None and self._anonymous(scope):
            refused = await charge_anonymous(self.limits, scope)
            if refused is not None:
                from api import errors  # errors imports the dependencies, which import this

                await (await errors.answer(Request(scope), refused))(scope, receive, send)
                return

        async def with_fields(message: Message) -> None:
            if message["type"] == "http.response.start" and _STANDING in scope:
                added = fields(scope[_POLICY], scope[_STANDING])
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, with_fields)

    def _anonymous(self, scope: Scope) -> bool:
        """Whether the request counts as anonymous: any request to a route that checks no
        credential (`/health`, the documentation), whatever headers it carries, since
        nothing checks them; else one with neither `X-API-Key` nor `Authorization`, unless
        it is a signed webhook's delivery."""
        public = self._public
        if public is None:
            public = self._public = _public_paths(scope["app"])
        path, root = str(scope["path"]), str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root) :]
        if path in public:
            return True
        if path.startswith(SIGNED_WEBHOOKS):
            return False
        return not any(name in _CREDENTIAL_HEADERS for name, _ in scope["headers"])


def _public_paths(app: Any) -> frozenset[str]:
    """The paths that take no credential: the API's documentation, and the operations its
    OpenAPI document lists without a security requirement (`/health`)."""
    docs = (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    paths = {path for path in docs if path}
    for path, operations in app.openapi().get("paths", {}).items():
        if "{" not in path and not any(op.get("security") for op in operations.values()):
            paths.add(path)
    return frozenset(paths)


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
    """Add the 429 to every operation of the OpenAPI document that takes a credential, and
    to every operation when anonymous requests have a budget."""
    limits: RateLimits | None = app.state.ordo.rate_limits
    everywhere = limits is not None and limits.anonymous is not None
    response = {
        "description": "Too many requests: this key is over its role's rate limit, this "
        "client address is over its budget of requests without a credential, or it is "
        "locked out after too many failed sign-ins. `Retry-After` says when to try again; "
        "`RateLimit-Policy` and `RateLimit` name the limit (and are sent on every answer to "
        "a request counted against a budget).",
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
        if everywhere or operation.get("security"):
            operation.setdefault("responses", {}).setdefault("429", dict(response))

    amend_operations(app, amend)
