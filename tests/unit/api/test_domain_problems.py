"""How the API answers the domain's refusals that are not the request's fault."""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request

from api.errors import answer
from engine.domain.errors import Conflict, Unavailable


def answered(error: Exception) -> tuple[int, dict[str, str], dict[str, object]]:
    request = Request({"type": "http", "method": "POST", "path": "/v1/shipments/F-1/label",
                       "headers": [], "query_string": b""})  # fmt: skip
    response = asyncio.run(answer(request, error))
    return response.status_code, dict(response.headers), json.loads(bytes(response.body))


def test_an_outside_system_out_of_reach_is_a_503_saying_when_to_ask_again() -> None:
    status, headers, body = answered(Unavailable("the carrier did not answer; try again"))

    assert status == 503
    assert headers["retry-after"] == "30"
    assert headers["content-type"] == "application/problem+json"
    assert (body["code"], body["detail"]) == (
        "unavailable",
        "the carrier did not answer; try again",
    )


def test_a_conflict_is_still_a_409_without_a_retry_after() -> None:
    status, headers, _ = answered(Conflict("shipment F-1 is cancelled"))

    assert status == 409
    assert "retry-after" not in headers
