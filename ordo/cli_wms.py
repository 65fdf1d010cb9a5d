"""`ordo wms send-transfers`: send the warehouse systems of ORDO_WMS the transfers they should
hold but never got, those made or shipped before the WMS was configured
(engine.service_layer.unsent_transfers; docs/integrations.md#transfers-made-before-the-wms).

One line per transfer (what was sent, or why not), then a count; exit 1 when a WMS could not
be reached or refused a send, so a script sees it (a next run tries those again)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from engine.service_layer.unit_of_work import UnitOfWork
from engine.service_layer.unsent_transfers import Outcome, UnsentTransfers
from ordo.admin_key import operator
from ordo.bootstrap import build_app_container
from ordo.cli_support import load, out
from ordo.failures import CommandError

wms_app = typer.Typer(
    help="Warehouse systems (ORDO_WMS): send them what they should hold.", no_args_is_help=True
)


@wms_app.command("send-transfers")
def send_transfers(
    ctx: typer.Context,
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            metavar="CODE",
            help="Only the transfers for the WMS of this location (leaving it, or going to it).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be sent, and send nothing.")
    ] = False,
) -> None:
    """Send the WMSs the transfers made before they were configured.

    Each open transfer's transfer order (not shipped yet) goes to the WMS of the location it
    leaves, and each shipped one's expected receipt to the WMS of the location it goes to,
    when that WMS never got it. Audited as `transfer.sent_to_wms`. Running it again sends
    nothing twice."""
    settings = load(ctx)
    with build_app_container(settings) as container:
        if not container.warehouses:
            raise CommandError("ORDO_WMS is not set: there is no warehouse system to send to")
        walk = UnsentTransfers(container.warehouses)
        if location is not None:
            _check_location(container.uow_factory, walk, location)
        unsent = walk.listed(container.uow_factory, location)
        say = out()
        if dry_run:
            for due in unsent:
                say.print(f"{due.transfer_id}: {due.document} for the WMS of {due.location}",
                          markup=False, soft_wrap=True)  # fmt: skip
            say.print(f"dry run: {len(unsent)} to send, nothing sent", markup=False, soft_wrap=True)
            return
        actor = operator()
        outcomes = []
        for due in unsent:
            outcome = walk.send(container.uow_factory, due, actor)
            say.print(_line(outcome), markup=False, soft_wrap=True)
            outcomes.append(outcome)
    failed = sum(1 for outcome in outcomes if outcome.failure)
    sent = sum(1 for o in outcomes if o.sent is not None and o.sent.reference)
    refused = sum(1 for o in outcomes if o.sent is not None and o.sent.refused)
    say.print(
        f"{len(outcomes)} transfer document(s) missing from a WMS: {sent} sent, {refused} "
        f"refused, {len(outcomes) - sent - refused - failed} not sent, {failed} failed",
        markup=False,
        soft_wrap=True,
    )
    if failed:
        raise typer.Exit(1)


def _check_location(
    uow_factory: Callable[[], UnitOfWork], walk: UnsentTransfers, code: str
) -> None:
    """`--location` must name a location Ordo knows, and one a WMS that takes transfers runs."""
    with uow_factory() as uow:
        known = uow.locations.get(code) is not None
    if not known:
        raise CommandError(f"--location: Ordo has no location {code!r}")
    if not walk.serves(code):
        raise CommandError(
            f"--location: no WMS of ORDO_WMS that takes transfers runs location {code!r}"
        )


def _line(outcome: Outcome) -> str:
    """What became of one transfer's document, for the operator."""
    due, sent = outcome.unsent, outcome.sent
    what = f"{due.transfer_id}: {due.document}"
    if sent is None:
        return f"{what} failed: {outcome.failure}"
    if sent.reference:
        return f"{what} sent to the WMS of {due.location} ({sent.reference})"
    if sent.refused:
        return (
            f"{what} refused by the WMS of {due.location}: {sent.why} (alert raised: see it "
            "received by hand)"
        )
    return f"{what} not sent: the transfer {sent.why}"
