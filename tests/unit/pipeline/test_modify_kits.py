"""Support's modification adding whole kits to a kit's line, on the bus with fakes: Ordo filed
the shop's line `7` (3 GIFTSETs of a MUG and 2 TEAs) as its parts `7.1`, `7.2`, and
`ModifyOrder.kits` raises the line to more kits, each part by its units per kit for each kit
added and the kit's shape with it, so kits cancelled before still count as cancelled; kits
that would lower the line, a line that is no kit's line, and a part also given a quantity
are refused at `$.kits.<line>`."""

from __future__ import annotations

import pytest

from engine.domain import commands as c
from engine.domain import events
from engine.domain.kits import kit_parts, kits_cancelled
from engine.domain.orders import InvalidLine, KitShape, Order
from tests.unit.pipeline.test_channel_kit_unit_cancellations import GIFT_SET, a_kit_order, parts_of
from tests.unit.pipeline.world import Engine


def order_of(engine: Engine, order_id: str) -> Order:
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return order


def shapes(engine: Engine, order_id: str) -> dict[str, KitShape | None]:
    return {line.id: line.kit for line in order_of(engine, order_id).lines}


def test_kits_raise_each_part_by_its_units_per_kit_and_the_kits_its_shape_keeps() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)

    engine.bus.handle(c.ModifyOrder(order_id, kits={"7": 5}, actor="support"))

    assert parts_of(engine, order_id) == {"7.1": (5, 0), "7.2": (10, 0)}
    assert shapes(engine, order_id) == {"7.1": KitShape("KIT", 1, 5), "7.2": KitShape("KIT", 2, 5)}
    [modified] = [e for e in engine.uow.committed_events if isinstance(e, events.OrderModified)]
    assert modified.changes["kits"] == {"7": [3, 5]}
    assert modified.changes["lines.7.2.quantity"] == [6, 10]


def test_kits_added_after_a_kit_was_taken_off_leave_that_kit_counted_as_cancelled() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)
    engine.bus.handle(c.ModifyOrder(order_id, quantities={"7.1": 2, "7.2": 4}, actor="support"))

    engine.bus.handle(c.ModifyOrder(order_id, kits={"7": 4}, actor="support"))

    assert parts_of(engine, order_id) == {"7.1": (3, 0), "7.2": (6, 0)}
    # 4 ordered, 3 live: the kit the shop was told of stays cancelled, none is told again.
    [parts] = kit_parts(order_of(engine, order_id).lines).values()
    assert kits_cancelled(parts, 4) == 1


def test_kits_no_more_than_the_line_ordered_are_refused_at_their_path() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)

    with pytest.raises(InvalidLine) as refused:
        engine.bus.handle(c.ModifyOrder(order_id, kits={"7": 3}, actor="support"))

    assert refused.value.loc == ("kits", "7")
    assert "ordered 3 kits: kits raises it to more, got 3" in refused.value.reason
    assert parts_of(engine, order_id) == {"7.1": (3, 0), "7.2": (6, 0)}


def test_kits_for_a_line_that_is_no_kits_line_are_refused_naming_the_kit_lines() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3, more=c.LineInput("A", 1, line_id="8"))

    with pytest.raises(InvalidLine) as refused:
        engine.bus.handle(c.ModifyOrder(order_id, kits={"8": 2}, actor="support"))

    assert refused.value.loc == ("kits", "8")
    assert "has no kit line '8' whose shape Ordo keeps (its kit lines are 7)" in str(refused.value)


def test_kits_beside_a_quantity_for_one_of_the_kits_parts_are_refused() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)

    with pytest.raises(InvalidLine) as refused:
        engine.bus.handle(
            c.ModifyOrder(order_id, quantities={"7.2": 7}, kits={"7": 4}, actor="support")
        )

    assert "part(s) 7.2 of kit line '7' cannot be given kits and a quantity" in refused.value.reason
    assert parts_of(engine, order_id) == {"7.1": (3, 0), "7.2": (6, 0)}
