"""ORDO_MAX_REQUEST_BYTES: the API's ceiling on a request body, read and checked at start-up."""

from __future__ import annotations

import pytest

from api.body_limit import DEFAULT_MAX_BYTES
from ordo.settings import SettingsError, load_settings


def test_by_default_a_request_body_may_be_100_mib_the_same_the_app_falls_back_to() -> None:
    assert load_settings().max_request_bytes == 100 * 1024 * 1024 == DEFAULT_MAX_BYTES


@pytest.mark.parametrize(
    ("written", "count"),
    [("2097152", 2 * 1024 * 1024), ("2MiB", 2 * 1024 * 1024), (" 512 kib ", 512 * 1024),
     ("1GiB", 1 << 30), ("1024", 1024), ("4096B", 4096)],
)  # fmt: skip
def test_the_limit_is_read_as_bytes_or_with_a_binary_unit(
    monkeypatch: pytest.MonkeyPatch, written: str, count: int
) -> None:
    monkeypatch.setenv("ORDO_MAX_REQUEST_BYTES", written)
    assert load_settings().max_request_bytes == count


@pytest.mark.parametrize("written", ["lots", "10MB", "1.5MiB", "-1", ""])
def test_a_limit_that_is_no_number_of_bytes_is_refused_naming_the_forms_taken(
    written: str,
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(max_request_bytes=written)
    assert str(refused.value) == (
        "ORDO_MAX_REQUEST_BYTES: must be a number of bytes, alone or with KiB, MiB or GiB "
        f"(such as 104857600 or 100MiB), got {written!r}"
    )


@pytest.mark.parametrize("written", ["1023", "0", "2GiB", "1073741825"])
def test_a_limit_under_1_kib_or_over_1_gib_is_refused(written: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(max_request_bytes=written)
    assert str(refused.value) == (
        "ORDO_MAX_REQUEST_BYTES: must be from 1024 bytes (1 KiB) to 1073741824 bytes (1 GiB), "
        f"got {written!r}"
    )
