"""The buyer's 860 applied to its order, and the 865 that answers it.

An 860 names its purchase order (BCH03); the order is the one the channel made from that PO
(`uow.orders.get_by_channel_id`, as the 855 finds its 850 with `uow.edi.purchase_order`).
It is applied with what Ordo already has, never a path of its own:
- a cancellation (BCH01 `01`) is `CancelOrder`, as `POST /v1/orders/{id}/cancel`: refused
  once a location has picked, packed or shipped any of it;
- a line deleted (`DI`) or decreased (`QD`) has its units cancelled by the channels' unit
  cancellation (`channel_unit_cancellations.cancel_units_for_channel`): `ModifyOrder` before
  a location picks, the backordered remainder after, the rest refused (with its alert);
  a kit's PO1 (filed as its parts `<PO101>.<n>`) loses whole kits there, as a shop's kit
  line does: POC03 and ACK02 are in kits, counted as the 855 counts them
  (`po_acknowledgements.units_placed`);
- a line increased (`QI`) or an item added (`AI`) is support's `ModifyOrder`: refused once a
  location has picked any of it; the units added are sourced by the re-decision, and an
  item added is kept as a PO1 of the 850 (`uow.edi.purchase_order`) for later documents;
  a kit's PO1 gains whole kits (`ModifyOrder.kits`: each part its units per kit for each
  kit added, and the kit's shape the kits, so the 855, the shop and returns count them);
- a change to a line item (`CA`) has its quantity taken as a `QD` or `QI`; a price (`PC`, a
  `CA`'s POC06) is never changed (the modification changes no price): `IR`;
- rejected (`IR`) too: a line the 850 did not send, a kit whose parts were filed before Ordo
  kept the kit's shape, a decrease to more than the line has open, an item of a SKU the
  catalogue does not know, and any line of an order that has shipped or is cancelled or
  rejected.

Each 860 is known by its key: `860:<BCH05>` (the change order sequence number), or
`860:<ISA13>/<GS06>/<ST02>` when it has none. What was done is written to the order's audit
trail (`edi.po_change`) with the key and each POC's answer, with `edi.po_change_received`;
the same 860 again finds it there and changes nothing, writes no 865, and is answered as
first. For the channels that get 855s (`ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS`) the 865 goes into
the partner's mailbox in the same transaction (`edi.mail`), with `edi.po_change_acknowledged`.

The entry also keeps what the 865 echoes of the 860 (its BCH, each POC as sent, its
envelope), so that an 865 the partner rejected is written again (`written_again`, for
engine.service_layer.edi_resends) restating what was answered then, never applying the
change again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.channels.x12_po_changes import (
    ADD,
    APPLIED,
    CANCELLATION,
    CHANGE_TYPES,
    DECREASE,
    DELETE,
    INCREASE,
    ITEM_ACCEPTED,
    ITEM_DELETED,
    ITEM_REJECTED,
    LINE_ITEM,
    QUANTITY_CHANGED,
    LineAnswer,
    LineChange,
    PoChange,
    PoChangeAcknowledgement,
    po_change_acknowledgement,
    recorded_change,
)
from engine.domain import commands, events
from engine.domain.edi import (
    PO_CHANGE_ACKNOWLEDGEMENT,
    EdiPurchaseOrder,
    Envelope,
    OutboundDocument,
    PurchaseOrderLine,
    change_reference,
    sequence_of,
    subject_of,
)
from engine.domain.errors import Conflict, DomainError
from engine.domain.kits import kits_ordered
from engine.domain.orders import NEVER_SHIPS, Order, OrderLine, OrderStatus
from engine.domain.values import utcnow
from engine.service_layer import audit, edi
from engine.service_layer.channel_cancellations import Dispatch
from engine.service_layer.channel_unit_cancellations import (
    ChannelUnitCancellation,
    UnitOutcome,
    cancel_units_for_channel,
)
from engine.service_layer.po_acknowledgements import units_placed
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The audit action that records an 860 taken, and the mark naming it.
ACTION = "edi.po_change"
KEY = "po_change"
# Orders with nothing left to change: everything went out.
_SENT = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
# How far back an order's audit trail is read for the same 860 (an order has dozens).
_HISTORY = 500
# The audit entry's mark of what an 865 echoes of the 860 (BCH, POCs as sent, envelope).
_ECHOED = "echoed"


class UnknownPurchaseOrder(DomainError):
    """The 860 names a purchase order the channel has no order (or no 850 kept) for."""


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """One 860 (`change`) from the channel `channel`, known by `key`, in the envelope it
    came in (the 865 answers in it); `actor` is who posted it; `acknowledge`: the channel
    gets 865s."""

    channel: str
    change: PoChange
    key: str
    envelope: Envelope
    actor: str
    acknowledge: bool


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What became of an 860: `repeated` when it was taken before (nothing changed now),
    the order as it stands, what was answered, and the 865 written now (None: none)."""

    repeated: bool
    order: Order
    answered: PoChangeAcknowledgement
    document: OutboundDocument | None = None


