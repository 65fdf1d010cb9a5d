"""Cancelling units of the backordered remainder of an order on its way: which units may go,
where a line with nothing left waiting stands, and what is refused (changing nothing)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.domain import events
from engine.domain.errors import Conflict
from engine.domain.orders import InvalidLine, LineStatus, Order, OrderLine, OrderStatus
from tests.support.builders import an_order

S = OrderStatus
B = LineStatus.BACKORDERED


def on_its_way(*lines: OrderLine, status: OrderStatus = S.PARTIALLY_SHIPPED) -> Order:
    order = an_order(status=status, lines=list(lines))
    order.events.clear()
    return order


def line(line_id: str, quantity: int, status: LineStatus = B, shipped: int = 0) -> OrderLine:
    return OrderLine(line_id, "A", quantity, Decimal("1"), status, quantity_shipped=shipped)


def test_every_unit_that_waits_is_cancelled_when_no_lines_are_named() -> None:
    # Line 1: 2 of its 5 units placed and shipped, 3 wait. Line 2: nothing of it placed.
    order = on_its_way(line("1", 5, shipped=2), line("2", 1), line("3", 2, LineStatus.ALLOCATED))

    cancelled = order.cancel_backordered(None, {"1": 3, "2": 1}, "would not wait")

    assert cancelled == {"1": 3, "2": 1}
    assert [(ln.status, ln.quantity_cancelled) for ln in order.lines] == [
        (LineStatus.SHIPPED, 3),
        (LineStatus.CANCELLED, 1),
        (LineStatus.ALLOCATED, 0),
    ]
    assert order.events == [events.OrderRemainderCancelled(order.id, cancelled, "would not wait")]
    assert order.status is S.PARTIALLY_SHIPPED  # where it goes next is its shipments' to say


def test_a_line_whose_placed_units_have_not_all_shipped_is_allocated_once_nothing_waits() -> None:
    order = on_its_way(line("1", 5, shipped=1), status=S.RELEASED)

    order.cancel_backordered({"1": 2}, {"1": 2}, "")

    assert (order.lines[0].status, order.lines[0].quantity_cancelled) == (LineStatus.ALLOCATED, 2)


def test_part_of_a_remainder_is_cancelled_and_the_line_still_waits_for_the_rest() -> None:
    order = on_its_way(line("1", 5))

    order.cancel_backordered({"1": 2}, {"1": 3}, "")

    assert (order.lines[0].status, order.lines[0].quantity_cancelled) == (B, 2)


def test_an_order_with_nothing_placed_left_is_cancelled_when_its_status_allows() -> None:
    # Not a path the handlers take (an order on its way holds a shipment), but the state
    # machine is kept: every line cancelled is a cancelled order.
    order = on_its_way(line("1", 2), status=S.RESERVED)

    order.cancel_backordered(None, {"1": 2}, "would not wait")

    assert order.status is S.CANCELLED
    assert isinstance(order.events[-1], events.OrderCancelled)


@pytest.mark.parametrize(
    ("units", "path", "words"),
    [
        ({"9": 1}, ("lines", "9"), "order O-1 has no line '9' (the lines waiting for stock are 1)"),
        ({"2": 1}, ("lines", "2"), "line '2' is 'allocated', not backordered"),
        ({"1": 4}, ("lines", "1"), "only 3 unit(s) of line '1' wait for stock; 4 cannot be"),
        ({"1": 0}, ("lines", "1"), "units to cancel must be at least 1, got 0"),
        ({"1": 1, "3": 1}, ("lines", "3"), "every unit of line '3' is in a shipment"),
        ({}, ("lines",), "names no line"),
    ],
)
def test_a_line_that_cannot_give_the_units_is_refused_at_its_path_and_nothing_changes(
    units: dict[str, int], path: tuple[str, ...], words: str
) -> None:
    order = on_its_way(line("1", 5), line("2", 1, LineStatus.ALLOCATED), line("3", 2))
    before = [(ln.status, ln.quantity_cancelled) for ln in order.lines]

    with pytest.raises(InvalidLine) as refused:
        order.cancel_backordered(units, {"1": 3}, "")

    assert refused.value.loc == path
    assert words in refused.value.message
    assert [(ln.status, ln.quantity_cancelled) for ln in order.lines] == before
    assert order.events == []


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (S.BACKORDERED, "cancelled instead (POST /v1/orders/O-1/cancel)"),
        (S.HELD, "cancelled instead (POST /v1/orders/O-1/cancel)"),
        (S.SHIPPED, "nothing of it waits for stock any more"),
        (S.CANCELLED, "nothing of it waits for stock any more"),
    ],
)
def test_an_order_not_on_its_way_is_refused_naming_its_status(
    status: OrderStatus, words: str
) -> None:
    order = on_its_way(line("1", 2), status=status)

    with pytest.raises(Conflict) as refused:
        order.cancel_backordered(None, {"1": 2}, "")

    assert f"order O-1 is '{status}'" in refused.value.message
    assert words in refused.value.message
    assert order.lines[0].quantity_cancelled == 0


def test_an_order_on_its_way_with_nothing_waiting_has_nothing_to_cancel() -> None:
    order = on_its_way(line("1", 2, LineStatus.ALLOCATED), status=S.RELEASED)

    with pytest.raises(Conflict, match="no backordered units waiting for stock"):
        order.cancel_backordered(None, {}, "")
