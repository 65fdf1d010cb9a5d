"""ORDO_PREVIOUS_SECRET_KEYS: secret keys rotated out, still accepted. Each is held to
ORDO_SECRET_KEY's rules outside development, and none is ever shown or quoted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app
from ordo.settings import SettingsError, load_settings

LONG = "a-previous-secret-long-enough-0123"
OTHER = "another-previous-secret-long-enough-4567"
CURRENT = "the-current-secret-long-enough-89ab"


def previous(**overrides: str) -> list[str]:
    settings = load_settings(**overrides)
    return [key.get_secret_value() for key in settings.previous_secret_keys]


def test_there_are_no_previous_keys_unless_the_setting_lists_some() -> None:
    assert previous() == []


def test_the_environment_lists_previous_keys_separated_by_commas_blanks_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_PREVIOUS_SECRET_KEYS", f" {LONG} ,{OTHER},")

    assert previous() == [LONG, OTHER]


def test_a_yaml_settings_file_lists_previous_keys_as_a_list(tmp_path: Path) -> None:
    file = tmp_path / "ordo.yaml"
    file.write_text(f"ORDO_PREVIOUS_SECRET_KEYS:\n  - {LONG}\n  - {OTHER}\n", encoding="utf-8")

    settings = load_settings(settings_file=file)

    assert [key.get_secret_value() for key in settings.previous_secret_keys] == [LONG, OTHER]


def test_a_short_previous_key_is_refused_outside_development_naming_which_one() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            environment="production", secret_key=CURRENT, previous_secret_keys=f"{LONG},short"
        )

    assert str(raised.value) == (
        "ORDO_PREVIOUS_SECRET_KEYS: key 2 of 2: must be at least 16 characters when "
        "environment is production"
    )


def test_the_development_default_is_refused_as_a_previous_key_outside_development() -> None:
    with pytest.raises(SettingsError, match=r"^ORDO_PREVIOUS_SECRET_KEYS: key 1 of 1 is the "):
        load_settings(
            environment="test", secret_key=CURRENT, previous_secret_keys="change-me-in-production"
        )


def test_development_accepts_any_previous_key_like_it_accepts_any_secret_key() -> None:
    assert previous(previous_secret_keys="change-me-in-production,x") == [
        "change-me-in-production",
        "x",
    ]


def test_ordo_settings_shows_previous_keys_only_as_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_PREVIOUS_SECRET_KEYS", f"{LONG},{OTHER}")

    result = CliRunner().invoke(app, ["settings"])

    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "PREVIOUS_SECRET_KEYS" in line)
    assert "(set)" in line
    assert LONG not in result.output and OTHER not in result.output