def change_key(change: PoChange, interchange: str, group: str, control_number: str) -> str:
    """How an 860 is known: by its change order sequence number (BCH05), which a partner's
    resend keeps in any envelope; without one, by its interchange, group and set numbers."""
    if change.sequence:
        return f"860:{change.sequence}"
    return f"860:{interchange}/{group}/{control_number}"


def take_change(
    uows: Callable[[], UnitOfWork],
    dispatch: Dispatch,
    asked: ChangeRequest,
    clock: Callable[[], datetime] = utcnow,
) -> ChangeOutcome:
    """Apply the 860 to its order (or find it applied before), record it, and write its
    865 for a channel that gets them. `UnknownPurchaseOrder` when there is no such order."""
    with uows() as uow:
        order, kept = _found(uow, asked)
        before = _taken_before(uow, order.id, asked.key)
        if before is not None:
            return ChangeOutcome(True, order, _as_answered(asked.change, order.id, before))
        order_id = order.id
    try:
        if asked.change.purpose == CANCELLATION:
            answered, document = _cancel(uows, dispatch, asked, order, kept, clock)
        else:
            answered, document = _change_lines(uows, dispatch, asked, order, kept, clock)
    except DomainError:
        # The same 860, posted at the same moment, was taken first (its units and its record
        # committed together: a line gone, or the order's version moved, under this one's
        # change): answered as it was then.
        with uows() as uow:
            order, _ = _found(uow, asked)
            before = _taken_before(uow, order.id, asked.key)
        if before is None:
            raise
        return ChangeOutcome(True, order, _as_answered(asked.change, order.id, before))
    with uows() as uow:
        order, _ = _found(uow, asked)
    log.info("channel %s: 860 %s of order %s taken (%s)", asked.channel, asked.key, order_id,
             answered.acknowledgement_type)  # fmt: skip
    return ChangeOutcome(False, order, answered, document)


class _TakenMeanwhile(Conflict):
    """The 860 was recorded by another request while this one applied it."""


def _recorded_apart(
    uows: Callable[[], UnitOfWork],
    asked: ChangeRequest,
    answered: PoChangeAcknowledgement,
    clock: Callable[[], datetime],
) -> OutboundDocument | None:
    """Record the 860 in a transaction of its own, after the changes it made."""
    with uows() as uow:
        order, kept = _found(uow, asked)
        document = _record(uow, asked, order, kept, answered, clock())
        uow.commit()
    return document


def _found(uow: UnitOfWork, asked: ChangeRequest) -> tuple[Order, EdiPurchaseOrder]:
    po_number = asked.change.po_number
    order = uow.orders.get_by_channel_id(asked.channel, po_number)
    kept = uow.edi.purchase_order(asked.channel, po_number)
    if order is None or kept is None:
        raise UnknownPurchaseOrder(
            f"channel {asked.channel} has no order for purchase order {po_number!r}: send its "
            "850 first"
        )
    return order, kept


def _recorded(uow: UnitOfWork, order_id: str) -> list[dict[str, Any]]:
    """What the order's audit trail records of each 860 taken (`edi.po_change`), newest first."""
    history = uow.audit.list(entity="order", entity_id=order_id, limit=_HISTORY)
    return [entry.after for entry in history if entry.action == ACTION]


def _taken_before(uow: UnitOfWork, order_id: str, key: str) -> dict[str, Any] | None:
    return next((after for after in _recorded(uow, order_id) if after.get(KEY) == key), None)


