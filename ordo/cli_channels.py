"""`ordo channels check NAME FILE`: what a saved webhook payload becomes, without sending it.

The payload goes through the connector NAME of ORDO_CHANNEL_CONNECTORS and the API's own order
model, exactly as `POST /v1/channels/NAME/orders` takes it
(`api.routes.channels.translate_noting`). The command prints the order as `POST /v1/orders`
would take it, with the lines left out of it (a gift card, a virtual product: nothing to ship)
under `left_out` as the webhook's answer lists them, or every field that cannot be mapped, by
its path in the payload. No signature is checked, and nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from fastapi.exceptions import RequestValidationError

from api.errors import describe_validation_error
from api.routes.channels import left_out_noted, translate_noting
from ordo.bootstrap import build_channels
from ordo.cli_support import load, report
from ordo.failures import CommandError

channels_app = typer.Typer(help="Sales channels that post orders by webhook.", no_args_is_help=True)


@channels_app.command("check")
def check(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The connector's name in ORDO_CHANNEL_CONNECTORS.")],
    file: Annotated[Path, typer.Argument(help="A webhook body saved as JSON.")],
) -> None:
    """Print the Ordo order a saved webhook payload becomes, or why it cannot become one."""
    connectors = build_channels(load(ctx))
    connector = connectors.get(name)
    if connector is None:
        known = ", ".join(sorted(connectors)) or "none is configured"
        raise CommandError(f"no channel connector '{name}' in ORDO_CHANNEL_CONNECTORS ({known})")
    try:
        payload = json.loads(file.read_bytes())
    except OSError as error:
        raise CommandError(f"{file}: cannot read this file: {error.strerror}") from None
    except (ValueError, RecursionError):
        raise CommandError(f"{file}: is not JSON (save the webhook's body as it came)") from None
    if not isinstance(payload, dict):
        raise CommandError(f"{file}: must hold one order, a JSON object")
    try:
        order, left_out = translate_noting(connector, payload)
    except RequestValidationError as invalid:
        lines = [describe_validation_error(dict(error), None) for error in invalid.errors()]
        report("\n".join(f"{line['path']}: {line['message']}" for line in lines), 1)
        return
    shown = {**order.model_dump(mode="json"), **left_out_noted(left_out)}
    report(json.dumps(shown, indent=2), 0)
