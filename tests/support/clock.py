"""A clock a test sets by hand: handlers take `clock()` for "now", and a test moves it on
(`clock.now += timedelta(...)`) to let reservations expire or days turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now
