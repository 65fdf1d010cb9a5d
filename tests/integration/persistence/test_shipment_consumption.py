"""Shipping takes exactly the shipped units out of stock, on every backend: a line with
units reserved at one location for two shipments keeps the second one's reserved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.domain.commands import UpdateShipment
from engine.domain.fulfilment import ShipmentLine, ShipmentStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.orders import LineStatus, OrderLine, OrderStatus
from engine.service_layer.lifecycle import update_shipment
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


def _two_shipments_of_one_line(factory: UowFactory, reservations: list[int]) -> None:
    """Line L1 of 2 units at DAL-01, as two released shipments of one unit each."""
    line = OrderLine("L1", "SKU-1", 2, Decimal("10"), status=LineStatus.ALLOCATED)
    with factory() as uow:
        uow.stock.add(b.a_stock(on_hand=10, reserved=2, safety_stock=0, channel_allocations={}))
        uow.orders.add(b.a_plain_order(1, lines=[line], status=OrderStatus.RELEASED))
        for number in (1, 2):
            uow.shipments.add(
                b.a_shipment(
                    id=f"F-{number}", order_id="O-1", lines=[ShipmentLine("L1", "SKU-1", 1)],
                    status=ShipmentStatus.RELEASED, shipped_at=None, tracking=[],
                )
            )  # fmt: skip
        for number, quantity in enumerate(reservations, start=1):
            uow.reservations.add(
                b.a_reservation(
                    id=f"R-{number}", quantity=quantity, expires_at=None,
                    created_at=b.at(number),
                )
            )  # fmt: skip
        uow.commit()


@pytest.mark.parametrize("reservations", [[1, 1], [2]], ids=["one each", "one for both"])
def test_shipping_one_of_two_shipments_takes_only_its_own_unit(
    uow_factory: UowFactory, reservations: list[int]
) -> None:
    _two_shipments_of_one_line(uow_factory, reservations)
    update_shipment(UpdateShipment("F-1", "shipped"), uow_factory(), lambda: b.at(100))
    with uow_factory() as uow:
        stock = uow.stock.get(("SKU-1", "DAL-01"))
        assert stock is not None and (stock.on_hand, stock.reserved) == (9, 1)
        active = [
            r for r in uow.reservations.for_order("O-1") if r.status is ReservationStatus.ACTIVE
        ]
        assert sum(r.quantity for r in active) == 1, "the other shipment's unit stays reserved"
    update_shipment(UpdateShipment("F-2", "shipped"), uow_factory(), lambda: b.at(101))
    with uow_factory() as uow:
        stock = uow.stock.get(("SKU-1", "DAL-01"))
        assert stock is not None and (stock.on_hand, stock.reserved) == (8, 0)
        order = uow.orders.get("O-1")
        assert order is not None and order.lines[0].quantity_shipped == 2
