"""ORDO_ALERT_REPEAT_WINDOW_MINUTES: how far apart an open alert that keeps firing raises
`alert.repeated` (and notes its ticket). An hour unless set, whole minutes up to a week, a bad
value refused naming the variable."""

from __future__ import annotations

import os

import pytest

from ordo.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


def test_the_window_is_an_hour_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().alert_repeat_window_minutes == 60
    monkeypatch.setenv("ORDO_ALERT_REPEAT_WINDOW_MINUTES", "15")
    assert load_settings().alert_repeat_window_minutes == 15


@pytest.mark.parametrize("minutes", ["0", "an hour", "10081"])
def test_the_window_is_whole_minutes_up_to_a_week(minutes: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(alert_repeat_window_minutes=minutes)

    assert str(refused.value) == (
        "ORDO_ALERT_REPEAT_WINDOW_MINUTES: must be a whole number of minutes from 1 to 10080 "
        f"(a week), got {minutes!r}"
    )
