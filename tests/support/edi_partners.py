"""EDI as the tests see it: a partner's envelope, an EDI customer's order as Ordo keeps it
(the order, delivered; the 850 it came in as; the 855 and 856 written to the trading partner
about it, the 855 collected by the partner's gateway and the 856 still waiting), and an
855 read back line by line."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.channels import x12
from connectors.channels.x12_outbound import (
    AcknowledgedLine,
    Party,
    PurchaseOrderAcknowledgement,
    ShipNotice,
    ShippedItem,
    po_acknowledgement,
    ship_notice,
)
from engine.domain.edi import (
    PO_ACKNOWLEDGEMENT,
    SHIP_NOTICE,
    EdiPurchaseOrder,
    Envelope,
    OutboundDocument,
    PurchaseOrderLine,
)
from engine.domain.orders import OrderStatus
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support import builders as b

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
ENVELOPE = Envelope(
    partner_qualifier="ZZ", partner_id="BUYERCO", ordo_qualifier="ZZ", ordo_id="ORDO",
    partner_application="BUYERCO", ordo_application="ORDO", standards="U", version="00401",
    usage="T", release="004010", element="*", component=">", segment="~",
)  # fmt: skip
CHANNEL = "b2b-acme"
LINE = PurchaseOrderLine("1", "SKU-1", (("VP", "SKU-1"),), "EA", 2, "19.99")


def written_for(order_id: str, po_number: str, name: str, street: str) -> list[str]:
    """The 855 and the 856 of the order, as the writers write them."""
    to = Party(name, "92", f"STORE-{order_id}", street, "Dallas", "TX", "75201", "US")
    acknowledged = PurchaseOrderAcknowledgement(
        po_number, "20261121", order_id, to,
        (AcknowledgedLine("1", 2, "EA", "19.99", LINE.product_ids, (("IA", 2),)),),
    )  # fmt: skip
    notice = ShipNotice(
        f"F-{order_id}", po_number, "20261121", NOW, "SWX", "Swift Express", "1Z999",
        Party("Dallas DC", "91", "DAL-01"), to, (ShippedItem("1", LINE.product_ids, 2),),
    )  # fmt: skip
    return [
        po_acknowledgement(ENVELOPE, acknowledged, control_number=2, at=NOW),
        ship_notice(ENVELOPE, notice, control_number=3, at=NOW),
    ]


def an_edi_customer(
    uow: UnitOfWork, customer_id: str, order_id: str, po_number: str, name: str, street: str
) -> None:
    """Store the customer's delivered EDI order, its 850 and its two documents; committed."""
    with uow:
        uow.orders.add(
            b.an_order(
                id=order_id, channel=CHANNEL, channel_order_id=po_number,
                customer_id=customer_id, email=f"{customer_id.lower()}@example.com",
                ship_to=b.an_address(name=name, line1=street), status=OrderStatus.DELIVERED,
            )
        )  # fmt: skip
        uow.commit()
    with uow:
        uow.edi.keep_purchase_order(
            EdiPurchaseOrder(CHANNEL, po_number, ENVELOPE, (LINE,), NOW, "20261121", "92",
                             f"STORE-{order_id}")
        )  # fmt: skip
        kinds = ((PO_ACKNOWLEDGEMENT, order_id), (SHIP_NOTICE, f"F-{order_id}"))
        texts = written_for(order_id, po_number, name, street)
        for number, ((kind, reference), text) in enumerate(zip(kinds, texts, strict=True)):
            uow.edi.add_document(
                OutboundDocument(f"edi-{order_id}-{kind}", CHANNEL, kind, reference, order_id,
                                 number + 2, text, NOW)
            )  # fmt: skip
        uow.edi.acknowledge(f"edi-{order_id}-{PO_ACKNOWLEDGEMENT}", "channel:acme", NOW)
        uow.commit()


def acks_per_po1(text: str) -> list[tuple[str, list[list[str]]]]:
    """Each PO1 of the 855 `text`, by its line number, with its ACK segments' elements."""
    [tset] = x12.parse(text).groups[0].transaction_sets
    found: list[tuple[str, list[list[str]]]] = []
    for segment in tset.segments:
        if segment.tag == "PO1":
            found.append((segment.get(1), []))
        elif segment.tag == "ACK":
            found[-1][1].append(list(segment.elements))
    return found
