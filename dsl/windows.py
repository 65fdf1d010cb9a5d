"""Time windows for alert rules: "more than 5 late shipments from one carrier within an hour".

A rule's `count within 1 hour by event.carrier` records the current event in the host's
`WindowStore` and reads back how many events (and their sum) fall inside the window ending now,
for that key. The store is the host's, so several workers can count together (the engine ships a
Redis store); `InMemoryWindowStore` serves one process, the tests and the simulator.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Protocol


class WindowStore(Protocol):
    def observe(self, rule: str, key: str, at: dt.datetime, value: float,
                window: dt.timedelta) -> tuple[int, float]:
        """Record one observation and return (count, sum) inside the window ending at `at`."""
        ...


class InMemoryWindowStore:
    """Observations per (rule, key) in time order, trimmed to the window as they arrive."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str], deque[tuple[dt.datetime, float]]] = {}

    def observe(self, rule: str, key: str, at: dt.datetime, value: float,
                window: dt.timedelta) -> tuple[int, float]:
        series = self._series.setdefault((rule, key), deque())
        series.append((at, value))
        start = at - window
        # Events usually arrive in time order; trimming the front keeps memory to one window.
        while series and series[0][0] <= start:
            series.popleft()
        inside = [v for t, v in series if start < t <= at]
        return len(inside), float(sum(inside))

    def clear(self) -> None:
        self._series.clear()
