"""`ordo serve`, `ordo up` and `ordo console` refuse to listen on a public address while
ORDO_SECRET_KEY is the development default: one line naming the setting at fault and how to
set a secret, before anything is written or started."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app
from tests.integration.cli.test_up import unused_port

runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORDO_DATA_DIR", str(tmp_path / "data"))
    # Free ports: a taken one is refused first, naming the port.
    monkeypatch.setenv("ORDO_API_PORT", str(unused_port()))
    monkeypatch.setenv("ORDO_CONSOLE_PORT", str(unused_port()))
    return tmp_path / "data"


def refusal(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert "while ORDO_SECRET_KEY is the development default" in said
    assert "set ORDO_SECRET_KEY to a long random value" in said
    return said


def test_serve_on_every_interface_with_the_development_secret_is_refused_naming_the_flag(
    tmp_path: Path,
) -> None:
    said = refusal("serve", "--host", "0.0.0.0")
    assert said.startswith("error: --host: will not listen on '0.0.0.0'")
    assert not (tmp_path / "data").exists(), "refused before the database was touched"


def test_serve_on_a_public_ordo_api_host_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_API_HOST", "::")
    assert refusal("serve").startswith("error: ORDO_API_HOST: will not listen on '::'")


def test_up_on_a_public_host_is_refused_before_migrating_or_seeding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_API_HOST", "0.0.0.0")
    assert refusal("up").startswith("error: ORDO_API_HOST: will not listen on '0.0.0.0'")
    assert not (tmp_path / "data").exists()


def test_the_console_on_a_public_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_API_HOST", "0.0.0.0")
    assert refusal("console").startswith("error: ORDO_API_HOST: will not listen on '0.0.0.0'")
