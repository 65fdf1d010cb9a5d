"""EDI with trading partners, as the API uses it: control numbers for the interchanges Ordo
sends, what an 850 said that its order does not keep, and the partner's mailbox of outbound
documents (list, fetch, acknowledge; one rejected is written again by
engine.service_layer.edi_resends). docs/edi.md.

Each of these functions is one short transaction: a control number is taken and committed
before the document that carries it is sent, so a number is never given twice, though one
may go unused (a request that fails after taking it), which trading partners' translators
accept. The last ones (`mail`, and a customer's copies for the export and the erasure) work
inside their caller's transaction instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from connectors.channels.x12_outbound import redacted
from engine.domain.edi import EdiPurchaseOrder, OutboundDocument, Pair
from engine.domain.errors import NotFound
from engine.domain.orders import Order
from engine.domain.values import utcnow
from engine.service_layer import audit
from engine.service_layer.handlers import new_id
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
        return visible(uow, document_id, scope)


def acknowledge(uows: Uows, document_id: str, scope: Scope, actor: str) -> OutboundDocument:
    """The partner's gateway has the document: it leaves the pending list, audited. Asked
    again, it stays as first acknowledged (a gateway's retry is no error)."""
    with uows() as uow:
        document = visible(uow, document_id, scope)
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


def visible(uow: UnitOfWork, document_id: str, scope: Scope) -> OutboundDocument:
    """The document, in `uow`'s transaction, as `scope` may see it: NotFound otherwise."""
    document = uow.edi.document(document_id)
    if document is None or scope not in (None, document.channel):
        raise NotFound("outbound document", document_id)
    return document


# --- inside the caller's transaction ----------------------------------------------------------


def mail(
    uow: UnitOfWork,
    purchase_order: EdiPurchaseOrder,
    order: Order,
    kind: str,
    reference: str,
    write: Callable[[int, datetime], str],
    at: datetime,
    *,
    number: int | None = None,
    replaces: str = "",
) -> OutboundDocument:
    """Put in the partner's mailbox the document of `kind` about `reference` that `write`
    writes (given the control number and the time) for `order`, which came in as
    `purchase_order`: under the pair's next control number, which it takes, or under
    `number` taken before (`take_control_number`). `replaces`: the id of the document the
    partner rejected that this one is written in place of."""
    if number is None:
        number = uow.edi.next_control_number(purchase_order.envelope.pair)
    document = OutboundDocument(
        id=new_id("edi"),
        channel=order.channel,
        kind=kind,
        reference=reference,
        order_id=order.id,
        control_number=number,
        content=write(number, at),
        created_at=at,
        replaces=replaces,
    )
    uow.edi.add_document(document)
    return document


def copies_of(
    uow: UnitOfWork, orders: Sequence[Order]
) -> tuple[list[EdiPurchaseOrder], list[OutboundDocument]]:
    """What EDI keeps about these orders: the 850s they came in as, and every document
    written to the partner about them (855s, 856s), collected or not."""
    kept = (uow.edi.purchase_order(order.channel, order.channel_order_id) for order in orders)
    documents = uow.edi.documents_about_orders([order.id for order in orders])
    return [found for found in kept if found is not None], list(documents)


def erase_copies(
    uow: UnitOfWork, orders: Sequence[Order], erased: str, scrub: Callable[[str], str]
) -> dict[str, int]:
    """Take a person out of what EDI keeps about their orders: each 850 kept forgets the
    ship-to's id (N103/N104), and each document about them, collected or not, has the
    ship-to's name and street written as `erased` and `scrub` applied to the rest
    (`x12_outbound.redacted`). The records changed, as `edi_purchase_orders` and
    `edi_documents`."""
    purchase_orders, documents = copies_of(uow, orders)
    forgotten = 0
    for kept in purchase_orders:
        if kept.ship_to_qualifier or kept.ship_to_code:
            uow.edi.keep_purchase_order(replace(kept, ship_to_qualifier="", ship_to_code=""))
            forgotten += 1
    rewritten = 0
    for document in documents:
        content = redacted(document.content, erased, scrub)
        if content != document.content:
            uow.edi.rewrite(document.id, content)
            rewritten += 1
    return {"edi_purchase_orders": forgotten, "edi_documents": rewritten}
