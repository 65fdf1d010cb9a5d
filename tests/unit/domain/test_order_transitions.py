"""Every move of the order lifecycle, legal or not, over the full status matrix."""

from __future__ import annotations

import itertools

import pytest

from engine.domain.errors import IllegalTransition
from engine.domain.events import OrderStatusChanged
from engine.domain.orders import MODIFIABLE, TERMINAL, TRANSITIONS, OrderStatus
from tests.support.builders import a_plain_order

S = OrderStatus
PAIRS = list(itertools.product(OrderStatus, OrderStatus))
LEGAL = [(a, b) for a, b in PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in PAIRS if b not in TRANSITIONS[a]]


def _ids(pairs: list[tuple[OrderStatus, OrderStatus]]) -> list[str]:
    return [f"{a}->{b}" for a, b in pairs]


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=_ids(LEGAL))
def test_a_legal_move_changes_the_status_bumps_the_version_and_records_an_event(
    current: OrderStatus, target: OrderStatus
) -> None:
    order = a_plain_order(1, status=current, version=4)

    order.transition(target, "because")

    assert order.status is target
    assert order.version == 5
    assert order.events == [OrderStatusChanged(order.id, current, target, "because")]


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=_ids(ILLEGAL))
def test_an_illegal_move_is_refused_naming_both_states_and_changes_nothing(
    current: OrderStatus, target: OrderStatus
) -> None:
    order = a_plain_order(1, status=current, version=4)

    with pytest.raises(IllegalTransition) as refused:
        order.transition(target)

    assert f"'{current}'" in refused.value.message and f"'{target}'" in refused.value.message
    assert (order.status, order.version, order.events) == (current, 4, [])


def test_the_matrix_covers_every_status_as_a_source() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    assert len(LEGAL) + len(ILLEGAL) == len(OrderStatus) ** 2


def test_only_delivered_rejected_and_cancelled_orders_are_final() -> None:
    final = {S.DELIVERED, S.REJECTED, S.CANCELLED}
    assert final == TERMINAL


def test_nothing_moves_backwards_once_an_order_is_picked() -> None:
    after_pick = {S.PICKED, S.PACKED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED}
    for status in after_pick:
        assert TRANSITIONS[status] <= after_pick, status


def test_a_released_order_moves_back_only_to_be_cancelled_or_decided_again() -> None:
    after_release = {S.PICKED, S.PACKED, S.PARTIALLY_SHIPPED, S.SHIPPED}
    assert TRANSITIONS[S.RELEASED] == after_release | {S.CANCELLED, S.RECEIVED}


def test_an_order_can_be_cancelled_exactly_until_it_is_picked() -> None:
    cancellable = {status for status, moves in TRANSITIONS.items() if S.CANCELLED in moves}
    assert cancellable == {
        S.RECEIVED, S.HELD, S.VALIDATED, S.SOURCED, S.BACKORDERED, S.PREORDERED,
        S.RESERVED, S.CARRIER_ASSIGNED, S.RELEASED,
    }  # fmt: skip


def test_an_order_can_be_modified_exactly_when_it_can_be_cancelled() -> None:
    cancellable = {status for status, moves in TRANSITIONS.items() if S.CANCELLED in moves}
    assert cancellable == MODIFIABLE
