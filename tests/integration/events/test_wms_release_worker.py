"""Warehouse and ERP integration as an operator turns it on: ORDO_WMS and ORDO_ERP_SYNC_* ->
`build_workers` -> an order decided and released by the real pipeline -> the outbox -> the
worker, which sends the released shipment to a fake WMS (a local HTTP server) once, keeps its
reference, tells the WMS of the short picks that follow (an update, then a cancellation), and
keeps a fake ERP in step with the order's latest state, on both databases."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api.schemas.orders import ShipmentOut
from engine.adapters import orm
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.service_layer.erp_sync import ErpSync
from engine.service_layer.warehouse import WarehouseReleaser, WarehouseUpdater
from ordo.bootstrap import Container, build_app_container, build_workers
from ordo.settings import load_settings
from tests.support.local_http import serving

TOKEN = "a-wms-token-of-some-length"
SECRET = "an-erp-secret-of-some-length"


@dataclass
class Outside:
    """A WMS at /wms and an ERP at /erp: what each received, in order."""

    url: str = ""
    posts: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    changes: list[tuple[str, str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    puts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)
    badly_signed: int = 0

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if path == "/wms/fulfilment-orders" and method == "POST":
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {"message": "who are you?"}
            self.posts.append((headers, json.loads(body)))
            key = headers["Idempotency-Key"]  # a repeat gets the reference it got before
            reference = self.references.setdefault(key, f"WMS-{len(self.references) + 1:06d}")
            return 201, {"reference": reference}
        if path.startswith("/wms/fulfilment-orders/"):  # an update or a cancellation
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {"message": "who are you?"}
            self.changes.append((method, path, headers, json.loads(body)))
            return 204, None
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if path.startswith("/erp/") and headers.get("X-Ordo-Signature") == expected:
            self.puts.append((f"{method} {path}", json.loads(body)))
            return 204, None
        self.badly_signed += 1
        return 401, {"message": "bad signature"}


@pytest.fixture
def outside() -> Iterator[Outside]:
    found = Outside()
    # Looked up per request, not once: a test may swap `answer` (a WMS that picked already).
    with serving(lambda *request: found.answer(*request)) as url:
        found.url = url
        yield found


@pytest.fixture
def container(database_url: str, tmp_path: Path, outside: Outside) -> Iterator[Container]:
    wms = {"newark": {"base_url": f"{outside.url}/wms", "token": TOKEN, "locations": ["NJ"]}}
    settings = load_settings(
        database_url=database_url,
        data_dir=tmp_path,
        redis_url=None,
        wms=json.dumps(wms),
        erp_sync_url=f"{outside.url}/erp",
        erp_sync_secret=SECRET,
        erp_sync_entities="orders",
    )
    with build_app_container(settings) as built:
        with built.uow_factory() as uow:
            uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
            uow.products.add(Product("JEANS", "Jeans", Decimal("59.00"), weight_kg=0.8))
            uow.customers.add(Customer("c1", "c1@example.com"))
            uow.stock.add(Stock("JEANS", "NJ", on_hand=5))
            uow.commit()
        yield built


def test_the_worker_sends_a_shipment_released_by_an_order_to_the_wms_once_and_keeps_its_reference(
    container: Container, outside: Outside
) -> None:
    [worker] = build_workers(container, name="w1")
    assert {type(o) for o in worker.observers} >= {WarehouseReleaser, ErpSync}
    line = c.LineInput("JEANS", 2)
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    order_id = str(container.bus.handle(c.CreateOrder("web", "W-1", "c1", address, (line,))))
    with container.uow_factory() as uow:
        [shipment] = uow.shipments.for_order(order_id)
        assert shipment.status is ShipmentStatus.RELEASED  # auto-released with its carrier

    for _ in range(8):
        worker.run_once()

    [(headers, body)] = outside.posts
    assert headers["Idempotency-Key"] == shipment.id
    assert (body["contract"], body["id"], body["location_code"]) == (
        "ordo.wms.v1",
        shipment.id,
        "NJ",
    )
    assert body["lines"] == [
        {"line_id": shipment.lines[0].order_line_id, "sku": "JEANS", "units": 2}
    ]
    assert body["ship_to"]["line1"] == "1 Main St" and body["order"]["reference"] == "W-1"
    with container.uow_factory() as uow:
        stored = uow.shipments.get(shipment.id)
        assert stored is not None and stored.wms_reference == "WMS-000001"
        assert ShipmentOut.of(stored).wms_reference == "WMS-000001"  # the API shows it
        assert uow.session is not None
        names = list(uow.session.execute(select(orm.outbox.c.name)).scalars())
    assert names.count("shipment.sent_to_wms") == 1

    # The ERP heard of the order at every step; the newest version it got is the order as it
    # stands, its shipment with the WMS's reference.
    assert outside.badly_signed == 0
    orders = [put for what, put in outside.puts if what == f"PUT /erp/orders/{order_id}"]
    newest = max(orders, key=lambda put: put["version"])
    assert newest["data"]["status"] == "released"
    assert newest["data"]["shipments"][0]["wms_reference"] == "WMS-000001"


def test_short_picks_of_a_shipment_at_the_wms_reach_it_as_an_update_then_a_cancellation(
    container: Container, outside: Outside
) -> None:
    [worker] = build_workers(container, name="w1")
    assert WarehouseUpdater in {type(o) for o in worker.observers}
    line = c.LineInput("JEANS", 2)
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    order_id = str(container.bus.handle(c.CreateOrder("web", "W-2", "c1", address, (line,))))
    with container.uow_factory() as uow:
        [shipment] = uow.shipments.for_order(order_id)
    line_id = shipment.lines[0].order_line_id

    def short(missing: int) -> None:
        short_line = c.ShortLineInput(missing, order_line_id=line_id)
        container.bus.handle(c.ReportShortPick(shipment.id, (short_line,), "damaged"))
        for _ in range(8):
            worker.run_once()

    for _ in range(8):
        worker.run_once()  # the release goes first: the WMS holds the shipment
    short(1)
    short(1)

    assert [(method, path) for method, path, _, _ in outside.changes] == [
        ("PUT", "/wms/fulfilment-orders/WMS-000001"),
        ("POST", "/wms/fulfilment-orders/WMS-000001/cancel"),
    ]
    (_, _, put_headers, update), (_, _, _, cancel) = outside.changes
    assert update["message"] == "update" and update["reason"] == "damaged"
    assert update["lines"] == [{"line_id": line_id, "sku": "JEANS", "units": 1}]
    assert put_headers["Idempotency-Key"].startswith(f"{shipment.id}:update:")
    assert (cancel["message"], cancel["id"], cancel["reference"]) == (
        "cancel",
        shipment.id,
        "WMS-000001",
    )
    with container.uow_factory() as uow:
        assert uow.session is not None
        rows = uow.session.execute(
            select(orm.outbox.c.name, orm.outbox.c.payload)
            .where(orm.outbox.c.name == "shipment.wms_updated")
            .order_by(orm.outbox.c.id)
        ).all()
    assert [row.payload["change"] for row in rows] == ["update", "cancel"]
