"""`ordo db encrypt`: seal stored personal data under the current key of ORDO_DATA_KEYS.

How encryption is turned on for a database that holds plaintext rows, and how a data key is
rotated out (engine/adapters/reencrypt.py; docs/security.md#encryption)."""

from __future__ import annotations

from typing import Annotated

import typer

from engine.adapters.field_crypto import FieldCryptoError
from engine.adapters.reencrypt import DEFAULT_BATCH, encrypt_stored
from ordo.bootstrap import build_app_container
from ordo.cli_support import load, out
from ordo.failures import CommandError


def db_encrypt(
    ctx: typer.Context,
    batch_size: Annotated[
        int,
        typer.Option(
            min=1, max=10_000, help="Rows per transaction: each batch is committed on its own."
        ),
    ] = DEFAULT_BATCH,
) -> None:
    """Encrypt every stored email, name and address under the first key of ORDO_DATA_KEYS:
    rows written before encryption was on, and rows under an older key. Safe to run again,
    and to stop: a second run resumes where one stopped and rewrites nothing twice."""
    settings = load(ctx)
    with build_app_container(settings) as container:
        cipher = container.data_cipher
        if cipher is None:
            raise CommandError(
                "ORDO_DATA_KEYS is not set: there is no key to encrypt under (make one with "
                "`ordo keys new-data-key`)"
            )
        try:
            done = encrypt_stored(container.engine, cipher, batch_size)
        except FieldCryptoError as error:
            raise CommandError(
                f"{error}. The batches before it are committed: run `ordo db encrypt` again "
                "once it is fixed, and it resumes"
            ) from None
    console = out()
    for progress in done:
        console.print(
            f"{progress.table}: {progress.examined:,} rows read, {progress.rewritten:,} "
            f"encrypted under key {cipher.current!r}"
        )
    console.print(f"every personal value is under key {cipher.current!r}", markup=False)
