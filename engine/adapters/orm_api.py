"""The API's own tables (keys, idempotency records) and their SQL stores.

Kept out of the main ORM module on purpose: these rows belong to the API, are read by key
only, and are written with SQLAlchemy Core statements in short transactions of their own (a
key's change with its audit entry). The idempotency insert is the lock of the idempotency
protocol: a unique key lets exactly one of two concurrent requests in (INSERT ... ON
CONFLICT DO NOTHING).
Migration `0002_api` creates the tables (`0016` indexes the records' age for their
retention purge). The one exception is a customer's erasure, which redacts their keys and
stored answers inside the unit of work's transaction (at the end).
With ORDO_DATA_KEYS set, a stored answer (`response`) is sealed whole, bound to its owner and
key, and so are the summaries of a key's audit entry and the key's name
(`engine.adapters.sealed_rows`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters import driver, orm, sealed_rows
from engine.adapters import translation as tr
from engine.adapters.field_crypto import TOKEN_PREFIX, FieldCipher, most_sealed_bytes
from engine.domain.access import ApiKey, IdempotencyRecord, IdempotencyState, Role
from engine.domain.operations import AuditEntry
from engine.service_layer.auth import ApiKeyStore, InvalidKeyField
from engine.service_layer.idempotency import IdempotencyStore
from engine.service_layer.rulesets_service import ScenarioStore
from engine.service_layer.unit_of_work import CustomerCopies

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False, default="system"),
    Column("channel", String(100), nullable=False, default=""),
    Column("locations", Text, nullable=False, default="[]"),
    Column("customer_id", String(100), nullable=False, default=""),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status_code", Integer, nullable=False, default=0),
    Column("response", Text, nullable=False, default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    # The retention purge deletes by age (migration 0016): without it, a full scan every run.
    Index("ix_idempotency_keys_created_at", "created_at"),
)


ruleset_scenarios = Table(
    "ruleset_scenarios",
    metadata,
    Column("version_id", String(64), primary_key=True),
    Column("scenarios", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything Ordo stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class SqlApiKeyStore(ApiKeyStore):
    """Each change is its own transaction, holding the key's row and its audit entry."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def add(self, key: ApiKey, audit: AuditEntry | None = None) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                insert(api_keys).values(
                    id=key.id,
                    name=_sealed_name(sealed_rows.cipher_of(session), key.id, key.name),
                    role=str(key.role),
                    secret_hash=key.secret_hash,
                    created_at=key.created_at,
                    created_by=key.created_by,
                    channel=key.channel,
                    locations=json.dumps(list(key.locations)),
                    customer_id=key.customer_id,
                    revoked_at=key.revoked_at,
                )
            )
            if audit is not None:
                _append_audit(session, audit)

    def get(self, key_id: str) -> ApiKey | None:
        with self.session_factory() as session:
            row = session.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
            cipher = sealed_rows.cipher_of(session)
        return None if row is None else _key(_opened_key(cipher, row._mapping))

    def list(self) -> Sequence[ApiKey]:
        with self.session_factory() as session:
            rows = session.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
            cipher = sealed_rows.cipher_of(session)
        return [_key(_opened_key(cipher, row._mapping)) for row in rows]

    def revoke(self, key_id: str, at: datetime, audit: AuditEntry | None = None) -> ApiKey | None:
        with self.session_factory() as session, session.begin():
            revoked = session.execute(
                update(api_keys)
                .where(and_(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)))
                .values(revoked_at=at)
                .returning(api_keys.c.id)
            ).first()
            if revoked is not None and audit is not None:
                _append_audit(session, audit)
        return self.get(key_id)

    def rehash(
        self, key_id: str, old_hash: str, new_hash: str, audit: AuditEntry | None = None
    ) -> bool:
        # Only from the hash it was checked against: two processes re-hashing the same key at
        # once write one change and one audit entry.
        with self.session_factory() as session, session.begin():
            changed = session.execute(
                update(api_keys)
                .where(and_(api_keys.c.id == key_id, api_keys.c.secret_hash == old_hash))
                .values(secret_hash=new_hash)
                .returning(api_keys.c.id)
            ).first()
            if changed is not None and audit is not None:
                _append_audit(session, audit)
        return changed is not None


