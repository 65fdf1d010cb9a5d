"""A transfer order that reached the WMS but was never recorded, as an operator meets it:
ORDO_WMS -> `build_workers` -> a pickup order whose store lacks units makes a transfer -> the
worker posts it to a fake WMS (a local HTTP server) that takes it but answers 500, so Ordo
keeps no reference but keeps that it set out to send it -> the order is cancelled -> the
worker asks the WMS for the transfer's order by its id and cancels it there; a transfer
cancelled before its send's turn was never attempted, and is neither asked about nor, at a
WMS without the lookup, alerted on; on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from engine.domain import commands as c
from engine.service_layer.warehouse import LOOKUP_RULE
from ordo.bootstrap import Container, build_workers
from tests.integration.events.test_wms_lost_release_worker import outbox
from tests.integration.events.test_wms_transfer_worker import (  # fixtures
    Wms,
    a_pickup,
    container,  # noqa: F401
)
from tests.support.local_http import serving

LOOKUP = "/wms/transfer-orders?id="


@dataclass
class LosingWms(Wms):
    """The WMS takes each transfer order (a repeat gets its first reference) but answers 500;
    asked for a transfer's order, it names the reference it gave (`lookup`), or, built before
    the lookup, its router knows no such request (404 without `{"found": false}`)."""

    lookup: bool = True

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if method == "GET" and path.startswith(LOOKUP):
            self.requests.append((method, path, headers, {}))
            if not self.lookup:
                return 404, {"message": "no such route"}
            [transfer_id] = parse_qs(urlsplit(path).query)["id"]
            held = self.references.get(transfer_id)
            return (200, {"reference": held}) if held else (404, {"found": False})
        said = super().answer(method, path, headers, body)
        if (method, path) == ("POST", "/wms/transfer-orders"):
            return 500, {"message": "lost the answer"}
        return said


@pytest.fixture
def wms() -> Iterator[LosingWms]:
    found = LosingWms()
    with serving(found.answer) as url:
        found.url = url
        yield found


def run(worker: Any) -> None:
    """The worker's turns, enough for every event waiting (and its retries)."""
    for _ in range(8):
        worker.run_once()


def test_a_transfer_order_whose_answer_was_lost_keeps_its_attempt_and_is_cancelled_at_the_wms(
    container: Container,  # noqa: F811
    wms: LosingWms,
) -> None:
    [worker] = build_workers(container, name="w1")
    order_id = a_pickup(container)
    run(worker)
    with container.uow_factory() as uow:
        [transfer] = uow.inbound.for_order(order_id)
        # The send's own transaction rolled back; the attempt's step committed before it.
        assert transfer.wms_reference == "" and transfer.wms_attempted_at is not None
    assert wms.calls()[:1] == [("POST", "/wms/transfer-orders")]  # the WMS took it

    container.bus.handle(c.CancelOrder(order_id, "customer changed their mind"))
    run(worker)

    assert [call for call in wms.calls() if call[1] != "/wms/transfer-orders"] == [
        ("GET", f"{LOOKUP}{transfer.id}"),
        ("POST", "/wms/transfer-orders/TO-000001/cancel"),
    ]
    assert [t["transfer_id"] for t in outbox(container, "transfer.wms_cancelled")] == [transfer.id]
    assert outbox(container, "alert.triggered") == []


def test_a_transfer_cancelled_before_its_sends_turn_is_not_looked_up_nor_alerted_on(
    container: Container,  # noqa: F811
    wms: LosingWms,
) -> None:
    # Made and cancelled before the worker ran: its send was never attempted (no
    # `wms_attempted_at`), so even a WMS without the lookup raises no alert for it.
    wms.lookup = False
    [worker] = build_workers(container, name="w1")
    order_id = a_pickup(container)
    container.bus.handle(c.CancelOrder(order_id, "customer changed their mind"))
    run(worker)

    assert wms.requests == []
    assert [a for a in outbox(container, "alert.triggered") if a["rule"] == LOOKUP_RULE] == []
    with container.uow_factory() as uow:
        [transfer] = uow.inbound.for_order(order_id)
        assert transfer.cancelled and transfer.wms_attempted_at is None
