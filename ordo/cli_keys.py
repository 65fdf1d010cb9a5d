"""`ordo keys create|list|revoke`: API keys straight in the database (see ordo.admin_key);
`ordo keys new-data-key`: a key for ORDO_DATA_KEYS (docs/security.md#encryption).

Creating and revoking are audited (`key.issue`, `key.revoke`) for `cli:<OS user>`, in the
key's own transaction, so `GET /v1/audit` shows them beside the API's."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from engine.adapters.field_crypto import new_data_key
from ordo.admin_key import issue_key, list_keys, revoke_key
from ordo.bootstrap import build_app_container
from ordo.cli_support import load, out
from ordo.failures import CommandError

keys_app = typer.Typer(help="Issue, list and revoke API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who or what the key is for.")],
    role: Annotated[
        str, typer.Option(help="admin, analyst, support, warehouse, channel or customer.")
    ],
    channel: Annotated[str, typer.Option(help="The channel a channel key ingests for.")] = "",
    location: Annotated[
        list[str] | None, typer.Option(help="A location a warehouse key works (repeatable).")
    ] = None,
    customer: Annotated[str, typer.Option(help="The customer a customer key belongs to.")] = "",
) -> None:
    """Issue an API key and print it once (it is never stored, only its hash); audited."""
    settings = load(ctx)
    with build_app_container(settings) as container:
        key_id, plaintext = issue_key(
            container, name, role, channel=channel, locations=location or (), customer_id=customer
        )
    console = out()
    console.print(f"API key {key_id} for {escape(name)} ({role}); shown once, keep it:")
    console.print(plaintext, soft_wrap=True, markup=False)


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """List API keys (never their secrets)."""
    with build_app_container(load(ctx)) as container:
        keys = list_keys(container)
    table = Table(show_edge=False)
    for column in ("id", "name", "role", "scope", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        scope = key.channel or ",".join(key.locations) or key.customer_id
        revoked = key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else ""
        created = key.created_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(key.id, escape(key.name), str(key.role), escape(scope), created, revoked)
    out().print(table)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The key's id.")]
) -> None:
    """Revoke an API key (audited); it stops working within the API's key cache time
    (seconds)."""
    with build_app_container(load(ctx)) as container:
        key, before = revoke_key(container, key_id)
    if before:
        out().print(f"API key {key.id} ({escape(key.name)}) was already revoked on {before}")
    else:
        out().print(f"API key {key.id} ({escape(key.name)}) is revoked")


@keys_app.command("new-data-key")
def keys_new_data_key(
    kid: Annotated[
        str,
        typer.Option(help="The key's id, written into what it encrypts (default: random)."),
    ] = "",
) -> None:
    """Print a fresh `kid:key` for ORDO_DATA_KEYS (32 random bytes in base64); stores nothing.
    Put it first to encrypt under it, and keep the keys it replaces after it until
    `ordo db encrypt` has run."""
    try:
        written = new_data_key(kid or None)
    except ValueError as error:
        raise CommandError(f"--kid: {error}") from None
    typer.echo(written)
