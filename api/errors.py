"""Every failure leaves the API as `application/problem+json` (RFC 9457) a person can act on.

One table maps domain errors to HTTP statuses; request-validation errors name the JSON path
of each bad field (`$.lines[0].quantity`) and, for a misspelt field, the field it probably
meant. Unexpected exceptions are logged with a reference the client receives instead of a
traceback.
"""

from __future__ import annotations

import difflib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import log_forbidden_unless_logged
from api.schemas.patterns import IN_WORDS
from engine.domain.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    InsufficientStock,
    InvalidQuantity,
    NotFound,
    Unavailable,
)
from engine.domain.orders import InvalidLine
from engine.service_layer.auth import Forbidden, Unauthenticated
from engine.service_layer.idempotency import KeyInFlight, KeyReused
from engine.service_layer.rulesets_service import diagnostic_out
from engine.simulation.errors import SimulationError

log = logging.getLogger("ordo.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://ordo.dev/problems/"

# Most specific first: the first isinstance match wins.
_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (KeyInFlight, 409),
    (KeyReused, 422),
    (IllegalTransition, 409),
    (InsufficientStock, 409),
    (Conflict, 409),
    (InvalidQuantity, 422),
    (Unavailable, 503),
    (DomainError, 422),
)

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem_body(
    status: int, detail: str, *, code: str = "", title: str = "", instance: str = "", **extra: Any
) -> dict[str, Any]:
    """The RFC 9457 body; also what a batch item or a replayed refusal carries."""
    body: dict[str, Any] = {
        "type": f"{TYPE_BASE}{code or status}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if code:
        body["code"] = code
    body.update(extra)
    return body


def problem(
    status: int,
    detail: str,
    *,
    code: str = "",
    title: str = "",
    instance: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(status, detail, code=code, title=title, instance=instance, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(error: DomainError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 422


def json_path(loc: Sequence[int | str]) -> str:
    """`("body", "lines", 0, "sku")` -> `$.lines[0].sku`; query/header/path say so."""
    if not loc:
        return "$"
    where, *rest = loc
    if where in ("query", "header", "path", "cookie"):
        return f"{where} parameter '{'.'.join(str(part) for part in rest)}'"
    parts = rest if where == "body" else list(loc)
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _model_at(model: type[BaseModel] | None, parts: Sequence[int | str]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at `parts`, following nested models and lists."""
    for part in parts:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _body_model(request: Request) -> type[BaseModel] | None:
    route = request.scope.get("route")
    body_field = getattr(route, "body_field", None)
    annotation = getattr(getattr(body_field, "field_info", None), "annotation", None)
    return _inner_model(annotation)


def describe_validation_error(
    error: dict[str, Any], body_model: type[BaseModel] | None, body: Any = None
) -> dict[str, str]:
    """One validation error as the answer shows it: a JSON path and a message in words.
    `body` is the request's text when it was not JSON, so the message can say where."""
    loc = tuple(error.get("loc", ()))
    path = json_path(loc)
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "is not valid"))
    if kind == "extra_forbidden" and loc and loc[0] == "body":
        owner = _model_at(body_model, loc[1:-1])
        message = f"unknown field '{loc[-1]}' is not accepted here"
        if owner is not None:
            allowed = sorted(owner.model_fields)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            message += f" ({hint}allowed fields: {', '.join(allowed)})"
    elif kind == "missing":
        message = "is required but missing"
    elif kind == "string_pattern_mismatch":
        words = IN_WORDS.get(str((error.get("ctx") or {}).get("pattern", "")))
        if words is not None:
            message = f"must be {words}; got {_shown(error.get('input'))}"
    elif kind == "json_invalid":
        ctx = error.get("ctx") or {}
        message = f"the request body is not valid JSON ({ctx.get('error', 'parse error')}"
        message += f"{_where_in(body, loc[-1] if loc else None)})"
        path = "$"
    return {"path": path, "message": message, "type": kind}


def _where_in(text: Any, offset: Any) -> str:
    """' at line L, column C' of a character offset into `text`, as `json` counts them; ''
    when either is unknown (a person finds the spot in their payload by line, not offset)."""
    if not isinstance(text, str) or not isinstance(offset, int) or not 0 <= offset <= len(text):
        return ""
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    return f" at line {line}, column {column}"


def _shown(value: Any, limit: int = 40) -> str:
    """A rejected value as the answer quotes it: its repr, cut short when long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value))} characters)"


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    model = _body_model(request)
    errors = [describe_validation_error(dict(error), model, exc.body) for error in exc.errors()]
    summary = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:3])
    if len(errors) > 3:
        summary += f"; and {len(errors) - 3} more (see errors)"
    return problem(
        422,
        f"the request is not valid: {summary}",
        code="validation_error",
        instance=request.url.path,
        errors=errors,
    )


async def _on_invalid_line(request: Request, exc: Exception) -> JSONResponse:
    """A line of the request the order cannot take (an id it has, a SKU the catalogue lacks),
    found by the service layer: answered like any bad field, with its JSON path in `errors`."""
    assert isinstance(exc, InvalidLine)
    error = {"loc": ("body", *exc.loc), "type": exc.code, "msg": exc.reason, "input": None}
    return await _on_validation(request, RequestValidationError([error]))


async def _on_domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = status_for(exc)
    if status == 403:
        log_forbidden_unless_logged(request, exc.message)
    headers = {"WWW-Authenticate": 'Bearer realm="ordo"'} if status == 401 else None
    if isinstance(exc, Unavailable):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    extra: dict[str, Any] = {}
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        # The rule language's own objects (a ruleset that stopped compiling) as JSON, like
        # the ruleset routes' dicts: handed to the encoder as they are, they would be a 500.
        extra["diagnostics"] = [
            d if isinstance(d, dict) else diagnostic_out(d) for d in diagnostics
        ]
    return problem(
        status, exc.message, code=exc.code, instance=request.url.path, headers=headers, **extra
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    # Every problem has a code a client can branch on, these (raised by the framework) too.
    code = _TITLES.get(exc.status_code, "error").lower().replace(" ", "_")
    if exc.status_code == 400 and "parsing the body" in detail:
        code = "unreadable_body"
        if isinstance(exc.__cause__, RecursionError):
            # Python's JSON decoder recurses once per nested array or object.
            detail = "the request body nests arrays or objects too deeply to be read"
        else:
            detail = (
                "the request body could not be read: send UTF-8 encoded JSON with "
                "Content-Type: application/json"
            )
    elif exc.status_code == 404 and detail == "Not Found":
        code = "no_such_route"
        detail = f"there is no route {request.method} {request.url.path}; see /docs for the API"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}; see /docs for the API"
    return problem(
        exc.status_code,
        detail,
        code=code,
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


# Set in the request's scope by the idempotency middleware (api/idempotent.py) when the
# request's Idempotency-Key is honoured: claimed for its caller, or left to a route that
# claims it itself. A key the server did not claim (no caller, a route that keeps none)
# promises nothing.
KEY_HONOURED = "ordo.idempotency_key_honoured"


def retry_promise(request: Request) -> str:
    """What a failed request's answer may promise about a retry: a read changes nothing, and
    a write whose key was honoured does not keep it when it fails (docs/api.md); any other
    write may have done part of its work, so it gets no promise."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return " Retrying is safe."
    if request.scope.get(KEY_HONOURED):
        return " Retrying with the same Idempotency-Key is safe."
    return ""


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    reference = secrets.token_hex(6)
    log.exception("unhandled error %s on %s %s", reference, request.method, request.url.path)
    return problem(
        500,
        f"Ordo failed to handle this request; the error was logged under reference "
        f"{reference}.{retry_promise(request)}",
        code="internal_error",
        instance=request.url.path,
        reference=reference,
    )


def _first_line(text: str) -> str:
    """What a database error says in its first line: the log keeps one line per failure."""
    return text.splitlines()[0] if text else ""


async def _on_pool_exhausted(request: Request, exc: Exception) -> JSONResponse:
    # Every connection of this process's pool (`database.POOL_SIZE`, no overflow) stayed busy
    # for the pool's whole timeout: the database is overloaded or stuck, not this request.
    log.warning("no database connection came free for %s %s: %s", request.method,
                request.url.path, _first_line(str(exc)))  # fmt: skip
    return problem(
        503,
        "every database connection of this server stayed busy for the pool's timeout; retry "
        f"shortly.{retry_promise(request)}",
        code="database_busy",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The database refused or dropped the connection (down, restarting, renamed, out of
    # connections), or could not finish the statement (a lock it gave up on, a full disk):
    # nothing is wrong with the request, so the client is told to retry, as a channel's
    # integration does for a 503. The driver's message names the host and the database,
    # which are the operator's to see: it goes to the log under the reference.
    reference = secrets.token_hex(6)
    said = _first_line(str(getattr(exc, "orig", None) or exc).strip()) or type(exc).__name__
    log.error("database unavailable (reference %s) on %s %s: %s", reference, request.method,
              request.url.path, said)  # fmt: skip
    return problem(
        503,
        "the database is unavailable or could not complete this request; retry shortly."
        f"{retry_promise(request)} The error was logged under reference {reference}.",
        code="database_unavailable",
        instance=request.url.path,
        headers={"Retry-After": "5"},
        reference=reference,
    )


async def _on_simulation(request: Request, exc: Exception) -> JSONResponse:
    from engine.simulation.jobs import JobNotFound

    status = 404 if isinstance(exc, JobNotFound) else 422
    code = "not_found" if status == 404 else "invalid_simulation"
    return problem(status, str(exc), code=code, instance=request.url.path)


class _AnswerUnexpected:
    """Answer an unhandled exception with the 500 problem here, inside the app, and not
    raise it on: Starlette's outermost error middleware re-raises after answering, and
    uvicorn then drops the connection, so a client's next request on it failed too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if started:  # half an answer sent: only dropping the connection says so
                raise
            response = await _on_unexpected(Request(scope), error)
            await response(scope, receive, send)


_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[JSONResponse]]] = {
    RequestValidationError: _on_validation,
    InvalidLine: _on_invalid_line,
    DomainError: _on_domain,
    SimulationError: _on_simulation,
    PoolTimeout: _on_pool_exhausted,
    OperationalError: _on_database_unavailable,
    StarletteHTTPException: _on_http,
    Exception: _on_unexpected,
}


async def answer(request: Request, error: Exception) -> JSONResponse:
    """The answer the app's handlers give `error`, for code that runs before them (a
    middleware): the nearest class in its MRO, as Starlette looks a handler up."""
    for kind in type(error).__mro__:
        handler = _HANDLERS.get(kind)
        if handler is not None:
            return await handler(request, error)
    return await _on_unexpected(request, error)


def install(app: FastAPI) -> None:
    for kind, handler in _HANDLERS.items():
        app.add_exception_handler(kind, handler)
    app.add_middleware(_AnswerUnexpected)