def _as_answered(change: PoChange, order_id: str, after: dict[str, Any]) -> PoChangeAcknowledgement:
    """What was answered to `change` the first time, from its audit entry, POC by POC."""
    # An entry written before Ordo applied changes to a line item has no rejected part.
    said = [(*line, "")[1:5] for line in after.get("lines", [])]
    lines = tuple(
        LineAnswer(poc, str(status), int(units), str(reason), str(part))
        for poc, (status, units, reason, part) in zip(change.lines, said, strict=False)
    )
    return PoChangeAcknowledgement(change, order_id, bool(after.get("accepted")), lines)


# --- each PO1 as the order has it now ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Po1:
    """One PO1 of the 850 as the order has it now: the order lines it was filed as (itself,
    or a kit's parts `<PO101>.<n>`), and what it has left (ordered, not cancelled) in the
    PO1's own units, as the 855 counts them: whole kits for a kit; its unit price as sent."""

    number: str
    lines: tuple[OrderLine, ...]
    left: int
    price: str = ""  # PO104 as sent

    @property
    def kit(self) -> bool:
        return any(line.id != self.number for line in self.lines)

    @property
    def shapeless(self) -> bool:
        """A kit whose parts were filed before Ordo kept the kit's shape: how many of each
        part make a kit is not known, so no kit of it can be cancelled."""
        return self.kit and any(line.kit is None for line in self.lines)


def _po1s(order: Order, kept: EdiPurchaseOrder) -> dict[str, _Po1]:
    """The 850's PO1s by their line number (PO101; those sent without one cannot be named by
    an 860), each as the order has it now."""
    lines = {line.id: line for line in order.lines}
    as_ordered = kept.lines_as_ordered([(line.id, line.sku) for line in order.lines])
    found = {}
    for sent, ids in as_ordered:
        ours = tuple(lines[line_id] for line_id in ids)
        if sent.line_number:
            left = units_placed(sent, ours)
            found[sent.line_number] = _Po1(sent.line_number, ours, left, sent.price)
    return found


def _left(po1s: dict[str, _Po1], number: str) -> int:
    """The units (kits for a kit) the PO1 still has: 0 for one the 850 did not send."""
    found = po1s.get(number)
    return 0 if found is None else found.left


# --- a cancellation ---------------------------------------------------------------------------


def _cancel(
    uows: Callable[[], UnitOfWork],
    dispatch: Dispatch,
    asked: ChangeRequest,
    order: Order,
    kept: EdiPurchaseOrder,
    clock: Callable[[], datetime],
) -> tuple[PoChangeAcknowledgement, OutboundDocument | None]:
    """BCH01 `01`: the order cancelled as `POST /v1/orders/{id}/cancel` would, recorded in
    the cancellation's own commit, or why not (recorded apart: nothing else was committed).
    Each POC sent with it is answered by the cancellation: `ID` its units, or `IR`."""
    po1s = _po1s(order, kept)

    def answered(reason: str) -> PoChangeAcknowledgement:
        answers = tuple(
            LineAnswer(change, ITEM_REJECTED, _left(po1s, change.line_number), reason)
            if reason
            else LineAnswer(change, ITEM_DELETED, _left(po1s, change.line_number))
            for change in asked.change.lines
        )
        return PoChangeAcknowledgement(asked.change, order.id, not reason, answers)

    reason = ""
    if order.status is OrderStatus.REJECTED:
        reason = f"order {order.id} was rejected: it has nothing to cancel"
    elif order.status is not OrderStatus.CANCELLED:
        said = f"the buyer's 860 ({asked.key}) cancelled purchase order {order.channel_order_id}"
        written: list[OutboundDocument | None] = []

        def audited(uow: UnitOfWork) -> None:
            after = {"status": str(OrderStatus.CANCELLED), "reason": said, KEY: asked.key}
            audit.record(uow, asked.actor, "order.cancel", "order", order.id,
                         {"status": str(order.status)}, after)  # fmt: skip
            now, kept_now = _found(uow, asked)
            written[:] = [_record(uow, asked, now, kept_now, answered(""), clock())]

        try:
            dispatch(commands.CancelOrder(order.id, said, asked.actor), audited)
        except Conflict:
            raise  # taken meanwhile, or cancelled by the same 860 first: `take_change` answers
        except DomainError as refused:
            reason = f"the order cannot be cancelled: {refused}"
        else:
            return answered(""), written[0]
    refusal = answered(reason)
    return refusal, _recorded_apart(uows, asked, refusal, clock)


