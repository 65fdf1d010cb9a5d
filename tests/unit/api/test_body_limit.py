"""The body-limit middleware (api/body_limit.py) around fake ASGI apps: what reaches the app,
and what the client is answered, for bodies under, at and over the limit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from api.body_limit import BodyLimit, BodyTooLarge

LIMIT = 1024


def scope(*headers: tuple[bytes, bytes], kind: str = "http") -> Scope:
    return {"type": kind, "method": "POST", "path": "/v1/orders", "headers": list(headers)}


def client(chunks: Iterable[bytes]) -> tuple[Receive, list[int]]:
    """A client sending `chunks` as the body's messages; the list counts the reads."""
    messages = list(chunks)
    reads: list[int] = []

    async def receive() -> Message:
        reads.append(1)
        if len(reads) > len(messages):
            return {"type": "http.disconnect"}
        last = len(reads) == len(messages)
        return {"type": "http.request", "body": messages[len(reads) - 1], "more_body": not last}

    return receive, reads


class ReadingApp:
    """Reads the whole body, as FastAPI does, then answers 200 with its length."""

    def __init__(self) -> None:
        self.got: list[bytes] = []
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        while True:
            message = await receive()
            self.got.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = str(sum(map(len, self.got))).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


class Answered:
    """What the middleware sent the client."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


def run(app: Any, request: Scope, receive: Receive, limit: int = LIMIT) -> Answered:
    answered = Answered()
    asyncio.run(BodyLimit(app, max_bytes=limit)(request, receive, answered))
    return answered


def test_a_body_under_the_limit_reaches_the_app_whole_and_in_its_chunks() -> None:
    app = ReadingApp()
    receive, _ = client([b"a" * 500, b"b" * 500])
    answered = run(app, scope(), receive)
    assert app.got == [b"a" * 500, b"b" * 500]
    assert answered.status == 200
    assert answered.messages[1]["body"] == b"1000"


def test_a_body_of_exactly_the_limit_is_taken() -> None:
    app = ReadingApp()
    receive, _ = client([b"x" * (LIMIT - 1), b"x"])
    answered = run(app, scope((b"content-length", str(LIMIT).encode())), receive)
    assert answered.status == 200
    assert sum(map(len, app.got)) == LIMIT


def test_a_declared_length_over_the_limit_is_refused_without_reading_or_calling_the_app() -> None:
    app = ReadingApp()
    receive, reads = client([b"x" * 2000])
    answered = run(app, scope((b"content-length", b"2000")), receive)
    assert not app.called
    assert reads == []
    assert answered.status == 413
    assert answered.headers[b"content-type"] == b"application/problem+json"
    problem = answered.json
    assert problem["status"] == 413
    assert problem["code"] == "body_too_large"
    assert problem["max_bytes"] == LIMIT
    assert problem["instance"] == "/v1/orders"
    assert problem["detail"].startswith(
        "the request body is 2,000 bytes (its Content-Length), more than 1,024 bytes (1 KiB), "
        "the most this server accepts in one request"
    )


def test_a_streamed_body_passing_the_limit_never_reaches_the_app_past_it() -> None:
    app = ReadingApp()
    receive, reads = client([b"x" * 600, b"x" * 600, b"x" * 600])
    answered = run(app, scope(), receive)
    # The app got the first chunk only: the one that passed the limit was not handed on,
    # and the third was never read.
    assert app.got == [b"x" * 600]
    assert len(reads) == 2
    assert answered.status == 413
    assert answered.json["detail"].startswith(
        "the request body is more than 1,024 bytes (1 KiB), the most this server accepts"
    )


def test_a_content_length_that_lies_is_caught_by_counting() -> None:
    app = ReadingApp()
    receive, _ = client([b"x" * 1000, b"x" * 1000])
    answered = run(app, scope((b"content-length", b"10")), receive)
    assert answered.status == 413
    assert "more than 1,024 bytes" in answered.json["detail"]


def test_the_apps_own_answer_to_the_cut_off_body_is_replaced_by_the_413() -> None:
    # FastAPI turns any error reading the body into its own 400 "error parsing the body".
    async def wrapping(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            more = True
            while more:  # read the whole body, as a route parsing it does
                more = bool((await receive()).get("more_body"))
        except BodyTooLarge:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"bad body"})
            return
        raise AssertionError("the body passed the limit unnoticed")

    receive, _ = client([b"x" * 800, b"x" * 800])
    answered = run(wrapping, scope(), receive)
    assert [m["type"] for m in answered.messages] == ["http.response.start", "http.response.body"]
    assert answered.status == 413


def test_an_app_that_keeps_reading_after_the_limit_is_refused_again() -> None:
    seen: list[str] = []

    async def stubborn(scope: Scope, receive: Receive, send: Send) -> None:
        for _ in range(3):
            try:
                await receive()
            except BodyTooLarge:
                seen.append("refused")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    receive, reads = client([b"x" * 2000, b"y" * 10])
    answered = run(stubborn, scope(), receive)
    assert seen == ["refused", "refused", "refused"]
    assert len(reads) == 1  # nothing more is read from the client for it
    assert answered.status == 413


def test_an_answer_already_begun_is_cut_off_rather_than_followed_by_a_second_one() -> None:
    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            await send({"type": "http.response.body", "body": b".", "more_body": True})

    receive, _ = client([b"x" * 800, b"x" * 800])
    answered = Answered()
    with pytest.raises(BodyTooLarge):
        asyncio.run(BodyLimit(streaming, max_bytes=LIMIT)(scope(), receive, answered))
    assert [m.get("status") for m in answered.messages if "status" in m] == [200]


def test_an_error_of_the_app_unrelated_to_the_body_is_raised_on() -> None:
    async def crashing(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        raise RuntimeError("the route failed")

    receive, _ = client([b"x" * 10])
    with pytest.raises(RuntimeError, match="the route failed"):
        run(crashing, scope(), receive)


def test_other_than_http_the_middleware_steps_aside() -> None:
    calls: list[str] = []

    async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["type"])
        assert (await receive())["body"] == b"x" * 5000  # not counted

    receive, _ = client([b"x" * 5000])
    run(lifespan, scope(kind="lifespan"), receive)
    assert calls == ["lifespan"]


def test_a_limit_below_one_byte_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BodyLimit(ReadingApp(), max_bytes=0)
