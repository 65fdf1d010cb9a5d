"""`ordo db decrypt` and `ordo db encrypt --check`: turning encryption at rest off again,
knowing when a rotated-away key may go, and the one-line errors for what an operator gets
wrong."""

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


def store_order(database_url: str, keys: str | None) -> None:
    engine = make_engine(database_url)
    cipher = FieldCipher(parse_data_keys(keys)) if keys else None
    with SqlAlchemyUnitOfWork(make_session_factory(engine, cipher)) as uow:
        uow.orders.add(b.an_order())
        uow.customers.add(b.a_customer())
        uow.commit()
    engine.dispose()


def found_by_email_without_keys(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            return uow.orders.search(email="ADA@example.com") == [b.an_order()]
    finally:
        engine.dispose()


def test_an_encrypted_database_is_decrypted_and_read_once_the_keys_are_gone(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = ordo("keys", "new-data-key", "--kid", "k1").strip()
    store_order(database_url, key)
    monkeypatch.setenv("ORDO_DATA_KEYS", key)

    dry = ordo("db", "decrypt", "--dry-run")
    assert "orders: 1 rows read, 1 to decrypt" in dry
    assert "dry run: nothing was written" in dry
    assert stored_email(database_url).startswith("enc:v1:k1:")

    output = ordo("db", "decrypt", "--batch-size", "1")
    assert "orders: 1 rows read, 1 decrypted" in output
    assert "customers: 1 rows read, 1 decrypted" in output
    assert "every personal value is in clear" in output
    assert stored_email(database_url) == "Ada@Example.com"
    assert "orders: 1 rows read, 0 decrypted" in ordo("db", "decrypt")

    monkeypatch.delenv("ORDO_DATA_KEYS")
    assert found_by_email_without_keys(database_url)
    assert "orders: 1 rows read, 0 decrypted" in ordo("db", "decrypt")
    assert "orders: 1 rows, 7 values in clear\n" in ordo("db", "encrypt", "--check")


def test_a_value_under_a_key_not_held_is_refused_naming_where_and_nothing_is_changed(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_order(database_url, ordo("keys", "new-data-key", "--kid", "old").strip())
    monkeypatch.setenv("ORDO_DATA_KEYS", ordo("keys", "new-data-key", "--kid", "new").strip())

    message = refused("db", "decrypt")

    assert message == (
        "error: orders.email of row O-1 is sealed under data key 'old', which ORDO_DATA_KEYS "
        "does not hold (it holds 'new'); 13 stored values in all need keys it does not hold "
        "('old'). Nothing was changed: add those keys to ORDO_DATA_KEYS and run `ordo db "
        "decrypt` again"
    )
    assert stored_email(database_url).startswith("enc:v1:old:")


def test_decrypting_sealed_data_without_keys_is_refused_in_one_line(database_url: str) -> None:
    store_order(database_url, ordo("keys", "new-data-key", "--kid", "k1").strip())

    assert refused("db", "decrypt").startswith(
        "error: ORDO_DATA_KEYS is not set: orders.email of row O-1 is sealed under data key "
        "'k1', which ORDO_DATA_KEYS does not hold (it holds no key);"
    )
    assert stored_email(database_url).startswith("enc:v1:k1:")


def test_decrypting_a_database_in_clear_without_keys_has_nothing_to_do(database_url: str) -> None:
    store_order(database_url, None)

    output = ordo("db", "decrypt")

    assert "orders: 1 rows read, 0 decrypted" in output
    assert "every personal value is in clear" in output


def test_the_check_says_when_a_rotated_away_key_may_be_removed(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ordo("keys", "new-data-key", "--kid", "k1").strip()
    second = ordo("keys", "new-data-key", "--kid", "k2").strip()
    store_order(database_url, first)
    monkeypatch.setenv("ORDO_DATA_KEYS", f"{second},{first}")

    before = ordo("db", "encrypt", "--check")
    assert "orders: 1 rows, 0 values in clear, 7 under key 'k1'" in before
    assert "key 'k1': 13 values, still needed: run `ordo db encrypt` before removing it" in before
    assert stored_email(database_url).startswith("enc:v1:k1:")  # the check changed nothing

    ordo("db", "encrypt")
    after = ordo("db", "encrypt", "--check")

    assert "orders: 1 rows, 0 values in clear, 7 under key 'k2'" in after
    assert "key 'k2': 13 values, the current key" in after
    assert "key 'k1': 0 values, no longer needed: it may be removed from ORDO_DATA_KEYS" in after


def test_the_check_fails_when_a_value_is_under_a_key_not_held(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_order(database_url, ordo("keys", "new-data-key", "--kid", "gone").strip())
    monkeypatch.setenv("ORDO_DATA_KEYS", ordo("keys", "new-data-key", "--kid", "k2").strip())

    message = refused("db", "encrypt", "--check")

    assert "key 'gone': 13 values, not in ORDO_DATA_KEYS" in message
    assert message.endswith(
        "error: orders.email of row O-1 is sealed under data key 'gone', which ORDO_DATA_KEYS "
        "does not hold (it holds 'k2'); 13 stored values in all need keys it does not hold "
        "('gone'): Ordo cannot read them; add those keys back"
    )
