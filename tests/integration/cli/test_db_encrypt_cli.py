"""`ordo keys new-data-key` and `ordo db encrypt`: turning encryption on for a database that
holds plaintext, rotating the key, and the one-line errors for what an operator gets wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from tests.support import builders as b
from tests.support.cli import ordo, refused


@pytest.fixture(autouse=True)
def _database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", database_url)


def stored_email(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(select(orm.orders.c.email)).scalar_one())
    finally:
        engine.dispose()


def reads_back(database_url: str, keys: str) -> bool:
    engine = make_engine(database_url)
    try:
        sessions = make_session_factory(engine, FieldCipher(parse_data_keys(keys)))
        with SqlAlchemyUnitOfWork(sessions) as uow:
            return uow.orders.get("O-1") == b.an_order()
    finally:
        engine.dispose()


def test_a_plaintext_database_is_encrypted_and_then_rotated_to_a_new_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        uow.orders.add(b.an_order())
        uow.customers.add(b.a_customer())
        uow.commit()
    engine.dispose()
    first = ordo("keys", "new-data-key", "--kid", "k1").strip()
    second = ordo("keys", "new-data-key", "--kid", "k2").strip()

    monkeypatch.setenv("ORDO_DATA_KEYS", first)
    output = ordo("db", "encrypt", "--batch-size", "1")
    assert "orders: 1 rows read, 1 encrypted under key 'k1'" in output
    assert "customers: 1 rows read, 1 encrypted under key 'k1'" in output
    assert stored_email(database_url).startswith("enc:v1:k1:")
    assert "orders: 1 rows read, 0 encrypted" in ordo("db", "encrypt")

    monkeypatch.setenv("ORDO_DATA_KEYS", f"{second},{first}")
    assert "orders: 1 rows read, 1 encrypted under key 'k2'" in ordo("db", "encrypt")
    assert stored_email(database_url).startswith("enc:v1:k2:")
    assert reads_back(database_url, second)  # k1 is no longer needed


def test_encrypting_without_data_keys_is_refused_in_one_line() -> None:
    assert refused("db", "encrypt") == (
        "error: ORDO_DATA_KEYS is not set: there is no key to encrypt under (make one with "
        "`ordo keys new-data-key`)"
    )


def test_a_row_under_a_removed_key_stops_the_run_naming_the_row_and_the_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = ordo("keys", "new-data-key", "--kid", "old").strip()
    engine = make_engine(database_url)
    sessions = make_session_factory(engine, FieldCipher(parse_data_keys(old)))
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.orders.add(b.an_order())
        uow.commit()
    engine.dispose()
    monkeypatch.setenv("ORDO_DATA_KEYS", ordo("keys", "new-data-key", "--kid", "new").strip())

    message = refused("db", "encrypt")

    assert message.startswith(
        "error: orders.email:O-1 is encrypted under data key 'old', which ORDO_DATA_KEYS does "
        "not hold (it holds 'new'): add that key back."
    )
    assert "run `ordo db encrypt` again once it is fixed, and it resumes" in message


def test_a_malformed_data_key_stops_start_up_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_DATA_KEYS", "k1:c2hvcnQta2V5")

    message = refused("db", "encrypt")

    assert message == (
        "error: ORDO_DATA_KEYS: key 1 of 1 ('k1'): the key must be 32 bytes, got 9 bytes (make "
        "one with `ordo keys new-data-key`)"
    )


def test_a_new_data_key_with_an_unusable_id_is_refused() -> None:
    assert refused("keys", "new-data-key", "--kid", "a:b") == (
        "error: --kid: the key id must be 1 to 32 letters, digits, '-' or '_', got 'a:b'"
    )