# --- lines deleted, decreased, increased or added ---------------------------------------------

# Why a price change is not applied: see docs/edi.md.
_NO_PRICES = (
    "Ordo does not change the price of a line on an order it has taken: a change to an order "
    "(support's modify) changes its quantities and lines, not what the buyer pays; settle the "
    "price on the invoice"
)


# The change types that may raise a line's quantity (to POC03).
_RAISING = frozenset({INCREASE, LINE_ITEM})


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the 860's POCs ask of the order: why each refused one is refused, the units (kits
    for a kit) to cancel per PO1, the quantity each increased PO1 is to have open, and the
    items added."""

    refused: dict[str, str]
    wanted: dict[str, int]
    raised: dict[str, int]
    added: tuple[LineChange, ...]


def _change_lines(
    uows: Callable[[], UnitOfWork],
    dispatch: Dispatch,
    asked: ChangeRequest,
    order: Order,
    kept: EdiPurchaseOrder,
    clock: Callable[[], datetime],
) -> tuple[PoChangeAcknowledgement, OutboundDocument | None]:
    """BCH01 `04`: each POC checked against the order (`_refusal`). Increases and added
    items go first, through `ModifyOrder` as support's modify does (`_modify`), so that a
    line deleted beside an item added never leaves the order empty; then the units of
    deletes and decreases are cancelled in one go, as the channels' unit cancellation does:
    by the PO1's number, which is the order line's id, or the kit line's whose parts lose
    whole kits. The 860 is recorded in the transaction of its last change: the
    modification's when it only increases and adds, else the commit that takes its units
    off or refuses them (a resend after a crash before it finds its increases made, and
    answers them so); apart only when that cancellation commits nothing of its own."""
    po1s = _po1s(order, kept)
    plan = _plan(uows, asked.change, order, kept, po1s)
    modified: dict[str, LineAnswer] = {}
    written: list[OutboundDocument | None] = []
    if plan.raised or plan.added:

        def answer_now(uow: UnitOfWork, done: dict[str, LineAnswer]) -> PoChangeAcknowledgement:
            return _acknowledged(asked, order, po1s, plan, None, done)

        record = None if plan.wanted else answer_now
        modified = _modify(dispatch, asked, order, po1s, plan, record, clock, written)
        if written:
            return _acknowledged(asked, order, po1s, plan, None, modified), written[0]
    done: UnitOutcome | None = None
    said: list[PoChangeAcknowledgement] = []
    if plan.wanted:

        def recorded(uow: UnitOfWork, settled: UnitOutcome) -> None:
            said[:] = [_acknowledged(asked, order, po1s, plan, settled, modified)]
            now, kept_now = _found(uow, asked)
            written[:] = [_record(uow, asked, now, kept_now, said[0], clock())]

        reason = f"the buyer's 860 ({asked.key}) for purchase order {order.channel_order_id}"
        done = cancel_units_for_channel(
            uows, dispatch,
            ChannelUnitCancellation(asked.channel, order.channel_order_id, reason, asked.actor,
                                    cancelled=plan.wanted, change=asked.key),
            settled=recorded,
        )  # fmt: skip
        if said:
            return said[0], written[0]
    answered = _acknowledged(asked, order, po1s, plan, done, modified)
    return answered, _recorded_apart(uows, asked, answered, clock)


def _acknowledged(
    asked: ChangeRequest,
    order: Order,
    po1s: dict[str, _Po1],
    plan: _Plan,
    done: UnitOutcome | None,
    modified: dict[str, LineAnswer],
) -> PoChangeAcknowledgement:
    answers = tuple(
        _with_price(
            modified.get(change.line_number)
            or _answer(change, po1s, plan.wanted, plan.refused.get(change.line_number, ""), done),
            po1s,
        )
        for change in asked.change.lines
    )
    return PoChangeAcknowledgement(asked.change, order.id, True, answers)


def _with_price(answer: LineAnswer, po1s: dict[str, _Po1]) -> LineAnswer:
    """A change to the line item (CA) whose quantity was taken, with its price part, when it
    asked for another price, rejected beside it (`rejected_part`)."""
    if answer.change.change_type != LINE_ITEM or answer.status == ITEM_REJECTED:
        return answer
    part = _price_refused(answer.change, po1s[answer.change.line_number])
    return replace(answer, reason=part, rejected_part=part) if part else answer


def _plan(
    uows: Callable[[], UnitOfWork],
    change: PoChange,
    order: Order,
    kept: EdiPurchaseOrder,
    po1s: dict[str, _Po1],
) -> _Plan:
    skus = {line.sku for line in change.lines if line.change_type == ADD and line.sku}
    with uows() as uow:
        known = set(uow.products.read_many(skus)) if skus else set()
    refused: dict[str, str] = {}
    wanted: dict[str, int] = {}
    raised: dict[str, int] = {}
    added: list[LineChange] = []
    for line in change.lines:
        why = _refusal(line, order, kept, po1s, known)
        number = line.line_number
        if why:
            refused[number] = why
        elif line.change_type == ADD:
            if number not in po1s:  # one added before is the line it asks for already
                added.append(line)
        elif line.change_type in _RAISING and (line.quantity or 0) > po1s[number].left:
            raised[number] = line.quantity or 0
        elif po1s[number].left > _after(line, po1s[number].left):
            wanted[number] = po1s[number].left - _after(line, po1s[number].left)
    return _Plan(refused, wanted, raised, tuple(added))


def _after(change: LineChange, left: int) -> int:
    """The units the line is to have: none for a delete, POC03 for a decrease (or a change
    to the line item that says one), what it has for one that says none."""
    if change.change_type == DELETE:
        return 0
    return left if change.quantity is None else min(change.quantity, left)


def _refusal(
    change: LineChange,
    order: Order,
    kept: EdiPurchaseOrder,
    po1s: dict[str, _Po1],
    known: set[str],
) -> str:
    """Why the POC is rejected (IR), or "" when it may be applied."""
    number, kind = change.line_number, change.change_type
    if kind not in APPLIED:
        return f"change type {kind} ({CHANGE_TYPES[kind]}) is not applied: {_NO_PRICES}"
    if kind == ADD:
        return _not_added(change, order, kept, po1s, known) or _finished(order, kind)
    if number not in po1s:
        return f"purchase order {kept.po_number} has no PO1 line {number}"
    po1 = po1s[number]
    if not po1.lines:
        return f"line {number} is no longer on order {order.id}"
    if po1.shapeless:
        return (
            f"line {number} is a kit whose parts were filed before Ordo kept the kit's shape, "
            "so how many of each make a kit is not known: change it through Ordo's API"
        )
    finished = _finished(order, kind)
    if finished:
        return finished
    counted = "kits" if po1.kit else "units"
    if kind == DECREASE and (change.quantity or 0) > po1.left:
        return (
            f"line {number} has {po1.left} {counted} open, fewer than the {change.quantity} "
            "the decrease asks for"
        )
    if kind == INCREASE and (change.quantity or 0) < po1.left:
        return (
            f"line {number} has {po1.left} {counted} open, more than the {change.quantity} "
            "the increase asks for: a decrease is sent as QD"
        )
    if kind == LINE_ITEM and change.quantity in (None, po1.left):
        return _price_refused(change, po1)  # nothing else asked: its price alone
    return ""


def _finished(order: Order, kind: str) -> str:
    """Why nothing of the order can change any more, or ""."""
    if order.status in NEVER_SHIPS:
        return f"order {order.id} is {order.status}"
    if order.status in _SENT:
        done = "cancelled" if kind in (DELETE, DECREASE) else "changed"
        return f"order {order.id} has {order.status}: nothing of it can be {done}"
    return ""


def _not_added(
    change: LineChange,
    order: Order,
    kept: EdiPurchaseOrder,
    po1s: dict[str, _Po1],
    known: set[str],
) -> str:
    """Why an added item (AI) is not added, or "": an item added before by the same 860 (a
    resend) is the line it asks for, and is taken as such."""
    number, sku = change.line_number, change.sku
    if not sku:
        return (
            f"added item {number} names no SKU: send the vendor's part number (qualifier VP) "
            "or the SKU (SK) in POC08/POC09 or a later pair"
        )
    if number in po1s:
        sent = next(line for line in kept.lines if line.line_number == number)
        if (sent.sku, po1s[number].left) != (sku, change.quantity):
            return (
                f"purchase order {kept.po_number} has a PO1 line {number} already: change it "
                "with QI, QD or DI, or add the item under a new line number"
            )
        return ""
    taken = [line.id for line in order.lines if line.id.split(".")[0] == number]
    if taken:
        return (
            f"order {order.id} has a line {taken[0]} already (added through Ordo's API): add "
            "the item under a new line number"
        )
    if sku not in known:
        return f"SKU {sku!r} of added item {number} is not in the catalogue"
    return ""


def _price_refused(change: LineChange, po1: _Po1) -> str:
    """Why the price a change to the line item (CA) sends is not applied, or "" when it
    sends none, or the one the line has."""
    if not change.price:
        return ""
    have = po1.price or (str(po1.lines[0].price) if not po1.kit else "")
    # A price kept as the 850 wrote it, not a number, is never the same price.
    with suppress(InvalidOperation):
        if have and Decimal(have) == Decimal(change.price):
            return ""
    return f"the price change to {change.price} is not applied: {_NO_PRICES}"


def _modify(
    dispatch: Dispatch,
    asked: ChangeRequest,
    order: Order,
    po1s: dict[str, _Po1],
    plan: _Plan,
    record: Callable[[UnitOfWork, dict[str, LineAnswer]], PoChangeAcknowledgement] | None,
    clock: Callable[[], datetime],
    written: list[OutboundDocument | None],
) -> dict[str, LineAnswer]:
    """Increase lines and add items as support's `ModifyOrder` does (refused once a location
    has picked: `check_changeable`; the added units are sourced and reserved when the order is
    decided again), audited in the command's own commit, where each item added is kept as a
    PO1 of the 850 (its line number, SKU, product ids, quantity and price), so that later
    855s, 856s and 860s know it. A kit's PO1 is raised by whole kits (`ModifyOrder.kits`:
    the kits its line ordered, plus those the increase adds to what is open). With `record`,
    the 860 is recorded in that commit too (its 865 appended to `written`). The answer of
    each POC applied, or rejected with why."""
    changes = {c.line_number: c for c in asked.change.lines}
    lines = {number: po1s[number].lines[0] for number in plan.raised}
    quantities = {lines[n].id: lines[n].quantity + units - po1s[n].left
                  for n, units in plan.raised.items() if not po1s[n].kit}  # fmt: skip
    # A kit's PO1 is its kit line (its parts are `<PO101>.<n>`); shapeless ones are refused.
    kits = {n: kits_ordered(po1s[n].lines, {}, n) + wanted - po1s[n].left
            for n, wanted in plan.raised.items() if po1s[n].kit}  # fmt: skip
    added = tuple(
        commands.LineInput(c.sku, c.quantity or 0, Decimal(c.price) if c.price else None,
                           line_id=c.line_number)
        for c in plan.added
    )  # fmt: skip
    answers = {n: LineAnswer(changes[n], QUANTITY_CHANGED, units)
               for n, units in plan.raised.items()}  # fmt: skip
    answers.update({c.line_number: LineAnswer(c, ITEM_ACCEPTED, c.quantity or 0)
                    for c in plan.added})  # fmt: skip
    before = {"status": str(order.status), "lines": _quantities(order)}

    def audited(uow: UnitOfWork) -> None:
        if _taken_before(uow, order.id, asked.key) is not None:
            raise _TakenMeanwhile(_in_flight(asked))
        now = uow.orders.get(order.id)
        kept = uow.edi.purchase_order(asked.channel, asked.change.po_number)
        assert now is not None and kept is not None  # neither is ever deleted
        kept = replace(kept, lines=(*kept.lines, *(_po1(c) for c in plan.added)))
        uow.edi.keep_purchase_order(kept)
        after = {"status": str(now.status), "lines": _quantities(now),
                 "reason": f"the buyer's 860 ({asked.key}) for purchase order "
                           f"{order.channel_order_id}", KEY: asked.key}  # fmt: skip
        audit.record(uow, asked.actor, "order.modify", "order", order.id, before, after)
        if record is not None:
            written.append(_record(uow, asked, now, kept, record(uow, answers), clock()))

    command = commands.ModifyOrder(order.id, quantities=quantities, add_lines=added,
                                   actor=asked.actor, kits=kits)  # fmt: skip
    try:
        dispatch(command, audited)
    except Conflict:
        # Taken meanwhile, or another change of the order committed first (the same 860 at
        # the same moment): `take_change` answers it as that one was, never as refused.
        raise
    except DomainError as refused:
        why = f"the order cannot be changed: {refused}"
        return {n: LineAnswer(a.change, ITEM_REJECTED, _left(po1s, n), why)
                for n, a in answers.items()}  # fmt: skip
    return answers


def _quantities(order: Order) -> dict[str, int]:
    return {line.id: line.quantity for line in order.lines}


def _po1(change: LineChange) -> PurchaseOrderLine:
    """An added item (AI) kept as the 850's PO1s are, as it was sent."""
    return PurchaseOrderLine(change.line_number, change.sku, change.product_ids,
                             quantity=change.quantity or 0, price=change.price)  # fmt: skip


