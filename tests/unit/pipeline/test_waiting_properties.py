"""Properties of serving waiting orders, for random orders, arrivals and pre-order releases.

Whatever arrives and in whatever order: every ordered unit stays allocated, backordered or
cancelled (a remainder sourced later included); no location promises below zero available;
a cancelled order holds nothing; and running the pre-order release twice changes nothing.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.domain import commands as c
from engine.domain.catalog import Product
from engine.domain.errors import DomainError
from engine.pipeline.decide import DeciderSettings
from tests.unit.pipeline.test_properties import RULESETS, _check
from tests.unit.pipeline.world import LOCATIONS, SKUS, START, build

PREORDER = "P"  # out three days after the clock starts
CODES = sorted(LOCATIONS)

line_st = st.tuples(st.sampled_from((*SKUS, PREORDER)), st.integers(1, 8))
step_st = st.one_of(
    st.tuples(
        st.just("order"),
        st.lists(line_st, min_size=1, max_size=3),
        st.sampled_from(["web", "marketplace"]),
    ),
    st.tuples(
        st.just("arrive"),
        st.sampled_from((*SKUS, PREORDER)),
        st.sampled_from(CODES),
        st.integers(1, 10),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("advance"), st.integers(1, 3)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stock=st.dictionaries(
        st.tuples(st.sampled_from((*SKUS, PREORDER)), st.sampled_from(CODES)),
        st.tuples(st.integers(0, 6), st.integers(0, 2)),
        max_size=8,
    ),
    steps=st.lists(step_st, min_size=1, max_size=14),
    ruleset=st.sampled_from(["none", "no_split", "fences", "hold_short"]),
)
def test_waiting_orders_served_later_keep_every_unit_accounted_for(
    stock: dict[tuple[str, str], tuple[int, int]],
    steps: list[tuple],  # type: ignore[type-arg]
    ruleset: str,
) -> None:
    engine = build({}, RULESETS[ruleset], DeciderSettings(optimiser="greedy"))
    with engine.uow as uow:
        release = (START + timedelta(days=3)).date()
        uow.products.add(Product(PREORDER, "pre-order", Decimal("20"), preorder_release=release))
        uow.commit()
    for (sku, code), (on_hand, _safety) in stock.items():
        if on_hand:
            engine.bus.handle(c.AdjustStock(sku, code, on_hand))
    ids: list[str] = []
    for number, step in enumerate(steps):
        kind = step[0]
        if kind == "order":
            _, lines, channel = step
            ids.append(
                engine.bus.handle(
                    c.CreateOrder(
                        channel,
                        f"W-{number}",
                        "c1",
                        c.AddressInput("10001"),
                        tuple(c.LineInput(sku, qty) for sku, qty in lines),
                    )
                )
            )
        elif kind == "arrive":
            _, sku, code, qty = step
            engine.bus.handle(c.ReceiveStock(sku, code, qty))
        elif kind == "cancel" and ids:
            with contextlib.suppress(DomainError):  # released orders cannot be cancelled
                engine.bus.handle(c.CancelOrder(ids[step[1] % len(ids)], "property test"))
        elif kind == "advance":
            engine.clock.now += timedelta(days=step[1])
            engine.bus.handle(c.ReleaseDuePreorders())
        _check(engine, ids)
    before = _snapshot(engine, ids)
    engine.bus.handle(c.ReleaseDuePreorders())
    assert _snapshot(engine, ids) == before


def _snapshot(engine, ids: list[str]) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    with engine.uow as uow:
        return [
            (
                order_id,
                str(uow.orders.get(order_id).status),
                sorted((s.location_code, s.quantity) for s in uow.shipments.for_order(order_id)),
            )
            for order_id in ids
        ]
