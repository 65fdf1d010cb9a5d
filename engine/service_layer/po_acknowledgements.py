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
or the line removed from it). Backordered units carry the day they are promised to ship
(ACK04 `068`), as the order's latest sourcing decision promised each line: a PO1 of several
lines (a kit) the last of their days, none when one of them has no promise. Units accepted
carry the day they are planned to ship (ACK04 `068` too): the last planned ship day of the
shipments holding them (a kit: of its parts'), none when one of those shipments has no
planned day (planned before Ordo kept it, migration 0040).
The 855 is written with the partner's envelope and delimiters and the pair's next control
number, and kept in `edi_outbound`, in the worker's transaction.

Its first decision is acknowledged by the original 855 (BAK01 `00`). After that, each event
that may change what the partner was told (a decision again: a modified order, a wholly
backordered one filled, a cancellation; `order.resourced`, part of a remainder filled;
`order.remainder_cancelled`) has the order read again, and each PO1's units (accepted,
backordered, or none placed) and its accepted and backordered units' ship dates compared
with what the order's last 855 said, read back from its text. When one differs (a promise
or a planned ship day moved too: a re-decision, a re-sourcing after a short pick), a
change 855 (BAK01 `04`) restates every PO1 as it stands now, so the latest 855 is always the
partner's whole picture: a line accepted before and no longer placed is `ID`, deleted (`IR`
when the order was rejected, or the line refused before). It is about `<order id>#<n>`
(`edi.change_reference`), the order's nth 855. The same event delivered again, or a change
that leaves every PO1 as the last 855 said, writes nothing; two workers writing the same
change at once take the same reference, and the store's unique (kind, reference) refuses the
second, whose retry finds nothing left to say.

An 855 the partner's 997 rejected is written again only when a person asks
(engine.service_layer.edi_resends): `written_again` reads the order as it stands then, as
the next of its 855s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from connectors.channels.x12_outbound import (
    ACCEPTED,
    BACKORDERED,
    CHANGE,
    DELETED,
    QUANTITY_CHANGED,
    REFUSED,
    REJECTED,
    TAKEN,
    AcknowledgedLine,
    Party,
    PurchaseOrderAcknowledgement,
    acknowledged,
    acknowledged_statuses,
    po_acknowledgement,
)
from engine.adapters.bus.base import Message
from engine.domain.edi import (
    PO_ACKNOWLEDGEMENT,
    EdiPurchaseOrder,
    OutboundDocument,
    PurchaseOrderLine,
    change_reference,
    next_reference,
    sequence_of,
)
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.orders import Order, OrderLine, OrderStatus
from engine.domain.values import money, utcnow
from engine.service_layer import edi
from engine.service_layer.backorders import latest_sourcing, remainder
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
# Events after which an order acknowledged already may say something new, besides its
# decisions: part of its remainder filled, or cancelled.
_CHANGED = frozenset({"order.resourced", "order.remainder_cancelled"})
# (ACK01, units) of each of a PO1's statuses.
Statuses = Sequence[tuple[str, int]]
# The planned ship days of the live shipments holding an order line's units (None: one
# planned before Ordo kept the day).
PlannedDays = Mapping[str, Sequence[date | None]]
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
    and a change 855 each time what it says of the order's lines changes."""

    name = "edi-po-acknowledgements"

    def __init__(self, channels: Collection[str], clock: Callable[[], datetime] = utcnow) -> None:
        # The channels whose partners get 855s; EVERY_CHANNEL: all of them.
        self.channels = frozenset(channels)
        self.clock = clock
        self.written = 0

    def acknowledges(self, channel: str) -> bool:
        return EVERY_CHANNEL in self.channels or channel in self.channels

    def wants(self, message: Message) -> bool:
        if not self.channels:
            return False
        if message.name == "order.status_changed":
            return message.payload.get("to_status") in DECIDED
        return message.name in _CHANGED

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        order_id = str(message.payload["order_id"])
        with uow:
            sent = acknowledgements_of(uow, order_id)
            if not sent and message.name in _CHANGED:
                return  # its decision writes its first 855
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
            said = _as_it_stands(uow, order, purchase_order)
            sequence = 1
            if sent:
                told = sent[-1].content
                last, dates = acknowledged(told)
                changed = change(said, last, dates, rejected=order.status is OrderStatus.REJECTED)
                if changed is None:
                    log.info("%s: order %s stands as its last 855 says", self.name, order_id)
                    return
                said, sequence = changed, sequence_of(sent[-1].reference) + 1
            envelope, reference = purchase_order.envelope, change_reference(order.id, sequence)

            def write(number: int, at: datetime) -> str:
                return po_acknowledgement(envelope, said, control_number=number, at=at)

            edi.mail(uow, purchase_order, order, PO_ACKNOWLEDGEMENT, reference, write, self.clock())
            uow.commit()
        self.written += 1


