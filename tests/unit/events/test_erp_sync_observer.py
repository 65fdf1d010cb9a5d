"""The ERP/CRM kept in step, on the in-memory store with a fake ERP: each event sends the current
state of what it changed (so a late or redelivered event still sends the latest), under a
version that grows with each read, each line with the kit it was filed for (null for others);
the entities not chosen are not sent; an erasure is sent as one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.fulfilment import ReturnStatus, ShipmentStatus
from engine.domain.orders import KitShape, OrderStatus
from engine.service_layer.erp_sync import ErpSync, version_of
from tests.support.builders import (
    a_customer,
    a_line,
    a_return,
    a_shipment,
    a_stock,
    an_order,
)


class FakeErp:
    def __init__(self) -> None:
        self.synced: list[tuple[str, Mapping[str, Any]]] = []
        self.erased: list[tuple[str, Mapping[str, Any]]] = []

    def sync(self, entity: str, data: Mapping[str, Any]) -> None:
        self.synced.append((entity, data))

    def erase(self, entity: str, data: Mapping[str, Any]) -> None:
        self.erased.append((entity, data))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


def seeded() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(an_order(id="O-1", customer_id="C-1", status=OrderStatus.RELEASED))
        uow.customers.add(a_customer(id="C-1"))
        uow.shipments.add(
            a_shipment(
                id="F-1",
                order_id="O-1",
                location_code="DAL-01",
                status=ShipmentStatus.SHIPPED,
                wms_reference="WMS-9",
            )
        )
        uow.stock.add(a_stock(sku="SKU-1", location_code="DAL-01", on_hand=98, reserved=8))
        uow.stock.add(a_stock(sku="SKU-2", location_code="DAL-01", on_hand=40, reserved=0))
        uow.returns.add(
            a_return(
                id="RT-1",
                order_id="O-1",
                status=ReturnStatus.REFUNDED,
                refund_amount=Decimal("19.99"),
            )
        )
        uow.commit()
    return uow


def an_erp_sync(*entities: str) -> tuple[ErpSync, FakeErp]:
    erp = FakeErp()
    chosen = entities or ("orders", "customers", "returns", "stock")
    return ErpSync(erp, chosen, clock=Clock()), erp


def event(name: str, **payload: Any) -> Message:
    return Message("evt-1", name, payload, "O-1")


def test_a_late_event_still_sends_the_orders_latest_state() -> None:
    observer, erp = an_erp_sync("orders")
    # `order.received`, handled after the order was decided and released.
    observer(event("order.received", order_id="O-1", channel="web"), seeded())

    [(entity, data)] = erp.synced
    assert (entity, data["key"]) == ("order", {"id": "O-1"})
    state = data["state"]
    assert (state["status"], state["total"], state["customer_id"]) == ("released", "44.98", "C-1")
    [shipment] = state["shipments"]
    assert (shipment["status"], shipment["tracking_number"], shipment["wms_reference"]) == (
        "shipped",
        "1Z999",
        "WMS-9",
    )


def test_each_line_of_an_order_sent_says_the_kit_it_was_filed_for() -> None:
    observer, erp = an_erp_sync("orders")
    uow = seeded()
    with uow:
        uow.orders.add(an_order(id="O-2", channel_order_id="W-1002", lines=[
            a_line(id="L1"),
            a_line(id="7.1", sku="MUG", quantity=3, kit=KitShape("GIFTSET", 1, 3)),
            a_line(id="7.2", sku="TEA", quantity=6, kit=KitShape("GIFTSET", 2, 3)),
        ]))  # fmt: skip
        uow.commit()
    observer(event("order.status_changed", order_id="O-2", to_status="released"), uow)

    [(_, data)] = erp.synced
    assert [(line["id"], line["kit"]) for line in data["state"]["lines"]] == [
        ("L1", None),
        ("7.1", {"sku": "GIFTSET", "units": 1, "kits": 3}),
        ("7.2", {"sku": "GIFTSET", "units": 2, "kits": 3}),
    ]


def test_each_state_read_later_carries_a_higher_version() -> None:
    observer, erp = an_erp_sync("orders")
    uow = seeded()
    observer(event("order.status_changed", order_id="O-1", to_status="released"), uow)
    observer(event("order.status_changed", order_id="O-1", to_status="released"), uow)

    first, second = (data for _, data in erp.synced)
    assert second["version"] > first["version"]
    assert first["version"] == version_of(datetime.fromisoformat(first["updated_at"]))


def test_a_new_order_sends_its_customer_too() -> None:
    observer, erp = an_erp_sync()
    observer(event("order.received", order_id="O-1", channel="web"), seeded())

    assert [entity for entity, _ in erp.synced] == ["order", "customer"]
    customer = erp.synced[1][1]["state"]
    assert (customer["id"], customer["email"], customer["tier"]) == (
        "C-1",
        "ada@example.com",
        "gold",
    )


def test_a_shipment_going_out_sends_its_order_and_the_stock_of_its_skus() -> None:
    observer, erp = an_erp_sync()
    observer(
        event(
            "shipment.status_changed",
            shipment_id="F-1",
            order_id="O-1",
            location_code="DAL-01",
            to_status="shipped",
        ),
        seeded(),
    )

    assert [(entity, data["key"]) for entity, data in erp.synced] == [
        ("order", {"id": "O-1"}),
        ("stock", {"sku": "SKU-1", "location_code": "DAL-01"}),
        ("stock", {"sku": "SKU-2", "location_code": "DAL-01"}),
    ]
    assert erp.synced[1][1]["state"]["on_hand"] == 98


def test_every_state_sent_names_the_event_so_a_retry_is_signed_under_the_same_ids() -> None:
    observer, erp = an_erp_sync()
    shipped = event("shipment.status_changed", shipment_id="F-1", order_id="O-1",
                    location_code="DAL-01", to_status="shipped")  # fmt: skip
    observer(shipped, seeded())
    observer(event("customer.erased", customer_id="C-1"), seeded())

    sent = [data for _, data in erp.synced + erp.erased]
    assert len(sent) == 4 and {data["event_id"] for data in sent} == {"evt-1"}


def test_a_stock_movement_sends_the_stock_row_as_it_is_now() -> None:
    observer, erp = an_erp_sync("stock")
    observer(
        event(
            "stock.adjusted",
            sku="SKU-1",
            location_code="DAL-01",
            delta=-2,
            on_hand=120,
            available=110,
        ),
        seeded(),
    )

    [(entity, data)] = erp.synced
    assert entity == "stock"
    assert (data["state"]["on_hand"], data["state"]["available"]) == (98, 85)


def test_a_refund_sends_the_return_with_the_amount_refunded() -> None:
    observer, erp = an_erp_sync("returns")
    observer(
        event(
            "return.status_changed",
            return_id="RT-1",
            order_id="O-1",
            from_status="received",
            to_status="refunded",
        ),
        seeded(),
    )

    [(entity, data)] = erp.synced
    assert entity == "return"
    state = data["state"]
    assert (state["status"], state["refund_amount"], state["currency"]) == (
        "refunded",
        "19.99",
        "USD",
    )


def test_an_erasure_is_sent_as_one_naming_only_the_customer() -> None:
    observer, erp = an_erp_sync("orders")
    observer(event("customer.erased", customer_id="C-1"), seeded())

    assert erp.synced == []
    [(entity, data)] = erp.erased
    assert (entity, data["key"]) == ("customer", {"id": "C-1"})
    assert set(data) == {"key", "version", "updated_at", "event_id"}


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("order.released", {"order_id": "O-1"}),
        ("return.status_changed", {"return_id": "RT-1", "to_status": "refunded"}),
        ("customer.erased", {"customer_id": "C-1"}),
        ("alert.raised", {"alert_id": "A-1"}),
    ],
)
def test_only_the_entities_chosen_are_sent(name: str, payload: dict[str, Any]) -> None:
    observer, erp = an_erp_sync("stock")
    message = Message("evt-1", name, payload, "O-1")

    assert not observer.wants(message)
    observer(message, seeded())
    assert erp.synced == [] and erp.erased == []


def test_an_entity_gone_from_the_store_is_not_sent() -> None:
    observer, erp = an_erp_sync()
    observer(event("order.status_changed", order_id="O-404", to_status="validated"), seeded())
    observer(event("return.labelled", return_id="RT-404", order_id="O-1"), seeded())
    assert erp.synced == []


def test_an_entity_ordo_does_not_sync_is_refused() -> None:
    with pytest.raises(ValueError, match="entities must be some of orders"):
        ErpSync(FakeErp(), ["orders", "refunds"])
