"""Rewriting stored personal data batch by batch: sealed under the current data key
(`ordo db encrypt`), back in clear (`ordo db decrypt`), or only counted by the key that seals
it (`ordo db encrypt --check`).

Encrypting runs after turning encryption on (rows written before are plaintext) and after
putting a new key first in `ORDO_DATA_KEYS` (rows are under the old one): every personal
column of `orders`, `customers` and `edi_outbound` (trading partners' documents), the audit
log's summaries, the API's stored answers to retries, alerts' messages, what tickets say
(subject, the helpdesk's latest reply and its author), returns' reasons, orders' hold
messages, decision traces' details, carriers' texts in tracking scans, dead letters' payloads
and errors, API keys' names, and every printed label, not yet sealed under the current key is
decrypted (or read as plaintext) and sealed again, its blind index recomputed, and a scan's
fingerprint (the key its tokens are bound to) computed again under the current key. Once a
run has finished, no row needs an older key, and it can be removed from the settings;
`key_usage` says so by counting, for each key id, the values still under it.

Decrypting is the way back: every token is opened and written as the plaintext it holds, and
each blind index as the lower-cased email an unencrypted database keeps there (and each
scan's fingerprint as the unkeyed digest), so that once the keys are gone the repositories
read the rows as they are and find orders by email. A
first pass reads only the key ids of the stored values (a label's or a document's first bytes,
never the rest, and nothing is decrypted): a value under a key the cipher does not hold stops
the run before anything is written, naming where it is.

Each batch is one transaction that locks its rows (FOR UPDATE on PostgreSQL; SQLite's writer
takes the whole database at BEGIN), so an order changed by the API meanwhile is never
overwritten with what it held before. A row already as wanted is left alone: a run is
idempotent, and one stopped part-way (or by a row it cannot decrypt) is resumed by running it
again. Values change representation only: `version` and `updated_at` stay as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, and_, bindparam, func, select, tuple_, update

from engine.adapters import orm, orm_api
from engine.adapters.field_crypto import (
    FINGERPRINT_PREFIX,
    INDEX_PREFIX,
    TOKEN_PREFIX,
    FieldCipher,
    FieldCryptoError,
)
from engine.adapters.repositories import scan_fingerprint
from engine.adapters.sealed_rows import (
    ADDRESS_FIELDS,
    ALERT_MESSAGES,
    API_KEY_NAMES,
    AUDIT_SUMMARIES,
    CUSTOMERS,
    DEAD_LETTERS,
    DECISION_TRACES,
    EDI_DOCUMENTS,
    IDEMPOTENCY_ANSWERS,
    ORDERS,
    RETURN_REASONS,
    TICKET_TEXTS,
    TRACKING_TEXTS,
    PersonalColumns,
    RowSealer,
    item_values,
    label_place,
)

Row = dict[str, Any]
# The tables whose personal columns are sealed (what the repositories seal, table by table).
SEALED_TABLES: tuple[tuple[Table, PersonalColumns], ...] = (
    (orm.orders, ORDERS),
    (orm.customers, CUSTOMERS),
    (orm.edi_outbound, EDI_DOCUMENTS),
    (orm.audit_log, AUDIT_SUMMARIES),
    (orm_api.idempotency_keys, IDEMPOTENCY_ANSWERS),
    (orm.alerts, ALERT_MESSAGES),
    (orm.tickets, TICKET_TEXTS),
    (orm.returns, RETURN_REASONS),
    (orm.shipment_tracking, TRACKING_TEXTS),
    (orm.decision_traces, DECISION_TRACES),
    (orm.dead_letters, DEAD_LETTERS),
    (orm_api.api_keys, API_KEY_NAMES),
)
# Printed labels (`SqlLabels`), by the column naming their shipment or return.
LABEL_TABLES: tuple[tuple[Table, str], ...] = (
    (orm.shipment_labels, "shipment_id"),
    (orm.return_labels, "return_id"),
)
DEFAULT_BATCH = 500
# Enough of a label or a document to hold a token's prefix and key id (at most 32 characters):
# all the key-usage pass reads of them.
_HEAD = len(TOKEN_PREFIX) + 33
_BYTES_TOKEN = TOKEN_PREFIX.encode()
# Text columns sealed whole that can be long (documents, an answer listing a batch of orders):
# the key-usage pass reads their head. An audit summary is a small JSON value, read whole.
_WHOLE_DOCUMENTS = {
    EDI_DOCUMENTS.table: EDI_DOCUMENTS.texts,
    IDEMPOTENCY_ANSWERS.table: IDEMPOTENCY_ANSWERS.texts,
}


@dataclass
class Progress:
    """One table's count so far: rows read, and rows rewritten (or, in a dry run, to rewrite)
    among them."""

    table: str
    examined: int = 0
    rewritten: int = 0


@dataclass
class KeyUsage:
    """One table's stored personal values by what seals them: how many are in clear, and how
    many (blind indexes included) are under each key id; and, for each key id, the first
    value that needs that key to be read (`orders.email of row O-1`)."""

    table: str
    rows: int = 0
    clear: int = 0
    sealed: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)


class UnheldKeyError(FieldCryptoError):
    """Stored values are sealed under keys the cipher does not hold: the first of them is
    named, with the count of all of them. Raised before anything is written."""

    def __init__(self, first: str, kid: str, held: Sequence[str], unheld: Counter[str]) -> None:
        self.first, self.kid, self.held, self.unheld = first, kid, tuple(held), unheld
        holds = ", ".join(map(repr, held)) if held else "no key"
        count = sum(unheld.values())
        super().__init__(
            f"{first} is sealed under data key {kid!r}, which ORDO_DATA_KEYS does not hold "
            f"(it holds {holds}); {count:,} stored value{'s' if count != 1 else ''} in all "
            f"need keys it does not hold ({', '.join(map(repr, sorted(unheld)))})"
        )


@dataclass(frozen=True)
class Rewrite:
    """How to bring one table's rows where a run wants them: which columns, whether a row is
    there already (as read, its key columns and `columns`), and those columns' new values."""

    table: Table
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    is_done: Callable[[Row], bool]
    rewritten: Callable[[Row], Row]
    # Further columns read, not written: what a scan's fingerprint is computed from.
    reads: tuple[str, ...] = ()


