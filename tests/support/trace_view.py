"""Decision traces as the API's order detail gives them, for the console's explanation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.domain.operations import DecisionTrace


def order_with_traces(traces: Iterable[DecisionTrace]) -> dict[str, Any]:
    """An order detail holding only `traces`, each as `TraceOut` serialises it."""
    return {
        "trace": [
            {
                "id": t.id,
                "step": t.step,
                "ruleset": t.ruleset,
                "ruleset_version": t.ruleset_version,
                "at": t.at.isoformat(),
                "outcome": t.outcome,
                "detail": t.detail,
            }
            for t in traces
        ]
    }
