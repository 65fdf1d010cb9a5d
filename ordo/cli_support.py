"""What every `ordo` subcommand module shares: settings loading, output, tool reports.

Kept apart from `ordo.cli` so command groups in their own modules (`ordo.cli_keys`,
`ordo.cli_rules`) can use it without importing the root command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from ordo.bootstrap import configure_logging
from ordo.settings import Settings, load_settings


@dataclass
class CliState:
    """What the root callback parsed (`ordo --settings FILE ...`) for subcommands to read."""

    settings_file: Path | None = None


def settings_file(ctx: typer.Context) -> Path | None:
    state = ctx.find_object(CliState)
    return state.settings_file if state else None


def load(ctx: typer.Context, **overrides: Any) -> Settings:
    """Load and validate the settings for this run; flags given on the command line win."""
    given = {name: value for name, value in overrides.items() if value is not None}
    settings = load_settings(settings_file(ctx), **given)
    configure_logging(settings)
    return settings


def out() -> Console:
    # What it prints holds people's data (names, paths, URLs): shown as given, no emoji codes.
    return Console(highlight=False, emoji=False)


def report(text: str, code: int) -> None:
    """Print a tool's report as plain text (diagnostics hold brackets Rich would eat)."""
    typer.echo(text)
    if code:
        raise typer.Exit(code)
