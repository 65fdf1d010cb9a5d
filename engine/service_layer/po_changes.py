"""The buyer's 860 applied to its order, and the 865 that answers it.

An 860 names its purchase order (BCH03); the order is the one the channel made from that PO
(`uow.orders.get_by_channel_id`, as the 855 finds its 850 with `uow.edi.purchase_order`).
It is applied with what Ordo already has, never a path of its own:
- a cancellation (BCH01 `01`) is `CancelOrder`, as `POST /v1/orders/{id}/cancel`: refused
  once a location has picked, packed or shipped any of it;
- a line deleted (`DI`) or decreased (`QD`) has its units cancelled by the channels' unit
  cancellation (`channel_unit_cancellations.cancel_units_for_channel`): `ModifyOrder` before
  a location picks, the backordered remainder after, the rest refused (with its alert);
- `QI`, `AI`, `PC` and `CA` are not applied: rejected (`IR`), as are a line the 850 did not
  send, a kit's line, a decrease to more than the line has open, and any line of an order
  that has shipped or is cancelled or rejected.

Each 860 is known by its key: `860:<BCH05>` (the change order sequence number), or
`860:<ISA13>/<GS06>/<ST02>` when it has none. What was done is written to the order's audit
trail (`edi.po_change`) with the key and each POC's answer, with `edi.po_change_received`;
the same 860 again finds it there and changes nothing, writes no 865, and is answered as
first. For the channels that get 855s (`ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS`) the 865 goes into
the partner's mailbox in the same transaction (`edi.mail`), with `edi.po_change_acknowledged`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from connectors.channels.x12_po_changes import (
    APPLIED,
    CANCELLATION,
    DECREASE,
    DELETE,
    ITEM_ACCEPTED,
    ITEM_DELETED,
    ITEM_REJECTED,
    QUANTITY_CHANGED,
    LineAnswer,
    LineChange,
    PoChange,
    PoChangeAcknowledgement,
    po_change_acknowledgement,
)
from engine.domain import commands, events
from engine.domain.edi import (
    PO_CHANGE_ACKNOWLEDGEMENT,
    EdiPurchaseOrder,
    Envelope,
    OutboundDocument,
)
from engine.domain.errors import DomainError
from engine.domain.orders import NEVER_SHIPS, Order, OrderLine, OrderStatus
from engine.domain.values import utcnow
from engine.service_layer import audit, edi
from engine.service_layer.channel_cancellations import Dispatch
from engine.service_layer.channel_unit_cancellations import (
    ChannelUnitCancellation,
    UnitOutcome,
    cancel_units_for_channel,
)
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The audit action that records an 860 taken, and the mark naming it.
ACTION = "edi.po_change"
KEY = "po_change"
# Orders with nothing left to change: everything went out.
_SENT = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
# How far back an order's audit trail is read for the same 860 (an order has dozens).
_HISTORY = 500


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
            return ChangeOutcome(True, order, _as_answered(asked, order, before))
        order_id = order.id
    if asked.change.purpose == CANCELLATION:
        answered = _cancel(dispatch, asked, order)
    else:
        answered = _change_lines(uows, dispatch, asked, order, kept)
    with uows() as uow:
        order, kept = _found(uow, asked)
        document = _record(uow, asked, order, kept, answered, clock())
        uow.commit()
    log.info("channel %s: 860 %s of order %s taken (%s)", asked.channel, asked.key, order_id,
             answered.acknowledgement_type)  # fmt: skip
    return ChangeOutcome(False, order, answered, document)


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


def _taken_before(uow: UnitOfWork, order_id: str, key: str) -> dict[str, Any] | None:
    for entry in uow.audit.list(entity="order", entity_id=order_id, limit=_HISTORY):
        if entry.action == ACTION and entry.after.get(KEY) == key:
            return entry.after
    return None


def _as_answered(
    asked: ChangeRequest, order: Order, after: dict[str, Any]
) -> PoChangeAcknowledgement:
    """What was answered the first time, from its audit entry, for the same 860's POCs."""
    said = [tuple(line) for line in after.get("lines", [])]
    lines = tuple(
        LineAnswer(change, str(status), int(units), str(reason))
        for change, (_, status, units, reason) in zip(asked.change.lines, said, strict=False)
    )
    return PoChangeAcknowledgement(asked.change, order.id, bool(after.get("accepted")), lines)


# --- a cancellation ---------------------------------------------------------------------------


def _cancel(dispatch: Dispatch, asked: ChangeRequest, order: Order) -> PoChangeAcknowledgement:
    """BCH01 `01`: the order cancelled as `POST /v1/orders/{id}/cancel` would, or why not.
    Each POC sent with it is answered by the cancellation: `ID` its units, or `IR`."""
    reason = ""
    if order.status is OrderStatus.REJECTED:
        reason = f"order {order.id} was rejected: it has nothing to cancel"
    elif order.status is not OrderStatus.CANCELLED:
        said = f"the buyer's 860 ({asked.key}) cancelled purchase order {order.channel_order_id}"

        def audited(uow: UnitOfWork) -> None:
            after = {"status": str(OrderStatus.CANCELLED), "reason": said, KEY: asked.key}
            audit.record(uow, asked.actor, "order.cancel", "order", order.id,
                         {"status": str(order.status)}, after)  # fmt: skip

        try:
            dispatch(commands.CancelOrder(order.id, said, asked.actor), audited)
        except DomainError as refused:
            reason = f"the order cannot be cancelled: {refused}"
    lines = {line.id: line for line in order.lines}
    answers = tuple(
        LineAnswer(change, ITEM_REJECTED, _left(lines.get(change.line_number)), reason)
        if reason
        else LineAnswer(change, ITEM_DELETED, _left(lines.get(change.line_number)))
        for change in asked.change.lines
    )
    return PoChangeAcknowledgement(asked.change, order.id, not reason, answers)


