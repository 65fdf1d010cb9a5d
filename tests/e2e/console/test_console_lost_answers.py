"""A console action whose answer is lost is done once, however often the person tries again.

The console reaches the real API through a gateway that passes one request on and then gives
up on it (504), as a proxy whose timeout is shorter than the API's work does: the API did the
work, the person saw an error and clicks the same button again. The console sends the retry
under the first attempt's `Idempotency-Key`, so the API answers with what it did (shown as the
success it was) instead of doing it a second time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from streamlit.testing.v1 import AppTest

from admin_ui.session import REPLAYED
from tests.e2e.console.conftest import TIMEOUT, World, console, open_page
from tests.e2e.console.test_console_returns import (
    ask_for,
    opened,
    returns_of,
    shipped_order,
)
from tests.e2e.live import serve

GAVE_UP = "the gateway gave up waiting for the API"
# Hop-by-hop and length headers are the gateway's own to set, not the API's to pass on.
_NOT_FORWARDED = {"host", "content-length", "transfer-encoding", "connection"}
_KEPT = ("content-type", "idempotent-replayed")


@dataclass
class LossyGateway:
    """The API behind a gateway that loses the answer of the next request to each (method,
    path) in `losing`, once: the API gets the request and does it; the client gets a 504."""

    url: str
    keys: dict[str, str]
    losing: set[tuple[str, str]] = field(default_factory=set)
    lost: list[tuple[str, str]] = field(default_factory=list)

    def as_world(self) -> World:
        return World(url=self.url, keys=self.keys)


def lossy_app(upstream: str, gateway: LossyGateway) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def forward(path: str, request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        async with httpx.AsyncClient(base_url=upstream, timeout=TIMEOUT) as client:
            answer = await client.request(
                request.method,
                f"/{path}",
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        route = (request.method, f"/{path}")
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


@pytest.fixture(scope="module")
def lossy_server(world: World) -> Iterator[LossyGateway]:
    gateway = LossyGateway(url="", keys=world.keys)
    with serve(lossy_app(world.url, gateway)) as url:
        gateway.url = url
        yield gateway


@pytest.fixture
def lossy(lossy_server: LossyGateway) -> Iterator[LossyGateway]:
    lossy_server.losing.clear()
    lossy_server.lost.clear()
    yield lossy_server
    lossy_server.losing.clear()


def on_hand(world: World, sku: str) -> dict[str, int]:
    with world.http() as http:
        return {
            r["location_code"]: r["on_hand"] for r in http.get(f"/v1/inventory/skus/{sku}").json()
        }


def errors(app: AppTest) -> list[str]:
    return [str(e.value) for e in app.error]


def test_a_transfer_tried_again_after_its_answer_was_lost_moves_the_units_once(
    world: World, lossy: LossyGateway
) -> None:
    before = on_hand(world, "APP-BBC-BLACK")
    source = max(before, key=lambda code: before[code])
    target = next(code for code in before if code != source)
    app = open_page(console(lossy.as_world(), "admin"), "inventory")
    fields = {t.label: t for t in app.text_input}
    fields["SKU to move"].set_value("APP-BBC-BLACK")
    fields["From location"].set_value(source)
    fields["To location"].set_value(target)
    next(n for n in app.number_input if n.label == "Units").set_value(3)
    next(c for c in app.checkbox if c.label == "Yes, move these units").check()
    lossy.losing.add(("POST", "/v1/inventory/transfers"))

    next(b for b in app.button if b.label == "Transfer").click().run()
    assert not app.exception, app.exception
    assert lossy.lost == [("POST", "/v1/inventory/transfers")]
    assert errors(app) == [f"**Transfer**: {GAVE_UP[:1].upper()}{GAVE_UP[1:]}"]
    assert on_hand(world, "APP-BBC-BLACK")[source] == before[source] - 3  # done, answer lost

    next(b for b in app.button if b.label == "Transfer").click().run()
    assert not app.exception, app.exception
    assert not errors(app)
    assert on_hand(world, "APP-BBC-BLACK")[source] == before[source] - 3  # not 6
    assert any(f"Moved 3 × APP-BBC-BLACK out of {source}" in s.value for s in app.success)
    assert REPLAYED in [str(i.value) for i in app.info]


def test_a_return_requested_again_after_its_answer_was_lost_is_opened_once(
    world: World, lossy: LossyGateway
) -> None:
    order = shipped_order(world, 1)  # 2 units shipped: a second return of 1 would be allowed
    app = opened(lossy.as_world(), "support", order)
    lossy.losing.add(("POST", f"/v1/orders/{order['id']}/returns"))

    ask_for(app, order, 1, "damaged")
    assert errors(app) == [f"**Request a return**: {GAVE_UP[:1].upper()}{GAVE_UP[1:]}"]
    [opened_once] = returns_of(world, order)  # done, answer lost

    # A run after the lost answer shows the units still returnable in a field of its own,
    # empty: the person enters them again, and the same request, whatever field it comes
    # from, goes under the same key.
    app.run()
    ask_for(app, order, 1, "damaged")
    assert not errors(app)
    assert returns_of(world, order) == [opened_once]
    done = f"Return {opened_once['id']} requested for 1 unit of order {order['channel_order_id']}"
    assert any(done in str(s.value) for s in app.success)
    assert REPLAYED in [str(i.value) for i in app.info]
