"""Whether an order can still be cancelled or modified: until fulfilment starts, which is when
a location picks. Released with every shipment still released, it can; once one is picked (or
further on) it cannot, and the refusal names that shipment and what can still be done. A
shipment cancelled with its order carries the order's reason and has its label voided."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.domain import events
from engine.domain.errors import IllegalTransition
from engine.domain.fulfilment import (
    FulfillmentOrder,
    ShipmentLine,
    ShipmentStatus,
    check_changeable,
)
from engine.domain.orders import LineStatus, Order, OrderLine, OrderStatus
from tests.support.builders import a_plain_order, a_shipment, at

S = OrderStatus
SH = ShipmentStatus


def a_released_order(status: OrderStatus = S.RELEASED, backordered: bool = False) -> Order:
    lines = [OrderLine("L1", "SKU-1", 2, Decimal("10"), status=LineStatus.ALLOCATED)]
    if backordered:
        lines.append(OrderLine("L2", "SKU-2", 3, Decimal("5"), status=LineStatus.BACKORDERED))
    return a_plain_order(1, status=status, lines=lines)


def shipments(*statuses: ShipmentStatus) -> list[FulfillmentOrder]:
    """Shipments F-1, F-2, ... of order O-1 in these statuses, at RNO-02 and DAL-01 in turn."""
    return [
        a_shipment(
            id=f"F-{n}",
            order_id="O-1",
            location_code=("DAL-01", "RNO-02")[n % 2],
            lines=[ShipmentLine("L1", "SKU-1", 1)],
            status=status,
            shipped_at=None,
            tracking=[],
        )
        for n, status in enumerate(statuses, start=1)
    ]


@pytest.mark.parametrize("change", ["cancelled", "modified"])
def test_a_released_order_whose_shipments_are_all_released_can_be_changed(change: str) -> None:
    check_changeable(a_released_order(), shipments(SH.RELEASED, SH.RELEASED), change)


def test_a_shipment_a_short_pick_cancelled_does_not_stop_the_change() -> None:
    check_changeable(a_released_order(), shipments(SH.CANCELLED, SH.RELEASED), "cancelled")


def test_an_order_before_release_is_changed_as_it_always_was() -> None:
    order = a_released_order(S.CARRIER_ASSIGNED)
    check_changeable(order, shipments(SH.PENDING), "modified")


def test_an_order_with_a_picked_shipment_is_refused_naming_it_and_the_return() -> None:
    order = a_released_order(S.PICKED)

    with pytest.raises(IllegalTransition) as refused:
        check_changeable(order, shipments(SH.RELEASED, SH.PICKED), "cancelled")

    message = refused.value.message
    assert message.startswith("order O-1 cannot go from 'picked' to 'cancelled'; ")
    assert "shipment F-2 at DAL-01 is already picked, so its fulfilment has started" in message
    assert "F-1" not in message  # the released one is not why
    assert "comes back as a return once delivered (POST /v1/orders/O-1/returns)" in message
    assert "cancel-backordered" not in message  # nothing waits for stock


def test_a_released_order_one_of_whose_shipments_is_picked_is_refused_too() -> None:
    order = a_released_order(S.RELEASED)

    with pytest.raises(IllegalTransition) as refused:
        check_changeable(order, shipments(SH.PICKED, SH.RELEASED), "modified")

    assert "'released' to 'modified'" in refused.value.message
    assert "shipment F-1 at RNO-02 is already picked" in refused.value.message


def test_a_refusal_points_to_the_remainder_when_some_of_the_order_waits_for_stock() -> None:
    order = a_released_order(S.PACKED, backordered=True)

    with pytest.raises(IllegalTransition) as refused:
        check_changeable(order, shipments(SH.PACKED), "cancelled")

    message = refused.value.message
    assert "shipment F-1 at RNO-02 is already packed" in message
    assert "wait for stock can still be cancelled (POST /v1/orders/O-1/cancel-backordered)" in (
        message
    )


def test_every_shipment_already_worked_is_named() -> None:
    order = a_released_order(S.PARTIALLY_SHIPPED)

    with pytest.raises(IllegalTransition) as refused:
        check_changeable(order, shipments(SH.SHIPPED, SH.PICKED), "cancelled")

    assert (
        "shipment F-1 at RNO-02 is already shipped, shipment F-2 at DAL-01 is already picked"
        in refused.value.message
    )


def test_a_finished_order_is_refused_without_a_hint() -> None:
    order = a_released_order(S.CANCELLED)

    with pytest.raises(IllegalTransition) as refused:
        check_changeable(order, shipments(SH.CANCELLED), "cancelled")

    assert refused.value.message == "order O-1 cannot go from 'cancelled' to 'cancelled'"


def test_a_released_order_moves_to_cancelled_or_back_to_received() -> None:
    cancelled, modified = a_released_order(), a_released_order()

    cancelled.cancel("customer asked")
    modified.modify(quantities={"L1": 1})

    assert (cancelled.status, cancelled.lines[0].status) == (S.CANCELLED, LineStatus.CANCELLED)
    assert (modified.status, modified.lines[0].quantity) == (S.RECEIVED, 1)


@pytest.mark.parametrize("status", [SH.PENDING, SH.RELEASED])
def test_a_shipment_cancelled_with_its_order_carries_the_reason_and_its_label_is_void(
    status: ShipmentStatus,
) -> None:
    [shipment] = shipments(status)
    shipment.label_format = "pdf"

    voided = shipment.cancel_with_order("order O-1 cancelled: customer asked", at(9))

    assert voided is True
    assert (shipment.status, shipment.label_format) == (SH.CANCELLED, "")
    assert shipment.tracking_number == "1Z999"  # issued by the carrier: kept for the record
    assert shipment.events == [
        events.ShipmentStatusChanged(
            "F-1", "O-1", "RNO-02", status, SH.CANCELLED, "ups", "1Z999",
            "order O-1 cancelled: customer asked",
        ),
        events.ShipmentLabelVoided(
            "F-1", "O-1", "RNO-02", "ups", ["1Z999"], "order O-1 cancelled: customer asked"
        ),
    ]  # fmt: skip


def test_a_shipment_without_a_label_has_none_to_void() -> None:
    [shipment] = shipments(SH.RELEASED)
    shipment.label_format = ""

    assert shipment.cancel_with_order("order O-1 cancelled", at(9)) is False


@pytest.mark.parametrize("status", [SH.PICKED, SH.PACKED, SH.SHIPPED, SH.CANCELLED])
def test_a_shipment_its_location_has_started_on_is_not_cancelled_with_its_order(
    status: ShipmentStatus,
) -> None:
    [shipment] = shipments(status)

    with pytest.raises(IllegalTransition, match=f"'{status}' to 'cancelled'"):
        shipment.cancel_with_order("order O-1 cancelled", at(9))

    assert (shipment.status, shipment.events, shipment.label_format) == (status, [], "zpl")


def test_a_status_report_still_cannot_cancel_a_released_shipment() -> None:
    [shipment] = shipments(SH.RELEASED)

    with pytest.raises(IllegalTransition):
        shipment.move(SH.CANCELLED, at(9))


def test_a_removed_line_says_how_many_units_it_still_had_to_send() -> None:
    kept = OrderLine(id="L1", sku="SKU-1", quantity=1, price=Decimal("10"))
    removed = OrderLine(id="L2", sku="SKU-2", quantity=5, price=Decimal("10"))
    removed.quantity_cancelled = 2  # of its remainder, cancelled before
    order = a_plain_order(1, lines=[kept, removed])

    changes = order.modify(remove_lines=["L2"])

    assert changes["removed_lines"] == ["L2"]
    assert changes["removed_units"] == {"L2": 3}
