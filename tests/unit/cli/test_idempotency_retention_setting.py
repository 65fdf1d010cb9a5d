"""ORDO_IDEMPOTENCY_RETENTION_HOURS: how long a write's answer is replayed to its retries before
the worker deletes it; whole hours, refused in one line naming the setting otherwise."""

from __future__ import annotations

import pytest

from ordo.settings import SettingsError, load_settings


def test_answers_are_kept_72_hours_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().idempotency_retention_hours == 72
    monkeypatch.setenv("ORDO_IDEMPOTENCY_RETENTION_HOURS", "24")
    assert load_settings().idempotency_retention_hours == 24


@pytest.mark.parametrize("hours", ["0", "-1", "1.5", "a day", "87601"])
def test_the_retention_must_be_whole_hours_from_one_to_ten_years(hours: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(idempotency_retention_hours=hours)

    assert str(raised.value) == (
        "ORDO_IDEMPOTENCY_RETENTION_HOURS: must be a whole number of hours from 1 to 87600 "
        f"(ten years), got {hours!r}"
    )


def test_a_refused_retention_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_IDEMPOTENCY_RETENTION_HOURS", "0")

    with pytest.raises(SettingsError, match=r"^ORDO_IDEMPOTENCY_RETENTION_HOURS: .*got '0'$"):
        load_settings()
