"""A sales channel's word that one of its orders is cancelled (Shopify's `orders/cancelled`,
WooCommerce's `order.updated` to cancelled, refunded or failed).

The order Ordo filed under the channel and the channel's order id is cancelled as support
cancels one: `CancelOrder` through the bus, so the same rules hold (its reservations go back to
stock, its pending and released shipments are cancelled, and an order a location has picked
or further on can no longer be cancelled), audited for the channel's caller in the command's
own commit.

A shop counts any answer but a 2xx as a failed delivery, retries it, and in the end switches
its webhook off, yet no retry can make a shipped order cancellable. So every cancellation ends
in an outcome, never a refusal:
- `cancelled`: the order was cancelled now.
- `unchanged`: it ships nothing already (cancelled before, or rejected); nothing changes.
- `remembered`: Ordo has no such order yet. Webhooks come in any order (Shopify documents
  that `orders/create` may come after `orders/cancelled`), so the cancellation is kept
  (`uow.early_cancellations`) and the order, when it arrives, is created and cancelled at
  once, before anything is sourced or reserved (`cancel_early`, called by
  `create_order`). Kept for a retention (`ORDO_CHANNEL_CANCELLATION_RETENTION_DAYS`): an
  order cancelled before it was paid never comes.
- `refused`: it is past cancelling. `order.cancel_refused`, an audit entry and a high alert
  ask a person to stop the parcel, once per order: the shop's later deliveries of the same
  news (WooCommerce sends one on every change of the order) raise nothing more.

Either way the order's `order.cancel` audit entry carries the channel under `from_channel`
(`cancelled_by_channel`): the shop's own news is never sent back to it
(`engine.service_layer.shop_cancellations`).

Ordo's own refunds coming back as a cancel status (WooCommerce sets an order `refunded` once
refunds reach its total) never reach this module: the connector tells them from the shop's
by the refunds its delivery lists (`connectors.channels.woocommerce`), and only it can, since
a cancellation is all this module is handed. An order Ordo refunded a return of may still be
refunded, or cancelled, by the shop itself, and while it has units to send that is a
cancellation like any other. Once all of it has shipped (`shipped`, `delivered`) and a
return of it was refunded in the shop by Ordo, it is answered `unchanged`, with no alert:
the shop's own refund then is of what Ordo's could not cover (WooCommerce sets `refunded`
only when the shipping is paid back too, which Ordo's line refunds never include), and there
is no parcel left for a person to stop.

An order created in another process while its cancellation is being remembered may miss it
(each transaction reads before the other commits): the cancellation looks for its order again
once remembered, and the worker's `EarlyCancellationKeeper` settles any left over, so the
order is cancelled, or a person is alerted, either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.domain import commands, events
from engine.domain.errors import IllegalTransition
from engine.domain.fulfilment import ReturnStatus
from engine.domain.operations import AuditEntry
from engine.domain.orders import NEVER_SHIPS, Order, OrderStatus
from engine.domain.values import utcnow
from engine.service_layer import audit
from engine.service_layer.unit_of_work import EarlyCancellation, UnitOfWork

log = logging.getLogger(__name__)

# The alert a refused cancellation raises: high, so it opens a ticket where tickets are on.
REFUSED_RULE = "channels/cancellation refused"
REFUSED_SEVERITY = "high"
# The audit action of a refusal, which is also how a later delivery knows it was raised.
REFUSED_ACTION = "order.cancel_refused"
# How far back an order's audit trail is read for an earlier refusal (an order has dozens).
_HISTORY = 500
# All of an order sent: a shop's refund then has no parcel left for a person to stop.
_ALL_SENT = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
# A cancellation waiting for its order is kept this long by default: a shop stops retrying
# a delivery within days, and an order cancelled unpaid never comes.
DEFAULT_RETENTION = timedelta(days=30)
# What `delivery_id` keeps of a delivery's id (a header: any length).
_DELIVERY_ID_LENGTH = 200
# The audit's mark on the cancellation of an order its channel cancelled (the channel's name).
FROM_CHANNEL = "from_channel"
CANCEL_ACTION = "order.cancel"

Dispatch = Callable[[commands.Command, Callable[[UnitOfWork], None]], Any]


@dataclass(frozen=True, slots=True)
class ChannelCancellation:
    """The channel `channel` cancelled its order `channel_order_id`, saying `reason`; `actor`
    is who delivered the news (the audit's name for the channel's caller), `delivery_id` the
    channel's id of the delivery ("" for none)."""

    channel: str
    channel_order_id: str
    reason: str
    actor: str
    delivery_id: str = ""


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
            uow.early_cancellations.remember(_early(cancellation))
            uow.commit()
            return _remembered(uows, dispatch, cancellation)
        if order.status in NEVER_SHIPS:
            return Outcome("unchanged", f"order {order.id} is {order.status} already", order)
        if order.status in _ALL_SENT and _refunded_by_ordo(uow, order.id):
            why = (
                f"order {order.id} is {order.status} and Ordo refunded its return in the shop: "
                "there is nothing left to send, and the shop's refund of the rest cancels nothing"
            )
            return Outcome("unchanged", why, order)
        if _refused_before(uow, order.id):
            return Outcome("refused", _past_cancelling(order), order)
        order_id, was = order.id, str(order.status)

    def audited(uow: UnitOfWork) -> None:
        # Runs inside the command's commit, which only a cancelled order reaches.
        after = {"reason": cancellation.reason, "status": str(OrderStatus.CANCELLED),
                 FROM_CHANNEL: cancellation.channel}  # fmt: skip
        audit.record(uow, cancellation.actor, CANCEL_ACTION, "order", order_id, {"status": was},
                     after)  # fmt: skip

    try:
        dispatch(commands.CancelOrder(order_id, cancellation.reason, cancellation.actor), audited)
    except IllegalTransition as refusal:
        # Picked (or further on) since it was read, or before: past cancelling.
        return _refuse(uows, cancellation, order_id, refusal.message)
    with uows() as uow:
        return Outcome("cancelled", cancellation.reason, uow.orders.get(order_id))