def _append_audit(session: Session, entry: AuditEntry) -> None:
    """The entry in `audit_log`, on the key's connection and so in its transaction; its
    summaries sealed when encryption is on (a key's name may name a customer)."""
    row = tr.audit_row(entry)
    sealer = sealed_rows.sealer_for(session, sealed_rows.AUDIT_SUMMARIES)
    if sealer is not None:
        row = sealer.seal(row, entry.id)
    driver.insert_rows(session.connection(), orm.audit_log, [row])


def _sealed_name(cipher: FieldCipher | None, key_id: str, name: str) -> str:
    """The name as its column holds it: sealed with a cipher. Refused (InvalidKeyField) when
    its token would not fit the column: a token is 4/3 of the name's UTF-8 bytes, plus its
    nonce, tag and key id."""
    if cipher is None:
        return name
    sealed = _names(cipher).seal({"name": name}, key_id)["name"]
    assert isinstance(sealed, str)
    # PostgreSQL enforces the column's length, SQLite does not: refused on both alike.
    room = cast(String, api_keys.c.name.type).length or len(sealed)
    if len(sealed) > room:
        raise InvalidKeyField(
            ("name",),
            f"is {len(name.encode())} bytes long; with ORDO_DATA_KEYS set a key's name is "
            f"sealed at rest, and must be at most {most_sealed_bytes(cipher.current, room)} "
            "bytes of UTF-8",
        )
    return sealed


def _opened_key(cipher: FieldCipher | None, row: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return row if cipher is None else _names(cipher).open(dict(row))


def _names(cipher: FieldCipher) -> sealed_rows.RowSealer:
    return sealed_rows.RowSealer(cipher, sealed_rows.API_KEY_NAMES)


def _key(row: Any) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        secret_hash=row["secret_hash"],
        created_at=_aware(row["created_at"]) or datetime.now(UTC),
        created_by=row["created_by"],
        channel=row["channel"],
        locations=tuple(json.loads(row["locations"] or "[]")),
        customer_id=row["customer_id"],
        revoked_at=_aware(row["revoked_at"]),
    )


