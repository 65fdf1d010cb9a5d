"""The `CancelBackordered` handler on the bus: what it cancels of a live order's remainder,
what it leaves alone (reservations, shipments, stock), the trace that keeps accounting for
every unit, the whole-order cancel pointing to it once the order is on its way, and the
scenario step that runs it."""

from __future__ import annotations

import pytest

from engine.domain import commands as c
from engine.domain import events
from engine.domain.errors import IllegalTransition
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.orders import LineStatus, OrderStatus
from engine.pipeline.decide import DeciderSettings
from engine.pipeline.scenarios import ScenarioError, check_scenarios
from engine.service_layer import backorders
from tests.unit.pipeline.world import Engine, build


def a_released_order_waiting_for(units: int, *more: c.LineInput) -> tuple[Engine, str]:
    """An order for 2 + `units` of A with 2 in stock at NJ: released, `units` backordered."""
    engine = build(
        {("A", "NJ"): (2, 0), ("B", "NJ"): (5, 0)}, settings=DeciderSettings(optimiser="greedy")
    )
    lines = (c.LineInput("A", 2 + units), *more)
    order_id = engine.bus.handle(c.CreateOrder("web", "W-1", "c1", c.AddressInput("10001"), lines))
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED
        assert backorders.remainder(uow, order) == {"1": units}
    engine.uow.committed_events.clear()
    return engine, str(order_id)


def ship_everything(engine: Engine, order_id: str) -> None:
    with engine.uow as uow:
        ids = [s.id for s in uow.shipments.for_order(order_id)]
    for shipment_id in ids:
        engine.bus.handle(c.UpdateShipment(shipment_id, "shipped"))


def test_the_remainder_is_cancelled_without_touching_what_was_reserved_or_shipped() -> None:
    engine, order_id = a_released_order_waiting_for(3)

    status = engine.bus.handle(c.CancelBackordered(order_id, "would not wait", None, "ann"))

    assert status == "released"
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        [line] = order.lines
        assert (line.status, line.quantity_cancelled) == (LineStatus.ALLOCATED, 3)
        reservations = uow.reservations.for_order(order_id)
        assert [(r.quantity, r.status) for r in reservations] == [(2, ReservationStatus.ACTIVE)]
        assert [s.status for s in uow.shipments.for_order(order_id)] == [ShipmentStatus.RELEASED]
        stock = uow.stock.get(("A", "NJ"))
        assert stock is not None and (stock.on_hand, stock.reserved) == (2, 2)
    assert engine.uow.committed_events == [
        events.OrderRemainderCancelled(order_id, {"1": 3}, "would not wait")
    ]


def test_the_latest_sourcing_trace_still_accounts_for_every_unit_after_a_reduction() -> None:
    engine, order_id = a_released_order_waiting_for(3)

    engine.bus.handle(c.CancelBackordered(order_id, "", {"1": 2}, "ann"))

    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        trace = backorders.latest_sourcing(uow, order_id)
        assert trace is not None and trace.outcome == "remainder_cancelled"
        assert trace.detail["reason"] == "remainder cancelled by ann"
        assert trace.detail["cancelled"] == {"1": 2}
        waiting = {b["line"]: b["quantity"] for b in trace.detail["backorders"]}
        placed = sum(item.quantity for s in uow.shipments.for_order(order_id) for item in s.lines)
        [line] = order.lines
        assert placed + waiting["1"] + line.quantity_cancelled == line.quantity == 5
        assert backorders.remainder(uow, order) == waiting == {"1": 1}


def test_an_order_whose_shipments_are_out_is_shipped_once_nothing_waits() -> None:
    engine, order_id = a_released_order_waiting_for(3, c.LineInput("B", 1))
    ship_everything(engine, order_id)
    engine.uow.committed_events.clear()

    assert engine.bus.handle(c.CancelBackordered(order_id, "would not wait")) == "shipped"

    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        assert [line.status for line in order.lines] == [LineStatus.SHIPPED, LineStatus.SHIPPED]
    assert engine.uow.committed_events[-1] == events.OrderStatusChanged(
        order_id, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, "would not wait"
    )


def test_the_units_left_waiting_ship_as_the_last_of_the_line() -> None:
    engine, order_id = a_released_order_waiting_for(3)
    engine.bus.handle(c.CancelBackordered(order_id, "", {"1": 1}))
    engine.bus.handle(c.AdjustStock("A", "NJ", 2))  # sources the 2 still waiting
    ship_everything(engine, order_id)

    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.SHIPPED
        [line] = order.lines
        assert (line.status, line.quantity_shipped, line.quantity_cancelled) == (
            LineStatus.SHIPPED,
            4,
            1,
        )


def test_cancelling_a_picked_order_whole_points_to_its_remainder_when_one_waits() -> None:
    engine, order_id = a_released_order_waiting_for(3)
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)
    engine.bus.handle(c.UpdateShipment(shipment.id, "picked"))

    with pytest.raises(IllegalTransition) as refused:
        engine.bus.handle(c.CancelOrder(order_id, "x"))

    assert "'picked' to 'cancelled'" in refused.value.message
    assert f"(POST /v1/orders/{order_id}/cancel-backordered)" in refused.value.message
    assert str(refused.value) == refused.value.message

    engine.bus.handle(c.CancelBackordered(order_id, "x"))
    with pytest.raises(IllegalTransition) as again:
        engine.bus.handle(c.CancelOrder(order_id, "x"))
    assert "cancel-backordered" not in again.value.message


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ({"2": 1.5}, "the units to cancel of line 2 must be a whole number of at least 1, got 1.5"),
        ({"2": 0}, "the units to cancel of line 2 must be a whole number of at least 1, got 0"),
        ([2], "cancel_backordered's `lines` maps line ids to the units to cancel, such as {2: 1}"),
    ],
)
def test_a_scenario_step_cancelling_units_no_one_can_mean_is_refused_before_it_runs(
    lines: object, message: str
) -> None:
    order = {"ship_to": "10001", "lines": [{"sku": "TSHIRT", "qty": 1}]}
    step = {"cancel_backordered": {"lines": lines}, "expect": {"status": "shipped"}}

    with pytest.raises(ScenarioError) as refused:
        check_scenarios([{"name": "x", "steps": [{"order": order}, step]}])

    assert refused.value.message == f"scenario 1 (x), step 2: {message}"
