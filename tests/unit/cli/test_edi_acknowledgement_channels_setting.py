"""ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS: the channels whose trading partners get 855s, none unless
named; a name that is no channel name stops start-up in one line naming it."""

from __future__ import annotations

import os

import pytest

from ordo.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


def test_no_channel_gets_855s_unless_named() -> None:
    assert load_settings().edi_acknowledgement_channels == ()


def test_channels_are_read_from_the_environment_or_a_list_and_star_stands_for_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS", " b2b-acme, b2b-globex ,b2b-acme")
    assert load_settings().edi_acknowledgement_channels == ("b2b-acme", "b2b-globex")
    written = load_settings(edi_acknowledgement_channels=["*"])
    assert written.edi_acknowledgement_channels == ("*",)


def test_a_name_that_is_no_channel_name_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS", "b2b-acme,b2b acme")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    assert "edi_acknowledgement_channels" in message.lower()
    assert "'b2b acme'" in message and "no channel name" in message
