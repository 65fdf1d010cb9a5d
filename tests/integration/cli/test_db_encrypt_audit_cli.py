"""`ordo db encrypt`, `--check` and `ordo db decrypt` over audit entries and idempotency
answers stored before encryption was on: sealed, counted under their key, then back in clear
as they were written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.orm_api import SqlIdempotencyStore, idempotency_keys
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.access import IdempotencyRecord
from engine.service_layer import audit
from tests.support.cli import sealed_and_opened

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
PUT = audit.entry("admin:ann", "customer.put", "customer", "C-1", {}, {"email": "ada@example.com"})
MODIFY = audit.entry(
    "support:sam", "order.modify", "order", "O-1",
    {"ship_to": {"line1": "PO Box 1"}}, {"ship_to": {"line1": "1 Elm St"}},
)  # fmt: skip
ANSWER = {"id": "O-1", "email": "ada@example.com"}


@pytest.fixture(autouse=True)
def _database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", database_url)


def store_in_clear(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        with SqlAlchemyUnitOfWork(sessions) as uow:
            uow.audit.append(PUT)
            uow.audit.append(MODIFY)
            uow.commit()
        answers = SqlIdempotencyStore(sessions)
        answers.insert(IdempotencyRecord("create-1", "k-web", "0" * 64, NOW))
        answers.complete("k-web", "create-1", 201, ANSWER, NOW)
    finally:
        engine.dispose()


def stored(database_url: str) -> list[Any]:
    """The summaries and the answer as the database holds them."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            table = orm.audit_log
            rows = connection.execute(
                select(table.c.before, table.c.after).order_by(table.c.id)
            ).all()
            response = connection.execute(select(idempotency_keys.c.response)).scalar_one()
        return [*(value for row in rows for value in row), response]
    finally:
        engine.dispose()


def test_entries_and_answers_stored_before_are_encrypted_counted_and_decrypted(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_in_clear(database_url)

    before, sealed = sealed_and_opened(
        monkeypatch,
        lambda: stored(database_url),
        {"audit_log": (2, 2, 3), "idempotency_keys": (1, 1, 1)},
    )

    assert [value for value in sealed if value == {}] == [{}]  # PUT's empty `before`
    assert all(value.startswith("enc:v1:k1:") for value in sealed if value != {})
    assert "ada@example.com" not in json.dumps(sealed)
    assert json.loads(before[-1]) == ANSWER
