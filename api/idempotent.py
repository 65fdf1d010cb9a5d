"""`Idempotency-Key` on every write: a retried POST, PUT, PATCH or DELETE replays its first answer.

`POST /v1/orders` and `/v1/orders/batch` honour the key themselves (they fingerprint the
validated order and replay inside the route). Every other write is covered here, by a pure
ASGI middleware running the same protocol (`engine.service_layer.idempotency`) around the
route: it claims the key for the caller's key id with a fingerprint of method, path, query
and body; a repeat gets the stored status, headers and body with `Idempotent-Replayed: true`;
a different payload is 422 and a key whose first request is still running 409, in the words
the orders route uses. Only answers below 500 are kept: a request that failed does not keep
its key, so its retry runs for real.

A request without the header costs a method check and a scan of its header names: the order
path, which handles its own keys, is not slowed. `document` adds the header to the OpenAPI
document of every write it covers, so clients (and Schemathesis) see it without every route
declaring it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.deps import ApiServices, principal_of
from api.openapi_amend import PROBLEM_CONTENT, amend_operations
from engine.service_layer.auth import Unauthenticated
from engine.service_layer.idempotency import MAX_KEY_LENGTH, Replay, request_hash

log = logging.getLogger("ordo.api")

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = "Idempotency-Key"
_HEADER = HEADER.lower().encode("latin-1")
# The header the orders route sets on a replay; a client checks one name for every route.
REPLAYED = (b"idempotent-replayed", b"true")

# Writes whose answer carries a credential: replaying one would mean keeping the secret in
# the idempotency table. A retried token request changes nothing; a retried key request
# issues a second key, which an admin sees in `GET /v1/keys` and can revoke.
NOT_REMEMBERED = frozenset({("POST", "/v1/keys"), ("POST", "/v1/auth/tokens")})


class IdempotentWrites:
    """The middleware; added inside `errors._AnswerUnexpected`, so a route's crash passes
    through here (the key is given back) before it is answered with a 500.

    `own_keys` are the routes that declare the header and handle their keys themselves
    (`routes_declaring_key`): this middleware leaves their requests alone."""

    def __init__(self, app: ASGIApp, own_keys: Sequence[APIRoute] = ()) -> None:
        self.app = app
        self.own_keys = tuple(own_keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        key = next((value for name, value in scope["headers"] if name == _HEADER), None)
        if key is None or (scope["method"], _route_path(scope)) in NOT_REMEMBERED:
            await self.app(scope, receive, send)
            return
        if any(_handles(route, scope) for route in self.own_keys):
            scope[errors.KEY_HONOURED] = True  # the route claims, replays and finishes itself
            await self.app(scope, receive, send)
            return
        await _once(self.app, scope, receive, send, key.decode("latin-1"))


def routes_declaring_key(routers: Iterable[APIRouter]) -> tuple[APIRoute, ...]:
    """The write routes that take the header themselves (the order ingestion routes)."""
    return tuple(
        route
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        and (route.methods or set()) & WRITES
        and _declares_key(route.dependant)
    )


def _handles(route: APIRoute, scope: Scope) -> bool:
    methods = route.methods or set()
    return scope["method"] in methods and route.path_regex.match(_route_path(scope)) is not None


def _route_path(scope: Scope) -> str:
    """The path as the router matches it: without the prefix the app is served under."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


async def _once(app: ASGIApp, scope: Scope, receive: Receive, send: Send, key: str) -> None:
    """Run the request at most once per (caller, key); replay or refuse a repeat."""
    request = Request(scope)
    services: ApiServices = scope["app"].state.ordo
    try:
        who = await principal_of(request)
    except Unauthenticated:
        # Nobody to keep the key for: the route refuses the request itself, in its words.
        await app(scope, receive, send)
        return
    except Exception as error:  # the key store is down: nothing ran, a retry is safe
        scope[errors.KEY_HONOURED] = True
        await (await errors.answer(request, error))(scope, receive, send)
        return
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        await _bad_key(key, scope["path"])(scope, receive, send)
        return
    body = await _read_body(receive)
    if body is None:
        return  # the client left before it finished sending
    scope[errors.KEY_HONOURED] = True
    owner = who.key_id
    fingerprint = request_hash(scope["method"], _target(scope), _payload(body))
    try:
        replay = await run_in_threadpool(services.idempotency.claim, owner, key, fingerprint)
    except Exception as error:  # reused with another payload (422), in flight (409), database
        await (await errors.answer(request, error))(scope, receive, send)
        return
    if replay is not None:
        await _send_replay(replay, send)
        return
    await _run_and_remember(app, scope, _replaying(body, receive), send, services, owner, key)


