"""Sealing stored personal data under the current data key, batch by batch (`ordo db encrypt`).

Run after turning encryption on (rows written before are plaintext) and after putting a new
key first in `ORDO_DATA_KEYS` (rows are under the old one): every personal column of
`orders`, `customers` and `edi_outbound` (trading partners' documents) not yet sealed under
the current key is decrypted (or read as plaintext) and sealed again, its blind index
recomputed. Once a run has finished, no row needs an older key, and it can be removed from
the settings.

Each batch is one transaction that locks its rows (FOR UPDATE on PostgreSQL; SQLite's writer
takes the whole database at BEGIN), so an order changed by the API meanwhile is never
overwritten with what it held before. A row already current is left alone: a run is
idempotent, and one stopped part-way (or by a row it cannot decrypt) is resumed by running it
again. Values change representation only: `version` and `updated_at` stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, bindparam, select, update

from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher
from engine.adapters.sealed_rows import (
    CUSTOMERS,
    EDI_DOCUMENTS,
    ORDERS,
    PersonalColumns,
    RowSealer,
    label_place,
)

Row = dict[str, Any]
# The tables whose personal columns are sealed (what the repositories seal, table by table).
SEALED_TABLES: tuple[tuple[Table, PersonalColumns], ...] = (
    (orm.orders, ORDERS),
    (orm.customers, CUSTOMERS),
    (orm.edi_outbound, EDI_DOCUMENTS),
)
# Printed labels (`SqlLabels`), by the column naming their shipment or return.
LABEL_TABLES: tuple[tuple[Table, str], ...] = (
    (orm.shipment_labels, "shipment_id"),
    (orm.return_labels, "return_id"),
)
DEFAULT_BATCH = 500


@dataclass
class Progress:
    """One table's count so far: rows read, and rows sealed again among them."""

    table: str
    examined: int = 0
    rewritten: int = 0


@dataclass(frozen=True)
class _Sealed:
    """How to bring one table's rows under the current key: which columns, whether a row is
    current already, and its columns' values sealed again."""

    table: Table
    key: str
    columns: tuple[str, ...]
    is_current: Callable[[Row], bool]
    resealed: Callable[[Row], Row]


def encrypt_stored(
    engine: Engine,
    cipher: FieldCipher,
    batch_size: int = DEFAULT_BATCH,
    report: Callable[[Progress], None] | None = None,
) -> list[Progress]:
    """Seal every stored personal value under `cipher`'s current key; the counts per table.
    `report` is called after each committed batch. FieldCryptoError for a value no key held
    decrypts (what came before it is committed)."""
    if batch_size < 1:
        raise ValueError(f"a batch must hold at least one row, got {batch_size}")
    return [_encrypt_table(engine, sealed, batch_size, report) for sealed in _sealed(cipher)]


def _sealed(cipher: FieldCipher) -> list[_Sealed]:
    found = []
    for table, columns in SEALED_TABLES:
        sealer = RowSealer(cipher, columns)

        def resealed(row: Row, sealer: RowSealer = sealer, key: str = columns.key) -> Row:
            return sealer.seal(sealer.reopened(row), row[key])

        found.append(_Sealed(table, columns.key, columns.columns, sealer.is_current, resealed))
    for table, key in LABEL_TABLES:

        def label(row: Row, table: Table = table, key: str = key) -> Row:
            where = label_place(table.name, row[key])
            return {
                "content": cipher.encrypt_bytes(cipher.decrypt_bytes(_bytes(row), where), where)
            }

        found.append(
            _Sealed(table, key, ("content",), lambda row: cipher.is_current(_bytes(row)), label)
        )
    return found


def _bytes(row: Row) -> bytes:
    return bytes(row["content"])  # a driver may hand back a memoryview


def _encrypt_table(
    engine: Engine, sealed: _Sealed, size: int, report: Callable[[Progress], None] | None
) -> Progress:
    progress = Progress(sealed.table.name)
    key = sealed.table.c[sealed.key]
    read = select(key, *(sealed.table.c[name] for name in sealed.columns)).order_by(key)
    write = (
        update(sealed.table)
        .where(key == bindparam("k_key"))
        .values({c: bindparam(f"v_{c}", type_=sealed.table.c[c].type) for c in sealed.columns})
    )
    after: Any = None
    while True:
        with engine.begin() as connection:
            batch = read if after is None else read.where(key > after)
            rows = connection.execute(batch.limit(size).with_for_update()).mappings()
            found = [dict(row) for row in rows]
            if not found:
                return progress
            writes = [_write(sealed, row) for row in found if not sealed.is_current(row)]
            if writes:
                connection.execute(write, writes)
        progress.examined += len(found)
        progress.rewritten += len(writes)
        after = found[-1][sealed.key]
        if report is not None:
            report(progress)


def _write(sealed: _Sealed, row: Row) -> Row:
    values = sealed.resealed(row)
    return {"k_key": row[sealed.key], **{f"v_{c}": values[c] for c in sealed.columns}}
