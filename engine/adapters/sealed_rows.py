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
helpdesk's latest reply, its author and excerpt) are texts sealed whole, and so are carriers'
texts in tracking scans (`TRACKING_TEXTS`). A return's reasons are fields of the JSON list of
its lines (`RETURN_REASONS`), sealed line by line as an address is field by field, and so are
an order's hold messages (in `ORDERS`). A decision trace's `detail` is a JSON document sealed
whole, as an audit summary is (`DECISION_TRACES`), and so is a dead letter's payload, beside
its error text (`DEAD_LETTERS`). An API key's name is a text sealed whole (`API_KEY_NAMES`).
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
    # Each is (JSON list column, text field of its elements): the field of every element is
    # sealed, bound to its position (`lines[0].reason`); the list stays a JSON list.
    items: tuple[tuple[str, str], ...] = ()
    # A column holding a keyed fingerprint its repository computes from the row in clear (a
    # scan's, `FieldCipher.fingerprint`): no token, but counted by key as an index is, and
    # computed again by a re-encryption (`reencrypt`).
    fingerprint: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            *self.texts,
            *self.addresses,
            *self.documents,
            *dict.fromkeys(column for column, _ in self.items),
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


# A hold's message is a rule's, and may be filled with the order's fields (the customer's
# name or email); its code, times and who released it stay in clear.
ORDERS = PersonalColumns(
    "orders",
    "id",
    texts=("email",),
    addresses=("ship_to",),
    indexes=(("email_lower", "email"),),
    items=(("holds", "message"),),
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
# A return's reasons are the customer's own words ("the parcel came to my neighbour, Mrs
# Smith"). Nothing searches them in SQL: the defects report reads the period's returns and
# opens them (`report_queries.SqlReportQueries.defects`).
RETURN_REASONS = PersonalColumns("returns", "id", items=(("lines", "reason"),))
# A carrier's scan says who signed for the parcel and on which street. A scan's id is the
# database's, unknown until it is inserted: its tokens are bound to the key that makes it
# unique instead, its shipment and its fingerprint (with keys, a keyed digest of the scan in
# clear, `repositories.tracking_fingerprint`: the same scan again has the same one).
TRACKING_TEXTS = PersonalColumns(
    "shipment_tracking",
    ("shipment_id", "fingerprint"),
    texts=("description", "location"),
    fingerprint="fingerprint",
)
# What a rule decided about an order and why: the candidates, the rules' messages (filled
# with the order's fields) and the order's ship-to as the Decider saw it. Traces are read by
# their order only, never inside `detail` in SQL.
DECISION_TRACES = PersonalColumns("decision_traces", "id", documents=("detail",))
# An event that kept failing carries what it carried on the bus (an order's email and ship-to,
# a scan's texts), and the handler's error may quote it. Letters are listed by id and found
# by an erasure through their partition key and name, never by their contents in SQL.
DEAD_LETTERS = PersonalColumns("dead_letters", "id", texts=("error",), documents=("payload",))
# Who or what a key is for ("Ada's returns portal"): a customer's key may name them. Keys are
# found by id, never by name, so no index is kept.
API_KEY_NAMES = PersonalColumns("api_keys", "id", texts=("name",))


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
        for column, name in spec.items:
            if column in sealed:
                sealed[column] = self._items(sealed[column], column, name, row_id, cipher.encrypt)
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
        for column, name in spec.items:
            if column in opened:
                opened[column] = self._items(opened[column], column, name, row_id, cipher.decrypt)
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
        values.extend(value for _, value in item_values(row, spec))
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

    def _items(
        self, items: Any, column: str, name: str, row_id: object, apply: Callable[[str, str], str]
    ) -> Any:
        if not isinstance(items, list):
            return items
        changed = []
        for at, item in enumerate(items):
            value = item.get(name) if isinstance(item, dict) else None
            if isinstance(value, str) and value:
                where = self.columns.where(f"{column}[{at}].{name}", row_id)
                item = {**item, name: apply(value, where)}
            changed.append(item)
        return changed


def item_values(row: Row, columns: PersonalColumns) -> list[tuple[str, str]]:
    """Each non-empty text of the `items` of a row, by its place (`lines[0].reason`)."""
    found = []
    for column, name in columns.items:
        items = row.get(column)
        for at, item in enumerate(items if isinstance(items, list) else ()):
            value = item.get(name) if isinstance(item, dict) else None
            if isinstance(value, str) and value:
                found.append((f"{column}[{at}].{name}", value))
    return found


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
