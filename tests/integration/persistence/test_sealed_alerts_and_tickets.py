"""Alerts' messages and what tickets say, encrypted at rest on SQLite and PostgreSQL: with data
keys an alert's message and a ticket's subject and latest comment are tokens in their rows,
read back in clear however they are read, and still sealed after a change; a token moved to
another row does not open; erasure finds the alerts whose sealed message names the customer,
and writes what it redacts sealed again; `ordo db encrypt` seals those written before,
`key_usage` counts them, and `ordo db decrypt` writes them back as Ordo writes them without
keys."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.reencrypt import decrypt_stored, encrypt_stored, key_usage
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands
from engine.domain.operations import AlertStatus, Ticket, TicketStatus
from engine.domain.orders import OrderStatus
from engine.service_layer.privacy import erase_customer, export_personal_data
from tests.support import builders as b

OLD = FieldCipher(parse_data_keys(f"old:{base64.b64encode(b'o' * 32).decode()}"))
NEW = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()}"))
ADA = ("ada@example.com", "Ada Lovelace")
# A rule's alert about her order, and one keyed by a carrier whose message names her.
HELD = b.an_alert(id="A-1", rule="order_alerts/held", key="O-1", message="O-1 of Ada Lovelace")
LOST = b.an_alert(id="A-2", key="ups-9", message="ups lost the parcel of ADA@EXAMPLE.COM")
BOBS = b.an_alert(id="A-3", key="ups-10", message="ups lost the parcel of Bob Stone")
TICKET = Ticket(
    "tkt-1", "zendesk", "35436", "order", "O-1", "Ada Lovelace says the parcel came damaged",
    b.at(0), "support:desk", comment_author="Ada Lovelace", comment_excerpt="It is me again",
)  # fmt: skip
ALERTS_TICKET = Ticket(
    "tkt-2", "zendesk", "35437", "alert", "A-1", f"[Ordo high] {HELD.message}", b.at(1), "system"
)

Uows = Callable[[], SqlAlchemyUnitOfWork]


def uows(engine: Engine, cipher: FieldCipher | None) -> Uows:
    sessions = make_session_factory(engine, cipher)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def store(factory: Uows, *items: Any) -> None:
    with factory() as uow:
        for item in items:
            (uow.tickets if isinstance(item, Ticket) else uow.alerts).add(item)
        uow.commit()


def raw(engine: Engine) -> dict[str, dict[str, Any]]:
    """Each alert's message and each ticket's texts, as the database holds them, by id."""
    a, t = orm.alerts.c, orm.tickets.c
    with engine.connect() as connection:
        alerts = connection.execute(select(a.id, a.message)).mappings().all()
        tickets = connection.execute(
            select(t.id, t.subject, t.comment_author, t.comment_excerpt)
        ).mappings()
        return {row["id"]: dict(row) for row in (*alerts, *tickets)}


def shows(value: Any, *texts: str) -> bool:
    return any(text.lower() in str(value).lower() for text in texts)


def test_with_data_keys_messages_and_ticket_texts_are_sealed_and_read_back_in_clear(
    db_engine: Engine,
) -> None:
    factory = uows(db_engine, NEW)
    store(factory, HELD, LOST, TICKET)

    stored = raw(db_engine)
    assert all(
        value.startswith("enc:v1:new:")
        for row in stored.values()
        for name, value in row.items()
        if name != "id"
    )
    assert not shows(stored, *ADA)
    with factory() as uow:
        assert uow.alerts.get("A-1") == HELD
        assert [a.id for a in uow.alerts.search()] == ["A-2", "A-1"]
        assert uow.alerts.open_for(HELD.rule, "O-1") == HELD
        assert uow.tickets.about("order", "O-1") == [TICKET]
        # Changed: written sealed again, and the versions still guard the rows.
        alert, ticket = uow.alerts.get("A-1"), uow.tickets.get("tkt-1")
        assert alert is not None and ticket is not None
        alert.message = "O-1 of Ada Lovelace, again"
        alert.status = AlertStatus.CLOSED
        ticket.report(TicketStatus.SOLVED, b.at(5), "Ada Lovelace", "Thanks, Ada")
        uow.commit()
    again = raw(db_engine)
    assert again["A-1"]["message"].startswith("enc:v1:new:")
    assert again["tkt-1"]["comment_excerpt"].startswith("enc:v1:new:")
    assert not shows(again, *ADA)
    with factory() as uow:
        assert uow.alerts.get("A-1").message == "O-1 of Ada Lovelace, again"  # type: ignore[union-attr]
        assert uow.tickets.get("tkt-1").comment_excerpt == "Thanks, Ada"  # type: ignore[union-attr]


def test_a_message_or_a_subject_moved_to_another_row_does_not_open(db_engine: Engine) -> None:
    store(uows(db_engine, NEW), HELD, BOBS, TICKET, ALERTS_TICKET)
    held, subject = raw(db_engine)["A-1"]["message"], raw(db_engine)["tkt-1"]["subject"]
    with db_engine.begin() as connection:
        connection.execute(update(orm.alerts).where(orm.alerts.c.id == "A-3").values(message=held))
        connection.execute(
            update(orm.tickets).where(orm.tickets.c.id == "tkt-2").values(subject=subject)
        )

    with (
        uows(db_engine, NEW)() as uow,
        pytest.raises(FieldCryptoError, match=r"alerts\.message:A-3 holds a token"),
    ):
        uow.alerts.get("A-3")
    with (
        uows(db_engine, NEW)() as uow,
        pytest.raises(FieldCryptoError, match=r"tickets\.subject:tkt-2 holds a token"),
    ):
        uow.tickets.about("alert", "A-1")


def test_erasure_finds_sealed_messages_naming_the_customer_and_writes_them_back_sealed(
    db_engine: Engine,
) -> None:
    factory = uows(db_engine, NEW)
    with factory() as uow:
        uow.customers.add(b.a_customer())
        uow.orders.add(b.an_order(status=OrderStatus.CANCELLED))
        uow.commit()
    store(factory, HELD, LOST, BOBS, TICKET, ALERTS_TICKET)
    bobs = raw(db_engine)["A-3"]

    exported = export_personal_data(factory(), "C-1", actor="support:ann")
    assert {a.id: a.message for a in exported.alerts} == {
        "A-1": HELD.message,
        "A-2": LOST.message,
    }
    assert exported.tickets == [TICKET]
    erased = erase_customer(commands.EraseCustomer("C-1", "request 114", "admin:dpo"), factory())

    assert (erased.erased["alerts"], erased.erased["tickets"]) == (2, 2)
    after = raw(db_engine)
    assert after["A-3"] == bobs  # Bob's, not rewritten
    for id_ in ("A-1", "A-2", "tkt-1", "tkt-2"):
        sealed = after[id_]["message" if id_.startswith("A") else "subject"]
        assert sealed.startswith("enc:v1:new:")
    with factory() as uow:
        alerts = {a.id: a.message for a in uow.alerts.search()}
        tickets = [*uow.tickets.about("order", "O-1"), *uow.tickets.about("alert", "A-1")]
    assert not shows([alerts["A-1"], alerts["A-2"]], *ADA)
    assert alerts["A-3"] == BOBS.message
    assert not shows([(t.subject, t.comment_author, t.comment_excerpt) for t in tickets], *ADA)


def test_encrypting_counting_and_decrypting_what_was_stored_before(db_engine: Engine) -> None:
    store(uows(db_engine, None), HELD, TICKET)
    before = raw(db_engine)
    assert before["A-1"]["message"] == HELD.message  # without keys: as before
    usage = {u.table: u for u in key_usage(db_engine, batch_size=1)}
    assert (usage["alerts"].rows, usage["alerts"].clear) == (1, 1)
    assert (usage["tickets"].rows, usage["tickets"].clear) == (1, 3)

    done = {p.table: (p.examined, p.rewritten) for p in encrypt_stored(db_engine, OLD)}

    assert (done["alerts"], done["tickets"]) == ((1, 1), (1, 1))
    assert not shows(raw(db_engine), *ADA)
    usage = {u.table: u for u in key_usage(db_engine)}
    assert dict(usage["alerts"].sealed) == {"old": 1}
    assert dict(usage["tickets"].sealed) == {"old": 3}
    assert usage["tickets"].first["old"] == "tickets.subject of row tkt-1"
    assert all(u.rewritten == 0 for u in encrypt_stored(db_engine, OLD))

    back = {p.table: (p.examined, p.rewritten) for p in decrypt_stored(db_engine, OLD)}

    assert (back["alerts"], back["tickets"]) == ((1, 1), (1, 1))
    assert raw(db_engine) == before
    with uows(db_engine, None)() as uow:
        assert uow.alerts.get("A-1") == HELD
        assert uow.tickets.about("order", "O-1") == [TICKET]
