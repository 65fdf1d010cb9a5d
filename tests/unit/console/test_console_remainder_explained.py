"""A backordered remainder cancelled by a person reads as that in the order's explanation: the
units of each line, the reason, and what still waits, not as a sourcing decision by rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from admin_ui.explain import explain
from tests.support.trace_view import order_with_traces

AT = "2026-11-23T09:00:00Z"


def cancelled(detail: dict[str, Any]) -> dict[str, Any]:
    step = {"id": "trc_9", "step": "sourcing", "ruleset": "", "ruleset_version": 0, "at": AT,
            "outcome": "remainder_cancelled",
            "detail": {"outcome": "remainder_cancelled", "allocations": [], **detail}}  # fmt: skip
    return {"trace": [step]}


def test_a_cancelled_remainder_names_the_units_the_reason_and_what_still_waits() -> None:
    order = cancelled({
        "reason": "customer would not wait",
        "remainder": {"2": 3, "3": 1},
        "cancelled": {"2": 2, "3": 1},
        "backorders": [{"line": "2", "sku": "JEANS", "quantity": 1, "mode": "backorder",
                        "promised_date": "2026-11-25"}],
    })  # fmt: skip
    [step] = explain(order)  # type: ignore[arg-type]
    assert step.step == "Cancellation"
    assert step.headline == (
        "Remainder cancelled by a person: 2 units of line 2 and 1 unit of line 3 "
        "(reason: customer would not wait)."
    )
    assert step.details == [
        "4 units were waiting for stock: line 2 (3), line 3 (1).",
        "Still waiting: line 2 (1 × JEANS, expected by 2026-11-25).",
    ]


def test_a_remainder_cancelled_in_full_says_nothing_waits_any_more() -> None:
    order = cancelled(
        {"reason": "", "remainder": {"1": 1}, "cancelled": {"1": 1}, "backorders": []}
    )
    [step] = explain(order)  # type: ignore[arg-type]
    assert step.headline == "Remainder cancelled by a person: 1 unit of line 1."
    assert step.details == [
        "1 unit was waiting for stock: line 1 (1).",
        "Nothing waits for stock any more.",
    ]


def test_the_trace_the_pipeline_stores_for_a_cancelled_remainder_reads_the_same() -> None:
    from engine.domain import commands as c
    from engine.pipeline.scenarios import build_world, load_scenario_file

    here = Path(__file__).parents[1] / "pipeline" / "scenarios"
    world = build_world(load_scenario_file(here / "remainder_cancel.yaml"), here)
    lines = (c.LineInput("TSHIRT", 1), c.LineInput("JEANS", 5))
    order_id = world.bus.handle(c.CreateOrder("web", "R-1", "c1", c.AddressInput("10001"), lines))
    world.clock.now += timedelta(hours=1)
    world.bus.handle(c.CancelBackordered(order_id, "customer would not wait", {"2": 2}, "ada"))
    with world.uow:
        traces = world.uow.traces.for_order(order_id)
    order = order_with_traces(traces)
    steps = explain(order)  # type: ignore[arg-type]
    assert [s.step for s in steps] == ["Validation", "Sourcing", "Carrier", "Cancellation"]
    assert steps[-1].headline == (
        "Remainder cancelled by a person: 2 units of line 2 (reason: customer would not wait)."
    )
    assert steps[-1].details == [
        "3 units were waiting for stock: line 2 (3).",
        "Still waiting: line 2 (1 × JEANS, expected by 2026-11-25).",
    ]
