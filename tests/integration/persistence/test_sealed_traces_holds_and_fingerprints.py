"""Decision traces, hold messages and scans' fingerprints at rest on SQLite and PostgreSQL:
with data keys a trace's `detail` and each hold's message are tokens in their rows, read back
in clear; a scan's fingerprint is a keyed digest instead of the SHA-256 of its texts, and a
carrier's retried scan is still recognised after the key is rotated; erasure redacts a
sealed trace and writes it sealed again; `ordo db encrypt` seals and keys what was stored
before, and `ordo db decrypt` writes it back as Ordo writes it without keys, which is what
it writes when no key is set."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.reencrypt import decrypt_stored, encrypt_stored, key_usage
from engine.adapters.repositories import tracking_fingerprint
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands
from engine.domain.fulfilment import TrackingEvent
from engine.domain.operations import DecisionTrace
from engine.domain.orders import Hold, OrderStatus
from engine.service_layer.privacy import erase_customer
from engine.service_layer.tracking import track_shipment
from tests.support import builders as b

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
ROTATED = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()},{OLD_KEY}"))
ADA = ("Ada Lovelace", "ada@example.com")
HOLD = Hold("address", "Check the door of Ada Lovelace", b.at(1))
TRACE = DecisionTrace(
    "trc-1",
    "O-1",
    "sourcing",
    "default",
    3,
    b.at(2),
    "allocated",
    {"rules": [{"rule": "vip", "message": "VIP: Ada Lovelace <ada@example.com>"}], "score": 7},
)
SIGNED = TrackingEvent(b.at(99), "delivered", "Signed for by Ada Lovelace", "12 Byron Row")
SHIPMENT = b.a_shipment(id="S-1", tracking=[SIGNED])

Uows = Callable[[], SqlAlchemyUnitOfWork]


def uows(engine: Engine, cipher: FieldCipher | None) -> Uows:
    sessions = make_session_factory(engine, cipher)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def store(factory: Uows, status: OrderStatus = OrderStatus.SHIPPED) -> None:
    with factory() as uow:
        uow.customers.add(b.a_customer())
        uow.orders.add(b.an_order(status=status, holds=[HOLD]))
        uow.traces.add(TRACE)
        uow.shipments.add(SHIPMENT)
        uow.commit()


def raw(engine: Engine) -> dict[str, Any]:
    """The trace's detail, the order's holds and the scans' fingerprints as stored."""
    t = orm.shipment_tracking.c
    with engine.connect() as connection:
        detail = connection.execute(select(orm.decision_traces.c.detail)).scalar_one()
        holds = connection.execute(select(orm.orders.c.holds)).scalar_one()
        fingerprints = connection.execute(select(t.fingerprint).order_by(t.id)).scalars().all()
    return {"detail": detail, "holds": holds, "fingerprints": list(fingerprints)}


def shows(value: Any, *texts: str) -> bool:
    dumped = json.dumps(value, default=str).lower()
    return any(text.lower() in dumped for text in texts)


def unkeyed(event: TrackingEvent) -> str:
    key = json.dumps([event.in_utc().at.isoformat(), event.code, event.description,
                      event.location], ensure_ascii=False)  # fmt: skip
    return hashlib.sha256(key.encode()).hexdigest()


def test_with_data_keys_a_trace_and_a_hold_message_are_sealed_and_read_back_in_clear(
    db_engine: Engine,
) -> None:
    factory = uows(db_engine, OLD)
    store(factory)

    stored = raw(db_engine)
    assert isinstance(stored["detail"], str) and stored["detail"].startswith("enc:v1:old:")
    [hold] = stored["holds"]
    assert hold["message"].startswith("enc:v1:old:") and hold["code"] == "address"
    assert not shows(stored, *ADA, "Byron")
    with factory() as uow:
        assert uow.traces.for_order("O-1") == [TRACE]
        order = uow.orders.get("O-1")
        assert order is not None and order.holds == [HOLD]


