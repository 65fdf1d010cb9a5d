"""`ordo console` and `ordo up` start the console with the API address and the environment
from Ordo's settings (which may come from a settings file, not the process's variables): the
console reads both itself, and keeps its sign-in to that address outside development."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from ordo import serving
from ordo.settings import load_settings

SECRET = "a-production-secret-for-this-test-0123456789"


class Started:
    """Stands in for subprocess.Popen: remembers the environment the child would get."""

    environment: dict[str, str] = {}

    def __init__(self, command: list[str], env: dict[str, str], **_: Any) -> None:
        Started.environment = env


def test_the_console_gets_the_settings_environment_and_api_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ORDO_ENVIRONMENT", raising=False)
    monkeypatch.setenv("ORDO_API_URL", "http://elsewhere.example:1")
    monkeypatch.setattr(serving, "ensure_port_free", lambda *args, **kwargs: None)
    monkeypatch.setattr(subprocess, "Popen", Started)
    settings = load_settings(
        environment="production", secret_key=SECRET, api_url="https://ordo.internal"
    )

    serving.start_console(settings, Path("admin_ui/app.py"))

    assert Started.environment["ORDO_ENVIRONMENT"] == "production"
    assert Started.environment["ORDO_API_URL"] == "https://ordo.internal"
