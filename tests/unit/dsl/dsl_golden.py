"""Loading the golden conformance cases (tests/unit/dsl/golden/*.yaml) into runnable form.

A case is a ruleset source plus either the expected diagnostics, or facts and the expected
decision: the matched rules, their actions, and for actions about a candidate whether each listed
candidate satisfies them. Facts are written as overrides of the sample order so cases stay short.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from tests.unit.dsl.dsl_sample_schema import line, order

GOLDEN = Path(__file__).parent / "golden"


def cases(kind: str) -> list[dict[str, Any]]:
    """Every case of golden/<kind>*.yaml, each tagged with its file for test ids."""
    found = []
    for path in sorted(GOLDEN.glob(f"{kind}*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            case["file"] = path.name
            found.append(case)
    return found


def facts_of(case: dict[str, Any]) -> dict[str, Any]:
    raw = case.get("facts", {})
    facts: dict[str, Any] = {}
    if "order" in raw or "event" not in raw:
        overrides = dict(raw.get("order", {}))
        if "lines" in overrides:
            overrides["lines"] = [line(**spec) for spec in overrides["lines"]]
        facts["order"] = order(**overrides)
    for root, value in raw.items():
        if root != "order":
            facts[root] = value
    return facts


def now_of(case: dict[str, Any]) -> dt.datetime:
    value = case.get("now", "2025-03-01T12:00:00")
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
