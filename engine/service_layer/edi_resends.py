"""A document the trading partner rejected, written again once a person has fixed the cause
(the partner's set-up, a product's code, the order's ship-to...). docs/edi.md.

Only a document the partner's 997 rejected is written again: one it accepted, even with
errors noted, is held in the partner's systems, and one no 997 named yet may still be
accepted. The new document is of the same kind about the same order (an 855) or shipment
(an 856), read from Ordo's data as it stands now, so the fix shows, and written as the
worker's writers write it (`po_acknowledgements.written_again`,
`ShipNoticeWriter.written_again`) under the pair's next control number. An 865 restates what
Ordo answered to its 860 (`po_changes.written_again`, from the order's audit trail): the
change was applied once, and is not applied again; it goes in the 860's envelope, under
that pair's next number. It is about the next reference of its kind (`<order id>#<n>`,
`<shipment id>#<n>`, `<order id>/<the 860's key>#<n>`), `replaces` the old one, which is
`replaced_by` it and stays in the mailbox for the record.

A document is written again once. Asked again, the replacement written already is the
answer (`Resent.created` false), so a person's second click or a client's retry writes
nothing. Two requests at the same moment both take a control number, but the store's unique
`replaces` refuses the second replacement: that request answers with the first's, leaving
its number unused (a gap, which translators accept, as `edi.take_control_number` says).

Writing one raises `edi.document_resent`, is audited as `edi.resend` against the old
document, and closes the alert its rejection raised (`edi/document rejected`, keyed by the
old document's id), noting the replacement: the person who asked has settled it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from connectors.channels.x12_outbound import po_acknowledgement, ship_notice
from connectors.channels.x12_po_changes import po_change_acknowledgement
from engine.domain import events
from engine.domain.edi import (
    FA_ERRORS_NOTED,
    PO_ACKNOWLEDGEMENT,
    PO_CHANGE_ACKNOWLEDGEMENT,
    SHIP_NOTICE,
    EdiPurchaseOrder,
    OutboundDocument,
    Pair,
    subject_of,
)
from engine.domain.errors import Conflict
from engine.domain.operations import AlertStatus
from engine.domain.orders import Order
from engine.domain.values import utcnow
from engine.service_layer import alerts, audit, edi, po_acknowledgements, po_changes
from engine.service_layer.functional_acks import REJECTED_RULE
from engine.service_layer.ship_notices import ShipNoticeWriter
from engine.service_layer.unit_of_work import UnitOfWork

# What a document's text is written by, given its control number and the time.
Write = Callable[[int, datetime], str]


@dataclass(frozen=True, slots=True)
class Resent:
    """The document written in place of a rejected one, and whether this request wrote it
    (False: it was written before, and is the answer again)."""

    document: OutboundDocument
    created: bool


def resend(
    uows: edi.Uows,
    document_id: str,
    scope: edi.Scope,
    actor: str,
    carrier_names: Mapping[str, str],
    clock: Callable[[], datetime] = utcnow,
) -> Resent:
    """Write again the document `document_id` the partner rejected, as `actor` asks (a
    channel key, `scope`, sees its own channel's documents only: another's is NotFound).
    `carrier_names`: each carrier code's name, for an 856's TD5 (the rate cards').
    A document not rejected is a Conflict naming what the partner's 997 said of it."""
    with uows() as uow:
        document = edi.visible(uow, document_id, scope)
        if document.replaced_by:
            return Resent(_replacement(uow, document), created=False)
        _refuse_unless_rejected(document)
        pair = _pair(uow, document)
        # Found here, locked there: the store refuses a row lock on an alert its transaction
        # has read already.
        alert = uow.alerts.open_for(REJECTED_RULE, document.id)
    # In a transaction of its own, as every number the API takes (docs/edi.md): the pair's
    # row is not held locked while the document is read and written.
    number = edi.take_control_number(uows, pair)
    try:
        with uows() as uow:
            document = edi.visible(uow, document_id, scope)
            if document.replaced_by:  # written by another request meanwhile
                return Resent(_replacement(uow, document), created=False)
            alert_id = alert.id if alert is not None else None
            written = _write_again(uow, document, number, actor, carrier_names, clock(), alert_id)
            uow.commit()
            return Resent(written, created=True)
    except Conflict:
        # Another request wrote the replacement first (the store's unique `replaces`), or
        # took the same next reference: its replacement is the answer.
        with uows() as uow:
            document = edi.visible(uow, document_id, scope)
            if not document.replaced_by:
                raise
            return Resent(_replacement(uow, document), created=False)


def _refuse_unless_rejected(document: OutboundDocument) -> None:
    if document.rejected:
        return
    said = {
        "": "no 997 from the partner has named it yet",
        FA_ERRORS_NOTED: "the partner's 997 accepted it with errors noted, so their systems "
        "hold it",
    }.get(document.functional_ack, "the partner's 997 accepted it")
    raise Conflict(
        f"outbound document {document.id} ({document.kind}, functional_ack "
        f"'{document.functional_ack or 'none'}') is not written again: {said}; only a "
        "document the partner rejected is"
    )


def _replacement(uow: UnitOfWork, document: OutboundDocument) -> OutboundDocument:
    found = uow.edi.document(document.replaced_by)
    if found is None:  # the link is written in the replacement's own transaction
        raise Conflict(f"outbound document {document.replaced_by} is missing")
    return found


def _pair(uow: UnitOfWork, document: OutboundDocument) -> Pair:
    """The pair whose counter numbers the replacement: the 850's, but for an 865 the 860's
    it answers, whose envelope it was written in."""
    purchase_order = _purchase_order(uow, document)
    if document.kind == PO_CHANGE_ACKNOWLEDGEMENT:
        return po_changes.answered(uow, _order(uow, document), document).envelope.pair
    return purchase_order.envelope.pair


def _purchase_order(uow: UnitOfWork, document: OutboundDocument) -> EdiPurchaseOrder:
    """The 850 the document's order came in as."""
    order = _order(uow, document)
    purchase_order = uow.edi.purchase_order(order.channel, order.channel_order_id)
    if purchase_order is None:
        raise Conflict(
            f"outbound document {document.id} is not written again: Ordo no longer keeps "
            f"the 850 of order {order.id}"
        )
    return purchase_order


def _order(uow: UnitOfWork, document: OutboundDocument) -> Order:
    order = uow.orders.get(document.order_id)
    if order is None:
        raise Conflict(
            f"outbound document {document.id} is not written again: its order "
            f"{document.order_id} no longer exists"
        )
    return order


def _write_again(
    uow: UnitOfWork,
    document: OutboundDocument,
    number: int,
    actor: str,
    carrier_names: Mapping[str, str],
    at: datetime,
    alert_id: str | None,
) -> OutboundDocument:
    """In `uow`'s transaction: the replacement of `document`, linked both ways, with its
    event, audit entry and the rejection's alert (`alert_id`) closed."""
    # First, before anything reads it: its row is held until the transaction ends.
    alert = uow.alerts.get_for_update(alert_id) if alert_id is not None else None
    _refuse_unless_rejected(document)
    order, purchase_order = _order(uow, document), _purchase_order(uow, document)
    reference, write = _writer(uow, document, order, purchase_order, carrier_names, at)
    kind = document.kind
    written = edi.mail(uow, purchase_order, order, kind, reference, write, at, number=number,
                       replaces=document.id)  # fmt: skip
    uow.edi.mark_replaced(document.id, written.id)
    audit.record(
        uow, actor, "edi.resend", "edi_document", document.id, {"replaced_by": None},
        {"replaced_by": written.id, "kind": kind, "control_number": number},
    )  # fmt: skip
    uow.record(
        events.EdiDocumentResent(
            written.id, document.id, written.channel, kind, reference, order.id, number, actor
        )
    )
    if alert is not None and alert.status is not AlertStatus.CLOSED:
        alerts.record_close(uow, alert, actor, note=f"written again as {written.id}", at=at)
    return written


def _writer(
    uow: UnitOfWork,
    document: OutboundDocument,
    order: Order,
    purchase_order: EdiPurchaseOrder,
    carrier_names: Mapping[str, str],
    at: datetime,
) -> tuple[str, Write]:
    """The reference of the document that replaces `document`, and what writes its text."""
    envelope = purchase_order.envelope
    if document.kind == PO_ACKNOWLEDGEMENT:
        reference, said = po_acknowledgements.written_again(uow, order, purchase_order)
        return reference, lambda number, at: po_acknowledgement(
            envelope, said, control_number=number, at=at
        )
    if document.kind == SHIP_NOTICE:
        shipment = uow.shipments.get(subject_of(document.reference))
        if shipment is None:
            raise Conflict(
                f"outbound document {document.id} is not written again: its shipment "
                f"{subject_of(document.reference)} no longer exists"
            )
        writer = ShipNoticeWriter(carrier_names, clock=lambda: at)
        reference, notice = writer.written_again(uow, shipment, order, purchase_order)
        return reference, lambda number, at: ship_notice(
            envelope, notice, control_number=number, at=at
        )
    if document.kind == PO_CHANGE_ACKNOWLEDGEMENT:
        reference, answered = po_changes.written_again(uow, order, document)
        return reference, lambda number, at: po_change_acknowledgement(
            answered.envelope, answered.acknowledgement, control_number=number, at=at
        )
    raise Conflict(f"outbound document {document.id} is a {document.kind}, which Ordo cannot write")