def _left(line: OrderLine | None) -> int:
    """The units the line still has: ordered, not cancelled."""
    return 0 if line is None else line.quantity - line.quantity_cancelled


# --- lines deleted or decreased ---------------------------------------------------------------


def _change_lines(
    uows: Callable[[], UnitOfWork],
    dispatch: Dispatch,
    asked: ChangeRequest,
    order: Order,
    kept: EdiPurchaseOrder,
) -> PoChangeAcknowledgement:
    """BCH01 `04`: each POC checked against the order (`_refusal`); the units of those that
    may be applied cancelled in one go, as the channels' unit cancellation does."""
    left = {line.id: _left(line) for line in order.lines}
    refused: dict[str, str] = {}
    wanted: dict[str, int] = {}
    for change in asked.change.lines:
        why = _refusal(change, order, kept, left)
        if why:
            refused[change.line_number] = why
        elif left[change.line_number] > _after(change, left):
            wanted[change.line_number] = left[change.line_number] - _after(change, left)
    done: UnitOutcome | None = None
    if wanted:
        reason = f"the buyer's 860 ({asked.key}) for purchase order {order.channel_order_id}"
        done = cancel_units_for_channel(
            uows, dispatch,
            ChannelUnitCancellation(asked.channel, order.channel_order_id, reason, asked.actor,
                                    cancelled=wanted, change=asked.key),
        )  # fmt: skip
    answers = tuple(
        _answer(change, left, wanted, refused.get(change.line_number, ""), done)
        for change in asked.change.lines
    )
    return PoChangeAcknowledgement(asked.change, order.id, True, answers)


def _after(change: LineChange, left: dict[str, int]) -> int:
    """The units the line is to have: none for a delete, POC03 for a decrease."""
    if change.change_type == DELETE or change.quantity is None:
        return 0
    return min(change.quantity, left[change.line_number])


def _refusal(change: LineChange, order: Order, kept: EdiPurchaseOrder, left: dict[str, int]) -> str:
    """Why the POC is rejected (IR), or "" when it may be applied."""
    number = change.line_number
    if change.change_type not in APPLIED:
        return (
            f"change type {change.change_type} is not applied by Ordo: only deletes (DI) and "
            "quantity decreases (QD) are; change the order through Ordo's API"
        )
    if not any(line.line_number == number for line in kept.lines):
        return f"purchase order {kept.po_number} has no PO1 line {number}"
    if number not in left:
        if any(line_id.startswith(f"{number}.") for line_id in left):
            return f"line {number} is a kit: change it through Ordo's API"
        return f"line {number} is no longer on order {order.id}"
    if order.status in NEVER_SHIPS:
        return f"order {order.id} is {order.status}"
    if order.status in _SENT:
        return f"order {order.id} has {order.status}: nothing of it can be cancelled"
    if change.change_type == DECREASE and (change.quantity or 0) > left[number]:
        return (
            f"line {number} has {left[number]} units open, fewer than the {change.quantity} "
            "the decrease asks for"
        )
    return ""


def _answer(
    change: LineChange,
    left: dict[str, int],
    wanted: dict[str, int],
    refused: str,
    done: UnitOutcome | None,
) -> LineAnswer:
    number = change.line_number
    if refused:
        return LineAnswer(change, ITEM_REJECTED, left.get(number, 0), refused)
    asked_for = wanted.get(number, 0)
    if not asked_for:  # the line has what the change asks for already
        return LineAnswer(change, ITEM_ACCEPTED, left[number])
    past = 0 if done is None else done.refused.get(number, 0)
    came_off = asked_for - past
    if done is None or done.outcome == "ignored":
        return LineAnswer(change, ITEM_REJECTED, left[number], "the order was not found")
    if past and not came_off:
        return LineAnswer(change, ITEM_REJECTED, left[number], done.reason)
    if past:
        return LineAnswer(change, QUANTITY_CHANGED, left[number] - came_off, done.reason)
    if change.change_type == DELETE:
        return LineAnswer(change, ITEM_DELETED, came_off)
    return LineAnswer(change, QUANTITY_CHANGED, left[number] - came_off)


# --- the record and the 865 -------------------------------------------------------------------


def _record(
    uow: UnitOfWork,
    asked: ChangeRequest,
    order: Order,
    kept: EdiPurchaseOrder,
    answered: PoChangeAcknowledgement,
    at: datetime,
) -> OutboundDocument | None:
    """The audit entry that says the 860 was taken (and how each POC was answered), its
    event, and for a channel that gets them, the 865 in the partner's mailbox."""
    change = asked.change
    lines = [[a.change.line_number, a.status, a.quantity, a.reason] for a in answered.lines]
    after = {KEY: asked.key, "purpose": change.purpose, "accepted": answered.accepted,
             "acknowledgement_type": answered.acknowledgement_type, "lines": lines}  # fmt: skip
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
