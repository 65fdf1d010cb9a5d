"""Dead letters and API keys' names at rest on SQLite and PostgreSQL: with data keys a dead
letter's payload and error, and a key's name, are tokens in their rows, read back in clear
where letters and keys are listed, and a redriven letter reaches the outbox as it was
published; a name whose token would not fit its column is refused at its field; erasure
redacts them sealed and writes them sealed again; `ordo db encrypt` seals what was stored
before, and `ordo db decrypt` writes it back as Ordo writes it without keys."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy import Engine, select

from engine.adapters import orm
from engine.adapters.bus.base import DeadLetter
from engine.adapters.bus.dead_letters_sql import SqlDeadLetterStore
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.orm_api import SqlApiKeyStore, api_keys
from engine.adapters.reencrypt import decrypt_stored, encrypt_stored, key_usage
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands
from engine.domain.access import ApiKey, Role
from engine.domain.orders import OrderStatus
from engine.service_layer.auth import InvalidKeyField
from engine.service_layer.privacy import erase_customer
from tests.support import builders as b

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
ROTATED = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()},{OLD_KEY}"))
ADA = ("Ada Lovelace", "ada@example.com")
LETTER = DeadLetter(
    id="",
    event_id="7",
    name="order.received",
    payload={"order_id": "O-1", "email": "ada@example.com", "note": "for Ada Lovelace"},
    partition_key="O-1",
    error="ValueError: no carrier serves Ada Lovelace's door",
    attempts=5,
    failed_at=b.at(3),
    consumer="worker-1",
)
KEY = ApiKey("k-1", "Ada Lovelace's returns portal", Role.CUSTOMER, "h" * 64, b.at(1),
             customer_id="C-1")  # fmt: skip


def keys(engine: Engine, cipher: FieldCipher | None) -> SqlApiKeyStore:
    return SqlApiKeyStore(make_session_factory(engine, cipher))


def store(engine: Engine, cipher: FieldCipher | None) -> None:
    """A customer with a delivered order, one of its events dead-lettered, and their key."""
    with SqlAlchemyUnitOfWork(make_session_factory(engine, cipher)) as uow:
        uow.customers.add(b.a_customer())
        uow.orders.add(b.an_order(status=OrderStatus.DELIVERED))
        uow.commit()
    SqlDeadLetterStore(engine, cipher).add(LETTER)
    keys(engine, cipher).add(KEY)


def raw(engine: Engine) -> dict[str, Any]:
    """The dead letter's payload and error and the key's name as stored."""
    d = orm.dead_letters.c
    with engine.connect() as connection:
        payload, error = connection.execute(select(d.payload, d.error)).one()
        name = connection.execute(select(api_keys.c.name)).scalar_one()
    return {"payload": payload, "error": error, "name": name}


def shows(value: Any, *texts: str) -> bool:
    dumped = json.dumps(value, default=str).lower()
    return any(text.lower() in dumped for text in texts)


def test_with_data_keys_a_dead_letter_and_a_key_name_are_sealed_and_read_back_in_clear(
    db_engine: Engine,
) -> None:
    store(db_engine, OLD)

    stored = raw(db_engine)
    assert all(stored[column].startswith("enc:v1:old:") for column in stored)
    assert not shows(stored, *ADA)
    [letter] = SqlDeadLetterStore(db_engine, ROTATED).recent()
    assert (letter.payload, letter.error) == (LETTER.payload, LETTER.error)
    assert [key.name for key in keys(db_engine, ROTATED).list()] == [KEY.name]
    found = keys(db_engine, ROTATED).get("k-1")
    assert found is not None and found.name == KEY.name


def test_a_redriven_sealed_letter_reaches_the_outbox_as_it_was_published(
    db_engine: Engine,
) -> None:
    letters = SqlDeadLetterStore(db_engine, OLD)
    parked = letters.add(LETTER)

    assert letters.redrive(parked.id)

    with db_engine.connect() as connection:
        row = connection.execute(select(orm.outbox)).mappings().one()
    assert (row["id"], row["name"], row["payload"]) == (7, LETTER.name, LETTER.payload)
    assert letters.recent() == []


def test_a_key_name_too_long_to_seal_in_its_column_is_refused_at_its_field(
    db_engine: Engine,
) -> None:
    long = ApiKey("k-2", "é" * 60, Role.ANALYST, "h" * 64, b.at(1))  # 120 bytes of UTF-8

    with pytest.raises(InvalidKeyField) as refused:
        keys(db_engine, OLD).add(long)

    assert refused.value.loc == ("name",)
    assert refused.value.reason == (
        "is 120 bytes long; with ORDO_DATA_KEYS set a key's name is sealed at rest, and must "
        "be at most 113 bytes of UTF-8"
    )
    assert keys(db_engine, OLD).list() == []
    keys(db_engine, None).add(long)  # in clear, the column holds it
    at_most = ApiKey("k-3", "é" * 56 + "a", Role.ANALYST, "h" * 64, b.at(1))  # 113 bytes
    keys(db_engine, OLD).add(at_most)
    assert keys(db_engine, OLD).get("k-3") == at_most


def test_erasure_redacts_a_sealed_dead_letter_and_key_name_and_seals_them_again(
    db_engine: Engine,
) -> None:
    store(db_engine, OLD)
    factory = make_session_factory(db_engine, OLD)

    erased = erase_customer(
        commands.EraseCustomer("C-1", "request 7", "admin:dpo"), SqlAlchemyUnitOfWork(factory)
    )

    assert (erased.erased["dead_letters"], erased.erased["api_keys"]) == (1, 1)
    stored = raw(db_engine)
    assert all(stored[column].startswith("enc:v1:old:") for column in stored)
    [letter] = SqlDeadLetterStore(db_engine, OLD).recent()
    [key] = keys(db_engine, OLD).list()
    assert not shows([letter.payload, letter.error, key.name], *ADA)
    assert letter.payload["order_id"] == "O-1" and key.revoked_at is not None


def test_encrypting_rotating_and_decrypting_what_was_stored_before(db_engine: Engine) -> None:
    store(db_engine, None)
    before = raw(db_engine)
    assert before == {"payload": LETTER.payload, "error": LETTER.error, "name": KEY.name}
    usage = {u.table: u for u in key_usage(db_engine)}
    assert (usage["dead_letters"].clear, usage["api_keys"].clear) == (2, 1)

    sealed = {p.table: (p.examined, p.rewritten) for p in encrypt_stored(db_engine, OLD, 1)}
    assert (sealed["dead_letters"], sealed["api_keys"]) == ((1, 1), (1, 1))
    assert not shows(raw(db_engine), *ADA)
    rotated = {p.table: p.rewritten for p in encrypt_stored(db_engine, ROTATED, 1)}
    assert (rotated["dead_letters"], rotated["api_keys"]) == (1, 1)
    usage = {u.table: u for u in key_usage(db_engine)}
    assert dict(usage["dead_letters"].sealed) == {"new": 2}
    assert dict(usage["api_keys"].sealed) == {"new": 1}
    assert usage["api_keys"].first == {"new": "api_keys.name of row k-1"}
    [letter] = SqlDeadLetterStore(db_engine, ROTATED).recent()
    assert letter.payload == LETTER.payload
    assert all(p.rewritten == 0 for p in encrypt_stored(db_engine, ROTATED))

    back = {p.table: p.rewritten for p in decrypt_stored(db_engine, ROTATED, 1)}

    assert (back["dead_letters"], back["api_keys"]) == (1, 1)
    assert raw(db_engine) == before
    [key] = keys(db_engine, None).list()
    assert key.name == KEY.name
