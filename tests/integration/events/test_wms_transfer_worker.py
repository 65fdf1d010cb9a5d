"""Ship to store in a warehouse a WMS runs, as an operator turns it on: ORDO_WMS ->
`build_workers` -> a pickup order whose store lacks units, decided by the real pipeline,
makes a transfer from the warehouse -> the outbox -> the worker, which sends the transfer to a
fake WMS (a local HTTP server) once, with the route, the units, the day and the order, and
keeps its reference (shown in the API's transfer JSON); the order cancelled, the transfer is
cancelled at the WMS; on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api.schemas.inventory import TransferOut
from engine.adapters import orm
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.service_layer.wms_transfers import TransferReleaser
from ordo.bootstrap import Container, build_app_container, build_workers
from ordo.settings import load_settings
from tests.support.local_http import serving

TOKEN = "a-wms-token-of-some-length"
STORE = Location(
    "NYC-5", "Fifth Avenue", LocationType.STORE, Address("10001", line1="350 5th Ave"),
    services=frozenset({Service.PICKUP, Service.SHIP_TO_STORE}),
)  # fmt: skip


@dataclass
class Wms:
    """A WMS at /wms: the transfer orders and cancellations it received, in order."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "who are you?"}
        self.requests.append((method, path, headers, json.loads(body)))
        if path == "/wms/transfer-orders" and method == "POST":
            key = headers["Idempotency-Key"]  # a repeat gets the reference it got before
            reference = self.references.setdefault(key, f"TO-{len(self.references) + 1:06d}")
            return 201, {"reference": reference}
        if path.startswith("/wms/transfer-orders/") and path.endswith("/cancel"):
            return 204, None
        return 404, {"message": f"no {path} here"}

    def calls(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _, _ in self.requests]


@pytest.fixture
def wms() -> Iterator[Wms]:
    found = Wms()
    with serving(found.answer) as url:
        found.url = url
        yield found


@pytest.fixture
def container(database_url: str, tmp_path: Path, wms: Wms) -> Iterator[Container]:
    entries = {"newark": {"base_url": f"{wms.url}/wms", "token": TOKEN, "locations": ["NJ"]}}
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path, redis_url=None, wms=json.dumps(entries)
    )
    with build_app_container(settings) as built:
        with built.uow_factory() as uow:
            uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
            uow.locations.add(STORE)
            uow.products.add(Product("MUG", "Mug", Decimal("12.00"), weight_kg=0.4))
            uow.customers.add(Customer("c1", "ann@example.com"))
            uow.stock.add(Stock("MUG", "NJ", on_hand=10))
            uow.stock.add(Stock("MUG", "NYC-5", on_hand=1))
            uow.commit()
        yield built


def a_pickup(container: Container) -> str:
    return str(
        container.bus.handle(
            c.CreateOrder(
                "web", "W-1", "c1", c.AddressInput("10001"), (c.LineInput("MUG", 3),),
                fulfilment="pickup", pickup_location="NYC-5",
            )
        )
    )  # fmt: skip


def outbox_names(container: Container) -> list[str]:
    with container.uow_factory() as uow:
        assert uow.session is not None
        return list(uow.session.execute(select(orm.outbox.c.name)).scalars())


def test_a_ship_to_store_transfer_goes_to_the_warehouses_wms_once_and_is_cancelled_there(
    container: Container, wms: Wms
) -> None:
    [worker] = build_workers(container, name="w1")
    assert TransferReleaser in {type(o) for o in worker.observers}
    order_id = a_pickup(container)
    with container.uow_factory() as uow:
        [transfer] = uow.inbound.for_order(order_id)
    assert (transfer.from_location, transfer.quantity) == ("NJ", 2)

    for _ in range(8):
        worker.run_once()

    [(method, path, headers, body)] = wms.requests
    assert (method, path, headers["Idempotency-Key"]) == (
        "POST",
        "/wms/transfer-orders",
        transfer.id,
    )
    assert (body["contract"], body["id"], body["location_code"]) == (
        "ordo.wms.v1",
        transfer.id,
        "NJ",
    )
    assert (body["from"]["name"], body["to"]["code"]) == ("Newark", "NYC-5")
    assert body["to"]["address"]["line1"] == "350 5th Ave"
    assert body["lines"] == [{"sku": "MUG", "units": 2}]
    assert body["expected_on"] == transfer.expected_on.isoformat()
    assert body["order"] == {"id": order_id, "reference": "W-1", "channel": "web"}
    with container.uow_factory() as uow:
        stored = uow.inbound.get(transfer.id)
        assert stored is not None and stored.wms_reference == "TO-000001"
        assert TransferOut.of(stored).wms_reference == "TO-000001"  # the API shows it
    assert outbox_names(container).count("transfer.sent_to_wms") == 1

    container.bus.handle(c.CancelOrder(order_id, "customer changed their mind"))
    for _ in range(8):
        worker.run_once()

    assert wms.calls() == [
        ("POST", "/wms/transfer-orders"),
        ("POST", "/wms/transfer-orders/TO-000001/cancel"),
    ]
    _, _, cancel_headers, cancel = wms.requests[1]
    assert cancel_headers["Idempotency-Key"] == f"{transfer.id}:cancel"
    assert (cancel["message"], cancel["id"], cancel["reference"]) == (
        "cancel",
        transfer.id,
        "TO-000001",
    )
    assert outbox_names(container).count("transfer.wms_cancelled") == 1
