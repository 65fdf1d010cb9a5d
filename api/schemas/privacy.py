"""A customer's personal data as the API shows it (the export) and the erasure's request and
answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from api.schemas.catalog import CustomerOut
from api.schemas.common import Out, Strict
from api.schemas.edi import EdiDocumentOut, EdiPurchaseOrderOut
from api.schemas.operations import AlertOut, AuditOut
from api.schemas.orders import OrderOut, ShipmentOut, TraceOut
from api.schemas.returns import ReturnOut
from api.schemas.tickets import TicketOut
from engine.service_layer.privacy import Erasure, KeptAnswer, PersonalDataExport


class KeptAnswerOut(Out):
    """An answer kept under an Idempotency-Key (replayed to a retry) that holds their details."""

    key: str = Field(description="The request's Idempotency-Key.", examples=["web-W-1001"])
    status_code: int = Field(examples=[201])
    stored_at: datetime
    holds: list[Any] = Field(
        description="What of the answer is theirs: their orders' and record's JSON as answered "
        "then (not the other customers' parts of a batch's answer)."
    )

    @classmethod
    def of(cls, kept: KeptAnswer) -> KeptAnswerOut:
        return cls(
            key=kept.key, status_code=kept.status_code, stored_at=kept.stored_at, holds=kept.holds
        )


class PersonalDataOut(Out):
    """Everything Ordo holds about one customer, in one document (each list oldest first)."""

    customer_id: str = Field(examples=["C-1001"])
    exported_at: datetime
    customer: CustomerOut | None = Field(
        description="The customer record; null when Ordo knows the customer only from orders."
    )
    orders: list[OrderOut] = Field(
        description="Every order under the customer's id: channel ids, email, ship-to "
        "address, lines, status, holds, dates."
    )
    shipments: list[ShipmentOut] = Field(
        description="Their orders' shipments: carrier, tracking number, status, dates and "
        "tracking events."
    )
    returns: list[ReturnOut] = Field(
        description="Their orders' returns: lines with reasons, RMA, refund."
    )
    audit: list[AuditOut] = Field(
        description="The audit entries about the customer record, their orders, shipments and "
        "returns. A customer's own export names the people who acted by role only."
    )
    tickets: list[TicketOut] = Field(
        description="Helpdesk tickets opened about their orders (Ordo's record of each)."
    )
    decision_traces: list[TraceOut] = Field(
        description="Why each pipeline step decided what it did for their orders: the rules "
        "evaluated, matched and what each contributed."
    )
    alerts: list[AlertOut] = Field(
        description="Alerts about their orders, shipments or returns (keyed by one), or whose "
        "message names them. A customer's own export names who acknowledged by role only."
    )
    idempotency_answers: list[KeptAnswerOut] = Field(
        description="Answers kept under an Idempotency-Key that hold their details."
    )
    edi_purchase_orders: list[EdiPurchaseOrderOut] = Field(
        default_factory=list,
        description="What was kept of the EDI 850s their orders came in as: the ship-to's id.",
    )
    edi_documents: list[EdiDocumentOut] = Field(
        default_factory=list,
        description="The X12 documents written to trading partners about their orders (855s, "
        "856s), collected or not, with their text: they name the ship-to and its street.",
    )

    @classmethod
    def of(cls, exported: PersonalDataExport, at: datetime, actors: bool = True) -> PersonalDataOut:
        """`actors`: name who acted in full (staff); else by role only (`support`)."""
        entries = [AuditOut.of(entry) for entry in exported.audit]
        alerts = [AlertOut.of(alert) for alert in exported.alerts]
        if not actors:
            # "support:ann" is Ann's identity, not the customer's data.
            entries = [
                entry.model_copy(update={"actor": entry.actor.partition(":")[0]})
                for entry in entries
            ]
            alerts = [
                alert.model_copy(
                    update={"acknowledged_by": alert.acknowledged_by.partition(":")[0]}
                )
                for alert in alerts
            ]
        return cls(
            customer_id=exported.customer_id,
            exported_at=at,
            customer=CustomerOut.of(exported.customer) if exported.customer else None,
            orders=[OrderOut.of(order) for order in exported.orders],
            shipments=[ShipmentOut.of(shipment) for shipment in exported.shipments],
            returns=[ReturnOut.of(found) for found in exported.returns],
            audit=entries,
            tickets=[
                TicketOut.of(ticket)
                if actors
                else TicketOut.of(ticket).model_copy(
                    update={"created_by": ticket.created_by.partition(":")[0]}
                )
                for ticket in exported.tickets
            ],
            decision_traces=[TraceOut.of(trace) for trace in exported.decision_traces],
            alerts=alerts,
            idempotency_answers=[KeptAnswerOut.of(kept) for kept in exported.idempotency_answers],
            edi_purchase_orders=[EdiPurchaseOrderOut.of(k) for k in exported.edi_purchase_orders],
            edi_documents=[EdiDocumentOut.of(document) for document in exported.edi_documents],
        )


class EraseIn(Strict):
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why the data is erased (the request's reference); kept in the audit log.",
        examples=["erasure request 2026-114 received by email on 2026-11-20"],
    )

    @field_validator("reason")
    @classmethod
    def _says_something(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError(
                "blank_reason", "must say why the data is erased, not only spaces"
            )
        return value


class ErasedCounts(Out):
    """Records changed, per kind; all 0 when the customer was erased before."""

    customers: int = Field(description="The customer record (0 or 1).", examples=[1])
    orders: int = Field(examples=[12])
    shipments: int = Field(description="Labels deleted, tracking texts redacted.", examples=[14])
    returns: int = Field(description="Labels deleted, reasons redacted.", examples=[1])
    audit_entries: int = Field(
        description="Entries about the customer and their orders, shipments and returns whose "
        "before/after summaries held their details, and entries about API keys whose names "
        "named them.",
        examples=[20],
    )
    decision_traces: int = Field(examples=[36])
    outbox_events: int = Field(
        description="Their orders' events, and alert events whose message named them.",
        examples=[3],
    )
    dead_letters: int = Field(
        description="Dead letters of their orders' events, and of alert events naming them.",
        examples=[0],
    )
    idempotency_records: int = Field(
        description="Stored answers to requests sent with an Idempotency-Key.", examples=[12]
    )
    api_keys: int = Field(description="The customer's API keys, revoked.", examples=[1])
    tickets: int = Field(
        description="Helpdesk tickets about their orders or alerts whose subject named them "
        "(Ordo's record; the helpdesk's own copy is the helpdesk's to erase).",
        examples=[0],
    )
    alerts: int = Field(
        description="Alerts whose message named them (rule, key and counts stay).", examples=[0]
    )
    edi_purchase_orders: int = Field(
        description="EDI 850s kept for their orders, whose ship-to id (N103/N104) went.",
        examples=[0],
    )
    edi_documents: int = Field(
        description="X12 documents written to trading partners about their orders (855s, "
        "856s), collected or not, whose ship-to's name, id and street were taken out.",
        examples=[0],
    )


class ErasureOut(Out):
    customer_id: str = Field(examples=["C-1001"])
    erased: ErasedCounts

    @classmethod
    def of(cls, done: Erasure) -> ErasureOut:
        return cls(customer_id=done.customer_id, erased=ErasedCounts(**done.erased))
