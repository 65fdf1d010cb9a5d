"""`ordo` run in-process by a test (Typer's runner): its output when it succeeds, and its
refusal, as the one line an operator reads, when it exits 1 (never with a traceback)."""

from __future__ import annotations

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
