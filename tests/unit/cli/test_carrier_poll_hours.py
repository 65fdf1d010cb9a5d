"""ORDO_CARRIER_POLL_HOURS: how long a parcel with a carrier API goes without a scan before
the worker asks the carrier about it. Six hours unless set, 0 for never, whole hours up to a
month, a bad value refused naming the variable."""

from __future__ import annotations

import os

import pytest

from ordo.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


def test_carriers_are_asked_after_six_silent_hours_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().carrier_poll_hours == 6
    monkeypatch.setenv("ORDO_CARRIER_POLL_HOURS", "24")
    assert load_settings().carrier_poll_hours == 24
    monkeypatch.setenv("ORDO_CARRIER_POLL_HOURS", "0")
    assert load_settings().carrier_poll_hours == 0


@pytest.mark.parametrize("hours", ["-1", "six", "1.5", "721"])
def test_the_silence_is_whole_hours_up_to_a_month_or_zero(hours: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(carrier_poll_hours=hours)

    assert str(refused.value) == (
        "ORDO_CARRIER_POLL_HOURS: must be a whole number of hours from 1 to 720 "
        f"(a month), or 0 for never, got {hours!r}"
    )
