"""The worker's reservation-expiry ticker: at most once per interval, a failed run is tried
again, and a full batch is followed by the next one at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.domain import commands as c
from engine.service_layer.inventory import ReservationExpirer

NOON = datetime(2026, 12, 15, 12, 0)


def test_it_expires_reservations_at_most_once_a_minute_and_reports_how_many() -> None:
    asked: list[c.Command] = []

    def handle(command: c.Command) -> int:
        asked.append(command)
        return 3

    ticker = ReservationExpirer(handle)
    assert ticker.tick(NOON) == 3
    assert ticker.tick(NOON + timedelta(seconds=59)) == 0
    assert ticker.tick(NOON + timedelta(minutes=1)) == 3
    assert asked == [c.ExpireReservations(), c.ExpireReservations()]


def test_a_run_that_failed_is_tried_again_at_the_next_tick() -> None:
    outcomes: list[object] = [ConnectionError("database restarting"), 2]

    def handle(command: c.Command) -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    ticker = ReservationExpirer(handle)
    with pytest.raises(ConnectionError):
        ticker.tick(NOON)
    assert ticker.tick(NOON + timedelta(seconds=10)) == 2
    assert outcomes == []


def test_a_full_batch_runs_the_next_one_at_the_next_tick_instead_of_a_minute_later() -> None:
    expired = [10, 10, 4, 10]
    asked: list[c.Command] = []

    def handle(command: c.Command) -> int:
        asked.append(command)
        return expired.pop(0)

    ticker = ReservationExpirer(handle, limit=10)
    assert ticker.tick(NOON) == 10
    assert ticker.tick(NOON + timedelta(seconds=10)) == 10
    assert ticker.tick(NOON + timedelta(seconds=20)) == 4
    assert ticker.tick(NOON + timedelta(seconds=30)) == 0  # the backlog is gone: wait again
    assert asked == [c.ExpireReservations(limit=10)] * 3