def acknowledgements_of(uow: UnitOfWork, order_id: str) -> list[OutboundDocument]:
    """The order's 855s in the mailbox, in the order they were written (by reference)."""
    about = uow.edi.documents_about_orders([order_id])
    sent = (d for d in about if d.kind == PO_ACKNOWLEDGEMENT)
    return sorted(sent, key=lambda d: sequence_of(d.reference))


def written_again(
    uow: UnitOfWork, order: Order, purchase_order: EdiPurchaseOrder
) -> tuple[str, PurchaseOrderAcknowledgement]:
    """The 855 that replaces one of `order`'s the partner rejected, read from the order as
    it stands now, and its reference (the order's next 855: `<order id>#<n>`). The partner
    holds none of the order's 855s when it rejected each it was sent: then it is the
    original (BAK01 `00`); otherwise a change (`04`) restating every PO1 against the last
    855 the partner did not reject, as a change 855 is."""
    sent = acknowledgements_of(uow, order.id)
    held = [d for d in sent if not d.rejected]
    said = _as_it_stands(uow, order, purchase_order)
    if held:
        last = acknowledged_statuses(held[-1].content)
        said = restated(said, last, rejected=order.status is OrderStatus.REJECTED)
    return next_reference(order.id, (d.reference for d in sent)), said


def _as_it_stands(
    uow: UnitOfWork, order: Order, purchase_order: EdiPurchaseOrder
) -> PurchaseOrderAcknowledgement:
    """What an 855 written now says of `order`: `acknowledgement` of its stored state."""
    waiting = remainder(uow, order)
    promised, planned = backorder_promises(uow, order), planned_ship_days(uow, order)
    return acknowledgement(order, purchase_order, waiting, promised, planned)


def planned_ship_days(uow: UnitOfWork, order: Order) -> dict[str, list[date | None]]:
    """The planned ship day of each shipment of `order` not cancelled, under each order line
    whose units it holds: the shipments the accepted units of the line go in."""
    days: dict[str, list[date | None]] = {}
    for shipment in uow.shipments.for_order(order.id):
        if shipment.status is not ShipmentStatus.CANCELLED:
            for item in shipment.lines:
                days.setdefault(item.order_line_id, []).append(shipment.planned_ship_date)
    return days


def backorder_promises(uow: UnitOfWork, order: Order) -> dict[str, date | None]:
    """The day each backordered line of `order` is promised, as its latest sourcing decision
    records what waits (`backorders.whole_promise` makes the order's promise of the same
    days); None for a line that waits with no promise (no inbound supply covers it)."""
    trace = latest_sourcing(uow, order.id)
    promised: dict[str, date | None] = {}
    for waits in trace.detail.get("backorders", []) if trace is not None else ():
        line, day = str(waits["line"]), waits.get("promised_date")
        known = promised.get(line, date.min)
        # A line waiting in two ways (part pre-order) is promised its later day, or none.
        promised[line] = None if not day or known is None else max(known, _day(day))
    return promised


def _day(value: object) -> date:
    return date.fromisoformat(str(value))


def change(
    now: PurchaseOrderAcknowledgement,
    last: Sequence[Statuses],
    dates: Sequence[tuple[str, str]],
    *,
    rejected: bool,
) -> PurchaseOrderAcknowledgement | None:
    """The change 855 for an order whose 855 says `now` (`acknowledgement`) and whose last
    855 said `last` of each PO1 (`acknowledged_statuses`) and `dates` of their accepted and
    backordered units (`acknowledged_ship_dates`): `restated`; None when every PO1's units
    and ship dates stand as last said. `rejected`: the order was rejected when decided
    again."""
    told = [(_picture(said), days) for said, days in zip(last, dates, strict=True)]
    stands = [
        (_picture(line.statuses), (line.planned_ship_date, line.ship_date)) for line in now.lines
    ]
    if stands == told:
        return None
    return restated(now, last, rejected=rejected)


def restated(
    now: PurchaseOrderAcknowledgement, last: Sequence[Statuses], *, rejected: bool
) -> PurchaseOrderAcknowledgement:
    """A change 855 saying `now` after `last`: every PO1 as it stands, each no longer placed
    said as `_refused` says."""
    # The same 850's PO1s, so as many as last time (a shorter `last` is read as said of none).
    before = [*last[: len(now.lines)], *[()] * (len(now.lines) - len(last))]
    lines = tuple(
        _refused(line, said, rejected) for line, said in zip(now.lines, before, strict=True)
    )
    return replace(now, lines=lines, purpose=CHANGE)


def _picture(statuses: Statuses) -> tuple[int, int]:
    """What the partner was told of a PO1's units: (accepted, backordered). IA and IQ say
    the same units differently (IQ: the line's quantity changed), and a line refused has
    neither, whether it was rejected (IR) or deleted (ID)."""
    accepted = sum(units for code, units in statuses if code not in REFUSED | {BACKORDERED})
    return accepted, sum(units for code, units in statuses if code == BACKORDERED)


