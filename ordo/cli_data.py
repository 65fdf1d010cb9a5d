"""`ordo db encrypt` and `ordo db decrypt`: seal stored personal data under the current key of
ORDO_DATA_KEYS, count what each key seals (`--check`), or write it all back in clear.

How encryption is turned on for a database that holds plaintext rows, how a data key is
rotated out, and how encryption is turned off again (engine/adapters/reencrypt.py;
docs/security.md#encryption)."""

from __future__ import annotations

from typing import Annotated

import typer

from engine.adapters.field_crypto import FieldCipher, FieldCryptoError
from engine.adapters.reencrypt import (
    DEFAULT_BATCH,
    KeyUsage,
    UnheldKeyError,
    decrypt_stored,
    encrypt_stored,
    key_usage,
    refuse_unheld,
)
from ordo.bootstrap import build_app_container
from ordo.cli_support import load, out
from ordo.failures import CommandError

BatchSize = Annotated[
    int,
    typer.Option(
        min=1, max=10_000, help="Rows per transaction: each batch is committed on its own."
    ),
]


def db_encrypt(
    ctx: typer.Context,
    batch_size: BatchSize = DEFAULT_BATCH,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Change nothing: count the stored values in clear and under each data key, "
            "to know when a key rotated out may be removed from ORDO_DATA_KEYS. Exits 1 when "
            "a value is under a key ORDO_DATA_KEYS does not hold. Needs no key.",
        ),
    ] = False,
) -> None:
    """Encrypt every stored email, name, address, label, EDI document, audit summary,
    idempotency answer, alert message and ticket text under the first key of ORDO_DATA_KEYS:
    rows written before encryption was on, and rows under an older key. Safe to run again,
    and to stop: a second run resumes where one stopped and rewrites nothing twice. With
    --check, it changes nothing and says what each key still seals."""
    settings = load(ctx)
    with build_app_container(settings) as container:
        cipher = container.data_cipher
        if check:
            _report_usage(key_usage(container.engine, batch_size), cipher)
            return
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


def db_decrypt(
    ctx: typer.Context,
    batch_size: BatchSize = DEFAULT_BATCH,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Decrypt and count what a run would rewrite, and write nothing."
        ),
    ] = False,
) -> None:
    """Write every stored email, name, address, label, EDI document, audit summary,
    idempotency answer, alert message and ticket text back in clear, with the keys of
    ORDO_DATA_KEYS: how encryption at rest is turned off, or the data readied for a system
    without the keys. Email search keeps
    working once the keys are removed. It first checks that every value is under a key it
    holds, and changes nothing otherwise. Safe to run again, and to stop: a second run
    resumes and leaves values in clear alone."""
    settings = load(ctx)
    with build_app_container(settings) as container:
        cipher = container.data_cipher
        if cipher is None:
            _nothing_sealed(key_usage(container.engine, batch_size))
            return
        try:
            done = decrypt_stored(container.engine, cipher, batch_size, dry_run=dry_run)
        except UnheldKeyError as error:
            raise CommandError(
                f"{error}. Nothing was changed: add those keys to ORDO_DATA_KEYS and run "
                "`ordo db decrypt` again"
            ) from None
        except FieldCryptoError as error:
            raise CommandError(
                f"{error}. The batches before it are committed: run `ordo db decrypt` again "
                "once it is fixed, and it resumes"
            ) from None
    console = out()
    done_as = "to decrypt" if dry_run else "decrypted"
    for progress in done:
        console.print(
            f"{progress.table}: {progress.examined:,} rows read, {progress.rewritten:,} {done_as}",
            markup=False,
        )
    if dry_run:
        console.print("dry run: nothing was written", markup=False)
        return
    console.print(
        "every personal value is in clear: remove ORDO_DATA_KEYS wherever Ordo runs, then "
        "`ordo db encrypt --check` shows whether anything was sealed meanwhile",
        markup=False,
    )


def _nothing_sealed(usages: list[KeyUsage]) -> None:
    """`ordo db decrypt` without keys: done already when nothing is sealed, refused (naming
    the first sealed value) when something is."""
    try:
        refuse_unheld(usages, ())
    except UnheldKeyError as error:
        raise CommandError(
            f"ORDO_DATA_KEYS is not set: {error}. Nothing was changed: set ORDO_DATA_KEYS to "
            "those keys for `ordo db decrypt` and run it again"
        ) from None
    left = sorted({kid for usage in usages for kid in usage.sealed})
    if left:  # indexes under a key, their emails in clear: rare, and rewritten with a key
        raise CommandError(
            "ORDO_DATA_KEYS is not set: blind indexes under data keys "
            f"{', '.join(map(repr, left))} remain. Nothing was changed: set ORDO_DATA_KEYS to "
            "those keys for `ordo db decrypt` and run it again"
        )
    console = out()
    for usage in usages:
        console.print(f"{usage.table}: {usage.rows:,} rows read, 0 decrypted", markup=False)
    console.print("every personal value is in clear", markup=False)


def _report_usage(usages: list[KeyUsage], cipher: FieldCipher | None) -> None:
    """`ordo db encrypt --check`: each table's values by key, then what each key still seals
    and whether it may go; CommandError when a value is under a key not held."""
    console = out()
    total: dict[str, int] = {}
    for usage in usages:
        under = "".join(
            f", {count:,} under key {kid!r}" for kid, count in sorted(usage.sealed.items())
        )
        console.print(
            f"{usage.table}: {usage.rows:,} rows, {usage.clear:,} values in clear{under}",
            markup=False,
        )
        for kid, count in usage.sealed.items():
            total[kid] = total.get(kid, 0) + count
    held = cipher.kids if cipher is not None else ()
    for kid in held:
        count = total.get(kid, 0)
        if cipher is not None and kid == cipher.current:
            verdict = "the current key"
        elif count:
            verdict = "still needed: run `ordo db encrypt` before removing it"
        else:
            verdict = "no longer needed: it may be removed from ORDO_DATA_KEYS"
        console.print(f"key {kid!r}: {count:,} values, {verdict}", markup=False)
    for kid in sorted(set(total) - set(held)):
        console.print(f"key {kid!r}: {total[kid]:,} values, not in ORDO_DATA_KEYS", markup=False)
    try:
        refuse_unheld(usages, held)
    except UnheldKeyError as error:
        raise CommandError(f"{error}: Ordo cannot read them; add those keys back") from None
