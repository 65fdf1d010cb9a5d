"""`ordo db encrypt`, `--check` and `ordo db decrypt` over returns and tracking scans stored
before encryption was on: a return's reasons and a carrier's texts sealed, counted under their
key, then back in clear as they were written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.fulfilment import ReturnLine, TrackingEvent
from tests.support import builders as b
from tests.support.cli import sealed_and_opened

RETURN = b.a_return(
    lines=[
        ReturnLine("L1", "SKU-1", 1, "Damaged, Ada Lovelace says"),
        ReturnLine("L2", "SKU-2", 1, "wrong item"),
    ]
)
SHIPMENT = b.a_shipment(
    tracking=[TrackingEvent(b.at(95), "delivered", "Signed for by A. LOVELACE", "12 Byron Row")]
)


@pytest.fixture(autouse=True)
def _database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", database_url)


def store_in_clear(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            uow.orders.add(b.an_order())
            uow.shipments.add(SHIPMENT)
            uow.returns.add(RETURN)
            uow.commit()
    finally:
        engine.dispose()


def stored(database_url: str) -> list[Any]:
    """The return's reasons, and the scan's texts and fingerprint, as the database holds them."""
    engine = make_engine(database_url)
    t = orm.shipment_tracking.c
    try:
        with engine.connect() as connection:
            lines = connection.execute(select(orm.returns.c.lines)).scalar_one()
            scan = connection.execute(select(t.description, t.location, t.fingerprint)).one()
        return [*(line["reason"] for line in lines), *scan]
    finally:
        engine.dispose()


def test_returns_and_scans_stored_before_are_encrypted_counted_and_decrypted(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_in_clear(database_url)

    before, sealed = sealed_and_opened(
        monkeypatch,
        lambda: stored(database_url),
        {"returns": (1, 1, 2), "shipment_tracking": (1, 1, 3)},
    )

    *texts, fingerprint = sealed
    assert all(value.startswith("enc:v1:k1:") for value in texts)
    assert fingerprint.startswith("fp:k1:")  # and back to the unkeyed digest once decrypted
    assert "Lovelace" not in "".join(sealed) and "LOVELACE" not in "".join(sealed)
    assert before[0] == RETURN.lines[0].reason
