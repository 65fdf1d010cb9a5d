"""Properties of the pipeline for random stock, orders and rulesets.

Whatever the input: every ordered unit is allocated, backordered or cancelled (never lost or
doubled); no location ever promises below zero available; a cancelled order holds nothing.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.domain import commands as c
from engine.domain.errors import DomainError
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.orders import OrderStatus
from engine.pipeline.decide import DeciderSettings
from tests.unit.pipeline.world import LOCATIONS, SKUS, build

RULESETS = {
    "none": [],
    "no_split": [
        "sourcing ruleset s on order.received policy best_score\n"
        'rule "never split" when true then max_shipments 1\n'
    ],
    "hold_short": [
        "sourcing ruleset s on order.received policy best_score\n"
        'rule "hold shortages" when order.units > 10 then fallback hold\n'
    ],
    "fences": [
        "reservation ruleset r on order.received policy all\n"
        'rule "marketplace share" when line.sku == "A" then allocate 30 percent to channel '
        '"marketplace"\n'
        'rule "keep one" when true then safety_stock 1 where location.code == "NJ"\n'
    ],
    "review": [
        "validation ruleset v on order.received policy all\n"
        'rule "review big" when order.units > 25 then hold code "review" message "big"\n'
    ],
}

stock_st = st.dictionaries(
    st.tuples(st.sampled_from(SKUS), st.sampled_from(sorted(LOCATIONS))),
    st.tuples(st.integers(0, 20), st.integers(0, 3)),
    max_size=12,
)
line_st = st.tuples(st.sampled_from(SKUS), st.integers(1, 15))
order_st = st.tuples(
    st.lists(line_st, min_size=1, max_size=4),
    st.sampled_from(["web", "marketplace"]),
    st.sampled_from(["10001", "94105", "60601", "77001"]),
    st.booleans(),  # cancel it afterwards?
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stock=stock_st,
    orders=st.lists(order_st, min_size=1, max_size=5),
    ruleset=st.sampled_from(sorted(RULESETS)),
    optimiser=st.sampled_from(["greedy", "exact", "auto"]),
)
def test_quantities_are_conserved_and_stock_never_goes_below_zero(
    stock: dict[tuple[str, str], tuple[int, int]],
    orders: list[tuple[list[tuple[str, int]], str, str, bool]],
    ruleset: str,
    optimiser: str,
) -> None:
    engine = build(stock, RULESETS[ruleset], DeciderSettings(optimiser=optimiser))
    ids = []
    for number, (lines, channel, postal, cancel) in enumerate(orders):
        order_id = engine.bus.handle(
            c.CreateOrder(
                channel,
                f"P-{number}",
                "c1",
                c.AddressInput(postal),
                tuple(c.LineInput(sku, qty) for sku, qty in lines),
            )
        )
        ids.append(order_id)
        if cancel:
            # Released or rejected orders cannot be cancelled: a refusal is allowed.
            with contextlib.suppress(DomainError):
                engine.bus.handle(c.CancelOrder(order_id, "property test"))
    _check(engine, ids)


def _check(engine, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    uow = engine.uow
    with uow:
        for order_id in ids:
            order = uow.orders.get(order_id)
            shipments = [
                s
                for s in uow.shipments.for_order(order_id)
                if s.status is not ShipmentStatus.CANCELLED
            ]
            active = [
                r
                for r in uow.reservations.for_order(order_id)
                if r.status is ReservationStatus.ACTIVE
            ]
            traces = [t for t in uow.traces.for_order(order_id) if t.step == "sourcing"]
            backordered: dict[str, int] = {}
            if traces and order.status not in (OrderStatus.HELD, OrderStatus.CANCELLED):
                latest = max(traces, key=lambda t: (t.at, t.detail["order_version"])).detail
                for b in latest["backorders"]:
                    backordered[b["line"]] = backordered.get(b["line"], 0) + b["quantity"]
            allocated: dict[str, int] = {}
            for shipment in shipments:
                for line in shipment.lines:
                    allocated[line.order_line_id] = (
                        allocated.get(line.order_line_id, 0) + line.quantity
                    )
            if order.status is OrderStatus.CANCELLED:
                assert not active, f"cancelled order {order_id} still holds {active}"
                assert not shipments
            if order.status in (OrderStatus.HELD, OrderStatus.REJECTED):
                assert not active and not shipments
                continue
            for line in order.lines:
                total = (
                    allocated.get(line.id, 0)
                    + backordered.get(line.id, 0)
                    + line.quantity_cancelled
                )
                assert total == line.quantity, (
                    f"order {order_id} line {line.id}: ordered {line.quantity}, allocated "
                    f"{allocated.get(line.id, 0)}, backordered {backordered.get(line.id, 0)}, "
                    f"cancelled {line.quantity_cancelled} ({order.status})"
                )
            reserved_by_order = sum(r.quantity for r in active)
            assert reserved_by_order == sum(allocated.values())
        all_reservations = [
            r for r in uow.reservations.list(limit=10_000) if r.status is ReservationStatus.ACTIVE
        ]
        for row in uow.stock.list(limit=10_000):
            # Safety stock is never promised: reservations stay within on hand less safety.
            assert 0 <= row.reserved <= max(0, row.on_hand - row.safety_stock), row
            held = sum(
                r.quantity
                for r in all_reservations
                if (r.sku, r.location_code) == (row.sku, row.location_code)
            )
            assert held == row.reserved, row
