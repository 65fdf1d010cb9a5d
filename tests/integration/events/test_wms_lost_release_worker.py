"""A release that reached the WMS but was never recorded, as an operator meets it: ORDO_WMS ->
`build_workers` -> an order released by the real pipeline -> the worker posts its shipment to
a fake WMS (a local HTTP server) that takes it but answers 500, so Ordo keeps no reference ->
the order is cancelled -> the worker asks the WMS for the shipment's fulfilment order by its
id, keeps the reference it names and cancels it there, as for any shipment the WMS holds; a
WMS without the lookup gets nothing and a person is alerted; on both databases."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from engine.adapters import orm
from engine.domain import commands as c
from engine.service_layer.warehouse import LOOKUP_RULE
from ordo.bootstrap import Container, build_workers
from tests.integration.events.test_wms_release_worker import (  # fixtures
    Outside,
    container,  # noqa: F401
    outside,  # noqa: F401
)

LOOKUP = "/wms/fulfilment-orders?id="


def answer_lost(wms: Outside, lookup: bool = True) -> None:
    """The WMS takes each release (a repeat gets its first reference) but answers 500; asked
    for a shipment's order, it names the reference it gave (`lookup`), or, built before the
    lookup, its router knows no such request (404 without `{"found": false}`)."""
    takes = wms.answer

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if method == "GET" and path.startswith(LOOKUP):
            wms.changes.append((method, path, headers, {}))
            if not lookup:
                return 404, {"message": "no such route"}
            [shipment_id] = parse_qs(urlsplit(path).query)["id"]
            held = wms.references.get(shipment_id)
            return (200, {"reference": held}) if held else (404, {"found": False})
        said = takes(method, path, headers, body)
        if (method, path) == ("POST", "/wms/fulfilment-orders"):
            return 500, {"message": "lost the answer"}
        return said

    wms.answer = answer  # type: ignore[method-assign]


def released_then_cancelled(built: Container, wms: Outside) -> str:
    """An order released, its release taken by the WMS and its answer lost, then cancelled
    and the worker run: the shipment's id."""
    [worker] = build_workers(built, name="w1")
    line = c.LineInput("JEANS", 2)
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    order_id = str(built.bus.handle(c.CreateOrder("web", "W-9", "c1", address, (line,))))
    with built.uow_factory() as uow:
        [shipment] = uow.shipments.for_order(order_id)
    for _ in range(4):
        worker.run_once()
    assert [body["id"] for _, body in wms.posts][:1] == [shipment.id]  # the WMS took it
    with built.uow_factory() as uow:
        stored = uow.shipments.get(shipment.id)
        assert stored is not None and stored.wms_reference == ""  # its answer was lost

    built.bus.handle(c.CancelOrder(order_id, "customer changed their mind"))
    for _ in range(8):
        worker.run_once()
    return shipment.id


def outbox(built: Container, name: str) -> list[dict[str, Any]]:
    with built.uow_factory() as uow:
        assert uow.session is not None
        rows = uow.session.execute(
            select(orm.outbox.c.payload).where(orm.outbox.c.name == name).order_by(orm.outbox.c.id)
        )
        return [dict(payload) for payload in rows.scalars()]


def test_a_cancelled_shipment_whose_release_answer_was_lost_is_found_at_the_wms_and_cancelled(
    container: Container,  # noqa: F811
    outside: Outside,  # noqa: F811
) -> None:
    answer_lost(outside)

    shipment_id = released_then_cancelled(container, outside)

    assert [(method, path) for method, path, _, _ in outside.changes] == [
        ("GET", f"{LOOKUP}{shipment_id}"),
        ("POST", "/wms/fulfilment-orders/WMS-000001/cancel"),
    ]
    _, _, headers, cancel = outside.changes[1]
    assert headers["Idempotency-Key"] == f"{shipment_id}:cancel"
    assert (cancel["message"], cancel["id"], cancel["reference"]) == (
        "cancel",
        shipment_id,
        "WMS-000001",
    )
    with container.uow_factory() as uow:
        stored = uow.shipments.get(shipment_id)
        assert stored is not None and stored.wms_reference == "WMS-000001"
    [updated] = outbox(container, "shipment.wms_updated")
    assert (updated["wms_reference"], updated["change"]) == ("WMS-000001", "cancel")
    assert outbox(container, "alert.triggered") == []


def test_a_wms_without_the_lookup_is_sent_nothing_and_a_person_is_alerted(
    container: Container,  # noqa: F811
    outside: Outside,  # noqa: F811
) -> None:
    answer_lost(outside, lookup=False)

    shipment_id = released_then_cancelled(container, outside)

    assert [method for method, _, _, _ in outside.changes] == ["GET"]  # no cancellation
    alerts = [a for a in outbox(container, "alert.triggered") if a["rule"] == LOOKUP_RULE]
    [alert] = alerts
    assert (alert["key"], alert["severity"]) == (shipment_id, "medium")
    assert "Look in the WMS newark for an order with Ordo's id" in alert["message"]
    assert "answered 404 no such route" in alert["message"]
    assert outbox(container, "shipment.wms_updated") == []


def test_a_shipment_cancelled_before_its_releases_turn_is_not_looked_up_nor_alerted(
    container: Container,  # noqa: F811
    outside: Outside,  # noqa: F811
) -> None:
    # Released and cancelled before the worker ran: its release was never attempted (no
    # `wms_attempted_at`), so even a WMS without the lookup raises no alert for it.
    answer_lost(outside, lookup=False)
    [worker] = build_workers(container, name="w1")
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    order_id = str(
        container.bus.handle(c.CreateOrder("web", "W-9", "c1", address, (c.LineInput("JEANS", 2),)))
    )
    container.bus.handle(c.CancelOrder(order_id, "customer changed their mind"))
    for _ in range(8):
        worker.run_once()

    assert outside.posts == [] and outside.changes == []
    assert [a for a in outbox(container, "alert.triggered") if a["rule"] == LOOKUP_RULE] == []
    with container.uow_factory() as uow:
        [shipment] = uow.shipments.for_order(order_id)
        assert shipment.wms_attempted_at is None
