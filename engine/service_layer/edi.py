"""EDI with trading partners, as the API uses it: control numbers for the interchanges Ordo
sends, what an 850 said that its order does not keep, and the partner's mailbox of outbound
documents (list, fetch, acknowledge). docs/edi.md.

Each function is one short transaction: a control number is taken and committed before the
document that carries it is sent, so a number is never given twice, though one may go unused
(a request that fails after taking it), which trading partners' translators accept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.domain.edi import EdiPurchaseOrder, OutboundDocument, Pair
from engine.domain.errors import NotFound
from engine.domain.values import utcnow
from engine.service_layer import audit
from engine.service_layer.unit_of_work import UnitOfWork

Uows = Callable[[], UnitOfWork]

# Who may see which documents: a channel key its own channel's (None: every channel's).
Scope = str | None


def take_control_number(uows: Uows, pair: Pair) -> int:
    """The next control number of `pair`, committed at once."""
    with uows() as uow:
        number = uow.edi.next_control_number(pair)
        uow.commit()
    return number


def keep_purchase_order(uows: Uows, purchase_order: EdiPurchaseOrder) -> bool:
    """Keep what an 850 said, before its order is created: should creating it fail half-way,
    nothing of the 850 is missing when the 856 is written. An 850 whose purchase order the
    channel has an order for already (a resend, answered 409) changes nothing: the order
    stands as first sent. Whether it was kept."""
    with uows() as uow:
        if uow.orders.get_by_channel_id(purchase_order.channel, purchase_order.po_number):
            return False
        uow.edi.keep_purchase_order(purchase_order)
        uow.commit()
    return True


def outbound(
    uows: Uows, channel: str, *, pending: bool | None = True, limit: int = 100, offset: int = 0
) -> Sequence[OutboundDocument]:
    """The channel's documents, oldest first (see `EdiStore.documents`)."""
    with uows() as uow:
        return uow.edi.documents(channel, pending=pending, limit=limit, offset=offset)


def outbound_document(uows: Uows, document_id: str, scope: Scope) -> OutboundDocument:
    """One document, or NotFound: also for a channel key asking for another channel's,
    whose documents it may not know exist."""
    with uows() as uow:
        return _visible(uow, document_id, scope)


def acknowledge(uows: Uows, document_id: str, scope: Scope, actor: str) -> OutboundDocument:
    """The partner's gateway has the document: it leaves the pending list, audited. Asked
    again, it stays as first acknowledged (a gateway's retry is no error)."""
    with uows() as uow:
        document = _visible(uow, document_id, scope)
        if document.acknowledged:
            return document
        at = utcnow()
        uow.edi.acknowledge(document.id, actor, at)
        audit.record(
            uow, actor, "edi.acknowledge", "edi_document", document.id,
            {"acknowledged": False}, {"acknowledged": True, "kind": document.kind},
        )  # fmt: skip
        uow.commit()
        document.acknowledged_at, document.acknowledged_by = at, actor
        return document


def _visible(uow: UnitOfWork, document_id: str, scope: Scope) -> OutboundDocument:
    document = uow.edi.document(document_id)
    if document is None or scope not in (None, document.channel):
        raise NotFound("outbound document", document_id)
    return document
