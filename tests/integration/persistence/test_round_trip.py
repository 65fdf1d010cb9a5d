"""Every entity saved in one transaction comes back equal in the next, on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from engine.domain.fulfilment import ShipmentStatus, TrackingEvent
from engine.domain.orders import Hold, OrderLine, OrderStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b

# (repository attribute, builder, key of the built entity)
ENTITIES: list[tuple[str, Any, Any]] = [
    ("orders", b.an_order, "O-1"),
    ("products", b.a_product, "SKU-1"),
    ("locations", b.a_location, "DAL-01"),
    ("customers", b.a_customer, "C-1"),
    ("stock", b.a_stock, ("SKU-1", "DAL-01")),
    ("inbound", b.an_inbound, "IN-1"),
    ("reservations", b.a_reservation, "R-1"),
    ("shipments", b.a_shipment, "F-1"),
    ("returns", b.a_return, "RT-1"),
    ("alerts", b.an_alert, "A-1"),
    ("rulesets", b.a_ruleset_version, "RS-1"),
    ("traces", b.a_trace, "T-1"),
]


def _save(uow_factory: UowFactory, repo: str, entity: Any) -> None:
    with uow_factory() as uow:
        getattr(uow, repo).add(entity)
        uow.commit()


def _load(uow_factory: UowFactory, repo: str, key: Any) -> Any:
    with uow_factory() as uow:
        return getattr(uow, repo).get(key)


@pytest.mark.parametrize(("repo", "build", "key"), ENTITIES, ids=[e[0] for e in ENTITIES])
def test_every_entity_comes_back_equal_from_the_database(
    sql_uow_factory: UowFactory, repo: str, build: Any, key: Any
) -> None:
    original = build()
    _save(sql_uow_factory, repo, build())

    loaded = _load(sql_uow_factory, repo, key)

    assert loaded == original
    assert loaded is not original


def test_a_customer_without_a_default_address_comes_back_without_one(
    sql_uow_factory: UowFactory,
) -> None:
    _save(sql_uow_factory, "customers", b.a_customer(default_address=None))

    assert _load(sql_uow_factory, "customers", "C-1").default_address is None


def test_an_audit_entry_comes_back_equal_from_the_log(sql_uow_factory: UowFactory) -> None:
    with sql_uow_factory() as uow:
        uow.audit.append(b.an_audit_entry())
        uow.commit()

    with sql_uow_factory() as uow:
        assert list(uow.audit.list(entity="order", entity_id="O-1")) == [b.an_audit_entry()]


def test_changes_to_an_order_and_its_lines_and_holds_are_saved(
    sql_uow_factory: UowFactory,
) -> None:
    _save(sql_uow_factory, "orders", b.an_order())

    with sql_uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.lines[0].quantity = 7
        order.lines.append(OrderLine("L3", "SKU-3", 1, Decimal("1.50")))
        order.holds.append(Hold("address", "unverified", placed_at=b.at(9)))
        order.transition(OrderStatus.SOURCED)
        expected = replace(order, lines=list(order.lines), holds=list(order.holds))
        uow.commit()

    loaded = _load(sql_uow_factory, "orders", "O-1")
    assert loaded == expected
    assert [line.id for line in loaded.lines] == ["L1", "L2", "L3"]


def test_changes_to_a_shipment_and_its_tracking_are_saved(sql_uow_factory: UowFactory) -> None:
    _save(sql_uow_factory, "shipments", b.a_shipment())

    with sql_uow_factory() as uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.tracking.append(TrackingEvent(b.at(200), "delivered"))
        shipment.move(ShipmentStatus.DELIVERED, b.at(200))
        uow.commit()

    loaded = _load(sql_uow_factory, "shipments", "F-1")
    assert loaded.status is ShipmentStatus.DELIVERED
    assert loaded.delivered_at == b.at(200)
    assert [t.code for t in loaded.tracking] == ["in_transit", "delivered"]


def test_changes_to_stock_allocations_and_settings_are_saved(
    sql_uow_factory: UowFactory,
) -> None:
    _save(sql_uow_factory, "stock", b.a_stock())

    with sql_uow_factory() as uow:
        stock = uow.stock.get(("SKU-1", "DAL-01"))
        assert stock is not None
        stock.safety_stock = 9
        stock.channel_allocations = {"marketplace": 5, "b2b": 1}
        uow.commit()

    loaded = _load(sql_uow_factory, "stock", ("SKU-1", "DAL-01"))
    assert (loaded.safety_stock, loaded.channel_allocations) == (9, {"marketplace": 5, "b2b": 1})


def test_timestamps_come_back_in_utc_whatever_zone_they_were_saved_in(
    sql_uow_factory: UowFactory,
) -> None:
    eastern = timezone(timedelta(hours=-5))
    _save(sql_uow_factory, "traces", b.a_trace(at=b.T0.astimezone(eastern)))

    loaded = _load(sql_uow_factory, "traces", "T-1")
    assert loaded.at == b.T0
    assert loaded.at.utcoffset() == timedelta(0)
