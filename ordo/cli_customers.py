"""`ordo customers export|erase`: a customer's personal data, for the person who answers a
data-protection request at the terminal (see engine.service_layer.privacy).

The export is the document `GET /v1/customers/{id}/personal-data` answers; the erasure is the
one `POST /v1/customers/{id}/erase` runs. Both are audited (`customer.export`,
`customer.erase`) for the operator, `cli:<OS user>`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.schemas.privacy import ErasureOut, PersonalDataOut
from engine.domain.commands import EraseCustomer
from engine.domain.values import utcnow
from engine.service_layer.privacy import Erasure, export_personal_data
from ordo.admin_key import operator
from ordo.bootstrap import PRIVATE_FILE, build_app_container
from ordo.cli_support import load, out
from ordo.failures import CommandError

customers_app = typer.Typer(
    help="A customer's personal data: export it, erase it.", no_args_is_help=True
)
CustomerId = Annotated[str, typer.Argument(help="The customer's id, as their orders name it.")]


@customers_app.command("export")
def customers_export(
    ctx: typer.Context,
    customer_id: CustomerId,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Write the document to FILE instead of the terminal.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Everything Ordo holds about a customer, as one JSON document: their record, orders,
    shipments, returns and the audit entries about them. Audited as `customer.export`."""
    settings = load(ctx)
    with build_app_container(settings) as container:
        exported = export_personal_data(container.uow_factory(), customer_id, actor=operator())
    document = PersonalDataOut.of(exported, utcnow()).model_dump_json(indent=2)
    if out_file is None:
        typer.echo(document)
        return
    try:
        write_private(out_file, document + "\n")
    except OSError as error:
        raise CommandError(f"--out: cannot write {out_file}: {error.strerror}") from None
    out().print(
        f"customer {escape(customer_id)}: {len(exported.orders)} order(s), "
        f"{len(exported.shipments)} shipment(s), {len(exported.returns)} return(s), "
        f"{len(exported.audit)} audit entries written to {escape(str(out_file))}"
    )


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable and writable by this user only (PRIVATE_FILE): the
    document is everything Ordo holds about a person. An existing file is overwritten and
    made private too, since it is about to hold the same."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        # The mode above counts for a new file only; a device or pipe (`--out /dev/stdout`)
        # is not a file to keep, and not necessarily ours to change.
        if stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            os.fchmod(file.fileno(), PRIVATE_FILE)
        file.write(text)


@customers_app.command("erase")
def customers_erase(
    ctx: typer.Context,
    customer_id: CustomerId,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="Why (the request's reference); kept in the audit log.",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer's personal data for good (the right to be forgotten): their record and
    orders keep what the figures need and lose who and where they were. Refused while an order
    of theirs is not finished. Asks first, unless --yes."""
    if not reason.strip():
        raise CommandError("--reason: say why the customer's personal data is erased")
    settings = load(ctx)
    if not yes:
        typer.confirm(
            f"Erase the personal data of customer {customer_id}? This cannot be undone",
            abort=True,
        )
    with build_app_container(settings) as container:
        done: Erasure = container.bus.handle(EraseCustomer(customer_id, reason, operator()))
    counts = ErasureOut.of(done).erased.model_dump()
    changed = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.items() if n)
    say = out()
    if changed:
        say.print(f"customer {escape(customer_id)} erased: {changed}")
    else:
        say.print(f"customer {escape(customer_id)}: nothing left to erase (erased before)")