def _early(cancellation: ChannelCancellation) -> EarlyCancellation:
    return EarlyCancellation(
        cancellation.channel,
        cancellation.channel_order_id,
        cancellation.reason,
        cancellation.actor,
        cancellation.delivery_id[:_DELIVERY_ID_LENGTH],
        utcnow(),
    )


def _remembered(
    uows: Callable[[], UnitOfWork], dispatch: Dispatch, cancellation: ChannelCancellation
) -> Outcome:
    """The outcome of a cancellation just remembered. An order created meanwhile, in a
    transaction that read before this one committed, did not see it: cancel that one now."""
    channel, channel_order_id = cancellation.channel, cancellation.channel_order_id
    with uows() as uow:
        arrived = uow.orders.get_by_channel_id(channel, channel_order_id) is not None
    if arrived:
        return settle(uows, dispatch, cancellation)
    why = (
        f"Ordo has no order {channel_order_id} of channel {channel} yet: it is cancelled as it "
        "arrives (webhooks come in any order), before any stock is reserved for it"
    )
    log.info("channel %s cancelled order %s: %s", channel, channel_order_id[:64], why)
    return Outcome("remembered", why)


def settle(
    uows: Callable[[], UnitOfWork], dispatch: Dispatch, cancellation: ChannelCancellation
) -> Outcome:
    """A remembered cancellation whose order is here after all: forget it, and cancel the
    order as any channel's cancellation does (`cancelled`; `unchanged` when its creation
    found the cancellation after all; `refused`, with an alert, when it is picked)."""
    with uows() as uow:
        uow.early_cancellations.take(cancellation.channel, cancellation.channel_order_id)
        uow.commit()
    return cancel_for_channel(uows, dispatch, cancellation)