async def _run_and_remember(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    services: ApiServices,
    owner: str,
    key: str,
) -> None:
    """Run the route, then keep its answer under the key (below 500) or give the key back,
    before the client sees the answer: a retry sent the moment it arrives must find it."""
    start: Message = {}
    chunks: list[bytes] = []
    settled = False

    async def remember(message: Message) -> None:
        nonlocal start, settled
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        settled = True
        body = b"".join(chunks)
        # No route took the request (the router's 404 or 405): nothing to keep it for.
        if start["status"] >= 500 or scope.get("route") is None:
            await _give_back(services, owner, key)
        else:
            await _keep(services, owner, key, start, body)
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    try:
        await app(scope, receive, remember)
    except BaseException:
        if not settled:
            with anyio.CancelScope(shield=True):  # give the key back even when cancelled
                await _give_back(services, owner, key)
        raise
    if not settled:  # the app returned without a complete answer
        await _give_back(services, owner, key)


async def _keep(services: ApiServices, owner: str, key: str, start: Message, body: bytes) -> None:
    headers = [
        [name.decode("latin-1"), value.decode("latin-1")]
        for name, value in start.get("headers", [])
        if name.lower() != b"content-length"
    ]
    stored: dict[str, Any] = {"headers": headers}
    try:
        stored["text"] = body.decode("utf-8")
    except UnicodeDecodeError:
        stored["base64"] = base64.b64encode(body).decode("ascii")
    try:
        await run_in_threadpool(services.idempotency.finish, owner, key, start["status"], stored)
    except Exception:
        # The request did its work: the client gets its answer. The key stays in flight, so
        # a retry is refused (409) rather than run twice, until it is stale.
        log.exception("could not store the answer under Idempotency-Key %r", key)


async def _give_back(services: ApiServices, owner: str, key: str) -> None:
    try:
        await run_in_threadpool(services.idempotency.abandon, owner, key)
    except Exception:
        # The answer already says the request failed; the key frees itself when stale.
        log.exception("could not release Idempotency-Key %r after a failed request", key)


async def _send_replay(replay: Replay, send: Send) -> None:
    stored = replay.body
    body = (
        base64.b64decode(stored["base64"])
        if "base64" in stored
        else str(stored.get("text", "")).encode("utf-8")
    )
    headers = [
        (str(name).encode("latin-1"), str(value).encode("latin-1"))
        for name, value in stored.get("headers", [])
    ]
    headers += [(b"content-length", str(len(body)).encode("ascii")), REPLAYED]
    await send({"type": "http.response.start", "status": replay.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _bad_key(key: str, path: str) -> JSONResponse:
    """The 422 the orders route gives a key of the wrong length, with the header's path."""
    where = f"header parameter '{HEADER}'"
    message = f"must be 1 to {MAX_KEY_LENGTH} characters long; got {len(key)}"
    kind = "string_too_short" if not key else "string_too_long"
    return errors.problem(
        422,
        f"the request is not valid: {where}: {message}",
        code="validation_error",
        instance=path,
        errors=[{"path": where, "message": message, "type": kind}],
    )


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The route reads the body this middleware already read; then the client's own
    messages (a disconnect) as they come."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"")
    return f"{scope['path']}?{query.decode('latin-1')}" if query else str(scope["path"])


def _payload(body: bytes) -> Any:
    """A JSON body by its value (key order and spacing do not make another request), any
    other body by its bytes."""
    try:
        return ["json", json.loads(body)]
    except ValueError:
        return ["bytes", base64.b64encode(body).decode("ascii")]


def _declares_key(dependant: Dependant) -> bool:
    """Whether the route (or one of its dependencies) takes the header, and so its key."""
    return any(p.alias.lower() == HEADER.lower() for p in dependant.header_params) or any(
        _declares_key(sub) for sub in dependant.dependencies
    )


_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "Any unique string per logical request (a UUID). A retry with the same key "
    "and body returns the first response (`Idempotent-Replayed: true`); a different body is "
    "refused (422); while the first is still running, 409. A request that failed with a 5xx "
    "does not keep its key.",
}
_IN_FLIGHT: dict[str, Any] = {
    "description": "The request clashes with the current state, or the first request with "
    "this Idempotency-Key is still running.",
    "content": PROBLEM_CONTENT,
}


def document(app: FastAPI) -> None:
    """Add the header (and its 409) to every write operation of the OpenAPI document that
    honours it without declaring it."""

    def amend(path: str, method: str, operation: dict[str, Any]) -> None:
        if method.upper() in WRITES and (method.upper(), path) not in NOT_REMEMBERED:
            _document_operation(operation)

    amend_operations(app, amend)


def _document_operation(operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(
        p.get("in") == "header" and str(p.get("name", "")).lower() == HEADER.lower()
        for p in parameters
    ):
        parameters.append(dict(_PARAMETER))
    operation.setdefault("responses", {}).setdefault("409", dict(_IN_FLIGHT))