def encrypt_stored(
    engine: Engine,
    cipher: FieldCipher,
    batch_size: int = DEFAULT_BATCH,
    report: Callable[[Progress], None] | None = None,
) -> list[Progress]:
    """Seal every stored personal value under `cipher`'s current key; the counts per table.
    `report` is called after each committed batch. FieldCryptoError for a value no key held
    decrypts (what came before it is committed)."""
    _check_batch(batch_size)
    return [
        _rewrite_table(engine, rewrite, batch_size, report, write=True)
        for rewrite in resealing(cipher)
    ]


def decrypt_stored(
    engine: Engine,
    cipher: FieldCipher,
    batch_size: int = DEFAULT_BATCH,
    report: Callable[[Progress], None] | None = None,
    dry_run: bool = False,
) -> list[Progress]:
    """Write every stored personal value in clear, and every blind index as the lower-cased
    email; the counts per table. UnheldKeyError, before anything is written, when a value is
    under a key `cipher` does not hold. A dry run decrypts and counts, and writes nothing.
    `report` is called after each batch. FieldCryptoError for a token that does not decrypt
    (altered, or one written meanwhile under a key not held): what came before it is
    committed, and a second run resumes."""
    _check_batch(batch_size)
    refuse_unheld(key_usage(engine, batch_size), cipher.kids)
    return [
        _rewrite_table(engine, rewrite, batch_size, report, write=not dry_run)
        for rewrite in opening(cipher)
    ]


def key_usage(engine: Engine, batch_size: int = DEFAULT_BATCH) -> list[KeyUsage]:
    """Count each table's personal values in clear and under each key id, reading the key ids
    only (no key is needed, nothing is decrypted and nothing is written)."""
    _check_batch(batch_size)
    return [_usage_of(engine, scan, batch_size) for scan in _scans()]


def refuse_unheld(usages: Iterable[KeyUsage], held: Sequence[str]) -> None:
    """UnheldKeyError naming the first value that needs a key not in `held`; a key id found
    only in blind indexes is no reason (a decryption recomputes them from the emails)."""
    unheld: Counter[str] = Counter()
    first: tuple[str, str] | None = None
    for usage in usages:
        for kid, place in usage.first.items():
            if kid not in held:
                unheld[kid] += usage.sealed[kid]
                first = first or (place, kid)
    if first is not None:
        raise UnheldKeyError(first[0], first[1], held, unheld)


