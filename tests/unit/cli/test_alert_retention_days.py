"""ORDO_ALERT_RETENTION_DAYS: how long the worker keeps closed and acknowledged alerts. A year
unless set, 0 for ever, whole days up to ten years, a bad value refused naming the variable."""

from __future__ import annotations

import os

import pytest

from ordo.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


def test_alerts_are_kept_a_year_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().alert_retention_days == 365
    monkeypatch.setenv("ORDO_ALERT_RETENTION_DAYS", "90")
    assert load_settings().alert_retention_days == 90
    monkeypatch.setenv("ORDO_ALERT_RETENTION_DAYS", "0")
    assert load_settings().alert_retention_days == 0


@pytest.mark.parametrize("days", ["-1", "a year", "1.5", "3651"])
def test_the_retention_is_whole_days_up_to_ten_years_or_zero(days: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(alert_retention_days=days)

    assert str(refused.value) == (
        "ORDO_ALERT_RETENTION_DAYS: must be a whole number of days from 1 to 3650 "
        f"(ten years), or 0 for ever, got {days!r}"
    )
