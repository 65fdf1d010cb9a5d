"""What every `ordo` subcommand module shares: settings loading, output, tool reports.

Kept apart from `ordo.cli` so command groups in their own modules (`ordo.cli_keys`,
`ordo.cli_rules`) can use it without importing the root command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from ordo.bootstrap import configure_logging
from ordo.failures import CommandError
from ordo.settings import ENV_PREFIX, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from engine.domain.packaging import BoxCatalog


@dataclass
class CliState:
    """What the root callback parsed (`ordo --settings FILE ...`) for subcommands to read."""

    settings_file: Path | None = None


def settings_file(ctx: typer.Context) -> Path | None:
    state = ctx.find_object(CliState)
    return state.settings_file if state else None


def load(ctx: typer.Context, **overrides: Any) -> Settings:
    """Load and validate the settings for this run; flags given on the command line win, and
    a value a flag gave is refused under that flag's name (`--port`, not ORDO_API_PORT)."""
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        settings = load_settings(settings_file(ctx), **given)
    except SettingsError as error:
        flag = _flag_for(ctx, error.field, given)
        if flag is None:
            raise
        variable = f"{ENV_PREFIX}{str(error.field).upper()}: "
        raise SettingsError(f"{flag}: {str(error).removeprefix(variable)}") from None
    configure_logging(settings)
    return settings


def _flag_for(ctx: typer.Context, field: str | None, given: dict[str, Any]) -> str | None:
    """The option of this command that gave setting `field` its value: the one named after
    the setting, with or without its `api_` (`serve --port` sets api_port)."""
    if field is None or field not in given:
        return None
    names = (field, field.removeprefix("api_"))
    for param in ctx.command.params:
        if param.name in names and param.opts and ctx.params.get(param.name) == given[field]:
            return max(param.opts, key=len)
    return None


def out() -> Console:
    # What it prints holds people's data (names, paths, URLs): shown as given, no emoji codes.
    return Console(highlight=False, emoji=False)


def report(text: str, code: int) -> None:
    """Print a tool's report as plain text (diagnostics hold brackets Rich would eat)."""
    typer.echo(text)
    if code:
        raise typer.Exit(code)


def day_option(text: str) -> date:
    """A YYYY-MM-DD option (`parser=` of a Typer option): click's own date type calls
    2025-02-30 a format mismatch, and a year such as 0001 would be taken."""
    from engine.domain.values import FIRST_DAY, LAST_DAY

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise typer.BadParameter(f"{text!r}: expected YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r}: not a day of the calendar ({error})") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise typer.BadParameter(f"{text!r}: expected a day from {FIRST_DAY} to {LAST_DAY}")
    return day


# The box catalogue of the commands that decide orders away from production (`ordo simulate`,
# `ordo rules test`): the deployment's unless a flag names another, or none.
PackagingOption = Annotated[
    Path | None,
    typer.Option(
        "--packaging",
        metavar="FILE",
        help="Box catalogue to pack shipments with (default: ORDO_PACKAGING_FILE).",
    ),
]
NoPackagingOption = Annotated[
    bool,
    typer.Option(
        "--no-packaging",
        help="Price each shipment as one parcel, whatever ORDO_PACKAGING_FILE says.",
    ),
]


def check_packaging_flags(packaging: Path | None, no_packaging: bool) -> None:
    if packaging is not None and no_packaging:
        raise CommandError("--packaging and --no-packaging: give one or the other")


def packaging_file(
    packaging: Path | None, no_packaging: bool, settings: Callable[[], Settings]
) -> tuple[Path | None, str]:
    """The box catalogue to pack with (None: one parcel per shipment) and the flag or
    setting that named it, for its errors. `settings` is called only when no flag decides:
    turned off, a broken ORDO_PACKAGING_FILE is not read at all."""
    check_packaging_flags(packaging, no_packaging)
    if packaging is not None or no_packaging:
        return packaging, "--packaging"
    return settings().packaging_file, "ORDO_PACKAGING_FILE"


def read_packaging(path: Path, named: str) -> BoxCatalog:
    """The catalogue at `path`, read as a simulation reads it; a bad one is one line naming
    `named` (the flag or setting), the file and the field."""
    from engine.simulation.errors import SimulationError
    from engine.simulation.packaging import read_boxes

    try:
        return read_boxes(path, named=named).catalog
    except SimulationError as error:
        raise CommandError(str(error)) from None
