"""Returns' reasons and carriers' texts in tracking scans, encrypted at rest on SQLite and
PostgreSQL: with data keys a return line's reason and a scan's description and location are
tokens in their rows, read back in clear however returns and shipments are read; a carrier's
retried scan is still recognised; the defects report gives the same figures on sealed reasons
as on clear ones; erasure redacts both and writes them sealed again; `ordo db encrypt` seals
those written before, `key_usage` counts them, and `ordo db decrypt` writes them back as Ordo
writes them without keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.memory import InMemoryUnitOfWork
from engine.adapters.reencrypt import decrypt_stored, encrypt_stored, key_usage
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands
from engine.domain.fulfilment import ReturnLine, TrackingEvent
from engine.domain.orders import OrderStatus
from engine.service_layer import reports
from engine.service_layer.privacy import erase_customer, export_personal_data
from engine.service_layer.tracking import track_shipment
from tests.support import builders as b
from tests.unit.reports.report_history import NOW, PERIOD, build

NEW = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()}"))
ADA = ("Ada Lovelace", "ada@example.com")
RETURN = b.a_return(
    id="R-1",
    lines=[
        ReturnLine("L1", "SKU-1", 1, "Damaged, says Ada Lovelace", restock=False),
        ReturnLine("L2", "SKU-2", 1, ""),
    ],
)
SIGNED = TrackingEvent(b.at(99), "delivered", "Signed for by Ada Lovelace", "12 Byron Row")
SHIPMENT = b.a_shipment(
    id="S-1", tracking=[TrackingEvent(b.at(95), "in_transit", "Left the depot", "Leeds"), SIGNED]
)

Uows = Callable[[], SqlAlchemyUnitOfWork]


def uows(engine: Engine, cipher: FieldCipher | None) -> Uows:
    sessions = make_session_factory(engine, cipher)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def store(factory: Uows, status: OrderStatus = OrderStatus.SHIPPED) -> None:
    with factory() as uow:
        uow.customers.add(b.a_customer())
        uow.orders.add(b.an_order(status=status))
        uow.shipments.add(SHIPMENT)
        uow.returns.add(RETURN)
        uow.commit()


def raw(engine: Engine) -> dict[str, Any]:
    """The returns' lines, and each scan's texts and fingerprint, as the database holds them."""
    r, t = orm.returns.c, orm.shipment_tracking.c
    with engine.connect() as connection:
        lines = {row.id: row.lines for row in connection.execute(select(r.id, r.lines))}
        scans = connection.execute(
            select(t.description, t.location, t.fingerprint).order_by(t.at)
        ).all()
    return {"returns": lines, "scans": [tuple(scan) for scan in scans]}


def shows(value: Any, *texts: str) -> bool:
    dumped = json.dumps(value, default=str).lower()
    return any(text.lower() in dumped for text in texts)


def test_with_data_keys_reasons_and_scans_are_sealed_and_read_back_in_clear(
    db_engine: Engine,
) -> None:
    factory = uows(db_engine, NEW)
    store(factory)

    stored = raw(db_engine)
    damaged, empty = stored["returns"]["R-1"]
    assert damaged["reason"].startswith("enc:v1:new:") and empty["reason"] == ""
    assert all(text.startswith("enc:v1:new:") for scan in stored["scans"] for text in scan[:2])
    assert not shows(stored, *ADA, "Byron", "Leeds")
    with factory() as uow:
        assert uow.returns.get("R-1") == RETURN
        assert uow.returns.for_order("O-1") == [RETURN]
        assert uow.returns.search(rma="RMA-5") == [RETURN]
        assert uow.shipments.get("S-1") == SHIPMENT
        assert uow.shipments.for_order("O-1") == [SHIPMENT]
        assert uow.shipments.read_many(["S-1"])["S-1"].tracking == SHIPMENT.tracking


def test_a_carriers_retried_scan_is_recognised_with_data_keys(db_engine: Engine) -> None:
    factory = uows(db_engine, NEW)
    store(factory)
    before = raw(db_engine)["scans"]
    scan = commands.TrackShipment(
        "S-1", b.at(120), "out_for_delivery", "With J. SMITH, driver", "3 Mill Lane"
    )

    assert track_shipment(scan, factory()) is True
    assert track_shipment(scan, factory()) is False  # the carrier's retry: nothing new
    # ... and one already stored before this run, posted again.
    again = commands.TrackShipment(
        "S-1", SIGNED.at, SIGNED.code, SIGNED.description, "12 Byron Row"
    )
    assert track_shipment(again, factory()) is False

    after = raw(db_engine)["scans"]
    assert len(after) == len(before) + 1
    assert after[:2] == before  # the scans stored before, untouched
    description, location, _ = after[2]
    assert description.startswith("enc:v1:new:") and location.startswith("enc:v1:new:")
    assert not shows(after, "SMITH", "Mill Lane")
    with factory() as uow:
        shipment = uow.shipments.get("S-1")
        assert shipment is not None
        assert [t.description for t in shipment.tracking][-1] == "With J. SMITH, driver"


def test_the_defects_report_counts_the_same_on_sealed_reasons(db_engine: Engine) -> None:
    build(uows(db_engine, None)())
    clear = reports.operations(uows(db_engine, None)(), PERIOD, NOW).order_defects

    encrypt_stored(db_engine, NEW)

    assert all(
        line["reason"].startswith("enc:v1:new:")
        for lines in raw(db_engine)["returns"].values()
        for line in lines
        if line["reason"]
    )
    sealed = reports.operations(uows(db_engine, NEW)(), PERIOD, NOW).order_defects
    assert sealed == clear
    memory = InMemoryUnitOfWork()
    build(memory)
    assert sealed == reports.operations(memory, PERIOD, NOW).order_defects
    # Returns said "damaged" and "wrong item": the words are found inside the tokens' texts.
    assert (sealed.defect_return, sealed.defective.count) == (2, 4)


def test_erasure_redacts_sealed_reasons_and_scans_and_writes_them_back_sealed(
    db_engine: Engine,
) -> None:
    factory = uows(db_engine, NEW)
    store(factory, OrderStatus.DELIVERED)

    exported = export_personal_data(factory(), "C-1", actor="support:ann")
    assert exported.returns == [RETURN]
    erased = erase_customer(commands.EraseCustomer("C-1", "request 114", "admin:dpo"), factory())

    assert (erased.erased["shipments"], erased.erased["returns"]) == (1, 1)
    after = raw(db_engine)
    assert after["returns"]["R-1"][0]["reason"].startswith("enc:v1:new:")
    assert all(text.startswith("enc:v1:new:") for scan in after["scans"] for text in scan[:2])
    with factory() as uow:
        found, shipment = uow.returns.get("R-1"), uow.shipments.get("S-1")
    assert found is not None and shipment is not None
    assert not shows([line.reason for line in found.lines], *ADA)
    assert "damaged" in found.lines[0].reason.lower()  # their words, less their details
    assert not shows([(t.description, t.location) for t in shipment.tracking], *ADA)


def test_encrypting_counting_and_decrypting_what_was_stored_before(db_engine: Engine) -> None:
    store(uows(db_engine, None))
    before = raw(db_engine)
    assert before["returns"]["R-1"][0]["reason"] == RETURN.lines[0].reason  # without keys
    usage = {u.table: u for u in key_usage(db_engine, batch_size=1)}
    assert (usage["returns"].rows, usage["returns"].clear) == (1, 1)
    # Each scan's description, location and unkeyed fingerprint.
    assert (usage["shipment_tracking"].rows, usage["shipment_tracking"].clear) == (2, 6)

    done = {p.table: (p.examined, p.rewritten) for p in encrypt_stored(db_engine, NEW, 1)}

    assert (done["returns"], done["shipment_tracking"]) == ((1, 1), (2, 2))
    assert not shows(raw(db_engine), *ADA, "Leeds")
    # Fingerprints keyed: the unkeyed digests would confirm a guess at the sealed texts.
    assert all(scan[2].startswith("fp:new:") for scan in raw(db_engine)["scans"])
    usage = {u.table: u for u in key_usage(db_engine)}
    assert dict(usage["returns"].sealed) == {"new": 1}
    assert dict(usage["shipment_tracking"].sealed) == {"new": 6}
    assert usage["returns"].first["new"] == "returns.lines[0].reason of row R-1"
    with uows(db_engine, NEW)() as uow:
        assert uow.returns.get("R-1") == RETURN
        assert uow.shipments.get("S-1") == SHIPMENT
    assert all(p.rewritten == 0 for p in encrypt_stored(db_engine, NEW))

    back = {p.table: (p.examined, p.rewritten) for p in decrypt_stored(db_engine, NEW, 1)}

    assert (back["returns"], back["shipment_tracking"]) == ((1, 1), (2, 2))
    assert raw(db_engine) == before
    with uows(db_engine, None)() as uow:
        assert uow.returns.get("R-1") == RETURN
        assert uow.shipments.get("S-1") == SHIPMENT
