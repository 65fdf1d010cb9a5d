"""Which columns of a row hold personal data, and sealing and opening them with a FieldCipher.

The repositories translate entities to rows and back in plaintext (`translation.py`), and
compare plaintext snapshots to find what changed; a `RowSealer` encrypts a row's personal
columns on its way into the database and decrypts them on the way out, so the rest of the
persistence adapter never sees a token.

Addresses are JSON objects sealed field by field: the fields that name a person or a door
(`name`, `line1`, `city`, `state`) become tokens, and the postal code, the country and the
coordinates stay in clear. Those are what an erasure keeps too (the business's record of
where it shipped, pseudonymous without the rest), and what sales and distance figures could
be grouped by in SQL; the column stays a JSON object either way.

Printed labels are binary, and sealed whole by `SqlLabels` with the same cipher (`cipher_of`,
`label_place`); the EDI documents waiting for a trading partner are text, sealed whole as a
personal column (`EDI_DOCUMENTS`), and so are the API's stored answers to retries
(`IDEMPOTENCY_ANSWERS`, keyed by owner and key). The audit log's `before` and `after`
summaries are JSON documents sealed whole (`AUDIT_SUMMARIES`): the column then holds a JSON
string, the token, so it stays valid JSON (JSONB on PostgreSQL) and needs no migration.
Alerts' messages (`ALERT_MESSAGES`) and what tickets say (`TICKET_TEXTS`: the subject and the
helpdesk's latest reply, its author and excerpt) are texts sealed whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.adapters.database import dumps, loads
from engine.adapters.field_crypto import TOKEN_PREFIX, FieldCipher

Row = dict[str, Any]
# The sessions' `info` key of their factory's cipher (`sqlalchemy_uow.make_session_factory`).
CIPHER = "ordo.field_cipher"

# The fields of an address sealed at rest (engine.domain.values.Address); the others, clear.
ADDRESS_FIELDS = ("name", "line1", "city", "state")


@dataclass(frozen=True)
class PersonalColumns:
    """The personal columns of one table.

    `texts` are sealed whole; `addresses` are JSON addresses (or NULL) sealed field by field;
    `documents` are JSON values sealed whole, their JSON text becoming a token that the column
    holds as a JSON string; each of `indexes` is (index column, source column): the index
    column holds the source's lower-cased text in clear, or its blind index once sealed."""

    table: str
    # The primary key column, or columns: bound into each token, so none moves to another row.
    key: str | tuple[str, ...]
    texts: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    indexes: tuple[tuple[str, str], ...] = ()
    documents: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            *self.texts,
            *self.addresses,
            *self.documents,
            *(index for index, _ in self.indexes),
        )

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,) if isinstance(self.key, str) else self.key

    def row_id(self, row: Mapping[str, Any]) -> object:
        """The id bound into a row's tokens: its key, or its keys as a compact JSON list (an
        idempotency record's owner and key, either of which may hold any character, so no
        separator could tell `a/b`+`c` from `a`+`b/c`)."""
        if isinstance(self.key, str):
            return row[self.key]
        return json.dumps([row[name] for name in self.key], separators=(",", ":"))

    def where(self, column: str, row_id: object) -> str:
        """The associated data of a value: its table, column (and address field) and row."""
        return f"{self.table}.{column}:{row_id}"


ORDERS = PersonalColumns(
    "orders", "id", texts=("email",), addresses=("ship_to",), indexes=(("email_lower", "email"),)
)
CUSTOMERS = PersonalColumns(
    "customers", "id", texts=("email", "name"), addresses=("default_address",)
)
# The X12 documents in a trading partner's mailbox (855s, 856s) name the ship-to and its
# street: each is sealed whole, as a printed label is (`SqlEdi`).
EDI_DOCUMENTS = PersonalColumns("edi_outbound", "id", texts=("content",))
# What an audit entry summarises (a customer's email and address, an order's ship-to, a key's
# name), sealed whole: which of its keys name a person depends on the action that wrote it.
AUDIT_SUMMARIES = PersonalColumns("audit_log", "id", documents=("before", "after"))
# The answers replayed to retries (an order's or a customer's JSON), stored as JSON text.
IDEMPOTENCY_ANSWERS = PersonalColumns("idempotency_keys", ("owner", "key"), texts=("response",))
# A rule's message is filled with an order's fields (a customer's name or email). Alerts are
# found by rule, key and status, never by their message in SQL (but by an erasure, which
# opens them: `repositories._alert_rows`).
ALERT_MESSAGES = PersonalColumns("alerts", "id", texts=("message",))
# Support names the customer in a subject, an alert's ticket is titled with its message, and
# the helpdesk's latest reply may be the customer's own, under their name (migration 0038
# widens these columns on PostgreSQL to hold a token). Tickets are read by their entity only.
TICKET_TEXTS = PersonalColumns(
    "tickets", "id", texts=("subject", "comment_author", "comment_excerpt")
)