def test_with_data_keys_a_scans_fingerprint_is_keyed_and_a_retry_is_known_after_rotating(
    db_engine: Engine,
) -> None:
    store(uows(db_engine, OLD))
    [fingerprint] = raw(db_engine)["fingerprints"]
    assert fingerprint.startswith("fp:old:") and len(fingerprint) <= 64
    assert fingerprint != unkeyed(SIGNED)
    retry = commands.TrackShipment(
        "S-1", SIGNED.at, SIGNED.code, SIGNED.description, SIGNED.location
    )

    rotated = uows(db_engine, ROTATED)
    assert track_shipment(retry, rotated()) is False  # stored under 'old': still the same scan
    later = commands.TrackShipment("S-1", b.at(120), "returned", "Back to Ada Lovelace", "Leeds")
    assert track_shipment(later, rotated()) is True
    assert track_shipment(later, rotated()) is False

    fingerprints = raw(db_engine)["fingerprints"]
    assert fingerprints[0] == fingerprint  # the stored scan is left as it was
    assert fingerprints[1].startswith("fp:new:") and len(fingerprints) == 2
    with rotated() as uow:
        shipment = uow.shipments.get("S-1")
        assert shipment is not None and len(shipment.tracking) == 2


def test_erasure_redacts_a_sealed_trace_and_seals_it_again(db_engine: Engine) -> None:
    factory = uows(db_engine, OLD)
    store(factory, OrderStatus.DELIVERED)

    erased = erase_customer(commands.EraseCustomer("C-1", "request 7", "admin:dpo"), factory())

    assert erased.erased["decision_traces"] == 1
    stored = raw(db_engine)
    assert stored["detail"].startswith("enc:v1:old:")
    assert stored["holds"][0]["message"].startswith("enc:v1:old:")
    with factory() as uow:
        [trace] = uow.traces.for_order("O-1")
        order = uow.orders.get("O-1")
    assert not shows(trace.detail, *ADA) and trace.detail["score"] == 7
    assert order is not None and not shows(order.holds[0].message, *ADA)


def test_encrypting_rotating_and_decrypting_what_was_stored_before(db_engine: Engine) -> None:
    store(uows(db_engine, None))
    before = raw(db_engine)
    # Without keys, as Ordo always wrote them.
    assert before["detail"] == TRACE.detail and before["holds"][0]["message"] == HOLD.message
    assert before["fingerprints"] == [unkeyed(SIGNED)]
    usage = {u.table: u for u in key_usage(db_engine)}
    assert (usage["decision_traces"].rows, usage["decision_traces"].clear) == (1, 1)

    sealed = {p.table: (p.examined, p.rewritten) for p in encrypt_stored(db_engine, OLD, 1)}
    assert (sealed["decision_traces"], sealed["shipment_tracking"]) == ((1, 1), (1, 1))
    after = raw(db_engine)
    assert after["fingerprints"] == [tracking_fingerprint(
        SIGNED.at, SIGNED.code, SIGNED.description, SIGNED.location, cipher=OLD
    )]  # fmt: skip
    assert not shows(after, *ADA, "Byron")

    rotated = {p.table: p.rewritten for p in encrypt_stored(db_engine, ROTATED, 1)}
    assert (rotated["orders"], rotated["decision_traces"], rotated["shipment_tracking"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert raw(db_engine)["fingerprints"][0].startswith("fp:new:")
    usage = {u.table: u for u in key_usage(db_engine)}
    assert dict(usage["decision_traces"].sealed) == {"new": 1}
    assert dict(usage["shipment_tracking"].sealed) == {"new": 3}  # two texts, a fingerprint
    assert "old" not in usage["orders"].sealed
    with uows(db_engine, ROTATED)() as uow:
        assert uow.traces.for_order("O-1") == [TRACE]
        assert uow.shipments.get("S-1") == SHIPMENT
    assert all(p.rewritten == 0 for p in encrypt_stored(db_engine, ROTATED))

    back = {p.table: p.rewritten for p in decrypt_stored(db_engine, ROTATED, 1)}

    assert (back["decision_traces"], back["shipment_tracking"]) == (1, 1)
    assert raw(db_engine) == before
    with uows(db_engine, None)() as uow:
        assert uow.traces.for_order("O-1") == [TRACE]
        assert uow.shipments.get("S-1") == SHIPMENT
