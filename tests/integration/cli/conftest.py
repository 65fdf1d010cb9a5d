"""Isolate CLI and settings tests from whatever ORDO_* variables the machine running them has."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)
