"""The 855 for a decided order of an EDI channel, on the in-memory store: written once into the
partner's mailbox under the pair's next control number, each PO1 with what became of its
units (accepted, backordered, rejected, its quantity changed; a kit in kits); nothing for an
order that did not come in by EDI, a channel that does not ask for 855s, an order not yet
decided, or when the event comes again."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from connectors.channels import x12
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.edi import PO_ACKNOWLEDGEMENT, EdiPurchaseOrder, PurchaseOrderLine
from engine.domain.fulfilment import ShipmentLine, ShipmentStatus
from engine.domain.orders import LineStatus, OrderLine, OrderStatus
from engine.service_layer import edi
from engine.service_layer.po_acknowledgements import PoAcknowledgementWriter
from tests.support.builders import a_line, a_shipment, an_order
from tests.support.edi_partners import ENVELOPE, acks_per_po1

NOW = datetime(2026, 11, 21, 17, 45, tzinfo=UTC)
SENT = (
    PurchaseOrderLine("1", "SHOE-42", (("VP", "SHOE-42"), ("UP", "012345678905")), "EA", 2,
                      "59.90"),
    PurchaseOrderLine("2", "GIFT-BOX", (("SK", "GIFT-BOX"),), "EA", 2, ""),
    PurchaseOrderLine("", "SOCK-M", (("BP", "B-77"), ("SK", "SOCK-M")), "EA", 5, "4.50"),
)  # fmt: skip


def lines(
    socks_waiting: int = 2, tissue_waiting: int = 0, socks_quantity: int = 5
) -> list[OrderLine]:
    """Shoes allocated; the kit GIFT-BOX (2 kits of 1 lid and 2 tissues each) as its
    components; socks (a PO1 without PO101, which Ordo numbered 3) partly backordered."""

    def status(waiting: int) -> LineStatus:
        return LineStatus.BACKORDERED if waiting else LineStatus.ALLOCATED

    return [
        a_line(id="1", sku="SHOE-42", quantity=2, price=Decimal("59.90"),
               quantity_shipped=0),
        a_line(id="2.1", sku="BOX-LID", quantity=2, price=Decimal("3.00"), quantity_shipped=0),
        a_line(id="2.2", sku="TISSUE", quantity=4, price=Decimal("0.50"),
               status=status(tissue_waiting), quantity_shipped=0),
        a_line(id="3", sku="SOCK-M", quantity=socks_quantity, price=Decimal("4.50"),
               status=status(socks_waiting), quantity_shipped=0),
    ]  # fmt: skip


def seeded(
    status: OrderStatus = OrderStatus.CARRIER_ASSIGNED,
    edi_order: bool = True,
    sent: tuple[PurchaseOrderLine, ...] = SENT,
    **waiting: int,
) -> InMemoryUnitOfWork:
    """Order O-1 of channel b2b-acme as decided; its shipment holds what is not waiting."""
    uow = InMemoryUnitOfWork()
    ordered = lines(**waiting)
    waits = {"3": waiting.get("socks_waiting", 2), "2.2": waiting.get("tissue_waiting", 0)}
    with uow:
        uow.orders.add(an_order(id="O-1", channel="b2b-acme", channel_order_id="PO-1001",
                                lines=ordered, status=status))  # fmt: skip
        in_shipment = [
            ShipmentLine(line.id, line.sku, line.quantity - waits.get(line.id, 0))
            for line in ordered
            if line.quantity > waits.get(line.id, 0)
        ]
        uow.shipments.add(
            a_shipment(id="F-1", order_id="O-1", lines=in_shipment,
                       status=ShipmentStatus.PENDING)
        )  # fmt: skip
        if edi_order:
            uow.edi.keep_purchase_order(
                EdiPurchaseOrder("b2b-acme", "PO-1001", ENVELOPE, sent, NOW, "20261121",
                                 "92", "STORE-7")
            )  # fmt: skip
        uow.commit()
    return uow


def decided(to_status: str = "carrier_assigned", event_id: str = "evt-1") -> Message:
    payload = {"order_id": "O-1", "from_status": "reserved", "to_status": to_status,
               "reason": ""}  # fmt: skip
    return Message(event_id, "order.status_changed", payload, "O-1")


def writer(channels: tuple[str, ...] = ("b2b-acme",)) -> PoAcknowledgementWriter:
    return PoAcknowledgementWriter(channels, clock=lambda: NOW)


def by_tag(text: str, tag: str) -> list[list[str]]:
    [tset] = x12.parse(text).groups[0].transaction_sets
    return [list(s.elements) for s in tset.segments if s.tag == tag]


def the_855(uow: InMemoryUnitOfWork) -> str:
    [document] = edi.outbound(lambda: uow, "b2b-acme", pending=None)
    assert (document.kind, document.reference, document.order_id) == (
        PO_ACKNOWLEDGEMENT, "O-1", "O-1",
    )  # fmt: skip
    return document.content


def test_a_decided_edi_order_gets_an_855_saying_what_became_of_each_line() -> None:
    uow = seeded()
    writer()(decided(), uow)

    text = the_855(uow)
    assert by_tag(text, "BAK")[0][:4] == ["00", "AC", "PO-1001", "20261121"]
    assert by_tag(text, "PO1") == [
        ["1", "2", "EA", "59.90", "", "VP", "SHOE-42", "UP", "012345678905"],
        # PO104 was not sent: the kit's price as Ordo took it (1 lid and 2 tissues).
        ["2", "2", "EA", "4.00", "", "SK", "GIFT-BOX"],
        ["", "5", "EA", "4.50", "", "BP", "B-77", "SK", "SOCK-M"],
    ]
    assert acks_per_po1(text) == [
        ("1", [["IA", "2", "EA"]]),
        ("2", [["IA", "2", "EA"]]),
        ("", [["IA", "3", "EA"], ["IB", "2", "EA"]]),
    ]


def test_a_kit_waits_whole_while_one_of_its_components_waits() -> None:
    # 2 of the 4 tissues wait: one kit's worth (2 a kit), though every lid is there.
    uow = seeded(tissue_waiting=2, socks_waiting=0)
    writer()(decided(), uow)
    assert acks_per_po1(the_855(uow))[1] == ("2", [["IA", "1", "EA"], ["IB", "1", "EA"]])


def test_every_line_allocated_as_sent_is_acknowledged_without_change() -> None:
    uow = seeded(socks_waiting=0)
    writer()(decided(), uow)
    text = the_855(uow)
    assert by_tag(text, "BAK")[0][1] == "AD"
    assert [acks for _, acks in acks_per_po1(text)] == [
        [["IA", "2", "EA"]], [["IA", "2", "EA"]], [["IA", "5", "EA"]],
    ]  # fmt: skip


def test_a_line_whose_quantity_was_changed_since_is_iq_with_the_units_taken() -> None:
    uow = seeded(socks_waiting=0, socks_quantity=4)
    writer()(decided(), uow)
    assert acks_per_po1(the_855(uow))[2] == ("", [["IQ", "4", "EA"]])


def test_a_rejected_order_rejects_every_line() -> None:
    uow = seeded(status=OrderStatus.REJECTED)
    writer()(decided("rejected"), uow)
    text = the_855(uow)
    assert by_tag(text, "BAK")[0][1] == "RD"
    assert [acks for _, acks in acks_per_po1(text)] == [
        [["IR", "2", "EA"]], [["IR", "2", "EA"]], [["IR", "5", "EA"]],
    ]  # fmt: skip


def test_an_order_cancelled_before_it_was_decided_rejects_every_line() -> None:
    uow = seeded(status=OrderStatus.HELD)
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.cancel("the buyer called")
        uow.commit()
    writer()(decided("cancelled"), uow)
    assert by_tag(the_855(uow), "BAK")[0][1] == "RD"


def test_a_backordered_order_has_every_line_backordered() -> None:
    uow = seeded(status=OrderStatus.BACKORDERED, socks_waiting=5)
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        for line in order.lines:
            line.status = LineStatus.BACKORDERED
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.status = ShipmentStatus.CANCELLED  # nothing of it is allocated
        uow.commit()
    writer()(decided("backordered"), uow)
    assert [acks for _, acks in acks_per_po1(the_855(uow))] == [
        [["IB", "2", "EA"]], [["IB", "2", "EA"]], [["IB", "5", "EA"]],
    ]  # fmt: skip


def test_the_855_is_written_once_per_order_and_takes_one_control_number() -> None:
    uow = seeded()
    assert edi.take_control_number(lambda: uow, ENVELOPE.pair) == 1  # the 997
    acknowledgements = writer()
    acknowledgements(decided(event_id="evt-1"), uow)
    acknowledgements(decided(event_id="evt-1"), uow)  # delivered again
    acknowledgements(decided("backordered", event_id="evt-2"), uow)  # decided again later

    [document] = edi.outbound(lambda: uow, "b2b-acme", pending=None)
    assert document.control_number == 2
    assert x12.parse(document.content).control_number == "000000002"
    assert acknowledgements.written == 1
    assert edi.take_control_number(lambda: uow, ENVELOPE.pair) == 3


def test_an_order_that_did_not_come_in_by_edi_gets_no_855() -> None:
    uow = seeded(edi_order=False)
    writer()(decided(), uow)
    assert edi.outbound(lambda: uow, "b2b-acme", pending=None) == []


def test_a_channel_that_does_not_ask_for_855s_gets_none_and_a_star_asks_for_all() -> None:
    uow = seeded()
    writer(("b2b-globex",))(decided(), uow)
    assert edi.outbound(lambda: uow, "b2b-acme", pending=None) == []
    assert not writer(()).wants(decided())
    writer(("*",))(decided(), uow)
    assert len(edi.outbound(lambda: uow, "b2b-acme", pending=None)) == 1


def test_an_order_not_decided_yet_waits_for_its_decision() -> None:
    uow = seeded(status=OrderStatus.HELD)
    acknowledgements = writer()
    assert not acknowledgements.wants(decided("held"))
    assert not acknowledgements.wants(decided("validated"))
    # A late event of a decision since undone (the order was changed and is decided again).
    acknowledgements(decided(), uow)
    assert edi.outbound(lambda: uow, "b2b-acme", pending=None) == []


def test_an_850_kept_before_its_quantities_were_gets_no_855() -> None:
    before = tuple(
        PurchaseOrderLine(line.line_number, line.sku, line.product_ids, line.unit) for line in SENT
    )
    uow = seeded(sent=before)
    writer()(decided(), uow)
    assert edi.outbound(lambda: uow, "b2b-acme", pending=None) == []


def test_a_kit_sent_without_po101_is_matched_to_the_components_ordo_numbered_for_it() -> None:
    unnumbered = (SENT[0], PurchaseOrderLine("", "GIFT-BOX", (("SK", "GIFT-BOX"),), "EA", 2),
                  SENT[2])  # fmt: skip
    uow = seeded(sent=unnumbered, socks_waiting=0)
    writer()(decided(), uow)
    assert acks_per_po1(the_855(uow)) == [
        ("1", [["IA", "2", "EA"]]), ("", [["IA", "2", "EA"]]), ("", [["IA", "5", "EA"]]),
    ]  # fmt: skip
