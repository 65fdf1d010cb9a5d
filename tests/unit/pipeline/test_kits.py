"""Kits: an order line naming a kit is sourced, reserved and shipped as the kit's components.

A kit has no stock of its own, so before this an order for one found nothing to reserve.
"""

from __future__ import annotations

from decimal import Decimal

from engine.domain import commands as c
from engine.domain.catalog import Product
from engine.domain.inventory import ReservationStatus
from engine.domain.orders import Order, OrderStatus
from tests.unit.pipeline.world import Engine, build

HOLD_ALL = (
    "validation ruleset gate on order.received policy first\n"
    'rule "check" when true then hold code "CHECK" message "check first"\n'
)


def _with_kit(engine: Engine, price: str, components: dict[str, int]) -> None:
    with engine.uow as uow:
        uow.products.add(
            Product("KIT", "Kit", Decimal(price), weight_kg=3.0, kit_components=components)
        )
        uow.commit()


def _order_for(engine: Engine, *lines: c.LineInput) -> Order:
    order_id = engine.bus.handle(
        c.CreateOrder("web", "K-1", "c1", c.AddressInput("10001"), tuple(lines))
    )
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return order


def test_an_order_for_two_kits_reserves_and_releases_their_components() -> None:
    engine = build({("A", "NJ"): (10, 0), ("B", "NJ"): (10, 0)})
    _with_kit(engine, "45.00", {"A": 1, "B": 2})

    order = _order_for(engine, c.LineInput("KIT", 2))

    assert order.status is OrderStatus.RELEASED
    assert [(line.id, line.sku, line.quantity) for line in order.lines] == [
        ("1.1", "A", 2),
        ("1.2", "B", 4),
    ]
    with engine.uow as uow:
        reserved = {
            (r.sku, r.location_code): r.quantity
            for r in uow.reservations.for_order(order.id)
            if r.status is ReservationStatus.ACTIVE
        }
    assert reserved == {("A", "NJ"): 2, ("B", "NJ"): 4}


def test_a_kit_price_that_does_not_split_into_cents_still_totals_the_kit_price() -> None:
    engine = build({("A", "NJ"): (10, 0), ("B", "NJ"): (10, 0), ("C", "NJ"): (10, 0)})
    _with_kit(engine, "50.00", {"A": 1, "B": 1, "C": 1})

    order = _order_for(engine, c.LineInput("KIT", 3))

    assert order.total == Decimal("150.00")
    assert sorted(line.price for line in order.lines) == [
        Decimal("16.66"),
        Decimal("16.67"),
        Decimal("16.67"),
    ]


def test_a_plain_line_beside_a_kit_keeps_its_number_and_price() -> None:
    engine = build({("A", "NJ"): (10, 0), ("B", "NJ"): (10, 0), ("C", "NJ"): (10, 0)})
    _with_kit(engine, "45.00", {"A": 1, "B": 2})

    order = _order_for(engine, c.LineInput("KIT", 1), c.LineInput("C", 1))

    assert [(line.id, line.sku, line.price) for line in order.lines] == [
        ("1.1", "A", Decimal("15.00")),
        ("1.2", "B", Decimal("15.00")),
        ("2", "C", Decimal("20.00")),
    ]


def test_a_kit_added_to_an_order_with_a_kit_gets_new_line_numbers() -> None:
    engine = build({("A", "NJ"): (10, 0), ("B", "NJ"): (10, 0)}, rules=[HOLD_ALL])
    _with_kit(engine, "45.00", {"A": 1, "B": 2})
    order = _order_for(engine, c.LineInput("KIT", 1))
    assert order.status is OrderStatus.HELD

    engine.bus.handle(c.ModifyOrder(order.id, add_lines=(c.LineInput("KIT", 1),)))

    with engine.uow as uow:
        modified = uow.orders.get(order.id)
        assert modified is not None
    assert [line.id for line in modified.lines] == ["1.1", "1.2", "2.1", "2.2"]
