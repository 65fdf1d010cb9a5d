"""A pipeline scenario's order may be a pickup (click and collect): `fulfilment: pickup` and
the store's `pickup_location`, checked as the API checks them (a bad pair is refused before
the scenario runs, a store that cannot take it when the order is placed), and a `modify`
step may switch an order between shipping and collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.pipeline.scenarios import ScenarioError, check_scenarios, run_scenario

WORLD: dict[str, Any] = {
    "now": "2026-11-18T10:00:00",
    "locations": [
        {"code": "NJ-EWR", "postal_code": "07114", "state": "NJ"},
        {"code": "NY-STORE", "type": "store", "postal_code": "10013", "services": ["pickup"]},
    ],
    "products": [{"sku": "TSHIRT"}],
    "stock": [
        {"sku": "TSHIRT", "location": "NJ-EWR", "on_hand": 50},
        {"sku": "TSHIRT", "location": "NY-STORE", "on_hand": 3},
    ],
}
LINES = [{"sku": "TSHIRT", "qty": 2}]


def run(*steps: dict[str, Any], **settings: Any) -> list[str]:
    scenario = {"name": "pickup", "steps": list(steps), "settings": settings}
    check_scenarios([scenario])
    return run_scenario(WORLD, scenario, Path("."), "test").failures


def test_a_scenario_order_collected_at_a_store_is_sourced_there_with_no_carrier() -> None:
    order = {"ship_to": "10001", "fulfilment": "pickup", "pickup_location": "NY-STORE",
             "lines": LINES}  # fmt: skip
    expect = {"allocations": {"1": {"NY-STORE": 2}}, "carriers": {"NY-STORE": "pickup/in_store"}}

    assert run({"order": order, "expect": expect}) == []


def test_a_modify_step_switches_an_order_between_shipping_and_collection() -> None:
    shipped = {"order": {"ship_to": "07114", "lines": LINES},
               "expect": {"allocations": {"1": {"NJ-EWR": 2}}}}  # fmt: skip
    collected = {"modify": {"fulfilment": "pickup", "pickup_location": "NY-STORE"},
                 "expect": {"carriers": {"NY-STORE": "pickup/in_store"}}}  # fmt: skip
    shipped_again = {"modify": {"fulfilment": "ship"},
                     "expect": {"allocations": {"1": {"NJ-EWR": 2}}}}  # fmt: skip

    assert run(shipped, collected, shipped_again, auto_release=False) == []


def test_a_modify_step_naming_no_known_fulfilment_is_refused_before_it_runs() -> None:
    step = {"modify": {"fulfilment": "collect"}, "expect": {"status": "released"}}

    with pytest.raises(ScenarioError, match='modify\'s fulfilment "collect" is not one of'):
        run({"order": {"lines": LINES}}, step)


@pytest.mark.parametrize(
    ("order", "says"),
    [
        ({"fulfilment": "pickup"}, "an order's pickup_location: a pickup order needs the code"),
        ({"pickup_location": "NY-STORE"}, "names store 'NY-STORE' but the order is shipped"),
        ({"fulfilment": "pikcup", "pickup_location": "NY-STORE"},
         "an order's fulfilment \"pikcup\" is not one of ship, pickup (did you mean `pickup`?)"),
    ],
)  # fmt: skip
def test_a_pickup_the_api_would_refuse_is_refused_before_the_scenario_runs(
    order: dict[str, Any], says: str
) -> None:
    scenario = {"name": "x", "order": {"ship_to": "10001", "lines": LINES, **order},
                "expect": {"status": "released"}}  # fmt: skip

    with pytest.raises(ScenarioError) as refused:
        check_scenarios([scenario])

    assert refused.value.message.startswith("scenario 1 (x), order: ")
    assert says in refused.value.message


def test_a_pickup_at_a_location_that_offers_none_fails_the_step_naming_the_store() -> None:
    order = {"ship_to": "10001", "fulfilment": "pickup", "pickup_location": "NJ-EWR",
             "lines": LINES}  # fmt: skip

    [failure] = run({"order": order, "expect": {"status": "released"}})

    assert "location 'NJ-EWR' does not offer pickup" in failure
