"""The audit log's summaries and the API's stored answers, encrypted at rest on SQLite and
PostgreSQL: with data keys an entry's `before` and `after` and a retry's answer are tokens in
their rows and read back in clear (the log, a key's entry, a replay, the export); a token
moved to another row does not open; erasure finds and redacts them sealed; `ordo db encrypt`
seals those written before, `key_usage` counts them by key, and `ordo db decrypt` writes them
back exactly as Ordo writes them without keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.orm_api import SqlApiKeyStore, SqlIdempotencyStore, idempotency_keys
from engine.adapters.reencrypt import decrypt_stored, encrypt_stored, key_usage
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands
from engine.domain.access import ApiKey, IdempotencyRecord, Role
from engine.domain.operations import AuditEntry
from engine.service_layer import audit
from engine.service_layer.privacy import erase_customer, export_personal_data
from tests.support import builders as b

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
NEW_KEY = f"new:{base64.b64encode(b'n' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
NEW = FieldCipher(parse_data_keys(NEW_KEY))
ROTATING = FieldCipher(parse_data_keys(f"{NEW_KEY},{OLD_KEY}"))
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
ADA = ("ada@example.com", "Ada Lovelace", "1 Elm St")
# As PUT /v1/customers audits a record, and PATCH an order's address.
PUT = audit.entry(
    "admin:ann", "customer.put", "customer", "C-1",
    {}, {"email": ADA[0], "name": ADA[1], "default_address": f"Address({ADA[2]!r})"},
)  # fmt: skip
MODIFY = audit.entry(
    "support:sam", "order.modify", "order", "O-1",
    {"ship_to": {"name": ADA[1], "line1": "PO Box 1"}}, {"ship_to": {"line1": ADA[2]}},
)  # fmt: skip
ANSWER = {"id": "O-1", "customer_id": "C-1", "email": ADA[0], "ship_to": {"line1": ADA[2]}}

Uows = Callable[[], SqlAlchemyUnitOfWork]


def uows(engine: Engine, cipher: FieldCipher | None) -> Uows:
    sessions = make_session_factory(engine, cipher)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def write(engine: Engine, cipher: FieldCipher | None, *entries: AuditEntry) -> None:
    with uows(engine, cipher)() as uow:
        for entry in entries:
            uow.audit.append(entry)
        uow.commit()


def answer(engine: Engine, cipher: FieldCipher | None, key: str, body: Any) -> None:
    store = SqlIdempotencyStore(make_session_factory(engine, cipher))
    assert store.insert(IdempotencyRecord(key, "k-web", "0" * 64, NOW))
    store.complete("k-web", key, 201, body, NOW)


def replayed(engine: Engine, cipher: FieldCipher | None, key: str) -> Any:
    record = SqlIdempotencyStore(make_session_factory(engine, cipher)).get("k-web", key)
    assert record is not None
    return record.response


def raw_summaries(engine: Engine) -> dict[str, tuple[Any, Any]]:
    table = orm.audit_log
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.id, table.c.before, table.c.after)).all()
    return {row.id: (row.before, row.after) for row in rows}


def raw_answers(engine: Engine) -> dict[str, str]:
    c = idempotency_keys.c
    with engine.connect() as connection:
        return {row.key: row.response for row in connection.execute(select(c.key, c.response))}


def shows_ada(value: Any) -> bool:
    text = json.dumps(value, ensure_ascii=False)
    return any(part in text for part in ADA)


def test_with_data_keys_an_entrys_summaries_are_sealed_in_its_row_and_read_back_in_clear(
    db_engine: Engine,
) -> None:
    write(db_engine, NEW, PUT, MODIFY)

    raw = raw_summaries(db_engine)
    assert raw[PUT.id][0] == {}  # an empty summary hides nothing: kept as it is
    sealed = [raw[PUT.id][1], *raw[MODIFY.id]]
    assert all(isinstance(s, str) and s.startswith("enc:v1:new:") for s in sealed)
    assert not shows_ada(raw)
    with uows(db_engine, NEW)() as uow:
        assert uow.audit.list(entity="customer", entity_id="C-1") == [PUT]
        assert {e.id: e for e in uow.audit.list()} == {PUT.id: PUT, MODIFY.id: MODIFY}
        assert uow.audit.about("order", ["O-1"]) == [MODIFY]


def test_a_keys_entry_written_by_the_key_store_is_sealed_and_read_back(db_engine: Engine) -> None:
    sessions = make_session_factory(db_engine, NEW)
    key = ApiKey("k-1", f"{ADA[1]}'s phone", Role.CUSTOMER, "0" * 64, NOW, customer_id="C-1")
    issued = audit.entry("admin:ann", "key.issue", "api_key", "k-1", {}, {"name": key.name})

    SqlApiKeyStore(sessions).add(key, issued)

    assert raw_summaries(db_engine)[issued.id][1].startswith("enc:v1:new:")
    with SqlAlchemyUnitOfWork(sessions) as uow:
        assert uow.audit.list(entity="api_key") == [issued]


def test_with_data_keys_an_answer_is_sealed_in_its_row_and_replayed_in_clear(
    db_engine: Engine,
) -> None:
    store = SqlIdempotencyStore(make_session_factory(db_engine, NEW))
    store.insert(IdempotencyRecord("create-1", "k-web", "0" * 64, NOW))
    assert raw_answers(db_engine)["create-1"].startswith("enc:v1:new:")  # in flight: `{}`

    store.complete("k-web", "create-1", 201, ANSWER, NOW)

    stored = raw_answers(db_engine)["create-1"]
    assert stored.startswith("enc:v1:new:") and not shows_ada(stored)
    assert replayed(db_engine, NEW, "create-1") == ANSWER


def test_a_summary_or_an_answer_moved_to_another_row_does_not_open(db_engine: Engine) -> None:
    other = audit.entry("admin:ann", "customer.put", "customer", "C-2", {}, {"name": "Bob"})
    write(db_engine, NEW, PUT, other)
    answer(db_engine, NEW, "create-1", ANSWER)
    answer(db_engine, NEW, "create-2", {"id": "O-2"})
    puts, answers = raw_summaries(db_engine)[PUT.id][1], raw_answers(db_engine)["create-1"]
    with db_engine.begin() as connection:
        table = orm.audit_log
        connection.execute(update(table).where(table.c.id == other.id).values(after=puts))
        connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == "create-2")
            .values(response=answers)
        )

    with (
        uows(db_engine, NEW)() as uow,
        pytest.raises(FieldCryptoError, match=rf"audit_log\.after:{other.id} holds a token"),
    ):
        uow.audit.list(entity="customer", entity_id="C-2")
    with pytest.raises(
        FieldCryptoError, match=r'idempotency_keys\.response:\["k-web","create-2"\]'
    ):
        replayed(db_engine, NEW, "create-2")


def test_encrypting_counting_and_decrypting_what_was_stored_before(db_engine: Engine) -> None:
    write(db_engine, None, PUT, MODIFY)
    answer(db_engine, None, "create-1", ANSWER)
    answer(db_engine, None, "create-2", {"id": "O-2"})
    before = (raw_summaries(db_engine), raw_answers(db_engine))
    # Without keys, written exactly as before encryption covered them.
    assert before[0][MODIFY.id] == (MODIFY.before, MODIFY.after)
    assert before[1]["create-1"] == json.dumps(ANSWER)
    usage = {u.table: u for u in key_usage(db_engine, batch_size=1)}
    assert (usage["audit_log"].rows, usage["audit_log"].clear) == (2, 3)  # PUT's `{}`: none
    assert (usage["idempotency_keys"].rows, usage["idempotency_keys"].clear) == (2, 2)

    done = {p.table: p for p in encrypt_stored(db_engine, OLD, batch_size=1)}

    assert (done["audit_log"].examined, done["audit_log"].rewritten) == (2, 2)
    assert (done["idempotency_keys"].examined, done["idempotency_keys"].rewritten) == (2, 2)
    assert not shows_ada([raw_summaries(db_engine), raw_answers(db_engine)])
    usage = {u.table: u for u in key_usage(db_engine, batch_size=1)}
    assert (usage["audit_log"].clear, dict(usage["audit_log"].sealed)) == (0, {"old": 3})
    assert dict(usage["idempotency_keys"].sealed) == {"old": 2}
    assert usage["idempotency_keys"].first["old"] == (
        'idempotency_keys.response of row ["k-web","create-1"]'
    )
    again = {p.table: p for p in encrypt_stored(db_engine, ROTATING, batch_size=1)}
    assert (again["audit_log"].rewritten, again["idempotency_keys"].rewritten) == (2, 2)
    assert all(u.sealed.get("old", 0) == 0 for u in key_usage(db_engine))
    with uows(db_engine, NEW)() as uow:
        assert uow.audit.about("order", ["O-1"]) == [MODIFY]
    assert replayed(db_engine, NEW, "create-1") == ANSWER

    back = {p.table: p for p in decrypt_stored(db_engine, NEW, batch_size=1)}

    assert (back["audit_log"].rewritten, back["idempotency_keys"].rewritten) == (2, 2)
    assert (raw_summaries(db_engine), raw_answers(db_engine)) == before
    with uows(db_engine, None)() as uow:
        assert uow.audit.list(entity="customer", entity_id="C-1") == [PUT]
    assert replayed(db_engine, None, "create-1") == ANSWER


def test_erasure_finds_sealed_summaries_and_answers_and_writes_them_back_sealed(
    db_engine: Engine,
) -> None:
    factory = uows(db_engine, NEW)
    with factory() as uow:
        uow.customers.add(b.a_customer())
        uow.commit()
    bobs = audit.entry("admin:ann", "customer.put", "customer", "C-2", {}, {"name": "Bob Stone"})
    write(db_engine, NEW, PUT, bobs)
    answer(db_engine, NEW, "put-c-1", {"id": "C-1", "email": ADA[0], "name": ADA[1]})
    answer(db_engine, NEW, "put-c-2", {"id": "C-2", "email": "bob@example.com"})
    bobs_answer = raw_answers(db_engine)["put-c-2"]

    exported = export_personal_data(factory(), "C-1", actor="support:ann")
    assert [e.id for e in exported.audit] == [PUT.id]
    assert exported.audit[0].after["email"] == ADA[0]
    assert [kept.key for kept in exported.idempotency_answers] == ["put-c-1"]
    erased = erase_customer(commands.EraseCustomer("C-1", "request 114", "admin:dpo"), factory())

    assert (erased.erased["audit_entries"], erased.erased["idempotency_records"]) == (1, 1)
    assert raw_summaries(db_engine)[PUT.id][1].startswith("enc:v1:new:")
    assert raw_answers(db_engine)["put-c-1"].startswith("enc:v1:new:")
    assert raw_answers(db_engine)["put-c-2"] == bobs_answer  # Bob's, not rewritten
    with factory() as uow:
        [hers] = [e for e in uow.audit.about("customer", ["C-1"]) if e.id == PUT.id]
        assert hers.after["email"] != ADA[0] and not shows_ada(hers.after)
        assert uow.audit.list(entity="customer", entity_id="C-2") == [bobs]
    assert not shows_ada(replayed(db_engine, NEW, "put-c-1"))
    assert replayed(db_engine, NEW, "put-c-2")["email"] == "bob@example.com"
