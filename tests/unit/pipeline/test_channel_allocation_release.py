"""A channel's ring-fenced units come back to it when its reservation is given back.

Regression: a reservation for a channel uses up that channel's allocation at the location
first, but a cancel, a modification's re-decision or an expiry gave the units back to the
shared pool only: after one modify and one cancel of a marketplace order, the marketplace's
allocation of 5 was 0 and a web order could take every unit. A shipment consumes its units,
and those do not come back to anyone.
"""

from __future__ import annotations

from datetime import timedelta

from engine.domain import commands as c
from engine.domain.inventory import Stock
from engine.service_layer.handlers import PipelineOptions
from tests.unit.pipeline.world import Engine, build


def _engine(allocated: int, options: PipelineOptions | None = None) -> Engine:
    # Orders wait to be released, as they do while they can still be cancelled or changed.
    engine = build({("A", "NJ"): (10, 0)}, options=options or PipelineOptions(auto_release=False))
    with engine.uow as uow:
        row = uow.stock.get(("A", "NJ"))
        assert row is not None
        row.channel_allocations["marketplace"] = allocated
        uow.commit()
    return engine


def _order(engine: Engine, channel: str, quantity: int, reference: str = "O-1") -> str:
    lines = (c.LineInput("A", quantity),)
    created = engine.bus.handle(
        c.CreateOrder(channel, reference, "c1", c.AddressInput("10001"), lines)
    )
    return str(created)


def _row(engine: Engine) -> Stock:
    with engine.uow as uow:
        row = uow.stock.get(("A", "NJ"))
        assert row is not None
        return row


def test_a_modified_then_cancelled_channel_order_leaves_its_allocation_whole() -> None:
    engine = _engine(allocated=5)
    order_id = _order(engine, "marketplace", 3)
    assert _row(engine).channel_allocations == {"marketplace": 2}

    engine.bus.handle(c.ModifyOrder(order_id, ship_to=c.AddressInput("10002")))
    assert _row(engine).channel_allocations == {"marketplace": 2}
    engine.bus.handle(c.CancelOrder(order_id, "changed their mind"))

    row = _row(engine)
    assert (row.reserved, row.channel_allocations) == (0, {"marketplace": 5})
    assert row.available_for("web") == 5


def test_a_reservation_gives_back_to_the_allocation_only_what_it_took_from_it() -> None:
    engine = _engine(allocated=2)
    order_id = _order(engine, "marketplace", 3)  # 2 fenced units and 1 from the pool
    with engine.uow as uow:
        [reservation] = uow.reservations.for_order(order_id)
        assert reservation.from_allocation == 2

    engine.bus.handle(c.CancelOrder(order_id, "no longer wanted"))

    assert _row(engine).channel_allocations == {"marketplace": 2}


def test_another_channels_reservation_gives_nothing_to_the_allocation() -> None:
    engine = _engine(allocated=5)
    order_id = _order(engine, "web", 4)
    engine.bus.handle(c.CancelOrder(order_id, "no longer wanted"))

    row = _row(engine)
    assert (row.reserved, row.channel_allocations) == (0, {"marketplace": 5})


def test_an_expired_channel_reservation_fences_its_units_again() -> None:
    options = PipelineOptions(auto_release=False, reservation_ttl=timedelta(minutes=30))
    engine = _engine(allocated=5, options=options)
    _order(engine, "marketplace", 4)
    engine.clock.advance(31)

    assert engine.bus.handle(c.ExpireReservations()) == 1

    row = _row(engine)
    assert (row.reserved, row.channel_allocations) == (0, {"marketplace": 5})


def test_a_shipped_channel_reservation_does_not_come_back_to_the_allocation() -> None:
    engine = _engine(allocated=5)
    order_id = _order(engine, "marketplace", 3)
    engine.bus.handle(c.ReleaseOrder(order_id))
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)
    engine.bus.handle(c.UpdateShipment(shipment.id, "shipped"))

    row = _row(engine)
    assert (row.on_hand, row.reserved, row.channel_allocations) == (7, 0, {"marketplace": 2})
