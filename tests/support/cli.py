"""`ordo` run in-process by a test (Typer's runner): its output when it succeeds, and its
refusal, as the one line an operator reads, when it exits 1 (never with a traceback)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pytest import MonkeyPatch
from typer.testing import CliRunner

from ordo.cli import app

runner = CliRunner()


def ordo(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def refused(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


# What `ordo db encrypt` prints of a table: its rows, the rows it rewrote, the values in them.
Counts = tuple[int, int, int]


def sealed_and_opened(
    monkeypatch: MonkeyPatch, stored: Callable[[], list[Any]], tables: Mapping[str, Counts]
) -> tuple[list[Any], list[Any]]:
    """Values stored in clear taken through `ordo db encrypt --check`, `encrypt` under a new
    key `k1`, `--check` again and `decrypt`, each table's counts checked at every step and
    the values back as they were written at the end: (before, while sealed) as `stored`
    read them."""
    before = stored()
    check = ordo("db", "encrypt", "--check")
    for name, (rows, _, values) in tables.items():
        assert f"{name}: {rows} rows, {values} values in clear\n" in check
    monkeypatch.setenv("ORDO_DATA_KEYS", ordo("keys", "new-data-key", "--kid", "k1").strip())
    output = ordo("db", "encrypt", "--batch-size", "1")
    for name, (rows, rewritten, _) in tables.items():
        assert f"{name}: {rows} rows read, {rewritten} encrypted under key 'k1'" in output
    sealed = stored()
    check = ordo("db", "encrypt", "--check")
    for name, (rows, _, values) in tables.items():
        assert f"{name}: {rows} rows, 0 values in clear, {values} under key 'k1'\n" in check
    output = ordo("db", "decrypt", "--batch-size", "1")
    for name, (rows, rewritten, _) in tables.items():
        assert f"{name}: {rows} rows read, {rewritten} decrypted" in output
    assert stored() == before
    return before, sealed
