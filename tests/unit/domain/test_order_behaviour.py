"""Holds, rejection, cancellation and modification of an order, and its derived values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.domain import events
from engine.domain.errors import DomainError, IllegalTransition, InvalidQuantity
from engine.domain.orders import (
    NO_LONGER_APPLIES,
    InvalidLine,
    LineStatus,
    OrderLine,
    OrderStatus,
    check_line_ids,
)
from tests.support.builders import a_plain_order, an_address, an_order, at

S = OrderStatus


def test_a_hold_moves_the_order_to_held_and_remembers_why() -> None:
    order = a_plain_order(1)

    order.hold("fraud", "score 91", at(1))

    assert order.status is S.HELD
    assert [(h.code, h.message, h.active) for h in order.active_holds] == [
        ("fraud", "score 91", True)
    ]
    assert order.events[-1] == events.OrderHeld(order.id, "fraud", "score 91")


def test_releasing_holds_clears_them_all_and_sends_the_order_back_to_the_start() -> None:
    order = a_plain_order(1)
    order.hold("fraud", "", at(1))
    order.holds.append(type(order.holds[0])(code="address", placed_at=at(2)))

    order.release_holds("sam", at(3))

    assert order.status is S.RECEIVED
    assert order.active_holds == []
    assert {(h.released_by, h.released_at) for h in order.holds} == {("sam", at(3))}


def test_holding_again_for_a_code_still_open_keeps_one_hold_with_the_new_message() -> None:
    order = a_plain_order(1)
    order.hold("fraud", "total 6000", at(1))
    order.modify(quantities={"L1": 3})

    order.hold("fraud", "total 9000", at(2))

    assert order.status is S.HELD
    assert [(h.code, h.message, h.placed_at) for h in order.holds] == [
        ("fraud", "total 9000", at(1))
    ]


def test_holds_a_new_decision_does_not_place_are_released_saying_why_but_not_waived() -> None:
    order = a_plain_order(1)
    order.hold("fraud", "", at(1))
    order.holds.append(type(order.holds[0])(code="bulk", placed_at=at(1)))

    released = order.release_holds_not_placed({"bulk"}, at(2))

    assert [h.code for h in released] == ["fraud"]
    assert [(h.code, h.released_at, h.released_by) for h in order.holds] == [
        ("fraud", at(2), NO_LONGER_APPLIES),
        ("bulk", None, ""),
    ]
    assert not order.holds[0].waived


def test_holds_cannot_be_released_on_an_order_that_is_not_held() -> None:
    order = a_plain_order(1, status=S.VALIDATED)

    with pytest.raises(IllegalTransition, match="hold released"):
        order.release_holds("sam", at(3))


def test_a_shipped_order_cannot_be_held() -> None:
    with pytest.raises(IllegalTransition):
        a_plain_order(1, status=S.SHIPPED).hold("fraud", "", at(1))


def test_rejecting_records_the_reason_code_and_message() -> None:
    order = a_plain_order(1)

    order.reject("bad_address", "postal code 00000 does not exist")

    assert order.status is S.REJECTED
    assert order.events[-1] == events.OrderRejected(
        order.id, "bad_address", "postal code 00000 does not exist"
    )


def test_cancelling_cancels_every_unshipped_quantity() -> None:
    order = an_order(
        status=S.RESERVED,
        lines=[
            OrderLine("L1", "A", 3, Decimal("1"), quantity_shipped=1),
            OrderLine("L2", "B", 2, Decimal("1"), status=LineStatus.SHIPPED, quantity_shipped=2),
        ],
    )

    order.cancel("customer asked")

    assert order.status is S.CANCELLED
    first, second = order.lines
    assert (first.status, first.quantity_cancelled) == (LineStatus.CANCELLED, 2)
    assert (second.status, second.quantity_cancelled) == (LineStatus.SHIPPED, 0)
    assert order.events[-1] == events.OrderCancelled(order.id, "customer asked")


def test_a_picked_order_cannot_be_cancelled() -> None:
    order = a_plain_order(1, status=S.PICKED)

    with pytest.raises(IllegalTransition, match="'picked' to 'cancelled'"):
        order.cancel("too late")
    assert order.lines[0].status is LineStatus.OPEN


def test_modifying_quantities_and_address_sends_the_order_back_to_received() -> None:
    order = an_order(status=S.RESERVED)
    new_address = an_address(postal_code="10001", city="New York")

    changes = order.modify(quantities={"L1": 5}, ship_to=new_address)

    assert order.status is S.RECEIVED
    assert order.line("L1").quantity == 5
    assert order.ship_to == new_address
    assert all(line.status is LineStatus.OPEN for line in order.lines)
    assert changes == {"lines.L1.quantity": [2, 5], "ship_to": "10001"}
    assert order.events[-1] == events.OrderModified(order.id, changes)


def test_a_received_order_is_modified_in_place_without_a_status_change() -> None:
    order = a_plain_order(1)

    order.modify(add_lines=[OrderLine("L2", "B", 1, Decimal("2"))])

    assert order.status is S.RECEIVED
    assert [type(e) for e in order.events] == [events.OrderModified]
    assert [line.id for line in order.lines] == ["L1", "L2"]


def test_removing_lines_keeps_the_others() -> None:
    order = an_order(status=S.VALIDATED)

    order.modify(remove_lines=["L1"])

    assert [line.id for line in order.lines] == ["L2"]


def test_removing_every_line_is_refused_with_advice_to_cancel() -> None:
    order = an_order(status=S.VALIDATED)

    with pytest.raises(DomainError, match="cancel it instead"):
        order.modify(remove_lines=["L1", "L2"])
    assert len(order.lines) == 2


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_modified_quantity_must_be_positive(quantity: int) -> None:
    with pytest.raises(InvalidQuantity, match="L1"):
        an_order(status=S.VALIDATED).modify(quantities={"L1": quantity})


def test_a_modification_that_changes_nothing_is_refused() -> None:
    order = an_order(status=S.HELD)

    with pytest.raises(DomainError, match="nothing to change"):
        order.modify(quantities={}, remove_lines=[])
    assert order.status is S.HELD


def test_a_line_cannot_be_both_removed_and_given_a_new_quantity() -> None:
    order = an_order(status=S.VALIDATED)

    with pytest.raises(DomainError, match=r"line 'L1' .* cannot be both removed"):
        order.modify(quantities={"L1": 5, "L2": 1}, remove_lines=["L1"])
    assert [(line.id, line.quantity) for line in order.lines] == [("L1", 2), ("L2", 1)]


def test_modifying_an_unknown_line_names_it() -> None:
    with pytest.raises(DomainError, match="no line 'L9'"):
        an_order(status=S.VALIDATED).modify(quantities={"L9": 1})


def test_an_added_line_under_an_id_the_order_has_is_refused_before_anything_changes() -> None:
    order = an_order(status=S.VALIDATED)

    with pytest.raises(DomainError, match="already has a line 'L1'"):
        order.modify(quantities={"L2": 4}, add_lines=[OrderLine("L1", "C", 1, Decimal("2"))])
    assert [(line.id, line.quantity) for line in order.lines] == [("L1", 2), ("L2", 1)]
    assert order.status is S.VALIDATED


def test_two_added_lines_under_one_id_are_refused() -> None:
    order = an_order(status=S.VALIDATED)
    twice = [OrderLine("L3", "C", 1, Decimal("2")), OrderLine("L3", "D", 1, Decimal("2"))]

    with pytest.raises(DomainError, match="already has a line 'L3'"):
        order.modify(add_lines=twice)
    assert [line.id for line in order.lines] == ["L1", "L2"]


@pytest.mark.parametrize(
    ("ids", "taken", "index", "reason"),
    [
        (["1"], {"1"}, 0, "line id '1' is already a line of this order"),
        ([None, "A", "A"], set(), 2, "line id 'A' is already used by add_lines[1]"),
    ],
)
def test_a_line_id_already_taken_is_refused_at_its_path(
    ids: list[str | None], taken: set[str], index: int, reason: str
) -> None:
    with pytest.raises(InvalidLine) as refused:
        check_line_ids(ids, taken, "add_lines")

    assert refused.value.loc == ("add_lines", index, "line_id")
    assert refused.value.message.startswith(f"$.add_lines[{index}].line_id: {reason}; ")


def test_line_ids_nobody_took_pass() -> None:
    check_line_ids([None, "A", "B", None], {"1", "2"}, "lines")


@pytest.mark.parametrize("status", [S.PICKED, S.SHIPPED, S.DELIVERED, S.CANCELLED])
def test_an_order_past_its_pick_or_finished_cannot_be_modified(status: OrderStatus) -> None:
    order = an_order(status=status)

    with pytest.raises(IllegalTransition, match="modified"):
        order.modify(quantities={"L1": 1})
    assert order.line("L1").quantity == 2


def test_the_total_is_the_sum_of_line_amounts_in_cents() -> None:
    order = an_order(
        lines=[
            OrderLine("L1", "A", 3, Decimal("0.335")),
            OrderLine("L2", "B", 1, Decimal("10")),
        ]
    )

    assert order.total == Decimal("11.01")


def test_an_order_without_lines_is_refused() -> None:
    with pytest.raises(DomainError, match="has no lines"):
        an_order(lines=[])


@pytest.mark.parametrize("quantity", [0, -2])
def test_a_line_must_have_a_positive_quantity(quantity: int) -> None:
    with pytest.raises(InvalidQuantity, match="line L1"):
        OrderLine("L1", "A", quantity, Decimal("1"))
