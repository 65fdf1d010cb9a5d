"""The 855 purchase order acknowledgement: once Ordo has decided an order that came in by EDI,
the trading partner is told, line by line, what it takes, what waits for stock and what it
refuses, into the partner's mailbox.

`PoAcknowledgementWriter` is a worker observer of `order.status_changed` to a status that
ends a decision: `carrier_assigned` (lines allocated, maybe some backordered), `backordered`
or `preordered` (nothing allocated yet), `rejected`, or `cancelled` (an order held for review
and cancelled is never decided otherwise). Embedded, the order was decided as it was created,
and the worker reads its events from the outbox; with Redis, the worker's pipeline decided
it. Either way the order is read as it stands when the event is handled: a line's status and
the units in its shipments say what became of it. Only channels that ask for 855s get them
(`ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS`: a partner may refuse a document it does not expect).

The order is an EDI order when Ordo kept what its 850 said (`uow.edi.purchase_order`); an
850 refused before an order was made has none (its 997 said so). Each PO1 the partner sent
is echoed with the status of its units, in the partner's units (a kit's, not its
components'): `IA` accepted as sent, `IQ` accepted with the quantity changed (the order's
line was changed since), `IB` backordered, `IR` rejected (the order rejected or cancelled,
or the line removed from it). The 855 is written with the partner's envelope and delimiters
and the pair's next control number, and kept in `edi_outbound`, in the worker's transaction.

One 855 per order: its first decision is acknowledged, and later events (a re-decision of a
changed order, a backorder filled, the same event delivered again) find it and write nothing
(and the store's unique (kind, reference) refuses a second written at the same time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from connectors.channels.x12_outbound import (
    ACCEPTED,
    BACKORDERED,
    QUANTITY_CHANGED,
    REJECTED,
    AcknowledgedLine,
    Party,
    PurchaseOrderAcknowledgement,
    po_acknowledgement,
)
from engine.adapters.bus.base import Message
from engine.domain.edi import PO_ACKNOWLEDGEMENT, EdiPurchaseOrder, PurchaseOrderLine
from engine.domain.orders import Order, OrderLine, OrderStatus
from engine.domain.values import money, utcnow
from engine.service_layer import edi
from engine.service_layer.backorders import remainder
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# `ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS` entry that stands for every channel.
EVERY_CHANNEL = "*"
# The statuses an order's decision ends in (or, for `cancelled`, that end it undecided).
DECIDED = frozenset(
    {
        OrderStatus.CARRIER_ASSIGNED,
        OrderStatus.BACKORDERED,
        OrderStatus.PREORDERED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
    }
)
# An order in one of these, when the event is handled, is being decided (again): the event
# of that decision acknowledges it.
_UNDECIDED = frozenset(
    {
        OrderStatus.RECEIVED,
        OrderStatus.HELD,
        OrderStatus.VALIDATED,
        OrderStatus.SOURCED,
        OrderStatus.RESERVED,
    }
)


class PoAcknowledgementWriter:
    """Worker observer: an 855 for each decided order of an EDI channel that asks for them,
    once."""

    name = "edi-po-acknowledgements"

    def __init__(self, channels: Collection[str], clock: Callable[[], datetime] = utcnow) -> None:
        # The channels whose partners get 855s; EVERY_CHANNEL: all of them.
        self.channels = frozenset(channels)
        self.clock = clock
        self.written = 0

    def acknowledges(self, channel: str) -> bool:
        return EVERY_CHANNEL in self.channels or channel in self.channels

    def wants(self, message: Message) -> bool:
        return (
            bool(self.channels)
            and message.name == "order.status_changed"
            and message.payload.get("to_status") in DECIDED
        )

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        order_id = str(message.payload["order_id"])
        with uow:
            if uow.edi.document_about(PO_ACKNOWLEDGEMENT, order_id) is not None:
                log.info("%s: order %s has its 855 already", self.name, order_id)
                return
            order = uow.orders.get(order_id)
            if order is None:
                log.warning("%s: order %s not found", self.name, order_id)
                return
            if not self.acknowledges(order.channel) or order.status in _UNDECIDED:
                return
            purchase_order = uow.edi.purchase_order(order.channel, order.channel_order_id)
            if purchase_order is None:
                return  # not an order that came in by EDI
            if not all(line.quantity for line in purchase_order.lines):
                log.info(
                    "%s: order %s: its 850 was kept before Ordo kept PO102; no 855",
                    self.name, order_id,
                )  # fmt: skip
                return
            said = acknowledgement(order, purchase_order, remainder(uow, order))
            envelope = purchase_order.envelope

            def write(number: int, at: datetime) -> str:
                return po_acknowledgement(envelope, said, control_number=number, at=at)

            edi.mail(uow, purchase_order, order, PO_ACKNOWLEDGEMENT, order.id, write, self.clock())
            uow.commit()
        self.written += 1


def acknowledgement(
    order: Order, purchase_order: EdiPurchaseOrder, waiting: Mapping[str, int]
) -> PurchaseOrderAcknowledgement:
    """What the 855 says of `order`, which came in as `purchase_order`, with `waiting` the
    backordered units of each line in no shipment (`backorders.remainder`)."""
    lines = {line.id: line for line in order.lines}
    as_ordered = purchase_order.lines_as_ordered([(line.id, line.sku) for line in order.lines])
    rejected = order.status is OrderStatus.REJECTED
    acknowledged = []
    for sent, ids in as_ordered:
        ours = [lines[line_id] for line_id in ids]
        statuses = () if rejected else _statuses(sent, ours, waiting)
        acknowledged.append(
            AcknowledgedLine(
                line_number=sent.line_number,
                quantity=sent.quantity,
                unit=sent.unit,
                price=sent.price or _unit_price(sent, ours),
                product_ids=sent.product_ids,
                statuses=statuses or ((REJECTED, sent.quantity),),
            )
        )
    to = order.ship_to
    ship_to = None
    if to.name or purchase_order.ship_to_code:
        ship_to = Party(
            to.name, purchase_order.ship_to_qualifier, purchase_order.ship_to_code,
            to.line1, to.city, to.state, to.postal_code, to.country,
        )  # fmt: skip
    return PurchaseOrderAcknowledgement(
        po_number=purchase_order.po_number,
        po_date=purchase_order.po_date or purchase_order.received_at.strftime("%Y%m%d"),
        order_id=order.id,
        ship_to=ship_to,
        lines=tuple(acknowledged),
    )


def _per_unit(sent: PurchaseOrderLine, line: OrderLine) -> int:
    """How many units of `line` one unit the partner ordered is: 1 for the line itself, a
    kit's share for one of its components (`<PO101>.<n>`, another SKU)."""
    return 1 if line.sku == sent.sku else max(1, line.quantity // sent.quantity)


def _statuses(
    sent: PurchaseOrderLine, lines: Sequence[OrderLine], waiting: Mapping[str, int]
) -> tuple[tuple[str, int], ...]:
    """(ACK01, units) of a PO1 whose order lines are `lines`: its units placed (not
    cancelled) that are allocated or shipped, and those waiting for stock, counted in the
    partner's units (a kit is ready when each of its components is). Empty: nothing of it
    is placed any more (rejected)."""
    if not lines:
        return ()
    placed = min((ln.quantity - ln.quantity_cancelled) // _per_unit(sent, ln) for ln in lines)
    if placed <= 0:
        return ()
    ready = max(
        0,
        min(
            (ln.quantity - ln.quantity_cancelled - waiting.get(ln.id, 0)) // _per_unit(sent, ln)
            for ln in lines
        ),
    )
    statuses = []
    if ready:
        statuses.append((ACCEPTED if placed == sent.quantity else QUANTITY_CHANGED, ready))
    if placed > ready:
        statuses.append((BACKORDERED, placed - ready))
    return tuple(statuses)


def _unit_price(sent: PurchaseOrderLine, lines: Sequence[OrderLine]) -> str:
    """The price of one unit the partner ordered, as Ordo took it (the catalogue's, when
    PO104 was empty): its line's, or the kit's components' together. "" with no line left."""
    if not lines:
        return ""
    return str(money(sum(ln.price * _per_unit(sent, ln) for ln in lines)))