def cancel_early(uow: UnitOfWork, order: Order, early: EarlyCancellation) -> None:
    """Cancel `order`, being created in `uow`'s open transaction, which its channel cancelled
    before it arrived (`early`, taken from `uow.early_cancellations`): before anything is
    decided or reserved for it, audited for whoever delivered the shop's news, with its
    reason. The caller commits."""
    was = str(order.status)
    order.cancel(early.reason)
    after = {
        "reason": early.reason,
        "status": str(order.status),
        "cancellation_noted_at": early.noted_at.isoformat(),
        "delivery_id": early.delivery_id,
        FROM_CHANNEL: early.channel,
    }
    audit.record(uow, early.actor, CANCEL_ACTION, "order", order.id, {"status": was}, after)
    log.info("order %s (%s order %s) was cancelled by its channel before it arrived: %s",
             order.id, order.channel, order.channel_order_id[:64], early.reason)  # fmt: skip


class EarlyCancellationKeeper:
    """Worker ticker, at most once per `every`: forget the cancellations that waited longer
    than `retention` for their order, and settle those whose order arrived while they were
    being remembered (see the module). `dispatch` runs a command with a hook inside its
    commit, as for `cancel_for_channel`."""

    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        dispatch: Dispatch,
        retention: timedelta = DEFAULT_RETENTION,
        every: timedelta = timedelta(minutes=10),
    ) -> None:
        if retention <= timedelta(0):
            raise ValueError(f"early cancellation retention must be positive, got {retention}")
        self.uows, self.dispatch = uows, dispatch
        self.retention, self.every = retention, every
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        with self.uows() as uow:
            forgotten = uow.early_cancellations.purge(now - self.retention)
            arrived = list(uow.early_cancellations.arrived())
            uow.commit()
        for early in arrived:
            asked = ChannelCancellation(early.channel, early.channel_order_id, early.reason,
                                        early.actor, early.delivery_id)  # fmt: skip
            settle(self.uows, self.dispatch, asked)
        self._last = now  # after the run: a failed one (database restarting) is tried again
        return forgotten + len(arrived)


def cancelled_by_channel(history: Iterable[AuditEntry]) -> bool:
    """Whether an order's cancellation was its channel's news: the latest `order.cancel` of
    its audit trail (`history`, newest first, as `uow.audit.list` gives it) carries
    `FROM_CHANNEL`. Support's, a rule's or a script's cancellation carries none."""
    for entry in history:
        if entry.action == CANCEL_ACTION:
            return bool(entry.after.get(FROM_CHANNEL))
    return False


def _refunded_by_ordo(uow: UnitOfWork, order_id: str) -> bool:
    """Whether a return of the order was refunded, and that refund sent to its shop
    (`shop_refunds.ShopRefunder`)."""
    sent = events.ReturnRefundSentToChannel.name
    return any(
        any(entry.action == sent for entry in uow.audit.list(entity="return", entity_id=r.id))
        for r in uow.returns.for_order(order_id)
        if r.status is ReturnStatus.REFUNDED
    )


def _refused_before(uow: UnitOfWork, order_id: str) -> bool:
    history = uow.audit.list(entity="order", entity_id=order_id, limit=_HISTORY)
    return any(entry.action == REFUSED_ACTION for entry in history)


def _past_cancelling(order: Order) -> str:
    return (
        f"order {order.id} is {order.status}: picked at its location or further on, it can "
        "no longer be cancelled; a person was alerted to stop it"
    )


def _refuse(
    uows: Callable[[], UnitOfWork], cancellation: ChannelCancellation, order_id: str, said: str
) -> Outcome:
    """Record that the channel's cancellation came too late, and ask a person to step in."""
    with uows() as uow:
        order = uow.orders.get(order_id)
        assert order is not None  # orders are never deleted
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
