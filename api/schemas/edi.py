"""The EDI documents Ordo writes for a trading partner as the API lists them: in the
partner's mailbox (api/routes/edi_outbound.py) and in a customer's personal-data export,
with what was kept of the 850 their order came in as."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import Out
from engine.domain.edi import EdiPurchaseOrder, OutboundDocument

# The partner's mailbox (api/routes/edi_outbound.py), where each document is fetched.
MAILBOX = "/v1/edi/outbound"
EXAMPLE_DOCUMENT_ID = "edi_5f0c9b2e7d1a4c38"


class OutboundDocumentOut(Out):
    """An outbound document, without its text (`content_url` hands that out)."""

    id: str = Field(examples=[EXAMPLE_DOCUMENT_ID])
    channel: str = Field(examples=["b2b-acme"])
    kind: str = Field(
        description="The transaction set: `855`, a purchase order acknowledgement; `856`, an "
        "advance ship notice."
    )
    reference: str = Field(
        description="What it is about: the order's id, for an 855 (`<order id>#<n>` for its "
        "nth, a change 855); the shipment's, for an 856.",
        examples=["ful_1c9e2b7a40d3f865"],
    )
    order_id: str = Field(examples=["ord_8df7a03322d17a63"])
    control_number: str = Field(
        description="Its interchange control number (ISA13; GS06 is the same number).",
        examples=["000000002"],
    )
    created_at: datetime
    acknowledged_at: datetime | None = Field(
        description="When the gateway acknowledged it; null while it waits."
    )
    acknowledged_by: str = Field(description="The key that acknowledged it; empty until then.")
    functional_ack: str | None = Field(
        default=None,
        description="What the partner's 997 said of it (`POST /v1/edi/outbound/997`): "
        "`accepted`, `accepted_with_errors` or `rejected`; null until a 997 names it.",
        examples=["rejected"],
    )
    functional_ack_codes: list[str] = Field(
        default_factory=list,
        description="The partner's error codes from that 997, by the element that carried "
        "them (`AK502=5`, `AK304=8 (TD5, segment 5 of the set)`, `AK403=7 (TD5*03)`).",
    )
    functional_ack_at: datetime | None = Field(
        default=None, description="When that 997 was received; null until then."
    )
    replaces: str | None = Field(
        default=None,
        description="The document the partner rejected that this one was written in place "
        "of (`POST /v1/edi/outbound/{id}/resend`); null for none.",
    )
    replaced_by: str | None = Field(
        default=None,
        description="The document written in place of this one, which the partner rejected; "
        "null until one is. This one stays for the record.",
    )
    content_url: str = Field(
        description="Where to fetch the document itself, as application/edi-x12.",
        examples=[f"{MAILBOX}/{EXAMPLE_DOCUMENT_ID}"],
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": EXAMPLE_DOCUMENT_ID, "channel": "b2b-acme", "kind": "856",
                    "reference": "ful_1c9e2b7a40d3f865", "order_id": "ord_8df7a03322d17a63",
                    "control_number": "000000002", "created_at": "2026-11-24T15:30:02Z",
                    "acknowledged_at": None, "acknowledged_by": "",
                    "functional_ack": None, "functional_ack_codes": [],
                    "functional_ack_at": None, "replaces": None, "replaced_by": None,
                    "content_url": f"{MAILBOX}/{EXAMPLE_DOCUMENT_ID}",
                }
            ]
        }
    }  # fmt: skip

    @classmethod
    def of(cls, document: OutboundDocument) -> OutboundDocumentOut:
        return cls(
            id=document.id,
            channel=document.channel,
            kind=document.kind,
            reference=document.reference,
            order_id=document.order_id,
            control_number=f"{document.control_number:09d}",
            created_at=document.created_at,
            acknowledged_at=document.acknowledged_at,
            acknowledged_by=document.acknowledged_by,
            functional_ack=document.functional_ack or None,
            functional_ack_codes=list(document.functional_ack_codes),
            functional_ack_at=document.functional_ack_at,
            replaces=document.replaces or None,
            replaced_by=document.replaced_by or None,
            content_url=f"{MAILBOX}/{document.id}",
        )


class EdiDocumentOut(OutboundDocumentOut):
    """An outbound document with its text: in an export, what was written about the person."""

    content: str = Field(description="The X12 interchange, as the trading partner receives it.")

    @classmethod
    def of(cls, document: OutboundDocument) -> EdiDocumentOut:
        listed = OutboundDocumentOut.of(document).model_dump()
        return cls(**listed, content=document.content)


class EdiPurchaseOrderOut(Out):
    """What Ordo kept of an 850 that its order does not keep, as far as it concerns the
    ship-to: the purchase order, and the id the partner gave the ship-to (N103/N104)."""

    channel: str = Field(examples=["b2b-acme"])
    po_number: str = Field(description="BEG03.", examples=["PO-1001"])
    po_date: str = Field(description="BEG05, CCYYMMDD; empty when not sent.")
    ship_to_qualifier: str = Field(description="N103 of `N1*ST`.", examples=["92"])
    ship_to_code: str = Field(description="N104 of `N1*ST`.", examples=["STORE-7"])
    received_at: datetime

    @classmethod
    def of(cls, kept: EdiPurchaseOrder) -> EdiPurchaseOrderOut:
        return cls(
            channel=kept.channel,
            po_number=kept.po_number,
            po_date=kept.po_date,
            ship_to_qualifier=kept.ship_to_qualifier,
            ship_to_code=kept.ship_to_code,
            received_at=kept.received_at,
        )