class RowSealer:
    """Seals and opens the personal columns of one table's rows with one cipher."""

    def __init__(self, cipher: FieldCipher, columns: PersonalColumns) -> None:
        self.cipher = cipher
        self.columns = columns

    def seal(self, row: Row, row_id: object) -> Row:
        """A copy of `row` (all of a row, or the columns an UPDATE sets) with its personal
        columns encrypted; an empty text stays empty, as its length is all a token hides."""
        spec, cipher = self.columns, self.cipher
        sealed = dict(row)
        for column in spec.texts:
            text = row.get(column)
            if text:
                sealed[column] = cipher.encrypt(text, spec.where(column, row_id))
        for column in spec.addresses:
            address = row.get(column)
            if address is not None:
                sealed[column] = self._address(address, column, row_id, cipher.encrypt)
        for index, _ in spec.indexes:
            text = row.get(index)
            if text:
                sealed[index] = cipher.blind_index(text)
        for column in spec.documents:
            document = row.get(column)
            # An empty summary (`{}`, an entry about a creation's `before`) stays as it is,
            # as an empty text does; a token (a string) is sealed already.
            if document and not isinstance(document, str):
                sealed[column] = cipher.encrypt(dumps(document), spec.where(column, row_id))
        return sealed

    def open(self, row: Row) -> Row:
        """A copy of `row` as read, its personal columns decrypted (plaintext passes through).
        Index columns are left as stored: no entity is built from them."""
        spec, cipher = self.columns, self.cipher
        opened = dict(row)
        row_id = spec.row_id(row)
        for column in spec.texts:
            text = row.get(column)
            if text:
                opened[column] = cipher.decrypt(text, spec.where(column, row_id))
        for column in spec.addresses:
            address = row.get(column)
            if address is not None:
                opened[column] = self._address(address, column, row_id, cipher.decrypt)
        for column in spec.documents:
            document = row.get(column)
            if isinstance(document, str) and document.startswith(TOKEN_PREFIX):
                opened[column] = loads(cipher.decrypt(document, spec.where(column, row_id)))
        return opened

    def reopened(self, row: Row) -> Row:
        """`open`, with each index column back to its plaintext source's lower case: the row
        as translation wrote it, ready to be sealed again under the current key."""
        opened = self.open(row)
        for index, source in self.columns.indexes:
            opened[index] = (opened.get(source) or "").lower()
        return opened

    def is_current(self, row: Row) -> bool:
        """Whether every personal value of `row` (as stored) is sealed under the current key,
        its indexes included: nothing for a re-encryption to do."""
        spec, cipher = self.columns, self.cipher
        values = [row.get(column) for column in spec.texts]
        for column in spec.addresses:
            address = row.get(column)
            if isinstance(address, dict):
                values.extend(address.get(name) for name in ADDRESS_FIELDS)
        for column in spec.documents:
            document = row.get(column)
            # In clear, a document is a JSON object (nothing to seal when empty); sealed, a text.
            if document and not (isinstance(document, str) and cipher.is_current(document)):
                return False
        if not all(not value or cipher.is_current(value) for value in values):
            return False
        opened = self.open(row)
        return all(
            row.get(index) == _index_of(cipher, (opened.get(source) or "").lower())
            for index, source in spec.indexes
        )

    def lookups(self, text: str) -> list[str]:
        """What an index column may hold for `text` (lower-cased already): its blind index
        under every key held, and the text itself for rows written before encryption."""
        return [*self.cipher.blind_indexes(text), text] if text else [text]

    def _address(
        self, address: Any, column: str, row_id: object, apply: Callable[[str, str], str]
    ) -> Any:
        if not isinstance(address, dict):
            return address
        changed = dict(address)
        for name in ADDRESS_FIELDS:
            value = address.get(name)
            if isinstance(value, str) and value:
                changed[name] = apply(value, self.columns.where(f"{column}.{name}", row_id))
        return changed


def _index_of(cipher: FieldCipher, text: str) -> str:
    return cipher.blind_index(text) if text else text


def sealer_for(session: Session, columns: PersonalColumns | None) -> RowSealer | None:
    """The sealer of `columns` with the cipher of the session's factory; None when the table
    has no personal columns or encryption is off."""
    if columns is None:
        return None
    cipher = cipher_of(session)
    return None if cipher is None else RowSealer(cipher, columns)


def cipher_of(session: Session) -> FieldCipher | None:
    """The cipher of the session's factory; None when encryption is off."""
    cipher: FieldCipher | None = session.info.get(CIPHER)
    return cipher


def label_place(table: str, key: str) -> str:
    """The associated data of a printed label: its table and its shipment's or return's id."""
    return f"{table}.content:{key}"
