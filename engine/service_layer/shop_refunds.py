"""A return refunded in Ordo is refunded in the shop its order came from (Shopify, WooCommerce).

`ShopRefunder` is a worker observer of `return.status_changed` to `refunded` (`POST
/v1/returns/{id}/refund`, the console). The money the customer paid is with the shop's
payment, so when the order's channel has a connector holding the shop's API credentials
(`WebhookChannel.tells_refunds`), the return's `refund_amount` is refunded there, in the
order's currency, on the shop's order (the order's `channel_order_id`), marked with the
return's RMA. The money only: Ordo's return put its units back in stock where it received
them, so the shop restocks nothing. `return.refund_sent_to_channel` and an audit entry of the
same name (the return's timeline) record it, in the worker's transaction. The returned
lines go along for the shop to name when they are its lines: the shop's line of a kit (`7`)
counts kits, so whole kits returned of its parts (`7.1`, `7.2`) are told as that many of
`7`, while a part of a kit (a TEA without its MUG) has no line in the shop to be named on.

Not sent: a refund of nothing (0.00, such as goods that came back broken), and a return of an
order of a channel without such a connector.

The shop is called before the worker's transaction commits, so a crash in between asks it
again when the event is redelivered. The connector reads the shop's order first and finds a
refund marked with the return's RMA (Shopify's `note`, WooCommerce's `reason`), which counts
as done (`already_refunded`), so the customer is never paid twice; and a return whose timeline
shows the shop was told (or refused) is not sent again, as a redriven dead letter would be.
A shop that cannot be reached, or asks to be tried later (429, 5xx), raises the connector's
`DeliveryError`: the worker retries the event with backoff and, after the bus's last
delivery, dead-letters it. A shop that refuses for good (wrong credentials, no such order, a
refund larger than what it has left to refund, a payment gateway that cannot refund) raises
`PermanentRefusal`: not retried, but `return.channel_refund_failed`, its audit entry and a
high alert (`channels/shop refund failed`, keyed by the return) naming the amount and what the
shop said ask a person to refund the customer in the shop. What this shares with
`shop_cancellations` is in `shop_calls`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from connectors.base import PermanentRefusal
from connectors.channels.base import RefundLine, ShopRefund
from engine.adapters.bus.base import Message
from engine.domain import events
from engine.domain.fulfilment import Return, ReturnStatus
from engine.domain.kits import as_kit_lines
from engine.domain.orders import Order
from engine.domain.values import money
from engine.service_layer import shop_calls
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The alert a shop's refusal raises: high, so it opens a ticket where tickets are on.
FAILED_RULE = "channels/shop refund failed"
# The audit actions on the return's timeline, which also tell a redelivery the shop was asked.
SENT_ACTION = events.ReturnRefundSentToChannel.name
FAILED_ACTION = events.ReturnChannelRefundFailed.name


class Shop(Protocol):
    """A channel connector (`connectors.channels.base.WebhookChannel`), as the refunder uses
    it."""

    @property
    def channel(self) -> str: ...

    @property
    def tells_refunds(self) -> bool: ...

    def refund_in_shop(self, channel_order_id: str, refund: ShopRefund) -> str: ...


class ShopRefunder:
    """Worker observer: a return refunded in Ordo, refunded in its order's shop once (module
    doc). `shops` are the channel connectors; those without the shop's credentials are left
    out."""

    name = "shop-refunds"

    def __init__(self, shops: Mapping[str, Shop]) -> None:
        self.shops = shop_calls.shops_that(shops, lambda shop: shop.tells_refunds)
        self.sent = 0

    def wants(self, message: Message) -> bool:
        return (
            message.name == events.ReturnStatusChanged.name
            and message.payload.get("to_status") == ReturnStatus.REFUNDED
            and bool(self.shops)
        )

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        return_id = str(message.payload["return_id"])
        with uow:
            found = uow.returns.get(return_id)
            order = None if found is None else uow.orders.get(found.order_id)
            shop = None if order is None else self.shops.get(order.channel)
            if found is None or order is None or shop is None or not order.channel_order_id:
                return  # no shop of its channel is told of refunds
            why_not = _not_sent(uow, found)
            if why_not:
                log.info("%s: return %s is not refunded in its shop: %s", self.name, found.id,
                         why_not)  # fmt: skip
                return
            refund = shop_refund(found, order, _kit_components(uow, order))
            try:
                outcome = shop.refund_in_shop(order.channel_order_id, refund)
            except PermanentRefusal as refusal:
                _failed(uow, found, order, refund, str(refusal))
                uow.commit()
                return
            sent = events.ReturnRefundSentToChannel(
                found.id, order.id, order.channel, order.channel_order_id,
                str(refund.amount), refund.currency, outcome,
            )  # fmt: skip
            shop_calls.recorded(
                uow, sent, "return", found.id, _said(order, refund, outcome=outcome)
            )
            uow.commit()
        log.info("%s: return %s refunded %s %s in %s (its order %s): %s", self.name, return_id,
                 refund.amount, refund.currency, order.channel, order.channel_order_id[:64],
                 outcome)  # fmt: skip
        self.sent += 1


def shop_refund(found: Return, order: Order, components: Mapping[str, int]) -> ShopRefund:
    """The return as its shop is asked to refund it: its amount in the order's currency, its
    RMA (its id, should it have none), and each line with what Ordo priced it at. Whole kits
    returned of a kit's parts (`7.1`, `7.2`) are the shop's line of the kit (`7`), counted
    in kits as the shop counts it and worth what its parts were (`engine.domain.kits`); a
    part of a kit stays its part, which is no line of the shop's (the money alone goes), and
    so do the parts of a kit one part of which was removed from the order (`components`: how
    many parts each kit SKU has)."""
    returned: Counter[str] = Counter()
    for line in found.lines:
        returned[line.order_line_id] += line.quantity
    kits = as_kit_lines(order.lines, returned, components)
    of_kit = {line.id: line.kit_line for line in order.lines if line.kit_line in kits}
    lines: list[RefundLine] = []
    for line in found.lines:
        kit_line = of_kit.get(line.order_line_id)
        if kit_line is None:
            worth = _worth(order, {line.order_line_id: line.quantity})
            lines.append(RefundLine(line.order_line_id, line.quantity, worth))
        elif all(named.line_id != kit_line for named in lines):  # the kit's first part named
            parts = {part: returned[part] for part, kit in of_kit.items() if kit == kit_line}
            lines.append(RefundLine(kit_line, kits[kit_line], _worth(order, parts)))
    return ShopRefund(found.rma or found.id, money(found.refund_amount), order.currency,
                      tuple(lines))  # fmt: skip


def _kit_components(uow: UnitOfWork, order: Order) -> dict[str, int]:
    """How many parts each kit of the order has, by its SKU, as the catalogue says: a kit's
    part removed from the order leaves nothing else to tell it by (the last part's removal
    leaves no gap in the parts' numbers)."""
    skus = {line.kit.sku for line in order.lines if line.kit is not None}
    found = uow.products.read_many(skus) if skus else {}
    return {sku: len(product.kit_components) for sku, product in found.items()}


def _worth(order: Order, units: Mapping[str, int]) -> Decimal:
    """What Ordo priced `units` (by order line id) of the order at."""
    return money(sum((_price(order, line_id) * count for line_id, count in units.items()),
                     Decimal(0)))  # fmt: skip


def _price(order: Order, line_id: str) -> Decimal:
    return next((line.price for line in order.lines if line.id == line_id), Decimal("0"))


def _not_sent(uow: UnitOfWork, found: Return) -> str:
    """Why the shop is not to be asked to refund the return; "" to ask it."""
    if found.status is not ReturnStatus.REFUNDED:
        return f"it is {found.status}"  # a refunded return stays so: a stray event
    if found.refund_amount <= 0:
        return "Ordo refunded nothing for it"
    if shop_calls.asked_before(
        shop_calls.timeline(uow, "return", found.id), (SENT_ACTION, FAILED_ACTION)
    ):
        return "its shop was asked before"
    return ""


def _said(order: Order, refund: ShopRefund, **more: str) -> dict[str, str]:
    """The audit entry's `after`: which shop order, how much, and what came of it."""
    return {"channel": order.channel, "channel_order_id": order.channel_order_id,
            "amount": str(refund.amount), "currency": refund.currency, **more}  # fmt: skip


def _failed(uow: UnitOfWork, found: Return, order: Order, refund: ShopRefund, said: str) -> None:
    """The shop will not refund the return: record so, and ask a person to step in."""
    log.warning("shop-refunds: return %s: %s", found.id, said)
    failed = events.ReturnChannelRefundFailed(
        found.id, order.id, order.channel, order.channel_order_id,
        str(refund.amount), refund.currency, said,
    )  # fmt: skip
    shop_calls.recorded(uow, failed, "return", found.id, _said(order, refund, refused=said))
    shop_calls.ask_a_person(
        uow,
        FAILED_RULE,
        found.id,
        f"Return {found.id} ({refund.rma}) of order {order.id} was refunded {refund.amount} "
        f"{refund.currency} in Ordo, but its shop ({order.channel}, order "
        f"{order.channel_order_id}) would not refund it, so the customer has not had the money "
        f"back: refund it in the shop. {said}",
    )
