"""The worker's `Janitor` deletes old alerts through the store's purge: with the cut-off its
retention sets (a year unless told otherwise), logging how many went; without a purge (the
retention set to 0) it deletes none."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from engine.worker import Janitor

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Purge:
    def __init__(self, deleted: int) -> None:
        self.deleted = deleted
        self.cutoffs: list[datetime] = []

    def purge(self, before: datetime) -> int:
        self.cutoffs.append(before)
        return self.deleted


def test_alerts_are_kept_a_year_unless_told_otherwise() -> None:
    assert Janitor().alert_retention == timedelta(days=365)


def test_the_janitor_purges_alerts_unchanged_since_the_retention_and_says_how_many(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alerts = Purge(deleted=3)
    janitor = Janitor(alerts=alerts, alert_retention=timedelta(days=30))

    with caplog.at_level(logging.INFO, logger="engine.worker"):
        assert janitor.tick(NOW) == 3

    assert alerts.cutoffs == [NOW - timedelta(days=30)]
    assert "janitor: deleted 3 alerts closed or acknowledged and unchanged for 30 days" in (
        caplog.text
    )


def test_without_a_purge_no_alert_is_deleted() -> None:
    assert Janitor(alert_retention=timedelta(days=30)).tick(NOW) == 0
