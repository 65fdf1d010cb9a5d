"""A gateway in front of the real API that fails the routes a test names (503), as an API under
maintenance or behind a broken proxy would: the console tests use it to show that a failed call
costs only its part of a page."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.e2e.console.conftest import TIMEOUT, World

DOWN = "this route is down for maintenance"
# Hop-by-hop and length headers are the gateway's own to set, not the API's to pass on.
_NOT_FORWARDED = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass
class Gateway:
    """The API behind a gateway that answers 503 for each (method, path) in `failing`."""

    url: str
    keys: dict[str, str]
    failing: set[tuple[str, str]] = field(default_factory=set)

    def as_world(self) -> World:
        return World(url=self.url, keys=self.keys)


def gateway_app(upstream: str, failing: set[tuple[str, str]]) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def forward(path: str, request: Request) -> Response:
        if (request.method, f"/{path}") in failing:
            return JSONResponse(
                {"type": "about:blank", "title": "Service unavailable", "status": 503,
                 "detail": DOWN, "code": "unavailable"},
                status_code=503,
                media_type="application/problem+json",
            )  # fmt: skip
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        async with httpx.AsyncClient(base_url=upstream, timeout=TIMEOUT) as client:
            answer = await client.request(
                request.method,
                f"/{path}",
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        kept = {"content-type": answer.headers.get("content-type", "application/json")}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    return app
