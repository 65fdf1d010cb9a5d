"""The worker's pre-order ticker: at most once per interval, and a failed run is tried again."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engine.domain import commands as c
from engine.service_layer.preorders import PreorderRelease, PreorderReleaser

NOON = datetime(2026, 12, 15, 12, 0)


def test_it_runs_the_release_at_most_once_an_hour_and_reports_what_it_released() -> None:
    asked: list[c.Command] = []

    def handle(command: c.Command) -> PreorderRelease:
        asked.append(command)
        return PreorderRelease(date(2026, 12, 15), released=["o1"], resourced=["o2"])

    ticker = PreorderReleaser(handle)
    assert ticker.tick(NOON) == 2
    assert ticker.tick(NOON + timedelta(minutes=59)) == 0
    assert ticker.tick(NOON + timedelta(hours=1)) == 2
    assert asked == [c.ReleaseDuePreorders(), c.ReleaseDuePreorders()]


def test_a_run_that_failed_is_tried_again_at_the_next_tick() -> None:
    outcomes: list[object] = [ConnectionError("database restarting"), PreorderRelease(NOON.date())]

    def handle(command: c.Command) -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    ticker = PreorderReleaser(handle)
    with pytest.raises(ConnectionError):
        ticker.tick(NOON)
    assert ticker.tick(NOON + timedelta(seconds=10)) == 0
    assert outcomes == []
