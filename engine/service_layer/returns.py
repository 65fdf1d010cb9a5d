"""Returns: request, authorise (RMA), receive (and restock), refund or reject.

A return may only take back what has shipped and has not come back already: each line's
quantity is checked against the order line's shipped units minus those on earlier returns
that were not rejected. Receiving puts the lines marked for restock back on hand at the
receiving location; the refund is price x quantity returned, never more than the customer
paid for the order less what earlier returns refunded.

The handlers are plain `handle(cmd, uow, clock)` functions; `COMMAND_HANDLERS` lists them for
the message bus's registry (`messagebus._registry`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from engine.domain import commands, events
from engine.domain.catalog import Location, LocationType
from engine.domain.errors import Conflict, DomainError, InvalidQuantity, NotFound
from engine.domain.fulfilment import Return, ReturnLine, ReturnStatus
from engine.domain.orders import InvalidLine, Order
from engine.domain.values import money
from engine.service_layer.handlers import Clock, existing_order, new_id
from engine.service_layer.unit_of_work import UnitOfWork

ZERO = Decimal("0.00")


def _return(uow: UnitOfWork, return_id: str) -> Return:
    found = uow.returns.get(return_id)
    if found is None:
        raise NotFound("return", return_id)
    return found


def _claim(order: Order) -> None:
    """Bump the order's version so that two returns (or refunds) of one order checked at the
    same moment cannot both pass: the second one's versioned write of the order fails with a
    conflict instead of returning (or refunding) the same units twice."""
    order.version += 1


def already_returned(returns: Iterable[Return]) -> dict[str, int]:
    """Units per order line on returns that still count (every status but rejected)."""
    taken: dict[str, int] = {}
    for earlier in returns:
        if earlier.status is ReturnStatus.REJECTED:
            continue
        for line in earlier.lines:
            taken[line.order_line_id] = taken.get(line.order_line_id, 0) + line.quantity
    return taken


def returnable(order: Order, returns: Iterable[Return]) -> dict[str, int]:
    """Units of each order line that may still be returned: shipped minus already returned."""
    taken = already_returned(returns)
    return {line.id: line.quantity_shipped - taken.get(line.id, 0) for line in order.lines}


def request_return(cmd: commands.RequestReturn, uow: UnitOfWork, clock: Clock) -> str:
    """Open a return for shipped units; returns its id."""
    if not cmd.lines:
        raise DomainError("a return needs at least one line")
    seen = [line.order_line_id for line in cmd.lines]
    for index, line_id in enumerate(seen):
        if line_id in seen[:index]:
            raise InvalidLine(
                ("lines", index, "order_line_id"),
                f"line {line_id} is named more than once (also at lines[{seen.index(line_id)}]); "
                "give each line once",
            )
    with uow:
        order = existing_order(uow, cmd.order_id)
        if all(line.quantity_shipped == 0 for line in order.lines):
            raise Conflict(
                f"order {order.id} is '{order.status}' and nothing of it has shipped, so "
                "nothing can be returned yet; cancel or modify it instead"
            )
        earlier = list(uow.returns.for_order(order.id))
        taken = already_returned(earlier)
        lines = []
        by_id = {line.id: line for line in order.lines}
        # Each refusal at its place in the request, as a bad field is (`$.lines[1].quantity`).
        for index, wanted in enumerate(cmd.lines):
            line = by_id.get(wanted.order_line_id)
            if line is None:
                raise InvalidLine(
                    ("lines", index, "order_line_id"),
                    f"order {order.id} has no line '{wanted.order_line_id}' (its lines: "
                    f"{', '.join(by_id)})",
                )
            if wanted.quantity <= 0:
                raise InvalidLine(
                    ("lines", index, "quantity"),
                    f"line {line.id} ({line.sku}): quantity must be positive, "
                    f"got {wanted.quantity}",
                )
            left = line.quantity_shipped - taken.get(line.id, 0)
            if wanted.quantity > left:
                raise InvalidLine(
                    ("lines", index, "quantity"),
                    f"line {line.id} ({line.sku}): {wanted.quantity} to return but only {left} "
                    f"can be ({line.quantity_shipped} shipped, {taken.get(line.id, 0)} already "
                    "on other returns)",
                )
            lines.append(
                ReturnLine(line.id, line.sku, wanted.quantity, wanted.reason, wanted.restock)
            )
        _claim(order)
        created = Return(
            id=cmd.return_id or new_id("ret"), order_id=order.id, lines=lines, created_at=clock()
        )
        uow.returns.add(created)
        uow.record(events.ReturnStatusChanged(created.id, order.id, "", str(created.status)))
        uow.commit()
        return created.id


def return_location(uow: UnitOfWork, code: str) -> Location:
    """A location a return may go back to: one Ordo knows, and not a dropship vendor's site,
    which holds no stock of ours (restocked units there would be offered for sale and
    suggested for reordering)."""
    location = uow.locations.get(code)
    if location is None:
        raise NotFound("location", code)
    if location.type is LocationType.DROPSHIP_VENDOR:
        raise DomainError(
            f"location {location.code} is a dropship vendor, which holds no stock of ours and "
            "takes no returns: send the return to a warehouse, store or 3PL"
        )
    return location


def authorise_return(cmd: commands.AuthoriseReturn, uow: UnitOfWork, clock: Clock) -> str:
    """Accept a requested return; returns the RMA number the parcel must carry. Naming
    `location_code` says where the parcel goes back to, which its label then prints."""
    with uow:
        found = _return(uow, cmd.return_id)
        if cmd.location_code:
            found.location_code = return_location(uow, cmd.location_code).code
        found.move(ReturnStatus.AUTHORISED)
        found.rma = f"RMA-{clock():%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"
        uow.commit()
        return found.rma


def receive_return(cmd: commands.ReceiveReturn, uow: UnitOfWork) -> str:
    """Book the parcel in at a location; restockable lines go back on hand there."""
    with uow:
        found = _return(uow, cmd.return_id)
        return_location(uow, cmd.location_code)  # one Ordo knows, that takes returns
        unknown = sorted(set(cmd.not_restocked) - {line.order_line_id for line in found.lines})
        if unknown:
            raise DomainError(
                f"not_restocked names {', '.join(unknown)}, which "
                f"{'is not a line' if len(unknown) == 1 else 'are not lines'} of return "
                f"{found.id}: name the order line ids on the return"
            )
        found.move(ReturnStatus.RECEIVED)
        found.location_code = cmd.location_code
        for line in found.lines:
            # The inspection at receipt has the last word: the request was made before anyone
            # saw the goods. Kept on the return, so its record says what went back on sale.
            if line.order_line_id in cmd.not_restocked:
                line.restock = False
            if not line.restock:
                continue
            stock = uow.stock.adjust(line.sku, cmd.location_code, line.quantity)
            uow.record(
                events.StockAdjusted(
                    stock.sku,
                    stock.location_code,
                    line.quantity,
                    stock.on_hand,
                    stock.available,
                    f"return {found.id} restocked",
                )
            )
        uow.commit()
        return str(found.status)


def refund_limit(
    order: Order, returns: Iterable[Return], refund: Return
) -> tuple[Decimal, Decimal]:
    """(what the lines are worth, what may still be refunded on the order)."""
    worth = money(
        sum((order.line(item.order_line_id).price * item.quantity for item in refund.lines), ZERO)
    )
    paid = money(
        sum((line.price * (line.quantity - line.quantity_cancelled) for line in order.lines), ZERO)
    )
    refunded = sum(
        (
            r.refund_amount
            for r in returns
            if r.id != refund.id and r.status is ReturnStatus.REFUNDED
        ),
        ZERO,
    )
    return worth, max(ZERO, money(paid - refunded))


def refund_return(cmd: commands.RefundReturn, uow: UnitOfWork) -> Decimal:
    """Refund a received return; returns the amount refunded."""
    with uow:
        found = _return(uow, cmd.return_id)
        order = existing_order(uow, found.order_id)
        worth, left = refund_limit(order, uow.returns.for_order(order.id), found)
        ceiling = min(worth, left)
        amount = ceiling if cmd.amount is None else money(cmd.amount)
        if amount < ZERO:
            raise InvalidQuantity(f"refund amount must not be negative, got {amount}")
        if amount > ceiling:
            raise InvalidQuantity(
                f"return {found.id}: refund of {amount} {order.currency} is more than the "
                f"{ceiling} {order.currency} allowed (lines worth {worth}, {left} of what was "
                "paid not yet refunded)"
            )
        found.move(ReturnStatus.REFUNDED)
        found.refund_amount = amount
        _claim(order)
        uow.commit()
        return amount


def reject_return(cmd: commands.RejectReturn, uow: UnitOfWork) -> str:
    """Refuse a return before it is received; its units count as returnable again."""
    with uow:
        found = _return(uow, cmd.return_id)
        found.move(ReturnStatus.REJECTED)
        uow.commit()
        return str(found.status)


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.RequestReturn: request_return,
    commands.AuthoriseReturn: authorise_return,
    commands.ReceiveReturn: receive_return,
    commands.RefundReturn: refund_return,
    commands.RejectReturn: reject_return,
}