def _check_batch(batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError(f"a batch must hold at least one row, got {batch_size}")


def resealing(cipher: FieldCipher) -> list[Rewrite]:
    """Each table's rewrite under the current key of `cipher` (`encrypt_stored`)."""
    found = []
    for table, columns in SEALED_TABLES:
        sealer = RowSealer(cipher, columns)
        if columns.fingerprint is not None:
            found.append(_refingerprinted(table, sealer, cipher))
            continue

        def resealed(row: Row, sealer: RowSealer = sealer) -> Row:
            return sealer.seal(sealer.reopened(row), sealer.columns.row_id(row))

        found.append(Rewrite(table, columns.keys, columns.columns, sealer.is_current, resealed))
    for table, key in LABEL_TABLES:

        def label(row: Row, table: Table = table, key: str = key) -> Row:
            where = label_place(table.name, row[key])
            return {
                "content": cipher.encrypt_bytes(cipher.decrypt_bytes(_bytes(row), where), where)
            }

        found.append(
            Rewrite(table, (key,), ("content",), lambda row: cipher.is_current(_bytes(row)), label)
        )
    return found


def opening(cipher: FieldCipher) -> list[Rewrite]:
    """Each table's rewrite back in clear, a value in clear left as it is (`decrypt_stored`)."""
    found = []
    for table, columns in SEALED_TABLES:
        sealer = RowSealer(cipher, columns)
        if columns.fingerprint is not None:
            found.append(_refingerprinted(table, sealer, None))
            continue

        def is_plain(row: Row, columns: PersonalColumns = columns) -> bool:
            return _is_plain(row, columns)

        found.append(Rewrite(table, columns.keys, columns.columns, is_plain, sealer.reopened))
    for table, key in LABEL_TABLES:

        def label(row: Row, table: Table = table, key: str = key) -> Row:
            return {"content": cipher.decrypt_bytes(_bytes(row), label_place(table.name, row[key]))}

        found.append(
            Rewrite(
                table,
                (key,),
                ("content",),
                lambda row: not _bytes(row).startswith(_BYTES_TOKEN),
                label,
            )
        )
    return found


def _refingerprinted(table: Table, sealer: RowSealer, sealing: FieldCipher | None) -> Rewrite:
    """The rewrite of scans (`TRACKING_TEXTS`): their texts sealed under `sealing`'s current
    key (or written in clear without one), and their fingerprint, which their tokens are
    bound to, computed again to match: keyed under that key, or the unkeyed digest. Rows are
    walked by their database id, as the fingerprint they are keyed by is rewritten."""
    spec = sealer.columns
    assert spec.fingerprint is not None
    name = spec.fingerprint
    keyed = None if sealing is None else f"{FINGERPRINT_PREFIX}{sealing.current}:"

    def is_done(row: Row) -> bool:
        if keyed is None:
            return _is_plain(row, spec)
        return row[name].startswith(keyed) and sealer.is_current(row)

    def rewritten(row: Row) -> Row:
        opened = sealer.open(row)
        opened[name] = scan_fingerprint(opened, sealing)
        return opened if sealing is None else sealer.seal(opened, spec.row_id(opened))

    reads = ("shipment_id", "at", "code", "tracking_number")
    return Rewrite(table, ("id",), (name, *spec.texts), is_done, rewritten, reads)


def _is_plain(row: Row, columns: PersonalColumns) -> bool:
    """Whether a stored row holds no token, and each index column its source's lower case:
    the row as Ordo writes it with encryption off."""
    if any(_kid(value) is not None for _, value in _values(row, columns)):
        return False
    return all(
        row.get(index) == (row.get(source) or "").lower() for index, source in columns.indexes
    )


def _bytes(row: Row) -> bytes:
    return bytes(row["content"])  # a driver may hand back a memoryview


def _rewrite_table(
    engine: Engine,
    rewrite: Rewrite,
    size: int,
    report: Callable[[Progress], None] | None,
    write: bool,
) -> Progress:
    progress = Progress(rewrite.table.name)
    keys = [rewrite.table.c[name] for name in rewrite.keys]
    read = select(
        *keys, *(rewrite.table.c[name] for name in (*rewrite.columns, *rewrite.reads))
    ).order_by(*keys)
    statement = (
        update(rewrite.table)
        .where(and_(*(key == bindparam(f"k_{key.name}") for key in keys)))
        .values({c: bindparam(f"v_{c}", type_=rewrite.table.c[c].type) for c in rewrite.columns})
    )
    after: tuple[Any, ...] | None = None
    while True:
        # A dry run locks nothing and takes no writer: it reads, and opens what it would write.
        with engine.begin() if write else engine.connect() as connection:
            batch = (read if after is None else read.where(_past(keys, after))).limit(size)
            batch = batch.with_for_update() if write else batch
            found = [dict(row) for row in connection.execute(batch).mappings()]
            if not found:
                return progress
            writes = [_write(rewrite, row) for row in found if not rewrite.is_done(row)]
            if writes and write:
                connection.execute(statement, writes)
        progress.examined += len(found)
        progress.rewritten += len(writes)
        after = tuple(found[-1][name] for name in rewrite.keys)
        if report is not None:
            report(progress)


def _past(keys: Sequence[ColumnElement[Any]], after: tuple[Any, ...]) -> ColumnElement[bool]:
    """The rows after the last of a batch, in the order of their key columns (a row value
    comparison, which PostgreSQL and SQLite both run, when there are several)."""
    if len(keys) == 1:
        return keys[0] > after[0]
    return tuple_(*keys) > tuple_(*after)


def _write(rewrite: Rewrite, row: Row) -> Row:
    values = rewrite.rewritten(row)
    return {
        **{f"k_{name}": row[name] for name in rewrite.keys},
        **{f"v_{c}": values[c] for c in rewrite.columns},
    }


@dataclass(frozen=True)
class _Scan:
    """What the key-usage pass reads of one table: its key, and each personal column (a
    label's or a document's first bytes only), with the columns' names for places."""

    table: Table
    read: tuple[ColumnElement[Any], ...]
    columns: PersonalColumns


def _scans() -> list[_Scan]:
    found = []
    for table, columns in SEALED_TABLES:
        read = tuple(
            _head(table, name) if name in _WHOLE_DOCUMENTS.get(table.name, ()) else table.c[name]
            for name in columns.columns
        )
        found.append(_Scan(table, read, columns))
    for table, key in LABEL_TABLES:
        found.append(
            _Scan(
                table,
                (_head(table, "content"),),
                PersonalColumns(table.name, key, ("content",)),
            )
        )
    return found


def _head(table: Table, name: str) -> ColumnElement[Any]:
    column = table.c[name]
    return func.substr(column, 1, _HEAD, type_=column.type).label(name)


def _usage_of(engine: Engine, scan: _Scan, size: int) -> KeyUsage:
    usage = KeyUsage(scan.table.name)
    keys = [scan.table.c[name] for name in scan.columns.keys]
    read = select(*keys, *scan.read).order_by(*keys).limit(size)
    # Recomputed by a decryption from what they index, so no key of theirs needs holding.
    indexes = {index for index, _ in scan.columns.indexes} | {scan.columns.fingerprint}
    after: tuple[Any, ...] | None = None
    while True:
        with engine.connect() as connection:
            batch = read if after is None else read.where(_past(keys, after))
            found = [dict(row) for row in connection.execute(batch).mappings()]
        if not found:
            return usage
        for row in found:
            for column, value in _values(row, scan.columns):
                kid = _kid(value)
                if kid is None:
                    usage.clear += 1
                    continue
                usage.sealed[kid] += 1
                if column not in indexes and kid not in usage.first:
                    row_id = scan.columns.row_id(row)
                    usage.first[kid] = f"{scan.table.name}.{column} of row {row_id}"
        usage.rows += len(found)
        after = tuple(found[-1][name] for name in scan.columns.keys)


def _values(row: Row, columns: PersonalColumns) -> Iterator[tuple[str, object]]:
    """Each non-empty personal value of a stored row, by its column (`ship_to.name` for an
    address field), indexes and a fingerprint included; a JSON document as stored (a token,
    or JSON in clear)."""
    fingerprint = () if columns.fingerprint is None else (columns.fingerprint,)
    for column in (
        *columns.texts,
        *columns.documents,
        *(i for i, _ in columns.indexes),
        *fingerprint,
    ):
        value = row.get(column)
        if value:
            yield column, bytes(value) if isinstance(value, memoryview) else value
    for column in columns.addresses:
        address = row.get(column)
        if isinstance(address, dict):
            for name in ADDRESS_FIELDS:
                value = address.get(name)
                if isinstance(value, str) and value:
                    yield f"{column}.{name}", value
    yield from item_values(row, columns)


def _kid(value: object) -> str | None:
    """The key id of a token or a blind index; None for a value in clear (a JSON document in
    clear is no text)."""
    if isinstance(value, bytes):
        if not value.startswith(_BYTES_TOKEN):
            return None
        return value[len(_BYTES_TOKEN) :].partition(b":")[0].decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    for prefix in (TOKEN_PREFIX, INDEX_PREFIX, FINGERPRINT_PREFIX):
        if value.startswith(prefix):
            return value[len(prefix) :].partition(":")[0]
    return None
