"""The decision trace in plain words, from a trace shaped like the pipeline's: why each line
ships from where, why not from the other locations, and why that carrier."""

from __future__ import annotations

from typing import Any

from admin_ui.explain import explain
from tests.support.trace_view import order_with_traces


def trace() -> dict[str, Any]:
    line = {
        "sku": "SOCK-M",
        "quantity": 2,
        "candidates": [
            {"location": "DAL-01", "available": 40, "score": 2.0},
            {"location": "ATL-01", "available": 90, "score": 7.0},
            {"location": "CHI-01", "available": 1, "score": 2.0},
            {"location": "RNO-02", "available": 50, "score": 0.0},
        ],
        "excluded": {"MIA-S01": "excluded by rule 'Oversize items never ship from stores'"},
    }
    sourcing = {
        "outcome": "allocated",
        "sourcing": {
            "max_shipments": 1,
            "lines": {"1": line},
            "rulesets": [
                {
                    "rules": [
                        {"rule": "Closer locations score higher", "status": "matched",
                         "actions": [{"kind": "prefer"}]},
                        {"rule": "Small orders never split", "status": "matched",
                         "actions": [{"kind": "max_shipments"}]},
                        {"rule": "Hazmat", "status": "no match", "actions": []},
                    ]
                }
            ],
        },
        "allocations": [{"line": "1", "sku": "SOCK-M", "location": "DAL-01", "quantity": 2}],
        "backorders": [],
        "optimiser": {"method": "exact", "cost": 12.5},
    }  # fmt: skip
    carrier = {
        "DAL-01": {
            "chosen": "RPS/economy",
            "reason": "cheapest",
            "distance_km": 42.5,
            "quotes": [
                {
                    "carrier": "RPS",
                    "service": "economy",
                    "rate": 5.3,
                    "promised_date": "2026-11-25",
                },
                {"carrier": "PCL", "service": "ground", "rate": 8.98},
            ],
            "excluded": {"HVF/ltl": "excluded by rule 'Heavy freight only'"},
            "rules": ["carrier_selection: Everything else ships cheapest on time"],
        }
    }
    at = "2026-11-22T08:00:00Z"
    return {
        "trace": [
            {"id": "2", "step": "carrier", "ruleset": "carrier_selection", "ruleset_version": 1,
             "at": at, "outcome": "assigned", "detail": carrier},
            {"id": "1", "step": "sourcing", "ruleset": "routing", "ruleset_version": 3,
             "at": at, "outcome": "allocated", "detail": sourcing},
            {"id": "3", "step": "validation", "ruleset": "order_validation", "ruleset_version": 1,
             "at": at, "outcome": "pass", "detail": {"outcome": "pass"}},
        ]
    }  # fmt: skip


def test_steps_read_in_pipeline_order_with_their_ruleset_versions() -> None:
    steps = explain(trace())  # type: ignore[arg-type]
    assert [s.step for s in steps] == ["Validation", "Sourcing", "Carrier"]
    assert steps[0].headline == "Passed every check of order_validation v1."
    assert steps[1].headline == "Sourced by routing v3: ships from DAL-01 (allocated)."


def test_each_other_location_gets_its_own_reason() -> None:
    details = explain(trace())[1].details  # type: ignore[arg-type]
    assert "Line 1 (2 × SOCK-M) ships 2 from **DAL-01** (40 available, rule score 2)." in details
    assert "At most 1 shipment(s) (“Small orders never split”)." in details
    assert "Locations were scored by “Closer locations score higher”." in details
    not_chosen = next(d for d in details if d.startswith("Not chosen: "))
    assert (
        "ATL-01: higher rule score (7 against 2), but the optimiser's plan for the whole order "
        "ships this line from DAL-01"
    ) in not_chosen
    assert "CHI-01: only 1 available" in not_chosen
    assert "RNO-02: lower rule score (0 against 2)" in not_chosen
    assert "Excluded: MIA-S01: excluded by rule 'Oversize items never ship from stores'." in details
    assert "The exact optimiser chose this plan at a cost of 12.50." in details


def test_the_carrier_choice_names_its_rate_promise_and_the_alternatives() -> None:
    carrier = explain(trace())[2]  # type: ignore[arg-type]
    assert carrier.headline == "Carrier: RPS economy from DAL-01."
    assert carrier.details[0] == (
        "From DAL-01 (42.5 km): RPS/economy at 5.30 USD, promised 2026-11-25, chosen as "
        "cheapest (rules “Everything else ships cheapest on time”)."
    )
    assert "Other quotes: PCL ground 8.98." in carrier.details
    assert "HVF/ltl was excluded: excluded by rule 'Heavy freight only'." in carrier.details


def test_a_held_order_says_which_rule_held_it_and_why() -> None:
    held = {
        "trace": [
            {"id": "1", "step": "validation", "ruleset": "order_validation", "ruleset_version": 2,
             "at": "2026-11-22T08:00:00Z", "outcome": "held",
             "detail": {"outcome": "held", "code": "fraud_review", "rule": "Large orders",
                        "message": "order total 900 over the review limit"}},
        ]
    }  # fmt: skip
    (step,) = explain(held)  # type: ignore[arg-type]
    assert step.headline == (
        "Held for review by rule “Large orders” (code fraud_review): "
        "order total 900 over the review limit"
    )


def test_a_resourcing_says_what_set_it_off_and_what_was_waiting() -> None:
    from datetime import timedelta
    from pathlib import Path

    from engine.domain import commands as c
    from engine.pipeline.scenarios import build_world, load_scenario_file

    here = Path(__file__).parents[2] / "unit" / "pipeline" / "scenarios"
    spec = load_scenario_file(here / "resourcing.yaml")
    world = build_world(spec, here)
    order_id = world.bus.handle(
        c.CreateOrder("web", "R-1", "c1", c.AddressInput("10001"), (c.LineInput("JEANS", 8),))
    )
    world.clock.now += timedelta(hours=2)
    world.bus.handle(c.ReceiveStock("JEANS", "PA-PHL", 4))
    with world.uow:
        traces = world.uow.traces.for_order(order_id)
    order = order_with_traces(traces)
    steps = explain(order)  # type: ignore[arg-type]
    assert [s.step for s in steps] == [
        "Validation", "Sourcing", "Carrier", "Re-sourcing", "Carrier"
    ]  # fmt: skip
    resourced = steps[3]
    assert resourced.headline == (
        "Re-sourced when JEANS arrived: ships from PA-PHL (partially allocated)."
    )
    assert "6 units were waiting: line 1 (6)." in resourced.details
    assert any(d.startswith("Line 1 (2 × JEANS) is backorder") for d in resourced.details)