def _in_flight(asked: ChangeRequest) -> str:
    return (
        f"860 {asked.key} of purchase order {asked.change.po_number} is being taken by another "
        "request: send it again to be answered what was done"
    )


def _past(po1: _Po1, done: UnitOutcome) -> int:
    """The PO1's units of the change that were past changing, in its own units: a kit is
    past once any of its parts' units of it are (the customer may get part of it)."""
    return max(
        (-(-done.refused.get(line.id, 0) // (line.kit.units if line.kit else 1))
         for line in po1.lines),
        default=0,
    )  # fmt: skip


def _answer(
    change: LineChange,
    po1s: dict[str, _Po1],
    wanted: dict[str, int],
    refused: str,
    done: UnitOutcome | None,
) -> LineAnswer:
    number = change.line_number
    left = _left(po1s, number)
    if refused:
        return LineAnswer(change, ITEM_REJECTED, left, refused)
    asked_for = wanted.get(number, 0)
    if not asked_for:  # the line has what the change asks for already
        return LineAnswer(change, ITEM_ACCEPTED, left)
    if done is None or done.outcome == "ignored":
        return LineAnswer(change, ITEM_REJECTED, left, "the order was not found")
    past = min(_past(po1s[number], done), asked_for)
    came_off = asked_for - past
    if past and not came_off:
        return LineAnswer(change, ITEM_REJECTED, left, done.reason)
    if past:
        return LineAnswer(change, QUANTITY_CHANGED, left - came_off, done.reason)
    if change.change_type == DELETE:
        return LineAnswer(change, ITEM_DELETED, came_off)
    return LineAnswer(change, QUANTITY_CHANGED, left - came_off)


# --- the record and the 865 -------------------------------------------------------------------


def _record(
    uow: UnitOfWork,
    asked: ChangeRequest,
    order: Order,
    kept: EdiPurchaseOrder,
    answered: PoChangeAcknowledgement,
    at: datetime,
) -> OutboundDocument | None:
    """The audit entry that says the 860 was taken (and how each POC was answered, with what
    an 865 echoes of it, to write one again), its event, and for a channel that gets them,
    the 865 in the partner's mailbox."""
    if _taken_before(uow, order.id, asked.key) is not None:
        raise _TakenMeanwhile(_in_flight(asked))
    change = asked.change
    lines = [[a.change.line_number, a.status, a.quantity, a.reason, a.rejected_part]
             for a in answered.lines]  # fmt: skip
    after = {KEY: asked.key, "purpose": change.purpose, "accepted": answered.accepted,
             "acknowledgement_type": answered.acknowledgement_type, "lines": lines,
             _ECHOED: {"po_number": change.po_number, "release": change.release,
                       "sequence": change.sequence, "po_date": change.po_date,
                       "pocs": [list(line.elements) for line in change.lines],
                       "envelope": asdict(asked.envelope)}}  # fmt: skip
    audit.record(uow, asked.actor, ACTION, "order", order.id, {"status": str(order.status)}, after)
    taken, rejected = _split(answered)
    uow.record(
        events.EdiPoChangeReceived(order.id, asked.channel, change.po_number, change.purpose,
                                   asked.key, taken, rejected)
    )  # fmt: skip
    if not asked.acknowledge:
        return None
    envelope = asked.envelope
    reference = f"{order.id}/{asked.key}"

    def write(number: int, at: datetime) -> str:
        return po_change_acknowledgement(envelope, answered, control_number=number, at=at)

    # The 865 answers in the 860's envelope: its pair's counter, its delimiters.
    document = edi.mail(uow, replace(kept, envelope=envelope), order, PO_CHANGE_ACKNOWLEDGEMENT,
                        reference, write, at)  # fmt: skip
    uow.record(
        events.EdiPoChangeAcknowledged(document.id, order.id, asked.channel, change.po_number,
                                       asked.key, answered.acknowledgement_type,
                                       document.control_number)
    )  # fmt: skip
    return document


def _split(answered: PoChangeAcknowledgement) -> tuple[list[str], list[str]]:
    """The line numbers accepted and rejected; `*` for a cancellation without POC."""
    if not answered.lines:
        return (["*"], []) if answered.accepted else ([], ["*"])
    taken = [a.change.line_number for a in answered.lines if a.status != ITEM_REJECTED]
    rejected = [a.change.line_number for a in answered.lines if a.status == ITEM_REJECTED]
    return taken, rejected


# --- an 865 written again ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    """What Ordo answered to one 860, as the order's audit trail keeps it, and the envelope
    the 860 came in (an 865 goes back in it: its pair's counter, its delimiters)."""

    acknowledgement: PoChangeAcknowledgement
    envelope: Envelope


def answered(uow: UnitOfWork, order: Order, document: OutboundDocument) -> Answered:
    """What the 865 `document` (or the one it was written in place of) answered, from the
    order's `edi.po_change` entry for its 860: the answer then, never the change applied
    again. A Conflict when the order's audit trail holds no such entry, or one recorded
    before Ordo kept what an 865 echoes."""
    entry = _entry_for(uow, order, document)
    echoed = entry.get(_ECHOED)
    if not isinstance(echoed, dict):
        raise Conflict(
            f"outbound document {document.id} is not written again: the 860 it answered "
            f"({entry.get(KEY)}) was recorded before Ordo kept what an 865 echoes of it; send "
            "the partner a corrected answer by hand"
        )
    change = recorded_change(str(entry.get("purpose", "")), echoed["po_number"],
                             echoed["release"], echoed["sequence"], echoed["po_date"],
                             echoed["pocs"])  # fmt: skip
    return Answered(_as_answered(change, order.id, entry), Envelope(**echoed["envelope"]))


def written_again(
    uow: UnitOfWork, order: Order, document: OutboundDocument
) -> tuple[str, Answered]:
    """The 865 that replaces `document`, which the partner rejected: what was answered to its
    860 (`answered`), and its reference, the next 865 about that 860 (`<order id>/<key>#<n>`)."""
    said = answered(uow, order, document)
    subject = f"{order.id}/{_entry_for(uow, order, document)[KEY]}"
    about = uow.edi.documents_about_orders([order.id])
    sent = [d.reference for d in about if d.kind == PO_CHANGE_ACKNOWLEDGEMENT]
    # The first 865 is about the subject itself, the 860's key whole, even a key that ends
    # like a sequence (BCH05 `A#1`): it is the first, and the next is `#2` after it.
    taken = [1 if r == subject else sequence_of(r) for r in sent
             if r == subject or subject_of(r) == subject]  # fmt: skip
    return change_reference(subject, max(taken, default=1) + 1), said


def _entry_for(uow: UnitOfWork, order: Order, document: OutboundDocument) -> dict[str, Any]:
    """The `edi.po_change` entry of the 860 the 865 `document` answers: the one whose key
    its reference names (`<order id>/<key>`, or a replacement's `<order id>/<key>#<n>`)."""
    # By the reference each 860's 865 was written about; an 860 is recorded once.
    about = {f"{order.id}/{after.get(KEY)}": after for after in _recorded(uow, order.id)}
    entry = about.get(document.reference) or about.get(subject_of(document.reference))
    if entry is None:
        raise Conflict(
            f"outbound document {document.id} is not written again: the audit trail of order "
            f"{order.id} has no record ({ACTION}) of the 860 it answered"
        )
    return entry
