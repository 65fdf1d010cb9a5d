"""`ordo erp backfill`: send the ERP or CRM of ORDO_ERP_SYNC_* the current state of what Ordo
holds, for one switched on after Ordo had orders (engine.service_layer.erp_backfill;
docs/integrations.md#an-erp-switched-on-later).

A line per batch (how many of a kind are sent), a line per entity the ERP refused for good,
then a count per kind; exit 1 when the ERP could not be reached, saying how far the run got
and the command that resumes it from there (`--after` the last entity done of the kind it
stopped in)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from engine.adapters.erp_backfill_keys import changed_keys
from engine.service_layer.erp_backfill import (
    Backfill,
    BackfillStopped,
    Key,
    Tally,
    described,
    key_of,
    key_text,
)
from engine.service_layer.erp_sync import ENTITIES
from ordo.bootstrap import build_app_container
from ordo.cli_support import day_option, load, out
from ordo.failures import CommandError

erp_app = typer.Typer(
    help="The ERP or CRM (ORDO_ERP_SYNC_*): send it what Ordo holds.", no_args_is_help=True
)


@erp_app.command("backfill")
def backfill(
    ctx: typer.Context,
    erp_sync_entities: Annotated[
        str | None,
        typer.Option(
            "--entities",
            metavar="KINDS",
            help=f"Some of {','.join(ENTITIES)}, comma-separated (default: "
            "ORDO_ERP_SYNC_ENTITIES).",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="YYYY-MM-DD",
            help="Only what changed on or after this day (UTC), and what Ordo keeps no time "
            "of a change of.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be sent, and send nothing.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", metavar="N", help="Entities read and sent at a time.")
    ] = 100,
    after: Annotated[
        str | None,
        typer.Option(
            "--after",
            metavar="KIND:KEY",
            help="Resume a stopped run: send that kind's entities after this one only (as the "
            "run printed it: orders:O-1, stock:SKU@LOCATION).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Send the ERP the current state of every order, customer, return and stock row.

    Each goes as the worker sends it on a change (the same payload, signed, with a version the
    receiver keeps the newest of); a customer whose personal data was erased goes as an
    erasure. A refusal for good of one entity is reported and the run goes on; an ERP out of
    reach stops it (exit 1). Running it again is harmless: it sends the states as they are."""
    day = _day(since)
    if batch_size < 1:
        raise CommandError(f"--batch-size: must be 1 or more, got {batch_size}")
    settings = load(ctx, erp_sync_entities=erp_sync_entities)
    kinds = settings.erp_sync_entity_names
    start = _after(after, kinds)
    with build_app_container(settings) as container:
        if container.erp is None:
            raise CommandError("ORDO_ERP_SYNC_URL is not set: there is no ERP or CRM to send to")
        walk = Backfill(container.erp, changed_keys, batch_size=batch_size)
        counted = walk.counted(container.uow_factory, kinds, day, start)
        say = out()
        if dry_run:
            counts = ", ".join(f"{due} {kind}" for kind, due in counted.items())
            _print(say, f"dry run: {counts} to send to the ERP; nothing sent")
            return
        shown = {kind: 0 for kind in counted}

        def progress(tally: Tally) -> None:
            for what, why in tally.refused[shown[tally.kind] :]:
                _print(say, f"{what} refused for good: {why}")
            shown[tally.kind] = len(tally.refused)
            _print(say, f"{tally.kind}: {tally.done} of {tally.due} done")

        try:
            tallies = walk.send(container.uow_factory, counted, day, progress, start)
        except BackfillStopped as stopped:
            for line in _stopped(stopped, list(counted), day):
                _print(say, line)
            raise typer.Exit(1) from None
    for line in _summary(tallies):
        _print(say, line)


def _day(text: str | None) -> date | None:
    """`--since` as a day; a bad one is one line naming the flag."""
    if text is None:
        return None
    try:
        return day_option(text)
    except typer.BadParameter as error:
        raise CommandError(f"--since: {error.message}") from None


def _after(text: str | None, kinds: Sequence[str]) -> Mapping[str, Key]:
    """`--after` as the key to start its kind after; a bad one is one line naming the flag."""
    if text is None:
        return {}
    try:
        kind, key = key_of(text, kinds)
    except ValueError as error:
        raise CommandError(f"--after: {error}") from None
    return {kind: key}


def _print(say: Console, line: str) -> None:
    say.print(line, markup=False, soft_wrap=True)


def _summary(tallies: Sequence[Tally]) -> list[str]:
    """A line per kind: sent, refused and gone since listed."""
    lines = []
    for tally in tallies:
        erased = f" ({tally.erased} as erased)" if tally.erased else ""
        lines.append(
            f"{tally.kind}: {tally.sent} sent{erased}, {len(tally.refused)} refused, "
            f"{tally.gone} gone since listed"
        )
    return lines


def _stopped(stopped: BackfillStopped, kinds: list[str], since: date | None) -> list[str]:
    """How far a stopped run got, and the command that resumes it."""
    not_started = kinds[kinds.index(stopped.kind) + 1 :]
    lines = [
        *_summary(stopped.tallies),
        f"stopped at {described(stopped.kind, stopped.key)}: {stopped.error}",
    ]
    if not_started:
        lines.append(f"not started: {', '.join(not_started)}")
    # A kind is walked in key order: the kind stopped in resumes after the last of its entities
    # done, those not started from their start.
    resume = ["ordo", "erp", "backfill", "--entities", ",".join([stopped.kind, *not_started])]
    if since is not None:
        resume += ["--since", since.isoformat()]
    if stopped.after is not None:
        resume += ["--after", key_text(stopped.kind, stopped.after)]
    lines.append(f"to resume: {shlex.join(resume)}")
    return lines
