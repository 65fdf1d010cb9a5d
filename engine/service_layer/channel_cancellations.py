"""A sales channel's word that one of its orders is cancelled (Shopify's `orders/cancelled`,
WooCommerce's `order.updated` to cancelled, refunded or failed).

The order Ordo filed under the channel and the channel's order id is cancelled as support
cancels one: `CancelOrder` through the bus, so the same rules hold (its reservations go back to
stock, its pending shipments are cancelled, and an order released to its location or further
on can no longer be cancelled), audited for the channel's caller in the command's own commit.

A shop counts any answer but a 2xx as a failed delivery, retries it, and in the end switches
its webhook off, yet no retry can make a shipped order cancellable. So every cancellation ends
in an outcome, never a refusal:
- `cancelled`: the order was cancelled now.
- `unchanged`: it ships nothing already (cancelled before, or rejected); nothing changes.
- `unknown_order`: Ordo never had it (cancelled before it was paid, or before its creation
  reached Ordo); nothing changes, and it is logged.
- `refused`: it is past cancelling. `order.cancel_refused`, an audit entry and a high alert
  ask a person to stop the parcel, once per order: the shop's later deliveries of the same
  news (WooCommerce sends one on every change of the order) raise nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.domain import commands, events
from engine.domain.errors import IllegalTransition
from engine.domain.orders import NEVER_SHIPS, Order, OrderStatus
from engine.domain.values import utcnow
from engine.service_layer import audit
from engine.service_layer.handlers import existing_order
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The alert a refused cancellation raises: high, so it opens a ticket where tickets are on.
REFUSED_RULE = "channels/cancellation refused"
REFUSED_SEVERITY = "high"
# The audit action of a refusal, which is also how a later delivery knows it was raised.
REFUSED_ACTION = "order.cancel_refused"
# How far back an order's audit trail is read for an earlier refusal (an order has dozens).
_HISTORY = 500

Dispatch = Callable[[commands.Command, Callable[[UnitOfWork], None]], Any]


@dataclass(frozen=True, slots=True)
class ChannelCancellation:
    """The channel `channel` cancelled its order `channel_order_id`, saying `reason`; `actor`
    is who delivered the news (the audit's name for the channel's caller)."""

    channel: str
    channel_order_id: str
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a channel's cancellation: `outcome` (see the module), why in words
    (`reason`), and the order as it stands, when Ordo has it."""

    outcome: str
    reason: str
    order: Order | None = None


def cancel_for_channel(
    uows: Callable[[], UnitOfWork], dispatch: Dispatch, cancellation: ChannelCancellation
) -> Outcome:
    """Cancel the channel's order as `CancelOrder` does (`dispatch` runs a command with a hook
    inside its commit), or say why nothing was cancelled."""
    channel, channel_order_id = cancellation.channel, cancellation.channel_order_id
    with uows() as uow:
        order = uow.orders.get_by_channel_id(channel, channel_order_id)
        if order is None:
            why = (
                f"Ordo has no order {channel_order_id} of channel {channel}: it was cancelled "
                "before it reached Ordo (unpaid, or sent before its creation), so there is "
                "nothing to cancel"
            )
            log.info("channel %s cancelled order %s: %s", channel, channel_order_id[:64], why)
            return Outcome("unknown_order", why)
        if order.status in NEVER_SHIPS:
            return Outcome("unchanged", f"order {order.id} is {order.status} already", order)
        if _refused_before(uow, order.id):
            return Outcome("refused", _past_cancelling(order), order)
        order_id, was = order.id, str(order.status)

    def audited(uow: UnitOfWork) -> None:
        # Runs inside the command's commit, which only a cancelled order reaches.
        after = {"reason": cancellation.reason, "status": str(OrderStatus.CANCELLED)}
        audit.record(uow, cancellation.actor, "order.cancel", "order", order_id, {"status": was},
                     after)  # fmt: skip

    try:
        dispatch(commands.CancelOrder(order_id, cancellation.reason, cancellation.actor), audited)
    except IllegalTransition as refusal:
        # Released (or further on) since it was read, or before: past cancelling.
        return _refuse(uows, cancellation, order_id, refusal.message)
    with uows() as uow:
        return Outcome("cancelled", cancellation.reason, uow.orders.get(order_id))


def _refused_before(uow: UnitOfWork, order_id: str) -> bool:
    history = uow.audit.list(entity="order", entity_id=order_id, limit=_HISTORY)
    return any(entry.action == REFUSED_ACTION for entry in history)


def _past_cancelling(order: Order) -> str:
    return (
        f"order {order.id} is {order.status}: released to its location or further on, it can "
        "no longer be cancelled; a person was alerted to stop it"
    )


def _refuse(
    uows: Callable[[], UnitOfWork], cancellation: ChannelCancellation, order_id: str, said: str
) -> Outcome:
    """Record that the channel's cancellation came too late, and ask a person to step in."""
    with uows() as uow:
        order = existing_order(uow, order_id)
        if _refused_before(uow, order_id):
            return Outcome("refused", _past_cancelling(order), order)
        status = str(order.status)
        log.warning("channel %s cancelled order %s (%s), which is %s: %s",
                    cancellation.channel, order_id, cancellation.channel_order_id, status,
                    said)  # fmt: skip
        uow.record(
            events.OrderCancelRefused(
                order_id, cancellation.channel, cancellation.channel_order_id, status,
                cancellation.reason, said,
            )
        )  # fmt: skip
        uow.record(
            events.AlertTriggered(
                rule=REFUSED_RULE,
                key=order_id,
                severity=REFUSED_SEVERITY,
                message=(
                    f"Order {order_id} ({cancellation.channel} order "
                    f"{cancellation.channel_order_id}) was cancelled in the shop "
                    f"({cancellation.reason}), but it is {status} in Ordo and may still reach "
                    "the customer: stop it at its location or with its carrier, or settle it "
                    f"with the customer. {said}"
                ),
                at=utcnow().isoformat(),
            )
        )
        after = {"reason": cancellation.reason, "refused": said}
        audit.record(uow, cancellation.actor, REFUSED_ACTION, "order", order_id,
                     {"status": status}, after)  # fmt: skip
        uow.commit()
        return Outcome("refused", _past_cancelling(order), order)
