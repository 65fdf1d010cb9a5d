"""The 856 for a shipped shipment of an EDI order, on the in-memory store: written once into
the partner's mailbox under the pair's next control number, naming the partner's PO, line
numbers and product ids; nothing for an order that did not come in by EDI, for another
status, or when the event comes again."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.channels import x12
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.edi import SHIP_NOTICE, EdiPurchaseOrder, Envelope, PurchaseOrderLine
from engine.domain.fulfilment import ShipmentLine
from engine.service_layer import edi
from engine.service_layer.ship_notices import ShipNoticeWriter
from tests.support.builders import a_line, a_location, a_shipment, an_order

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
ENVELOPE = Envelope(
    partner_qualifier="ZZ", partner_id="BUYERCO", ordo_qualifier="ZZ", ordo_id="ORDO",
    partner_application="BUYERCO", ordo_application="ORDO", standards="U", version="00401",
    usage="T", release="004010", element="*", component=">", segment="~",
)  # fmt: skip
SENT = (
    PurchaseOrderLine("1", "SHOE-42", (("VP", "SHOE-42"), ("UP", "012345678905"))),
    PurchaseOrderLine("2", "GIFT-BOX", (("SK", "GIFT-BOX"),)),
    PurchaseOrderLine("", "SOCK-M", (("BP", "B-77"), ("SK", "SOCK-M"))),
)


def seeded(edi_order: bool = True) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    lines = [
        a_line(id="1", sku="SHOE-42", quantity=2),
        a_line(id="2.1", sku="BOX-LID", quantity=1),  # a component of the kit GIFT-BOX
        a_line(id="3", sku="SOCK-M", quantity=3),  # PO1 without PO101: Ordo numbered it
        a_line(id="4", sku="CAP-1", quantity=1),  # added to the order since
    ]
    with uow:
        uow.orders.add(an_order(id="O-1", channel="b2b-acme", channel_order_id="PO-1001",
                                lines=lines))  # fmt: skip
        uow.locations.add(a_location(code="DAL-01", name="Dallas DC"))
        shipped = [ShipmentLine(line.id, line.sku, line.quantity) for line in lines]
        uow.shipments.add(
            a_shipment(id="F-1", order_id="O-1", location_code="DAL-01", lines=shipped,
                       carrier="SWX", tracking_number="1Z999", shipped_at=NOW)
        )  # fmt: skip
        if edi_order:
            uow.edi.keep_purchase_order(
                EdiPurchaseOrder("b2b-acme", "PO-1001", ENVELOPE, SENT, NOW, "20261121",
                                 "92", "STORE-7")
            )  # fmt: skip
        uow.commit()
    return uow


def status_changed(to_status: str = "shipped", event_id: str = "evt-1") -> Message:
    payload = {"shipment_id": "F-1", "order_id": "O-1", "location_code": "DAL-01",
               "from_status": "packed", "to_status": to_status}  # fmt: skip
    return Message(event_id, "shipment.status_changed", payload, "O-1")


def writer() -> ShipNoticeWriter:
    return ShipNoticeWriter({"SWX": "Swift Express"}, clock=lambda: NOW)


def by_tag(text: str, tag: str) -> list[list[str]]:
    [tset] = x12.parse(text).groups[0].transaction_sets
    return [list(s.elements) for s in tset.segments if s.tag == tag]


def test_a_shipped_shipment_of_an_edi_order_gets_an_856_in_the_partners_mailbox() -> None:
    uow = seeded()
    writer()(status_changed(), uow)

    [document] = edi.outbound(lambda: uow, "b2b-acme")
    assert (document.kind, document.reference, document.order_id) == (SHIP_NOTICE, "F-1", "O-1")
    assert document.control_number == 1
    assert x12.parse(document.content).control_number == "000000001"
    assert by_tag(document.content, "PRF") == [["PO-1001", "", "", "20261121"]]
    assert by_tag(document.content, "TD5") == [["B", "2", "SWX", "", "Swift Express"]]
    assert by_tag(document.content, "REF") == [["CN", "1Z999"]]
    assert by_tag(document.content, "N1") == [
        ["SF", "Dallas DC", "91", "DAL-01"],
        ["ST", "Ada Lovelace", "92", "STORE-7"],
    ]
    assert by_tag(document.content, "LIN") == [
        ["1", "VP", "SHOE-42", "UP", "012345678905"],
        ["2", "VP", "BOX-LID"],  # the kit's line, by the component that shipped
        ["", "BP", "B-77", "SK", "SOCK-M"],
        ["", "VP", "CAP-1"],
    ]
    assert by_tag(document.content, "SN1") == [
        ["1", "2", "EA"], ["2", "1", "EA"], ["", "3", "EA"], ["", "1", "EA"],
    ]  # fmt: skip


def test_the_856_takes_the_pairs_next_control_number_after_the_997s() -> None:
    uow = seeded()
    assert edi.take_control_number(lambda: uow, ENVELOPE.pair) == 1
    writer()(status_changed(), uow)
    [document] = edi.outbound(lambda: uow, "b2b-acme")
    assert document.control_number == 2


def test_the_event_delivered_again_writes_no_second_856_and_takes_no_number() -> None:
    uow = seeded()
    writer()(status_changed(event_id="evt-1"), uow)
    writer()(status_changed(event_id="evt-1"), uow)
    writer()(status_changed(event_id="evt-2"), uow)
    assert len(edi.outbound(lambda: uow, "b2b-acme", pending=None)) == 1
    assert edi.take_control_number(lambda: uow, ENVELOPE.pair) == 2


def test_an_order_that_did_not_come_in_by_edi_gets_no_856() -> None:
    uow = seeded(edi_order=False)
    writer()(status_changed(), uow)
    assert edi.outbound(lambda: uow, "b2b-acme", pending=None) == []


def test_a_shipment_that_has_not_shipped_gets_no_856() -> None:
    uow = seeded()
    notices = writer()
    assert not notices.wants(status_changed("released"))
    notices(status_changed("released"), uow)
    assert edi.outbound(lambda: uow, "b2b-acme", pending=None) == []
