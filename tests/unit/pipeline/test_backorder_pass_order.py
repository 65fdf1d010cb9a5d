"""The backorder pass decides the orders it can now fill itself, in rank order, in its own
transaction: an order decided between the pass and the order's own event (a new order, or one
on another worker) cannot take the units the pass counted that order on."""

from __future__ import annotations

from engine.domain import commands as c
from engine.domain.inventory import Stock
from engine.service_layer import backorders
from tests.unit.pipeline.world import Engine, build


def _order(engine: Engine, number: str, quantity: int) -> str:
    return str(
        engine.bus.handle(
            c.CreateOrder(
                "web", number, "c1", c.AddressInput("10001"), (c.LineInput("A", quantity),)
            )
        )
    )


def _serve_without_events(engine: Engine, sku: str, on_hand: int) -> None:
    """Stock of `sku` lands at NJ and the pass runs, with no event dispatched after it."""
    uow = engine.uow
    with uow:
        uow.stock.add(Stock(sku, "NJ", on_hand=on_hand))
        uow.commit()
    deps = engine.bus.dependencies
    backorders.serve(uow, deps["decider"], engine.clock, deps["options"], sku, f"{sku} arrived")


def test_a_backordered_order_the_pass_can_fill_holds_its_units_when_the_pass_ends() -> None:
    engine = build({})
    first = _order(engine, "W-1", 2)
    engine.clock.advance(1)  # older first: without it the rank falls to the random order ids
    second = _order(engine, "W-2", 2)
    _serve_without_events(engine, "A", 3)

    with engine.uow as uow:
        orders = {o: uow.orders.get(o) for o in (first, second)}
        held = {r.order_id: r.quantity for r in uow.reservations.for_order(first)}
    assert {o: str(order.status) for o, order in orders.items() if order} == {
        first: "released",
        second: "backordered",
    }
    assert held == {first: 2}


def test_an_order_decided_before_the_passs_events_cannot_take_the_units_the_pass_gave() -> None:
    engine = build({})
    waiting = _order(engine, "W-1", 2)
    _serve_without_events(engine, "A", 2)
    newcomer = _order(engine, "W-2", 2)  # decided at once, before anything else is handled

    with engine.uow as uow:
        statuses = {o: str(uow.orders.get(o).status) for o in (waiting, newcomer)}  # type: ignore[union-attr]
    assert statuses == {waiting: "released", newcomer: "backordered"}
