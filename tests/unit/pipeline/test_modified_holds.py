"""A held order that is changed is decided again: its holds follow the new decision.

Regression: each modification of a held order placed its hold again beside the open one, and a
change that cleared the reason released the order with every hold still open (release-hold
then answered 409). An empty modification re-decided the order all the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain import commands as c
from engine.domain.errors import DomainError
from engine.domain.orders import NO_LONGER_APPLIES, Order, OrderStatus
from tests.unit.pipeline.world import Engine, build

# The shipped validation rules: more than 100 units of a line is BULK_QUANTITY, a total over
# 5000 USD is FRAUD_REVIEW (every product of this world costs 20.00).
SHIPPED = (Path(__file__).parents[3] / "rulesets" / "order_validation.ordo").read_text()


def _engine() -> Engine:
    return build({("A", "NJ"): (1000, 0), ("B", "NJ"): (1000, 0)}, rules=[SHIPPED])


def _create(engine: Engine, *quantities: int) -> str:
    lines = tuple(c.LineInput("AB"[n], quantity) for n, quantity in enumerate(quantities))
    order_id = engine.bus.handle(c.CreateOrder("web", "M-1", "c1", c.AddressInput("10001"), lines))
    return str(order_id)


def _order(engine: Engine, order_id: str) -> Order:
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return order


def _holds(order: Order) -> list[tuple[str, bool]]:
    return [(hold.code, hold.active) for hold in order.holds]


def test_a_held_order_changed_so_its_hold_no_longer_applies_goes_on_with_the_hold_released() -> (
    None
):
    engine = _engine()
    order_id = _create(engine, 101)
    engine.clock.advance(5)

    engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 2}))

    order = _order(engine, order_id)
    assert order.status is OrderStatus.RELEASED
    [hold] = order.holds
    assert (hold.code, hold.released_at, hold.released_by) == (
        "BULK_QUANTITY",
        engine.clock.now,
        NO_LONGER_APPLIES,
    )


def test_a_held_order_changed_but_held_again_for_the_same_reason_keeps_one_hold() -> None:
    engine = _engine()
    order_id = _create(engine, 101)
    placed = _order(engine, order_id).holds[0].placed_at

    engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 102}))
    engine.bus.handle(c.ModifyOrder(order_id, ship_to=c.AddressInput("10002")))

    order = _order(engine, order_id)
    assert order.status is OrderStatus.HELD
    assert _holds(order) == [("BULK_QUANTITY", True)]
    assert order.holds[0].placed_at == placed


def test_a_hold_whose_rule_still_matches_stays_open_when_another_rule_holds_the_order_first() -> (
    None
):
    engine = _engine()
    order_id = _create(engine, 101, 1)

    # 300 units of 20.00: FRAUD_REVIEW (its rule comes first) and BULK_QUANTITY both apply.
    engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 300}))
    assert _holds(_order(engine, order_id)) == [("BULK_QUANTITY", True), ("FRAUD_REVIEW", True)]

    engine.bus.handle(c.ModifyOrder(order_id, remove_lines=("1",)))

    order = _order(engine, order_id)
    assert order.status is OrderStatus.RELEASED
    assert order.active_holds == []
    assert {hold.released_by for hold in order.holds} == {NO_LONGER_APPLIES}


def test_a_hold_released_because_it_no_longer_applied_is_placed_again_when_it_applies_again() -> (
    None
):
    engine = _engine()
    order_id = _create(engine, 101)
    engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 300}))  # 6000 USD: and fraud
    engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 120}))  # 2400 USD: bulk only
    assert _holds(_order(engine, order_id)) == [("BULK_QUANTITY", True), ("FRAUD_REVIEW", False)]

    engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 300}))

    assert _holds(_order(engine, order_id)) == [
        ("BULK_QUANTITY", True),
        ("FRAUD_REVIEW", False),
        ("FRAUD_REVIEW", True),
    ]


def test_a_modification_that_changes_nothing_is_refused_and_the_order_stays_held() -> None:
    engine = _engine()
    order_id = _create(engine, 101)

    with pytest.raises(DomainError, match="nothing to change on order"):
        engine.bus.handle(c.ModifyOrder(order_id))

    order = _order(engine, order_id)
    assert (order.status, _holds(order)) == (OrderStatus.HELD, [("BULK_QUANTITY", True)])


def test_a_line_both_removed_and_given_a_new_quantity_is_refused_naming_the_line() -> None:
    engine = _engine()
    order_id = _create(engine, 101, 1)

    with pytest.raises(DomainError, match=r"line '1' of order .* cannot be both removed"):
        engine.bus.handle(c.ModifyOrder(order_id, quantities={"1": 2}, remove_lines=("1",)))

    assert [line.quantity for line in _order(engine, order_id).lines] == [101, 1]
