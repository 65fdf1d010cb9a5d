"""Turning encryption at rest off again on SQLite and PostgreSQL (`decrypt_stored`): every
sealed value is written back in clear, after which Ordo reads orders, customers, labels and
EDI documents and finds orders by email without any key; a run stopped part-way resumes; a
value under a key not held stops it before anything is written; and `key_usage` counts what
each key still seals."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select

from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.reencrypt import (
    Progress,
    UnheldKeyError,
    decrypt_stored,
    encrypt_stored,
    key_usage,
)
from engine.adapters.repositories import tracking_fingerprint
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.fulfilment import Label
from engine.domain.operations import Ticket
from tests.support import builders as b
from tests.support.edi_partners import CHANNEL, an_edi_customer

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
NEW_KEY = f"new:{base64.b64encode(b'n' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
NEW = FieldCipher(parse_data_keys(NEW_KEY))
ROTATING = FieldCipher(parse_data_keys(f"{NEW_KEY},{OLD_KEY}"))
LABEL = Label("pdf", b"%PDF-1.4 Ship to: Ada Lovelace, 1 Elm St, Dallas TX")
# A rule's message filled with the order's fields, and a ticket support wrote about it.
ALERT = b.an_alert(message="Order O-1 of Ada Lovelace is held")
TICKET = Ticket(
    "tkt-1", "zendesk", "35436", "order", "O-1", "Ada Lovelace says the parcel came damaged",
    b.at(0), "support:desk", comment_author="Ada Lovelace", comment_excerpt="It is me again",
)  # fmt: skip

Uows = Callable[[], SqlAlchemyUnitOfWork]


def uows(engine: Engine, cipher: FieldCipher | None) -> Uows:
    sessions = make_session_factory(engine, cipher)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def orders(count: int) -> list[Any]:
    return [b.an_order(id=f"O-{n}", channel_order_id=f"W-{n}") for n in range(1, count + 1)]


def store(factory: Uows, *items: Any) -> None:
    with factory() as uow:
        for item in items:
            if hasattr(item, "lines"):
                uow.orders.add(item)
            else:
                uow.customers.add(item)
        uow.commit()


def raw_emails(engine: Engine) -> dict[str, tuple[str, str]]:
    table = orm.orders
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.id, table.c.email, table.c.email_lower)).all()
    return {row.id: (row.email, row.email_lower) for row in rows}


def raw_everything(engine: Engine) -> str:
    """Every personal column of every table, as the database holds it, as one text."""
    with engine.connect() as connection:
        rows = [
            dict(row)
            for table in (
                orm.orders,
                orm.customers,
                orm.edi_outbound,
                orm.shipment_labels,
                orm.alerts,
                orm.tickets,
                orm.shipment_tracking,
            )
            for row in connection.execute(select(table)).mappings()
        ]
    return json.dumps(rows, default=_text, ensure_ascii=False)


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


def counts(progress: list[Progress]) -> dict[str, tuple[int, int]]:
    return {p.table: (p.examined, p.rewritten) for p in progress}


def test_after_decrypting_ordo_reads_everything_and_finds_orders_by_email_without_keys(
    db_engine: Engine,
) -> None:
    order, customer = b.an_order(), b.a_customer(id="C-9")
    plain = uows(db_engine, None)
    an_edi_customer(plain(), "C-2", "O-2", "PO-2", "Bob Stone", "9 Oak Ave")
    with plain() as uow:
        documents = {d.id: d.content for d in uow.edi.documents(CHANNEL, pending=None)}
    encrypt_stored(db_engine, OLD)  # Bob's EDI order under the old key, Ada's under the new
    factory = uows(db_engine, ROTATING)
    store(factory, order, customer)
    with factory() as uow:
        uow.shipments.add(b.a_shipment(id="S-1"))
        uow.labels.put("shipment", "S-1", LABEL)
        uow.alerts.add(ALERT)
        uow.tickets.add(TICKET)
        uow.commit()
    assert "Lovelace" not in raw_everything(db_engine)
    assert "Bob Stone" not in raw_everything(db_engine)

    done = decrypt_stored(db_engine, ROTATING, batch_size=2)

    assert counts(done) == {
        "orders": (2, 2),
        "customers": (1, 1),
        "edi_outbound": (2, 2),
        "audit_log": (0, 0),
        "idempotency_keys": (0, 0),
        "alerts": (1, 1),
        "tickets": (1, 1),
        "returns": (0, 0),
        "shipment_tracking": (1, 1),
        "decision_traces": (0, 0),
        "dead_letters": (0, 0),
        "api_keys": (0, 0),
        "shipment_labels": (1, 1),
        "return_labels": (0, 0),
    }
    assert "enc:v1:" not in raw_everything(db_engine)
    assert "bidx:" not in raw_everything(db_engine)
    assert raw_emails(db_engine)["O-1"] == ("Ada@Example.com", "ada@example.com")
    with plain() as uow:
        assert uow.orders.get("O-1") == order
        assert uow.customers.get("C-9") == customer
        assert [o.id for o in uow.orders.search(email="ADA@example.COM")] == ["O-1"]
        assert [o.id for o in uow.orders.search(email="c-2@example.com")] == ["O-2"]
        assert uow.labels.get("shipment", "S-1") == LABEL
        assert {d.id: d.content for d in uow.edi.documents(CHANNEL, pending=None)} == documents
        assert uow.alerts.get(ALERT.id) == ALERT
        assert uow.tickets.about("order", "O-1") == [TICKET]


def test_a_run_stopped_part_way_is_finished_by_running_it_again(db_engine: Engine) -> None:
    stored = orders(5)
    store(uows(db_engine, NEW), *stored)

    def stop_after_the_first_batch(progress: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        decrypt_stored(db_engine, NEW, batch_size=2, report=stop_after_the_first_batch)
    half = raw_emails(db_engine)
    assert [half[f"O-{n}"][0].startswith("enc:v1:new:") for n in range(1, 6)] == [
        False, False, True, True, True,
    ]  # fmt: skip

    again = decrypt_stored(db_engine, NEW, batch_size=2)
    once_more = decrypt_stored(db_engine, NEW, batch_size=2)

    assert counts(again)["orders"] == (5, 3)
    assert counts(once_more)["orders"] == (5, 0)
    with uows(db_engine, None)() as uow:
        assert [uow.orders.get(o.id) for o in stored] == stored


def test_a_value_under_a_key_not_held_stops_the_run_before_anything_is_written(
    db_engine: Engine,
) -> None:
    store(uows(db_engine, NEW), *orders(2))
    with uows(db_engine, OLD)() as uow:
        uow.shipments.add(b.a_shipment(id="S-1"))
        uow.labels.put("shipment", "S-1", LABEL)
        uow.commit()
    before = raw_everything(db_engine)

    with pytest.raises(UnheldKeyError) as raised:
        decrypt_stored(db_engine, NEW)

    # The first is the shipment's scan's description (tracking texts are walked before
    # labels), named by its shipment and fingerprint; its location, its fingerprint (keyed
    # under 'old' too) and the label follow.
    [scan] = b.a_shipment().tracking
    fingerprint = tracking_fingerprint(
        scan.at, scan.code, scan.description, scan.location, cipher=OLD
    )
    assert str(raised.value) == (
        f'shipment_tracking.description of row ["S-1","{fingerprint}"] is sealed under data '
        "key 'old', which ORDO_DATA_KEYS does not hold (it holds 'new'); 4 stored values in "
        "all need keys it does not hold ('old')"
    )
    assert raw_everything(db_engine) == before  # the orders before it are still sealed


def test_a_dry_run_counts_what_a_run_would_decrypt_and_writes_nothing(db_engine: Engine) -> None:
    store(uows(db_engine, NEW), *orders(3))
    store(uows(db_engine, None), b.an_order(id="O-4", channel_order_id="W-4"))
    before = raw_everything(db_engine)

    done = decrypt_stored(db_engine, NEW, batch_size=2, dry_run=True)

    assert counts(done)["orders"] == (4, 3)
    assert raw_everything(db_engine) == before


def test_key_usage_counts_each_tables_values_in_clear_and_under_each_key(
    db_engine: Engine,
) -> None:
    store(uows(db_engine, OLD), b.an_order(id="O-1", channel_order_id="W-1"))
    store(uows(db_engine, NEW), b.an_order(id="O-2", channel_order_id="W-2"))
    store(uows(db_engine, None), b.an_order(id="O-3", channel_order_id="W-3"), b.a_customer())
    with uows(db_engine, OLD)() as uow:
        uow.shipments.add(b.a_shipment(id="S-1"))
        uow.labels.put("shipment", "S-1", LABEL)
        uow.commit()

    usage = {u.table: u for u in key_usage(db_engine, batch_size=2)}

    # An order's email, its index, four fields of its address and its hold's message; a
    # customer's email, name and the same four fields.
    orders_usage = usage["orders"]
    assert (orders_usage.rows, orders_usage.clear, dict(orders_usage.sealed)) == (
        3, 7, {"old": 7, "new": 7},
    )  # fmt: skip
    assert orders_usage.first == {
        "old": "orders.email of row O-1",
        "new": "orders.email of row O-2",
    }
    assert (usage["customers"].clear, dict(usage["customers"].sealed)) == (6, {})
    assert dict(usage["shipment_labels"].sealed) == {"old": 1}

    encrypt_stored(db_engine, ROTATING)

    after = key_usage(db_engine)
    assert sum((u.sealed.get("old", 0) for u in after), 0) == 0
    assert sum(u.clear for u in after) == 0
