"""The 856 the worker writes for a packed shipment of an EDI order has a carton per parcel,
each with its tracking number and the partner's lines inside it (a SKU on two lines fills
them in order); a shipment whose parcels do not hold its lines' units names its lines alone."""

from __future__ import annotations

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.edi import EdiPurchaseOrder, PurchaseOrderLine
from engine.domain.fulfilment import Parcel, ShipmentLine
from engine.service_layer import edi
from tests.support.builders import a_line, a_location, a_shipment, an_order
from tests.unit.events.test_ship_notice_writer import ENVELOPE, NOW, by_tag, status_changed, writer

SENT = (
    PurchaseOrderLine("1", "SHOE-42", (("VP", "SHOE-42"),)),
    PurchaseOrderLine("2", "SOCK-M", (("SK", "SOCK-M"),)),
    PurchaseOrderLine("3", "SOCK-M", (("SK", "SOCK-M"), ("BP", "B-9"))),
)
PARCELS = [
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 5.55, 7.9, {"SHOE-42": 2, "SOCK-M": 2}, "SWX0001"),
    Parcel("SMALL", 30.0, 25.0, 15.0, 1.05, 2.25, {"SOCK-M": 3}, "SWX0002"),
]


def shipped_856(parcels: list[Parcel]) -> str:
    uow = InMemoryUnitOfWork()
    lines = [a_line(id="1", sku="SHOE-42", quantity=2), a_line(id="2", sku="SOCK-M", quantity=3),
             a_line(id="3", sku="SOCK-M", quantity=2)]  # fmt: skip
    with uow:
        uow.orders.add(an_order(id="O-1", channel="b2b-acme", channel_order_id="PO-1001",
                                lines=lines))  # fmt: skip
        uow.locations.add(a_location(code="DAL-01", name="Dallas DC"))
        uow.shipments.add(
            a_shipment(id="F-1", order_id="O-1", location_code="DAL-01", carrier="SWX",
                       lines=[ShipmentLine(ln.id, ln.sku, ln.quantity) for ln in lines],
                       tracking_number="SWX0001", shipped_at=NOW, parcels=parcels)
        )  # fmt: skip
        uow.edi.keep_purchase_order(
            EdiPurchaseOrder("b2b-acme", "PO-1001", ENVELOPE, SENT, NOW, "20261121", "92", "S-7")
        )
        uow.commit()
    writer()(status_changed(), uow)
    [document] = edi.outbound(lambda: uow, "b2b-acme")
    return document.content


def test_each_parcel_is_a_carton_with_its_number_and_the_partners_lines_inside() -> None:
    text = shipped_856(PARCELS)

    assert by_tag(text, "TD1") == [["CTN25", "2", "", "", "", "G", "6.6", "KG"]]
    assert by_tag(text, "MAN") == [["CP", "SWX0001"], ["CP", "SWX0002"]]
    assert [(hl[2], hl[1]) for hl in by_tag(text, "HL")] == [
        ("S", ""), ("O", "1"), ("P", "2"), ("I", "3"), ("I", "3"), ("P", "2"), ("I", "6"),
        ("I", "6"),
    ]  # fmt: skip
    # SOCK-M is on lines 2 (3 units) and 3 (2 units): the first carton's 2 go to line 2,
    # the second carton's 3 fill line 2's last unit, then line 3.
    assert by_tag(text, "SN1") == [["1", "2", "EA"], ["2", "2", "EA"], ["2", "1", "EA"],
                                   ["3", "2", "EA"]]  # fmt: skip
    assert by_tag(text, "CTT") == [["8", "7"]]


def test_parcels_that_do_not_hold_the_lines_units_leave_the_856_without_cartons() -> None:
    short = [PARCELS[0]]  # 4 of the shipment's 7 units
    text = shipped_856(short)

    assert by_tag(text, "TD1") == [["CTN25", "1"]]
    assert by_tag(text, "MAN") == []
    assert [hl[2] for hl in by_tag(text, "HL")] == ["S", "O", "I", "I", "I"]
