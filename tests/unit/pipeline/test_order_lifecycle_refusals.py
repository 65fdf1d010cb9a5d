"""What the lifecycle handlers refuse before changing anything, and what a manual release
keeps: an added line under an id the order has, or with a SKU the catalogue lacks; a pending
shipment cancelled on its own; reservations expiring after their order was released."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain import commands as c
from engine.domain.errors import Conflict
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.orders import InvalidLine, OrderStatus
from engine.pipeline.decide import DeciderSettings
from engine.service_layer.handlers import PipelineOptions
from tests.unit.pipeline.world import Engine, build

MANUAL = PipelineOptions(auto_release=False, reservation_ttl=timedelta(minutes=30))


def a_carrier_assigned_order(*lines: c.LineInput) -> tuple[Engine, str]:
    engine = build(
        {("A", "NJ"): (10, 0), ("B", "NJ"): (10, 0)},
        settings=DeciderSettings(optimiser="greedy"),
        options=MANUAL,
    )
    wanted = lines or (c.LineInput("A", 5),)
    order_id = engine.bus.handle(c.CreateOrder("web", "W-1", "c1", c.AddressInput("10001"), wanted))
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.CARRIER_ASSIGNED
    return engine, str(order_id)


def what_the_order_holds(engine: Engine, order_id: str) -> tuple[object, ...]:
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return (
            order.status,
            [(line.id, line.sku, line.quantity) for line in order.lines],
            sorted((r.line_id, r.status) for r in uow.reservations.for_order(order_id)),
            [s.status for s in uow.shipments.for_order(order_id)],
        )


def test_an_added_line_under_an_id_the_order_has_is_refused_at_its_path_changing_nothing() -> None:
    engine, order_id = a_carrier_assigned_order()
    before = what_the_order_holds(engine, order_id)

    with pytest.raises(InvalidLine) as refused:
        engine.bus.handle(c.ModifyOrder(order_id, add_lines=(c.LineInput("B", 2, None, "1"),)))

    assert refused.value.loc == ("add_lines", 0, "line_id")
    assert "line id '1' is already a line of this order" in refused.value.message
    assert what_the_order_holds(engine, order_id) == before


def test_a_line_being_removed_keeps_its_id_from_an_added_line() -> None:
    engine, order_id = a_carrier_assigned_order(c.LineInput("A", 1), c.LineInput("B", 1))

    with pytest.raises(InvalidLine) as refused:
        engine.bus.handle(
            c.ModifyOrder(
                order_id, add_lines=(c.LineInput("B", 2, None, "2"),), remove_lines=("2",)
            )
        )

    assert refused.value.loc == ("add_lines", 0, "line_id")


def test_adding_a_sku_not_in_the_catalogue_is_refused_and_the_live_order_kept() -> None:
    engine, order_id = a_carrier_assigned_order()
    before = what_the_order_holds(engine, order_id)

    with pytest.raises(InvalidLine) as refused:
        engine.bus.handle(
            c.ModifyOrder(order_id, add_lines=(c.LineInput("B", 1), c.LineInput("NOPE-1", 1)))
        )

    assert refused.value.loc == ("add_lines", 1, "sku")
    assert "SKU 'NOPE-1' is not in the catalogue" in refused.value.message
    assert what_the_order_holds(engine, order_id) == before
    assert before[0] is OrderStatus.CARRIER_ASSIGNED


def test_a_known_sku_added_without_an_id_is_numbered_after_the_order_lines() -> None:
    engine, order_id = a_carrier_assigned_order()

    engine.bus.handle(c.ModifyOrder(order_id, add_lines=(c.LineInput("B", 1),)))

    _status, lines, *_ = what_the_order_holds(engine, order_id)
    assert lines == [("1", "A", 5), ("2", "B", 1)]


def test_a_pending_shipment_cancelled_on_its_own_is_a_conflict_naming_its_order() -> None:
    engine, order_id = a_carrier_assigned_order()
    before = what_the_order_holds(engine, order_id)
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)

    with pytest.raises(Conflict) as refused:
        engine.bus.handle(c.UpdateShipment(shipment.id, "cancelled"))

    assert f"cancel its order {order_id} instead" in refused.value.message
    assert "('pending')" in refused.value.message
    assert what_the_order_holds(engine, order_id) == before


def test_a_released_orders_reservations_no_longer_expire() -> None:
    engine, order_id = a_carrier_assigned_order()

    engine.bus.handle(c.ReleaseOrder(order_id, "support"))
    engine.clock.advance(60)
    expired = engine.bus.handle(c.ExpireReservations(limit=100))

    assert expired == 0
    status, _lines, reservations, shipments = what_the_order_holds(engine, order_id)
    assert status is OrderStatus.RELEASED
    assert reservations == [("1", ReservationStatus.ACTIVE)]
    assert shipments == [ShipmentStatus.RELEASED]


def test_an_unreleased_orders_reservations_still_expire() -> None:
    engine, _order_id = a_carrier_assigned_order()

    engine.clock.advance(60)

    assert engine.bus.handle(c.ExpireReservations(limit=100)) == 1


def test_a_pending_shipment_reported_picked_says_its_order_must_be_released_first() -> None:
    engine, order_id = a_carrier_assigned_order()
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)

    with pytest.raises(Conflict) as refused:
        engine.bus.handle(c.UpdateShipment(shipment.id, "picked"))
    engine.bus.handle(c.ReleaseOrder(order_id, "support"))
    engine.bus.handle(c.UpdateShipment(shipment.id, "picked"))

    assert "cannot go from 'pending' to 'picked'" in refused.value.message
    assert f"its order {order_id} is not released yet" in refused.value.message
    assert what_the_order_holds(engine, order_id)[0] is OrderStatus.PICKED
