"""An order cancelled in Ordo is cancelled in the shop it came from (Shopify, WooCommerce).

`ShopCanceller` is a worker observer of `order.cancelled`, however the order came to be
cancelled: support (`POST /v1/orders/{id}/cancel`, the console), a script, a remainder whose
cancellation left nothing of the order. When the order's channel has a connector holding the
shop's API credentials (`WebhookChannel.tells_cancellations`), the shop's order, the order's
`channel_order_id`, is cancelled there too, so that the shop neither charges for it nor shows
it as coming. `order.cancel_sent_to_channel` and an audit entry of the same name (the order's
timeline) record it, in the worker's transaction.

Some cancellations are not sent:
- the shop's own (its webhook cancelled the order, `channel_cancellations`): the shop knows,
  and telling it back would answer it with its own news. The cancellation's audit entry says
  so (`channel_cancellations.cancelled_by_channel`).
- an order consolidated into another (`consolidated into <id>`): its lines live on in that
  order, so the customer still gets them and the shop's order must stand.
- partial cancellations (`order.remainder_cancelled`): only a whole order is cancelled in a
  shop, which cancels whole orders.

The shop is called before the worker's transaction commits, so a crash in between asks it
again when the event is redelivered. The shop's answer to a second cancellation is "already
cancelled" (Shopify's 422 with the order's `cancelled_at` set, WooCommerce's order cancelled),
which counts as done; and an order whose timeline shows the shop was told (or refused) is not
sent again, as a redriven dead letter would be. A shop that cannot be reached, or asks to be
tried later (429, 5xx), raises the connector's `DeliveryError`: the worker retries the event
with backoff and, after the bus's last delivery, dead-letters it. A shop that refuses for good
(401 wrong credentials, 404 no such order, Shopify's 422 for a fulfilled order) raises
`PermanentRefusal`: not retried, but `order.channel_cancel_failed`, its audit entry and a high
alert (`channels/shop cancellation failed`, keyed by the order) naming what the shop said ask
a person to cancel the order in the shop. What this shares with `shop_refunds` is in
`shop_calls`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Protocol

from connectors.base import PermanentRefusal
from engine.adapters.bus.base import Message
from engine.domain import events
from engine.domain.orders import Order, OrderStatus
from engine.service_layer import shop_calls
from engine.service_layer.channel_cancellations import cancelled_by_channel
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The alert a shop's refusal raises: high, so it opens a ticket where tickets are on.
FAILED_RULE = "channels/shop cancellation failed"
FAILED_SEVERITY = shop_calls.FAILED_SEVERITY
# The audit actions on the order's timeline, which also tell a redelivery the shop was asked.
SENT_ACTION = events.OrderCancelSentToChannel.name
FAILED_ACTION = events.OrderChannelCancelFailed.name
# Who the audit names: the worker, on behalf of whoever cancelled the order in Ordo.
ACTOR = shop_calls.ACTOR
# The reason `lifecycle.consolidate_orders` cancels a merged order with.
_CONSOLIDATED = re.compile(r"consolidated into (\S+)")


class Shop(Protocol):
    """A channel connector (`connectors.channels.base.WebhookChannel`), as the canceller
    uses it."""

    @property
    def channel(self) -> str: ...

    @property
    def tells_cancellations(self) -> bool: ...

    def cancel_in_shop(self, channel_order_id: str) -> str: ...


class ShopCanceller:
    """Worker observer: an order cancelled in Ordo, cancelled in its shop once (module doc).
    `shops` are the channel connectors; those without the shop's credentials are left out."""

    name = "shop-cancellations"

    def __init__(self, shops: Mapping[str, Shop]) -> None:
        self.shops = shop_calls.shops_that(shops, lambda shop: shop.tells_cancellations)
        self.sent = 0

    def wants(self, message: Message) -> bool:
        return message.name == events.OrderCancelled.name and bool(self.shops)

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        order_id = str(message.payload["order_id"])
        with uow:
            order = uow.orders.get(order_id)
            shop = None if order is None else self.shops.get(order.channel)
            if order is None or shop is None or not order.channel_order_id:
                return  # no shop of its channel is told of cancellations
            why_not = _not_sent(uow, order, str(message.payload.get("reason", "")))
            if why_not:
                log.info("%s: order %s is not cancelled in its shop: %s", self.name, order.id,
                         why_not)  # fmt: skip
                return
            try:
                outcome = shop.cancel_in_shop(order.channel_order_id)
            except PermanentRefusal as refusal:
                _failed(uow, order, str(refusal))
                uow.commit()
                return
            sent = events.OrderCancelSentToChannel(
                order.id, order.channel, order.channel_order_id, outcome)  # fmt: skip
            after = {"channel": order.channel, "channel_order_id": order.channel_order_id,
                     "outcome": outcome}  # fmt: skip
            shop_calls.recorded(uow, sent, "order", order.id, after)
            uow.commit()
        log.info("%s: order %s cancelled in %s (its order %s): %s", self.name, order_id,
                 order.channel, order.channel_order_id[:64], outcome)  # fmt: skip
        self.sent += 1


def _not_sent(uow: UnitOfWork, order: Order, reason: str) -> str:
    """Why the shop is not to be told of the order's cancellation; "" to tell it."""
    if order.status is not OrderStatus.CANCELLED:
        return f"it is {order.status}"  # a cancelled order stays so: a stray event
    history = shop_calls.timeline(uow, "order", order.id)
    if shop_calls.asked_before(history, (SENT_ACTION, FAILED_ACTION)):
        return "its shop was asked before"
    if cancelled_by_channel(history):
        return "its shop cancelled it"
    merged = _CONSOLIDATED.fullmatch(reason)
    if merged:
        primary = uow.orders.get(merged[1])
        if primary is not None and any(
            line.id.startswith(f"{order.id}:") for line in primary.lines
        ):
            return f"it was consolidated into order {primary.id}, which ships its lines"
    return ""


def _failed(uow: UnitOfWork, order: Order, said: str) -> None:
    """The shop will not cancel its order: record so, and ask a person to step in."""
    log.warning("shop-cancellations: order %s: %s", order.id, said)
    failed = events.OrderChannelCancelFailed(
        order.id, order.channel, order.channel_order_id, said)  # fmt: skip
    after = {"channel": order.channel, "channel_order_id": order.channel_order_id,
             "refused": said}  # fmt: skip
    shop_calls.recorded(uow, failed, "order", order.id, after)
    shop_calls.ask_a_person(
        uow,
        FAILED_RULE,
        order.id,
        f"Order {order.id} was cancelled in Ordo, but its shop ({order.channel}, order "
        f"{order.channel_order_id}) would not cancel it and may still charge the customer or "
        f"show it as coming: cancel it in the shop. {said}",
    )
