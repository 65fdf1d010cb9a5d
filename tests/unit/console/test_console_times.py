"""The console's time labels: every time the API answers is shown as the UTC moment it is."""

from __future__ import annotations

import pytest

from admin_ui.texts import when


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("2026-11-20T09:30:00+05:00", "2026-11-20 04:30 UTC"),
        ("2026-11-20T22:30:00-05:00", "2026-11-21 03:30 UTC"),
        ("2026-11-20T09:30:00Z", "2026-11-20 09:30 UTC"),
        ("2026-11-20T09:30:00+00:00", "2026-11-20 09:30 UTC"),
        ("2026-11-20T09:30:00", "2026-11-20 09:30 UTC"),
    ],
)
def test_a_time_with_an_offset_is_labelled_as_the_utc_moment_it_is(value: str, label: str) -> None:
    assert when(value) == label


def test_a_time_that_falls_off_the_calendar_in_utc_is_shown_as_it_came() -> None:
    assert when("0001-01-01T00:00:00+05:00") == "0001-01-01T00:00:00+05:00"
