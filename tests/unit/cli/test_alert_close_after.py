"""ORDO_ALERT_CLOSE_AFTER_HOURS: how long an acknowledged alert stays quiet before the worker
closes it. A day unless set, 0 for never, whole hours up to a year, a bad value refused
naming the variable."""

from __future__ import annotations

import os

import pytest

from ordo.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


def test_alerts_close_after_a_day_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().alert_close_after_hours == 24
    monkeypatch.setenv("ORDO_ALERT_CLOSE_AFTER_HOURS", "72")
    assert load_settings().alert_close_after_hours == 72
    monkeypatch.setenv("ORDO_ALERT_CLOSE_AFTER_HOURS", "0")
    assert load_settings().alert_close_after_hours == 0


@pytest.mark.parametrize("hours", ["-1", "a day", "1.5", "8761"])
def test_the_time_is_whole_hours_up_to_a_year_or_zero(hours: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(alert_close_after_hours=hours)

    assert str(refused.value) == (
        "ORDO_ALERT_CLOSE_AFTER_HOURS: must be a whole number of hours from 1 to 8760 "
        f"(a year), or 0 for never, got {hours!r}"
    )
