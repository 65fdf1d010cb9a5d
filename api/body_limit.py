"""A ceiling on a request body's size: past `ORDO_MAX_REQUEST_BYTES`, a 413 problem+json.

Neither uvicorn nor Starlette bounds a body, and what reads one here reads it whole into
memory: FastAPI before it resolves the route's dependencies (and so before it checks the
caller), the idempotency middleware to fingerprint a write, the channels' webhook route to
check its signature. Without this middleware one request of gigabytes, from anyone, could
exhaust the API's memory.

A declared `Content-Length` above the limit is refused before a byte of the body is read
(a client that sent `Expect: 100-continue` is not even asked for it). A body without one
(`Transfer-Encoding: chunked`), or longer than it said, is counted as it arrives: the
message that passes the limit is never handed on, so at most `max_bytes` ever reach the app,
and whatever the app answers to a body it could not finish reading is replaced by the 413.
The server discards the rest of the body as it comes, without keeping it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.idempotent import WRITES
from api.openapi_amend import PROBLEM_CONTENT, amend_operations

# ORDO_MAX_REQUEST_BYTES's default (ordo/settings.py, which says why), for a container whose
# settings do not name the limit (the OpenAPI test's offline container).
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
CODE = "body_too_large"
_CONTENT_LENGTH = b"content-length"


class BodyTooLarge(Exception):
    """What the app's `receive` raises once the body has passed the limit; the app's answer
    to it, whatever that is, is replaced by the 413."""


class BodyLimit:
    """The middleware: added inside `errors._AnswerUnexpected` and outside everything that
    reads a body, so a 413 is answered before the idempotency middleware or a route sees it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await refusal(scope, self.max_bytes, declared)(scope, receive, send)
            return
        await _counted(self.app, scope, receive, send, self.max_bytes)


def _content_length(scope: Scope) -> int | None:
    """The declared length, or None when there is none to trust (the server refuses a
    malformed one before the app runs; counting still catches a body that lies)."""
    for name, value in scope["headers"]:
        if name == _CONTENT_LENGTH:
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _counted(app: ASGIApp, scope: Scope, receive: Receive, send: Send, most: int) -> None:
    received = 0
    over = False
    started = False  # the app's answer began before the body passed the limit

    async def counting() -> Message:
        nonlocal received, over
        if over:
            raise BodyTooLarge(f"the request body is more than {most} bytes")
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > most:
                over = True
                raise BodyTooLarge(f"the request body is more than {most} bytes")
        return message

    async def sending(message: Message) -> None:
        nonlocal started
        if over and not started:
            return  # the app's answer to a body it never got whole: the 413 goes instead
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, counting, sending)
    except Exception:
        # Past the limit, whatever the app raised (BodyTooLarge, or its own error wrapping
        # it) is answered below; an answer already begun can only be cut off.
        if not over or started:
            raise
    if over and not started:
        await refusal(scope, most, None)(scope, receive, send)


def refusal(scope: Scope, most: int, declared: int | None) -> JSONResponse:
    """The 413: the limit, and the body's size when its Content-Length said it."""
    limit = f"{most:,} bytes ({_in_units(most)})"
    said = (
        f"more than {limit}"
        if declared is None
        else f"{declared:,} bytes (its Content-Length), more than {limit}"
    )
    detail = (
        f"the request body is {said}, the most this server accepts in one request; send "
        "less in each request (a batch of fewer orders, for instance)"
    )
    return errors.problem(
        413, detail, code=CODE, instance=str(scope.get("path", "")), max_bytes=most
    )


def _in_units(count: int) -> str:
    """1048576 -> '1 MiB', 1536 -> '1.5 KiB': the limit as an operator would set it."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"


def document(app: FastAPI, most: int) -> None:
    """Add the 413 to every operation of the OpenAPI document that takes a body or writes."""
    response = {
        "description": f"The request body is more than {most:,} bytes ({_in_units(most)}), "
        "the most this server accepts in one request (`max_bytes`).",
        "content": PROBLEM_CONTENT,
    }

    def amend(path: str, method: str, operation: dict[str, Any]) -> None:
        if "requestBody" in operation or method.upper() in WRITES:
            operation.setdefault("responses", {}).setdefault("413", dict(response))

    amend_operations(app, amend)
