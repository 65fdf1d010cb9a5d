"""A gateway in front of the real API that fails the routes a test names (503), as an API under
maintenance or behind a broken proxy would: the console tests use it to show that a failed call
costs only its part of a page. It can also lose an answer (504 once the API has done the work),
as a proxy whose timeout is shorter than the API's work does."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.e2e.console.conftest import TIMEOUT, World

DOWN = "this route is down for maintenance"
GAVE_UP = "the gateway gave up waiting for the API"
# Hop-by-hop and length headers are the gateway's own to set, not the API's to pass on.
_NOT_FORWARDED = {"host", "content-length", "transfer-encoding", "connection"}
_KEPT = ("content-type", "idempotent-replayed")


@dataclass
class Gateway:
    """The API behind a gateway that answers 503 for each (method, path) in `failing`, and
    loses the answer of the next request to each one in `losing`, once: the API gets the
    request and does it, the client gets a 504 (listed in `lost`)."""

    url: str
    keys: dict[str, str]
    failing: set[tuple[str, str]] = field(default_factory=set)
    losing: set[tuple[str, str]] = field(default_factory=set)
    lost: list[tuple[str, str]] = field(default_factory=list)

    def as_world(self) -> World:
        return World(url=self.url, keys=self.keys)


def gateway_app(upstream: str, gateway: Gateway) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def forward(path: str, request: Request) -> Response:
        route = (request.method, f"/{path}")
        if route in gateway.failing:
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
        if route in gateway.losing:
            gateway.losing.discard(route)
            gateway.lost.append(route)
            return JSONResponse(
                {"type": "about:blank", "title": "Gateway timeout", "status": 504,
                 "detail": GAVE_UP, "code": "gateway_timeout"},
                status_code=504,
                media_type="application/problem+json",
            )  # fmt: skip
        kept = {name: answer.headers[name] for name in _KEPT if name in answer.headers}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    return app
