"""`ordo wms send-transfers` over a real SQLite database and fake WMSs on the wire: transfers
made (or shipped) before the WMS was configured get their transfer order or expected receipt
once, as the worker would have sent them, and a second run sends nothing; a 409 is recorded
as the worker records it; an unreachable WMS fails the run; and an operator's mistakes are
one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.catalog import LocationType
from engine.domain.inventory import InboundKind, InboundSupply
from ordo.cli import app
from tests.support import builders as b
from tests.support.cli import ordo, refused
from tests.support.fake_wms import FakeWms, fake_wms

SHIPPED_AT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
TAKES = {
    ("POST", "/dallas/transfer-orders"): (201, {"reference": "TO-000001"}),
    ("POST", "/store/inbound-transfers"): (201, {"reference": "ASN-000001"}),
}


def a_transfer(id: str, source: str, destination: str, **kw: Any) -> InboundSupply:
    return InboundSupply(
        id=id, sku="MUG", location_code=destination, quantity=2,
        expected_on=date(2026, 12, 4), kind=InboundKind.TRANSFER, reference=f"from {source}",
        **kw,
    )  # fmt: skip


def shipped(**kw: Any) -> dict[str, Any]:
    return {"shipped_at": SHIPPED_AT, "carrier": "ups", "tracking_number": "1Z999", **kw}


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Dallas's warehouse and the Fifth Avenue store (each with a WMS once configured) and a
    Boston store with none; transfers made before the WMSs were, and some they hold."""
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    engine = make_engine(sqlite_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        uow.locations.add(b.a_location(code="DAL-01", name="Dallas DC"))
        for code in ("NYC-5", "BOS-1"):
            uow.locations.add(b.a_location(code=code, name=code, type=LocationType.STORE))
        for transfer in (
            a_transfer("T-ORDER", "DAL-01", "BOS-1"),  # Dallas's WMS never got it
            a_transfer("T-RECEIPT", "BOS-1", "NYC-5", **shipped()),  # nor the store's this
            a_transfer("T-HELD", "DAL-01", "NYC-5", wms_reference="TO-7"),
            a_transfer("T-EXPECTED", "BOS-1", "NYC-5", **shipped(inbound_reference="ASN-7")),
            a_transfer("T-RECEIVED", "DAL-01", "BOS-1", received=True),
            a_transfer("T-CANCELLED", "DAL-01", "BOS-1", cancelled=True),
            a_transfer("T-BY-HAND", "DAL-01", "BOS-1", **shipped()),  # to a store with no WMS
        ):
            uow.inbound.add(transfer)
        uow.inbound.add(b.an_inbound(id="PO-1", kind=InboundKind.PURCHASE_ORDER, received=False,
                                     wms_reference="", shipped_at=None))  # fmt: skip
        uow.commit()
    engine.dispose()
    yield sqlite_url


def configure(monkeypatch: pytest.MonkeyPatch, wms: FakeWms, **dallas: Any) -> None:
    entries = {
        "dallas": {**wms.entry("dallas", "DAL-01"), **dallas},
        "store": wms.entry("store", "NYC-5"),
    }
    monkeypatch.setenv("ORDO_WMS", json.dumps(entries))


def stored(database_url: str) -> dict[str, Any]:
    """The transfers' references, their events and the alerts raised in the outbox, and the
    audit entries."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            inbound = orm.inbound_supply.c
            references = {
                row.id: (row.wms_reference, row.inbound_reference)
                for row in connection.execute(
                    select(inbound.id, inbound.wms_reference, inbound.inbound_reference)
                )
            }
            events = [
                (row.name, row.payload["transfer_id"])
                for row in connection.execute(
                    select(orm.outbox.c.name, orm.outbox.c.payload).order_by(orm.outbox.c.id)
                )
                if row.name.startswith("transfer.")
            ]
            audit = connection.execute(
                select(orm.audit_log.c.action, orm.audit_log.c.entity_id, orm.audit_log.c.actor)
            ).all()
            alerts = [  # raised for the worker to open
                (row.payload["rule"], row.payload["key"])
                for row in connection.execute(
                    select(orm.outbox.c.payload).where(orm.outbox.c.name == "alert.triggered")
                )
            ]
    finally:
        engine.dispose()
    return {"references": references, "events": events, "audit": audit, "alerts": alerts}


def test_transfers_made_before_the_wms_was_configured_are_sent_once(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_wms(TAKES) as wms:
        configure(monkeypatch, wms)
        output = ordo("wms", "send-transfers")
        again = ordo("wms", "send-transfers")

    assert "T-ORDER: transfer order sent to the WMS of DAL-01 (TO-000001)" in output
    assert "T-RECEIPT: expected receipt sent to the WMS of NYC-5 (ASN-000001)" in output
    assert "2 transfer document(s) missing from a WMS: 2 sent, 0 refused" in output
    assert "0 transfer document(s) missing from a WMS" in again
    [(_, _, order_key, order)] = wms.sent_to("dallas")
    assert (order_key, order["id"], order["to"]["code"]) == ("T-ORDER", "T-ORDER", "BOS-1")
    assert order["lines"] == [{"sku": "MUG", "units": 2}]
    [(_, _, receipt_key, receipt)] = wms.sent_to("store")
    assert (receipt_key, receipt["from"]["code"]) == ("T-RECEIPT:inbound", "BOS-1")
    assert (receipt["carrier"], receipt["tracking_number"]) == ("ups", "1Z999")
    kept = stored(database)
    assert kept["references"]["T-ORDER"] == ("TO-000001", "")
    assert kept["references"]["T-RECEIPT"] == ("", "ASN-000001")
    assert kept["references"]["T-BY-HAND"] == ("", "")
    assert kept["events"] == [
        ("transfer.sent_to_wms", "T-ORDER"),
        ("transfer.inbound_sent_to_wms", "T-RECEIPT"),
    ]
    assert sorted((action, entity_id) for action, entity_id, _ in kept["audit"]) == [
        ("transfer.sent_to_wms", "T-ORDER"),
        ("transfer.sent_to_wms", "T-RECEIPT"),
    ]
    assert all(actor.startswith("cli:") for _, _, actor in kept["audit"])


def test_a_dry_run_lists_what_would_be_sent_and_sends_nothing(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_wms(TAKES) as wms:
        configure(monkeypatch, wms)
        output = ordo("wms", "send-transfers", "--dry-run")

    assert output.splitlines() == [
        "T-ORDER: transfer order for the WMS of DAL-01",
        "T-RECEIPT: expected receipt for the WMS of NYC-5",
        "dry run: 2 to send, nothing sent",
    ]
    assert wms.requests == []
    assert stored(database)["events"] == []


def test_one_location_is_sent_only_what_its_wms_should_hold(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_wms(TAKES) as wms:
        configure(monkeypatch, wms)
        output = ordo("wms", "send-transfers", "--location", "NYC-5")

    assert "T-RECEIPT: expected receipt sent" in output
    assert "T-ORDER" not in output
    assert [path for _, path, _, _ in wms.requests] == ["/store/inbound-transfers"]


def test_a_wms_that_takes_no_transfers_is_sent_none(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_wms(TAKES) as wms:
        configure(monkeypatch, wms, transfers=False)
        output = ordo("wms", "send-transfers")

    assert "T-ORDER" not in output
    assert [path for _, path, _, _ in wms.requests] == ["/store/inbound-transfers"]


def test_a_refused_receipt_is_recorded_and_alerted_and_an_unreachable_wms_fails_the_run(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = {("POST", "/store/inbound-transfers"): (409, {"message": "received already"})}
    with fake_wms(refusing) as wms:
        configure(monkeypatch, wms, base_url="http://127.0.0.1:9/dallas")  # nobody listens
        result = CliRunner().invoke(app, ["wms", "send-transfers"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (
        "T-ORDER: transfer order failed: WMS http://127.0.0.1:9 unreachable for transfer T-ORDER"
        in result.output
    )
    assert "T-RECEIPT: expected receipt refused by the WMS of NYC-5" in result.output
    assert "received already" in result.output
    assert "0 sent, 1 refused, 0 not sent, 1 failed" in result.output
    kept = stored(database)
    assert kept["references"]["T-ORDER"] == ("", "")  # a next run tries it again
    assert kept["events"] == [("transfer.inbound_wms_refused", "T-RECEIPT")]
    assert kept["alerts"] == [("wms/WMS refused a change", "T-RECEIPT")]
    assert kept["audit"] == []


def test_an_unknown_location_and_no_wms_are_refused_in_one_line(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert refused("wms", "send-transfers") == (
        "error: ORDO_WMS is not set: there is no warehouse system to send to"
    )
    with fake_wms(TAKES) as wms:
        configure(monkeypatch, wms)
        assert refused("wms", "send-transfers", "--location", "NOPE") == (
            "error: --location: Ordo has no location 'NOPE'"
        )
        assert refused("wms", "send-transfers", "--location", "BOS-1") == (
            "error: --location: no WMS of ORDO_WMS that takes transfers runs location 'BOS-1'"
        )
    assert wms.requests == []
