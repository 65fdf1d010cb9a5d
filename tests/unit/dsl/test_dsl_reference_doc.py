"""docs/dsl.md cannot drift: every `ordo` block in it is checked and run on both runners.

Each block is a whole ruleset; the `yaml` block after it is a scenario (given facts, or a
sequence of events, and what must be decided) run against Ordo's own schema, the one analysts
write against. Facts not given take the defaults below.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import dsl
from dsl import scenarios
from engine.rules.schema import SCHEMA_SPEC

SCHEMA = dsl.Schema.from_dict(SCHEMA_SPEC)
DOC = Path(__file__).resolve().parents[3] / "docs" / "dsl.md"
BLOCK = re.compile(r"```ordo\n(.*?)```\n(?:```yaml\n(.*?)```)?", re.DOTALL)

PRODUCT = {"sku": "SKU-1", "name": "Mug", "price": 10.0, "weight": 0.5, "hazmat": False,
           "category": "home", "tags": [], "oversize": False, "longest_side_cm": 20.0,
           "preorder_release": None, "dropship_vendor": None, "is_kit": False, "known": True}
LINE = {"id": "L-1", "sku": "SKU-1", "quantity": 1, "price": 10.0, "amount": 10.0,
        "product": PRODUCT}
DEFAULTS: dict[str, Any] = {
    "order": {"id": "O-1", "channel": "web", "channel_order_id": "W-1", "customer_id": "C-1",
              "email": "ann@shop.test", "currency": "USD", "service_level": "standard",
              "priority": 0, "total": 10.0, "created_at": "2025-03-01T08:00:00",
              "requested_date": None,
              "ship_to": {"postal_code": "94105", "country": "US", "state": "CA",
                          "city": "San Francisco", "lat": 37.79, "lon": -122.39},
              "lines": [LINE], "line_count": 1, "units": 1, "weight": 0.5, "hazmat": False},
    "customer": {"id": "C-1", "email": "ann@shop.test", "name": "Ann", "tier": "standard",
                 "group": "retail"},
    "shipment": {"location_code": "DAL-01", "units": 1, "weight": 0.5, "hazmat": False,
                 "oversize": False, "distance": 100.0},
    "event": {"name": "shipment.late", "order_id": "O-1", "shipment_id": "S-1", "sku": None,
              "location_code": None, "carrier": None, "channel": None, "code": None,
              "severity": None, "quantity": None, "available": None, "hours_late": None,
              "from_status": None, "to_status": None},
}


def _examples() -> list[tuple[str, dict[str, Any] | None]]:
    text = DOC.read_text(encoding="utf-8")
    return [(source, yaml.safe_load(spec) if spec else None)
            for source, spec in BLOCK.findall(text)]


def _with_full_lines(facts: dict[str, Any]) -> dict[str, Any]:
    facts = copy.deepcopy(facts)
    lines = facts.get("order", {}).get("lines")
    if lines is not None:
        facts["order"]["lines"] = [
            {**LINE, **line, "product": {**PRODUCT, **line.get("product", {})}} for line in lines]
    return facts


EXAMPLES = _examples()


def test_the_reference_has_an_executed_example_for_every_rule_kind() -> None:
    kinds = {source.split("ruleset")[0].split()[-1] for source, _ in EXAMPLES}
    assert kinds == {"validation", "sourcing", "reservation", "carrier", "alert"}
    assert len(EXAMPLES) == DOC.read_text(encoding="utf-8").count("```ordo")
    assert all(spec is not None for _, spec in EXAMPLES)


@pytest.mark.parametrize("runner", ["compiled", "interpreted"])
@pytest.mark.parametrize(("source", "spec"), EXAMPLES,
                         ids=[s.split("ruleset")[1].split()[0] for s, _ in EXAMPLES])
def test_each_reference_example_checks_cleanly_and_decides_as_documented(
        source: str, spec: dict[str, Any], runner: str) -> None:
    assert dsl.check(source, SCHEMA) == []
    ruleset = dsl.compile(source, SCHEMA, runner=runner)
    raw = {"name": "example", "expect": spec["expect"],
           "given": _with_full_lines(spec.get("given", {}))}
    if "now" in spec:
        raw["now"] = spec["now"]
    if "events" in spec:
        raw["events"] = [_with_full_lines(e) for e in spec["events"]]
    scenario_set = scenarios.load({"ruleset": "doc", "defaults": DEFAULTS, "scenarios": [raw]})
    result = scenarios.matches_runner(SCHEMA)(ruleset, scenario_set.scenarios[0])
    assert result.passed, result.problems
