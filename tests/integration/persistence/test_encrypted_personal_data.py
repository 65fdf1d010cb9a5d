"""Personal data encrypted at rest on SQLite and PostgreSQL: the raw rows hold none of it,
Ordo reads it back as it was, finds orders by email, and encrypts (or re-encrypts under a new
key) what was stored before, batch by batch."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.reencrypt import encrypt_stored
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands
from engine.domain.fulfilment import Label
from engine.domain.orders import OrderStatus
from engine.service_layer.privacy import erase_customer, export_personal_data
from tests.support import builders as b

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
NEW_KEY = f"new:{base64.b64encode(b'n' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
NEW = FieldCipher(parse_data_keys(NEW_KEY))
ROTATING = FieldCipher(parse_data_keys(f"{NEW_KEY},{OLD_KEY}"))
# What of Ada the rows must not show (the address's postal code and country stay in clear);
# whole values, as a short text such as "TX" can turn up inside random base64.
ADA = ("ada@example.com", "ada lovelace", "1 elm st", "dallas")

Uows = Callable[[], SqlAlchemyUnitOfWork]


def uows(engine: Engine, cipher: FieldCipher | None) -> Uows:
    sessions = make_session_factory(engine, cipher)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def store(factory: Uows, *items: Any) -> None:
    with factory() as uow:
        for item in items:
            if hasattr(item, "lines"):
                uow.orders.add(item)
            else:
                uow.customers.add(item)
        uow.commit()


def raw(engine: Engine, table: Any, row_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.id == row_id)).mappings().one()
    return dict(row)


def shows_ada(row: dict[str, Any]) -> bool:
    text = json.dumps(row, default=str, ensure_ascii=False).lower()
    address = row.get("ship_to") or row.get("default_address") or {}
    state = address.get("state") or ""
    return any(part in text for part in ADA) or (state != "" and not state.startswith("enc:"))


def test_an_orders_email_and_address_are_not_in_its_row_and_read_back_as_they_were(
    db_engine: Engine,
) -> None:
    order = b.an_order(status=OrderStatus.RECEIVED)
    store(uows(db_engine, NEW), order)

    row = raw(db_engine, orm.orders, "O-1")
    assert not shows_ada(row)
    assert row["email"].startswith("enc:v1:new:")
    assert (row["ship_to"]["postal_code"], row["ship_to"]["country"]) == ("75201", "US")
    with uows(db_engine, NEW)() as uow:
        assert uow.orders.get("O-1") == order


def test_a_customers_email_name_and_address_are_not_in_its_row(db_engine: Engine) -> None:
    customer = b.a_customer()
    store(uows(db_engine, NEW), customer)

    assert not shows_ada(raw(db_engine, orm.customers, "C-1"))
    with uows(db_engine, NEW)() as uow:
        assert uow.customers.get("C-1") == customer


def test_an_encrypted_order_is_found_by_its_email_in_any_case(db_engine: Engine) -> None:
    factory = uows(db_engine, NEW)
    store(
        factory, b.a_plain_order(1, email="Ada@Example.com"), b.a_plain_order(2, email="bob@x.org")
    )

    with factory() as uow:
        assert [o.id for o in uow.orders.search(email="ADA@example.COM")] == ["O-1"]
        assert [o.id for o in uow.orders.search(email="bob@X.org")] == ["O-2"]
        assert uow.orders.search(email="ada@example.org") == []


def test_a_changed_address_is_written_encrypted_and_the_version_moves_on(db_engine: Engine) -> None:
    factory = uows(db_engine, NEW)
    store(factory, b.an_order(status=OrderStatus.RECEIVED))
    with factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.ship_to = replace(order.ship_to, line1="350 Fifth Avenue")
        uow.commit()

    row = raw(db_engine, orm.orders, "O-1")
    assert "Fifth" not in json.dumps(row, default=str)
    assert row["version"] == 3
    with factory() as uow:
        found = uow.orders.get("O-1")
        assert found is not None and found.ship_to.line1 == "350 Fifth Avenue"


def test_rows_written_before_encryption_read_and_are_found_by_email(db_engine: Engine) -> None:
    order, customer = b.an_order(), b.a_customer()
    store(uows(db_engine, None), order, customer)

    with uows(db_engine, NEW)() as uow:
        assert uow.orders.get("O-1") == order
        assert uow.customers.get("C-1") == customer
        assert [o.id for o in uow.orders.search(email="ADA@example.com")] == ["O-1"]


def test_encrypting_the_stored_rows_seals_them_and_a_second_run_rewrites_nothing(
    db_engine: Engine,
) -> None:
    orders = [b.an_order(id=f"O-{n}", channel_order_id=f"W-{n}") for n in range(1, 6)]
    store(uows(db_engine, None), *orders, b.a_customer())

    first = encrypt_stored(db_engine, NEW, batch_size=2)
    again = encrypt_stored(db_engine, NEW, batch_size=2)

    assert [(p.table, p.examined, p.rewritten) for p in first] == [
        ("orders", 5, 5),
        ("customers", 1, 1),
        ("edi_outbound", 0, 0),
        ("audit_log", 0, 0),
        ("idempotency_keys", 0, 0),
        ("alerts", 0, 0),
        ("tickets", 0, 0),
        ("returns", 0, 0),
        ("shipment_tracking", 0, 0),
        ("decision_traces", 0, 0),
        ("dead_letters", 0, 0),
        ("api_keys", 0, 0),
        ("shipment_labels", 0, 0),
        ("return_labels", 0, 0),
    ]
    assert [(p.table, p.examined, p.rewritten) for p in again] == [
        ("orders", 5, 0),
        ("customers", 1, 0),
        ("edi_outbound", 0, 0),
        ("audit_log", 0, 0),
        ("idempotency_keys", 0, 0),
        ("alerts", 0, 0),
        ("tickets", 0, 0),
        ("returns", 0, 0),
        ("shipment_tracking", 0, 0),
        ("decision_traces", 0, 0),
        ("dead_letters", 0, 0),
        ("api_keys", 0, 0),
        ("shipment_labels", 0, 0),
        ("return_labels", 0, 0),
    ]
    assert not any(shows_ada(raw(db_engine, orm.orders, o.id)) for o in orders)
    assert not shows_ada(raw(db_engine, orm.customers, "C-1"))
    assert raw(db_engine, orm.orders, "O-3")["version"] == orders[2].version
    with uows(db_engine, NEW)() as uow:
        assert uow.orders.get("O-3") == orders[2]
        assert len(uow.orders.search(email="ada@example.com")) == 5


def test_a_key_is_rotated_by_re_encrypting_and_then_the_old_key_can_go(db_engine: Engine) -> None:
    order, customer = b.an_order(), b.a_customer()
    store(uows(db_engine, OLD), order, customer)
    with uows(db_engine, ROTATING)() as uow:  # the new key first, the old one still held
        assert uow.orders.get("O-1") == order
        assert [o.id for o in uow.orders.search(email="ada@example.com")] == ["O-1"]

    encrypt_stored(db_engine, ROTATING)

    assert raw(db_engine, orm.orders, "O-1")["email"].startswith("enc:v1:new:")
    with uows(db_engine, NEW)() as uow:  # the old key removed
        assert uow.orders.get("O-1") == order
        assert uow.customers.get("C-1") == customer
        assert [o.id for o in uow.orders.search(email="ada@example.com")] == ["O-1"]


def test_a_row_under_a_key_no_longer_held_is_an_error_naming_the_row_and_the_key(
    db_engine: Engine,
) -> None:
    store(uows(db_engine, OLD), b.an_order())

    with uows(db_engine, NEW)() as uow, pytest.raises(FieldCryptoError) as raised:
        uow.orders.get("O-1")

    assert str(raised.value).startswith("orders.email:O-1 is encrypted under data key 'old'")


def test_a_token_copied_onto_another_order_does_not_read_as_that_orders_email(
    db_engine: Engine,
) -> None:
    factory = uows(db_engine, NEW)
    store(factory, b.a_plain_order(1, email="ada@example.com"), b.a_plain_order(2, email="b@x.org"))
    token = raw(db_engine, orm.orders, "O-1")["email"]
    with db_engine.begin() as connection:
        connection.execute(update(orm.orders).where(orm.orders.c.id == "O-2").values(email=token))

    with factory() as uow, pytest.raises(FieldCryptoError, match=r"orders\.email:O-2"):
        uow.orders.get("O-2")


def test_an_encrypted_customer_is_exported_in_clear_and_erased(db_engine: Engine) -> None:
    factory = uows(db_engine, NEW)
    store(factory, b.a_customer(), b.an_order(status=OrderStatus.DELIVERED))

    exported = export_personal_data(factory(), "C-1", actor="admin:ann")
    assert exported.customer == b.a_customer()
    assert [o.email for o in exported.orders] == ["Ada@Example.com"]
    assert exported.orders[0].ship_to.line1 == "1 Elm St"

    erase_customer(commands.EraseCustomer("C-1", "asked by the customer"), factory())

    with factory() as uow:
        customer, order = uow.customers.get("C-1"), uow.orders.get("O-1")
    assert customer is not None and order is not None
    assert customer.email.endswith("@erased.invalid") and customer.name == ""
    assert order.email == customer.email and order.ship_to.line1 == ""
    assert order.ship_to.postal_code == "75201"
    order_row = raw(db_engine, orm.orders, "O-1")
    assert order_row["email"].startswith("enc:v1:new:")
    assert not shows_ada(order_row) and not shows_ada(raw(db_engine, orm.customers, "C-1"))


LABEL = Label("pdf", b"%PDF-1.4 Ship to: Ada Lovelace, 1 Elm St, Dallas TX")


def stored_label(engine: Engine) -> bytes:
    with engine.connect() as connection:
        content = connection.execute(select(orm.shipment_labels.c.content)).scalar_one()
    return bytes(content)


def test_a_printed_label_is_stored_encrypted_and_reads_back(db_engine: Engine) -> None:
    factory = uows(db_engine, NEW)
    with factory() as uow:
        uow.shipments.add(b.a_shipment(id="S-1"))
        uow.labels.put("shipment", "S-1", LABEL)
        uow.commit()

    assert stored_label(db_engine).startswith(b"enc:v1:new:")
    assert b"Lovelace" not in stored_label(db_engine)
    with factory() as uow:
        assert uow.labels.get("shipment", "S-1") == LABEL


def test_a_label_printed_before_encryption_reads_and_is_encrypted_then_rotated(
    db_engine: Engine,
) -> None:
    with uows(db_engine, None)() as uow:
        uow.shipments.add(b.a_shipment(id="S-1"))
        uow.labels.put("shipment", "S-1", LABEL)
        uow.commit()
    with uows(db_engine, NEW)() as uow:
        assert uow.labels.get("shipment", "S-1") == LABEL

    [labels] = [p for p in encrypt_stored(db_engine, OLD) if p.table == "shipment_labels"]
    assert (labels.examined, labels.rewritten) == (1, 1)
    assert stored_label(db_engine).startswith(b"enc:v1:old:")
    encrypt_stored(db_engine, ROTATING)

    assert stored_label(db_engine).startswith(b"enc:v1:new:")
    with uows(db_engine, NEW)() as uow:
        assert uow.labels.get("shipment", "S-1") == LABEL