class SqlIdempotencyStore(IdempotencyStore):
    """Records in `idempotency_keys`. With ORDO_DATA_KEYS set, an answer (an order's or a
    customer's JSON) is sealed on its way in and opened on its way out."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def insert(self, record: IdempotencyRecord) -> bool:
        values = {
            "owner": record.owner,
            "key": record.key,
            "request_hash": record.request_hash,
            "state": str(record.state),
            "status_code": 0,
            "response": "{}",
            "created_at": record.created_at,
        }
        with self.session_factory() as session, session.begin():
            values = _sealed_answer(session, values)
            dialect = session.get_bind().dialect.name
            module: Any = postgresql if dialect == "postgresql" else sqlite
            statement = (
                module.insert(idempotency_keys)
                .values(**values)
                .on_conflict_do_nothing()
                .returning(idempotency_keys.c.key)
            )
            # A row comes back only when this statement inserted it (rowcount is not reliable
            # for ON CONFLICT across drivers).
            return session.execute(statement).first() is not None

    def get(self, owner: str, key: str) -> IdempotencyRecord | None:
        with self.session_factory() as session:
            row = session.execute(select(idempotency_keys).where(_match(owner, key))).first()
            if row is None:
                return None
            data = _opened_answer(session, dict(row._mapping))
        return IdempotencyRecord(
            key=data["key"],
            owner=data["owner"],
            request_hash=data["request_hash"],
            created_at=_aware(data["created_at"]) or datetime.now(UTC),
            state=IdempotencyState(data["state"]),
            status_code=data["status_code"],
            response=json.loads(data["response"] or "{}"),
            completed_at=_aware(data["completed_at"]),
        )

    def complete(
        self, owner: str, key: str, status_code: int, response: dict[str, Any], at: datetime
    ) -> None:
        with self.session_factory() as session, session.begin():
            answer = {"owner": owner, "key": key, "response": json.dumps(response)}
            session.execute(
                update(idempotency_keys)
                .where(_match(owner, key))
                .values(
                    state=str(IdempotencyState.DONE),
                    status_code=status_code,
                    response=_sealed_answer(session, answer)["response"],
                    completed_at=at,
                )
            )

    def delete_in_flight(self, owner: str, key: str) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                delete(idempotency_keys).where(
                    and_(
                        _match(owner, key),
                        idempotency_keys.c.state == str(IdempotencyState.IN_FLIGHT),
                    )
                )
            )

    def take_over(self, owner: str, key: str, older_than: datetime, now: datetime) -> bool:
        with self.session_factory() as session, session.begin():
            result = session.execute(
                update(idempotency_keys)
                .where(
                    and_(
                        _match(owner, key),
                        idempotency_keys.c.state == str(IdempotencyState.IN_FLIGHT),
                        idempotency_keys.c.created_at < older_than,
                    )
                )
                .values(created_at=now)
                .returning(idempotency_keys.c.key)
            )
            return result.first() is not None

    def purge(self, created_before: datetime) -> int:
        with self.session_factory() as session, session.begin():
            result = session.connection().execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_at < created_before)
            )
        return int(result.rowcount)


def _match(owner: str, key: str) -> Any:
    return and_(idempotency_keys.c.owner == owner, idempotency_keys.c.key == key)


def _sealed_answer(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """`values` (an owner, a key and a response) with the response sealed, when the session's
    factory has a cipher."""
    cipher = sealed_rows.cipher_of(session)
    return values if cipher is None else _answers(cipher).seal(values, _answer_id(values))


def _opened_answer(session: Session, row: dict[str, Any]) -> dict[str, Any]:
    cipher = sealed_rows.cipher_of(session)
    return row if cipher is None else _answers(cipher).open(row)


def _answers(cipher: FieldCipher) -> sealed_rows.RowSealer:
    return sealed_rows.RowSealer(cipher, sealed_rows.IDEMPOTENCY_ANSWERS)


def _answer_id(row: Mapping[str, Any]) -> object:
    return sealed_rows.IDEMPOTENCY_ANSWERS.row_id(row)


class SqlScenarioStore(ScenarioStore):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def put(self, version_id: str, scenarios: str) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                delete(ruleset_scenarios).where(ruleset_scenarios.c.version_id == version_id)
            )
            session.execute(
                insert(ruleset_scenarios).values(
                    version_id=version_id, scenarios=scenarios, updated_at=datetime.now(UTC)
                )
            )

    def get(self, version_id: str) -> str | None:
        with self.session_factory() as session:
            row = session.execute(
                select(ruleset_scenarios.c.scenarios).where(
                    ruleset_scenarios.c.version_id == version_id
                )
            ).first()
        return None if row is None else str(row[0])


# --- a customer's personal data (engine.service_layer.privacy) ------------------------------

# The fingerprint of an answer whose request held personal data, once erased: no request
# hashes to it, so a late retry with the key is refused (422) rather than run twice or
# answered with the first answer; the hash of the request itself would still let a guess at
# the customer's details be checked against it.
ERASED_FINGERPRINT = "erased"
# Answers read at a time: one batch of orders can be hundreds of kilobytes.
_ANSWERS_PER_READ = 100


def answers_naming(
    connection: Connection, copies: CustomerCopies, cipher: FieldCipher | None
) -> Iterator[list[tuple[dict[str, Any], Any]]]:
    """The stored answers that hold the customer's details (an order's JSON, their customer
    record), up to `_ANSWERS_PER_READ` at a time: each record's row (its answer opened) with
    its answer read. Found by content: an answer names the customer's id, or one of their
    texts as written, JSON-escaped once (a route's body) or twice (an answer the middleware
    keeps as text). SQL cannot see into a sealed answer: with a cipher, every sealed one is
    read and opened as well (answers are kept for ORDO_IDEMPOTENCY_RETENTION_HOURS only),
    and each is kept when redacting would change it, as those found in clear are."""
    texts = {copies.customer_id, *copies.needles}
    patterns: set[str] = set()
    for text in texts:
        once = json.dumps(text)[1:-1]
        patterns |= {text, once, json.dumps(once)[1:-1]}
    c = idempotency_keys.c
    named = [c.response.icontains(p, autoescape=True) for p in sorted(patterns)]
    if cipher is not None:
        named.append(c.response.startswith(TOKEN_PREFIX, autoescape=True))
    found = select(c.owner, c.key).where(c.state == str(IdempotencyState.DONE), or_(*named))
    keys = [(row.owner, row.key) for row in connection.execute(found)]
    for start in range(0, len(keys), _ANSWERS_PER_READ):
        chunk = keys[start : start + _ANSWERS_PER_READ]
        rows = connection.execute(
            select(idempotency_keys).where(tuple_(c.owner, c.key).in_(chunk))
        ).mappings()
        batch = []
        for row in rows.all():
            opened = dict(row) if cipher is None else _answers(cipher).open(dict(row))
            stored = json.loads(opened["response"] or "{}")
            if copies.scrub(stored, False) != stored:
                batch.append((opened, stored))
        yield batch


def redact_idempotency(
    connection: Connection, copies: CustomerCopies, cipher: FieldCipher | None = None
) -> int:
    """Redact the stored answers that hold the customer's details (`answers_naming`), sealed
    again when encryption is on, and forget those requests' fingerprints; the records
    changed."""
    c = idempotency_keys.c
    write = (
        update(idempotency_keys)
        .where(c.owner == bindparam("k_owner"), c.key == bindparam("k_key"))
        .values(response=bindparam("v_response"), request_hash=ERASED_FINGERPRINT)
    )
    changed = 0
    for batch in answers_naming(connection, copies, cipher):
        writes = []
        for row, stored in batch:
            answer = {**row, "response": json.dumps(copies.scrub(stored, False))}
            if cipher is not None:
                answer = _answers(cipher).seal(answer, _answer_id(row))
            writes.append(
                {"k_owner": row["owner"], "k_key": row["key"], "v_response": answer["response"]}
            )
        if writes:
            connection.execute(write, writes)
            changed += len(writes)
    return changed


def redact_api_keys(
    connection: Connection, copies: CustomerCopies, cipher: FieldCipher | None = None
) -> int:
    """Revoke the customer's keys (there is no one left for them to act as) and take their
    details out of the keys' names (opened, and sealed again, with a cipher); the keys
    changed."""
    c = api_keys.c
    rows = connection.execute(
        select(c.id, c.name, c.revoked_at).where(c.customer_id == copies.customer_id)
    ).mappings()
    now = datetime.now(UTC)
    writes = []
    for stored in rows:
        row = _opened_key(cipher, stored)
        name = copies.scrub_text(row["name"])
        if name != row["name"] and cipher is not None:
            name = _names(cipher).seal({"name": name}, row["id"])["name"]
        elif name == row["name"]:
            name = stored["name"]  # as stored: a token under an older key stays as it is
        if row["revoked_at"] is None or name != stored["name"]:
            writes.append(
                {"k_id": row["id"], "v_name": name, "v_revoked_at": row["revoked_at"] or now}
            )
    if writes:
        connection.execute(
            update(api_keys)
            .where(c.id == bindparam("k_id"))
            .values(name=bindparam("v_name"), revoked_at=bindparam("v_revoked_at")),
            writes,
        )
    return len(writes)
