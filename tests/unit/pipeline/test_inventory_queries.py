"""Available-to-promise, demand forecasts and reorder suggestions, and the trace query."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.domain import commands as c
from engine.domain.errors import InvalidQuantity, NotFound
from engine.domain.inventory import InboundKind, InboundSupply
from engine.service_layer.handlers import traces_for
from engine.service_layer.inventory import (
    available_to_promise,
    exponential_smoothing,
    moving_average,
    reorder_suggestions,
)
from tests.unit.pipeline.world import START, build


def test_atp_sums_every_location_and_a_channel_sees_less_when_others_are_fenced() -> None:
    engine = build({("A", "NJ"): (10, 2), ("A", "CA"): (5, 0)})
    with engine.uow as uow:
        row = uow.stock.get(("A", "CA"))
        assert row is not None
        row.channel_allocations["marketplace"] = 3
        uow.commit()
    everyone = available_to_promise(engine.uow, "A")
    assert everyone["by_location"] == {"CA": 5, "NJ": 8}
    assert everyone["total"] == 13
    assert available_to_promise(engine.uow, "A", "web")["by_location"] == {"CA": 2, "NJ": 8}
    assert available_to_promise(engine.uow, "A", "marketplace")["total"] == 13


def test_moving_average_and_exponential_smoothing_follow_the_recent_demand() -> None:
    series = [0, 0, 0, 10, 10, 10]
    assert moving_average(series, 3) == 10
    assert moving_average(series, 6) == 5
    assert 5 < exponential_smoothing(series, 0.5) < 10
    with pytest.raises(InvalidQuantity, match="smoothing factor must be in"):
        exponential_smoothing(series, 0)


def test_a_location_below_its_reorder_point_gets_a_purchase_suggestion() -> None:
    engine = build({("A", "NJ"): (4, 1), ("B", "NJ"): (500, 0)})
    for day in range(14):
        engine.clock.now = START - timedelta(days=day)
        engine.bus.handle(
            c.CreateOrder("web", f"H-{day}", "c1", c.AddressInput("10001"), (c.LineInput("A", 2),))
        )
    with engine.uow as uow:
        uow.inbound.add(
            InboundSupply("PO-9", "A", "NJ", 3, date(2026, 11, 25), InboundKind.PURCHASE_ORDER)
        )
        uow.commit()
    suggestions = {
        (s.sku, s.location_code): s
        for s in reorder_suggestions(
            engine.uow, START.date(), history_days=14, lead_time_days=7, cover_days=7
        )
    }
    a = suggestions[("A", "NJ")]
    assert a.daily_forecast == pytest.approx(2.0)
    assert a.reorder_point == 14 + 1  # a week of demand plus the safety stock
    assert a.suggested_quantity == (28 + 1) - a.position > 0
    assert suggestions[("B", "NJ")].suggested_quantity == 0


def test_an_orders_decision_traces_can_be_queried_in_order() -> None:
    engine = build({("A", "NJ"): (10, 0)})
    order_id = engine.bus.handle(
        c.CreateOrder("web", "T-1", "c1", c.AddressInput("10001"), (c.LineInput("A", 1),))
    )
    steps = [t.step for t in traces_for(engine.uow, order_id)]
    assert steps == ["validation", "sourcing", "carrier"]
    with pytest.raises(NotFound, match="order 'nope' does not exist"):
        traces_for(engine.uow, "nope")


def test_a_sku_nobody_stocks_has_nothing_to_promise() -> None:
    engine = build({("A", "NJ"): (1, 0)})
    assert available_to_promise(engine.uow, "ZZZ") == {
        "sku": "ZZZ",
        "channel": None,
        "total": 0,
        "by_location": {},
    }