def _refused(line: AcknowledgedLine, said: Statuses, rejected: bool) -> AcknowledgedLine:
    """`line` as a change 855 says it: a line still placed as it is; one no longer placed
    `ID` (deleted) once the partner was told some of it was accepted or backordered, and as
    last said when it was refused already; `IR` throughout for an order rejected."""
    if any(code not in REFUSED for code, _ in line.statuses):
        return line
    code = DELETED
    if rejected or not said:
        code = REJECTED
    elif all(was in REFUSED for was, _ in said):
        code = said[0][0]
    return replace(line, statuses=((code, line.quantity),))


def acknowledgement(
    order: Order,
    purchase_order: EdiPurchaseOrder,
    waiting: Mapping[str, int],
    promised: Mapping[str, date | None],
    planned: PlannedDays | None = None,
) -> PurchaseOrderAcknowledgement:
    """What the 855 says of `order`, which came in as `purchase_order`, with `waiting` the
    backordered units of each line in no shipment (`backorders.remainder`), `promised`
    the day each backordered line is promised (`backorder_promises`) and `planned` the
    planned ship days of the shipments holding each line (`planned_ship_days`; None: no
    shipment has one)."""
    lines = {line.id: line for line in order.lines}
    as_ordered = purchase_order.lines_as_ordered([(line.id, line.sku) for line in order.lines])
    rejected = order.status is OrderStatus.REJECTED
    acknowledged = []
    for sent, ids in as_ordered:
        ours = [lines[line_id] for line_id in ids]
        statuses = () if rejected else _statuses(sent, ours, waiting)
        waits = any(code == BACKORDERED for code, _ in statuses)
        taken = any(code in TAKEN for code, _ in statuses)
        acknowledged.append(
            AcknowledgedLine(
                line_number=sent.line_number,
                quantity=sent.quantity,
                unit=sent.unit,
                price=sent.price or _unit_price(sent, ours),
                product_ids=sent.product_ids,
                statuses=statuses or ((REJECTED, sent.quantity),),
                ship_date=_ship_date(ours, waiting, promised) if waits else "",
                planned_ship_date=_planned_ship_date(ours, planned or {}) if taken else "",
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
    kit's share for one of its components (`<PO101>.<n>`, another SKU): its shape's units per
    kit, as the line's quantity no longer says it once kits of it were cancelled; guessed
    from the quantities for a part filed before Ordo kept the shape."""
    if line.kit is not None:
        return line.kit.units
    return 1 if line.sku == sent.sku else max(1, line.quantity // sent.quantity)


def units_placed(sent: PurchaseOrderLine, lines: Sequence[OrderLine]) -> int:
    """The units of the PO1 `sent` that its order lines `lines` still place (ordered, not
    cancelled), in the partner's units: a kit's whole kits. 0: none (or no line left)."""
    if not lines:
        return 0
    return max(0, min((ln.quantity - ln.quantity_cancelled) // _per_unit(sent, ln) for ln in lines))


def _statuses(
    sent: PurchaseOrderLine, lines: Sequence[OrderLine], waiting: Mapping[str, int]
) -> tuple[tuple[str, int], ...]:
    """(ACK01, units) of a PO1 whose order lines are `lines`: its units placed (not
    cancelled) that are allocated or shipped, and those waiting for stock, counted in the
    partner's units (a kit is ready when each of its components is). Empty: nothing of it
    is placed any more (rejected)."""
    placed = units_placed(sent, lines)
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


def _ship_date(
    lines: Sequence[OrderLine], waiting: Mapping[str, int], promised: Mapping[str, date | None]
) -> str:
    """CCYYMMDD the backordered units of a PO1 whose order lines are `lines` are promised to
    ship: the last promise of those lines that wait (a kit ships once its last component is
    in); "" when one of them waits with no promise, as no day can honestly be said."""
    return _last_of([promised.get(line.id) for line in lines if waiting.get(line.id, 0) > 0])


def _planned_ship_date(lines: Sequence[OrderLine], planned: PlannedDays) -> str:
    """CCYYMMDD the accepted units of a PO1 whose order lines are `lines` are planned to
    ship: the last planned day of the shipments holding them (a kit leaves with its last
    part); "" when one of those shipments has no planned day, or none holds them."""
    return _last_of([day for line in lines for day in planned.get(line.id, ())])


def _last_of(days: Sequence[date | None]) -> str:
    """CCYYMMDD of the last of `days`; "" when there is none or one is unknown (None)."""
    known = [day for day in days if day is not None]
    if not known or len(known) < len(days):
        return ""
    return max(known).strftime("%Y%m%d")


def _unit_price(sent: PurchaseOrderLine, lines: Sequence[OrderLine]) -> str:
    """The price of one unit the partner ordered, as Ordo took it (the catalogue's, when
    PO104 was empty): its line's, or the kit's components' together. "" with no line left."""
    if not lines:
        return ""
    return str(money(sum(ln.price * _per_unit(sent, ln) for ln in lines)))
