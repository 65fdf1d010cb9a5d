"""WooCommerce: an `order.created` webhook (the REST API v3 order) as an Ordo order.

WooCommerce signs each delivery's raw body with HMAC-SHA256 under the webhook's secret and
sends the base64 digest in `X-WC-Webhook-Signature`. It names the delivery in
`X-WC-Webhook-Delivery-ID`, a hash of the webhook's id and the second it was sent in: it makes
one attempt per event and does not retry. When a webhook is first activated it sends a ping,
the form-encoded body `webhook_id=N`, unsigned and without those headers, and keeps the
webhook's set-up flagged as failed unless the answer is exactly 200. What is mapped from what:

| Ordo order          | WooCommerce order                                                |
|---------------------|------------------------------------------------------------------|
| channel             | the connector's `channel` setting                                |
| channel_order_id    | `id` (not `number`, which order-number plugins rewrite)          |
| customer_id         | `customer_id`; a guest's (0) is `guest-<id>`, one per order      |
| email               | `billing.email`                                                  |
| currency            | `currency`                                                       |
| ship_to             | `shipping`: `postcode`, `country`, `address_1` (and `address_2`),|
|                     | `city`, `state`, `first_name` `last_name` (and `company`)        |
| lines               | `line_items`: `sku`, `quantity`, `price` (rounded to the cent),  |
|                     | `id` as the line id                                              |
| service_level       | `shipping_lines[0]`: `method_id:instance_id`, `method_title`,    |
|                     | `method_id`, through `service_levels` and then `SERVICE_LEVELS`  |

Only orders in one of `statuses` (processing, on-hold) are taken: the others are not paid, or
not to be shipped. An `order.updated` to one of `cancel_statuses` (cancelled, refunded, failed:
the shop will not be paid, or has paid the money back) is the shop's cancellation of the
order, which Ordo cancels, unless Ordo's own refunds explain a `refunded` (below). `price`
is WooCommerce's line total after discounts, before tax, divided by the quantity.
WooCommerce itself copies the billing address into `shipping` when the buyer ships to it, so
an empty `shipping` means there is nothing to ship, not "use billing".

What a delivery is comes in `X-WC-Webhook-Topic`: `order.created`, or `order.updated` (which
a shop subscribes so that an order paid after checkout comes again). Any other topic carries
no order and is refused naming the header. An `order.updated` to a cancel status cancels the
order; one of an order in another status Ordo does not take is answered 200 and left alone:
every change of every order sends one, and WooCommerce disables a webhook after a few failures
in a row. A delivery without the header
(an integrator posting with a key) is taken as `order.created`.

Units the shop cancelled, from what WooCommerce sends: `order.updated` posts the whole order
as the REST API v3 shows it, never what changed, so an `order.updated` of an order in one of
`statuses` lists what each line still has (`line_items[].quantity`; a removed item is no
longer listed), and the service layer compares that with Ordo's order
(`UnitCancellation.kept`). WooCommerce lets a shop change an order's items only while
`WC_Order::is_editable` holds (pending, on-hold, drafts), which is when an edit lowers a
line. A refund of some lines does not show there: the line item keeps its `quantity`, the
order's `refunds` lists each refund's `id`, `reason` and `total` only, and the refunded
units (negative `quantity`) are on the refund itself (`GET .../orders/{id}/refunds`), which
no webhook posts. So a partial refund cancels nothing in Ordo.

WooCommerce's order does not say which lines need shipping (a product's `virtual` and
`downloadable` flags stay on the product), so the shop names its virtual products in
`virtual_skus` and `virtual_product_ids`: their lines are left out, and the answer says so.
An order of such lines alone is answered 200 and left alone: Ordo ships physical goods.

Given the shop's address (`store_url`) and a REST API key (`consumer_key` and
`consumer_secret`, sent as HTTP Basic auth, as WooCommerce takes them over HTTPS), the
connector also cancels in WooCommerce an order cancelled in Ordo: it reads the order (`GET
/wp-json/wc/v3/orders/{id}`) and, unless it is cancelled, refunded or failed already (done)
or completed (refused: WooCommerce counts it fulfilled, and a person must look), sets it
cancelled (`PUT` of `{"status": "cancelled"}`).

With the same key it refunds in WooCommerce a return refunded in Ordo: it reads the order
(`GET /wp-json/wc/v3/orders/{id}`: its currency, total, line items and refunds), and unless a
refund's `reason` carries the return's RMA already (done), posts `POST .../orders/{id}/refunds`
with the `amount` (text), `reason` "Ordo return <RMA>", `api_refund` true (the payment
gateway pays the money back) and `api_restock` false (Ordo's return put the units back in
stock where it received them). The returned lines go as `line_items` (each line's share of
the amount as its `refund_total`) when each is a line of the shop's order (whole kits
returned of a kit's parts come as so many of the kit's line). A refund larger
than the order's total less its refunds is refused for good, naming both amounts, before
anything is sent. WooCommerce answers a refund it cannot make (its own amount check, or a
gateway that cannot refund automatically: "The payment gateway for this order does not
support automatic refunds.") with 500 and `woocommerce_rest_cannot_create_order_refund`,
and records nothing: a refusal for good, for a person, not an outage to retry.

With the same key it cancels in WooCommerce units Ordo cancelled (`cancel_units_in_shop`: a
line lowered or removed, part of the backordered remainder): it reads the order, and unless a
refund's `reason` is Ordo's for that change already (done), posts a refund of those units:
`line_items` with each line's `id`, `quantity`, `refund_total` (its `total`, after discounts
and before tax, shared per unit) and `refund_tax` (each of its `taxes` shared likewise), the
`amount` they add up to, `reason` "Ordo cancelled units of order <id> (event <id>)",
`api_refund` true and `api_restock` false: Ordo owns the stock, and WooCommerce's REST API
restocks the lines otherwise (`api_restock` is what it hands `wc_create_refund` as
`restock_items`). A refund does not lower the line's `quantity` in WooCommerce, so nothing of
it comes back as a cancellation. A line the shop's order has not got, one without a total,
more than the order has left to refund, or a refund WooCommerce will not make is refused for
good. What Ordo's refunds cancelled is read back from the refunds themselves
(`units_refunded_by_ordo`: `GET .../orders/{id}/refunds`, whose `line_items` give the units,
negative, and the order's line item each refunds, in its meta `_refunded_item_id`), by the
change each `reason` names, so that the worker counts a kit told just before a crash as told.
They are read 100 a page (`page=1, 2...`, oldest first) until a page comes back short; an
order with 50 full pages of them is refused for good rather than read on.

Ordo's refunds coming back: once an order's refunds reach its total, `wc_create_refund` sets
it `refunded` and WooCommerce sends `order.updated`, so Ordo's own refunds (of returns, of
units it cancelled) can bring an order to a cancel status that nobody in the shop chose.
Such a delivery is no cancellation when its `refunds` explain the status
(`ordos_own_refunds`): every refund's `reason` is one Ordo writes ("Ordo return <RMA>",
"Ordo cancelled units of order <id> (event <id>)": `base.refunded_by_ordo`), and their
`total`s reach the order's `total`, WooCommerce's own test for setting it. It is answered
200 and left alone, the answer saying why (`passed_over`). The rule reads the delivery alone,
since it carries all there is to know: the `reason` is what Ordo wrote when it refunded, and
how `refund_in_shop` and `cancel_units_in_shop` find their own refunds again; Ordo keeps no
WooCommerce refund id; and the line items' `quantity` tells nothing, a refund leaving it as
it was. A refund the shop made itself (any other reason, such as the refund WooCommerce
records for the rest when a person sets the status by hand), an entry that cannot be read,
or Ordo's refunds short of the total keep today's reading, the shop's cancellation, its
reason naming the shop's refund (a person alerted about a shipped order sees which); a
`cancelled` or `failed` status is never explained by refunds. This is the only place the
echo is recognised: the service layer's cancellation takes what the connector hands it.
"""

from __future__ import annotations

import base64
import decimal
import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, field_validator, model_validator

from connectors.base import PermanentRefusal, check_base_url, host_of
from connectors.channels.base import (
    ALREADY_CANCELLED,
    ALREADY_REFUNDED,
    CANCELLED_IN_SHOP,
    REFUNDED_IN_SHOP,
    Cancellation,
    CancelledUnits,
    ChannelOrder,
    Loc,
    PayloadError,
    PayloadMapping,
    ServiceLevelsConfig,
    ShopApiChannel,
    ShopRefund,
    UnitCancellation,
    WrongTopic,
    base64_signature,
    cancellation_of,
    decimal_of,
    every_line_left_out,
    identifier,
    order_id_at,
    refunded_by_ordo,
    shop_items,
    shop_lines,
    shop_order_id,
    signature_matches,
    units_at,
    units_by_change,
)

if TYPE_CHECKING:
    import httpx

# WooCommerce's own shipping methods (by `method_id`) and the words shops name their rates
# with, normalised by `normalised_method`. A shop's own rates ("flat_rate:3", "DHL Express")
# go in the connector's `service_levels`.
SERVICE_LEVELS: dict[str, str] = {
    "flat rate": "standard",
    "free shipping": "standard",
    "standard": "standard",
    "standard shipping": "standard",
    "economy": "standard",
    "ground": "standard",
    "express": "two_day",
    "express shipping": "two_day",
    "expedited": "two_day",
    "priority": "two_day",
    "2 day": "two_day",
    "two day": "two_day",
    "next day": "next_day",
    "overnight": "overnight",
    "same day": "same_day",
    "local delivery": "same_day",
}

# WooCommerce sends `order.created` once, whatever the order's status then: an order that
# is paid later reaches Ordo only through `order.updated`.
_SEND_AGAIN = (
    ". WooCommerce sends order.created only once: subscribe order.updated too (the same "
    "delivery URL and secret), and the order comes again, and is taken, once it is paid"
)
# Why an order in each of WooCommerce's other statuses is not taken, in the store owner's
# terms (`statuses` names the ones that are).
_NOT_TAKEN = {
    "pending": "it is not paid yet" + _SEND_AGAIN,
    "checkout-draft": "the buyer has not finished checking out" + _SEND_AGAIN,
    "failed": "its payment failed: there is nothing to ship",
    "cancelled": "it was cancelled: there is nothing to ship",
    "refunded": "it was refunded: there is nothing to ship",
    "completed": "WooCommerce marks it fulfilled already; an order for Ordo to fulfil must "
    "reach it while it is processing",
}
# The webhook topics an order comes in (the header WooCommerce names a delivery's topic in).
TOPIC_HEADER = "X-WC-Webhook-Topic"
_CREATED, _UPDATED = "order.created", "order.updated"
# WooCommerce's status slugs (`wc-` prefixed where it stores them, not in its API).
_STATUS_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,19}$"
# Exactly what `WC_Webhook::deliver_ping` posts.
_PING = re.compile(rb"webhook_id=[0-9]{1,20}")
_CENT = Decimal("0.01")
# The REST API's orders, under the shop's address.
ORDERS_PATH = "/wp-json/wc/v3/orders"
# Statuses of an order the shop will not be paid for, or has paid back: asked to cancel one,
# there is nothing left to do. A completed order counts as fulfilled: refused, for a person.
_SETTLED = frozenset({"cancelled", "refunded", "failed"})
# The meta of a refund's line item naming the order's line item it refunds.
_REFUNDED_ITEM = "_refunded_item_id"
# An order's refunds are listed a page at a time, WooCommerce's largest (`per_page` is 1 to
# 100), up to a bound: a shop whose every page is full (a plugin ignoring `page`) is refused
# after that many instead of being read for ever.
_REFUNDS_PER_PAGE = 100
_MOST_REFUND_PAGES = 50
# The status `wc_create_refund` sets once an order's refunds reach its total.
_REFUNDED = "refunded"
_FULFILLED = "completed"
# The code of WooCommerce's 500 to a refund it will not make (`wc_create_refund` refused it:
# more than is left, or a gateway that cannot refund); it records nothing.
_REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"


class WooCommerceConfig(ServiceLevelsConfig):
    statuses: list[str] = Field(
        default_factory=lambda: ["processing", "on-hold"],
        description="The order statuses Ordo takes an order in (WooCommerce's slugs, without "
        "wc-); an order in any other status is refused (422 naming $.status).",
    )

    cancel_statuses: list[str] = Field(
        default_factory=lambda: ["cancelled", "refunded", "failed"],
        description="The statuses an order.updated cancels the order in (WooCommerce's slugs, "
        "without wc-): Ordo cancels the order it took, or alerts a person when it is past "
        "cancelling. Empty: changes in WooCommerce are not carried over.",
    )

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, statuses: list[str]) -> list[str]:
        if not statuses:
            raise ValueError("is empty: name the statuses an order is taken in, such as processing")
        return _slugs(statuses)

    @field_validator("cancel_statuses")
    @classmethod
    def _cancel_statuses(cls, statuses: list[str]) -> list[str]:
        return _slugs(statuses)

    @model_validator(mode="after")
    def _apart(self) -> WooCommerceConfig:
        both = [status for status in self.cancel_statuses if status in self.statuses]
        if both:
            raise ValueError(
                f"cancel_statuses: names {both[0]!r}, a status an order is taken in "
                "(statuses): an order in it cannot be both shipped and cancelled"
            )
        return self

    store_url: str | None = Field(
        default=None,
        description="The shop's address (https://shop.example.com): with consumer_key and "
        "consumer_secret, an order cancelled in Ordo is cancelled in WooCommerce too "
        "(docs/channels.md).",
    )
    consumer_key: SecretStr | None = Field(
        default=None,
        description="A WooCommerce REST API key's consumer key (ck_...), with Read/Write "
        "permissions.",
    )
    consumer_secret: SecretStr | None = Field(
        default=None, description="That key's consumer secret (cs_...)."
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long a call to WooCommerce may take."
    )

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, url: str | None) -> str | None:
        return None if url is None else check_base_url(url)

    @model_validator(mode="after")
    def _outbound(self) -> WooCommerceConfig:
        given = {
            "store_url": self.store_url, "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
        }  # fmt: skip
        missing = [name for name, value in given.items() if value is None]
        if missing and len(missing) < len(given):
            # The field in front: the start-up error names it (connectors.base).
            raise ValueError(
                f"{missing[0]}: is required with {', '.join(n for n in given if n not in missing)}"
                ": to cancel orders in WooCommerce, Ordo needs the shop's address and a REST "
                "API key (consumer key and secret)"
            )
        return self

    virtual_skus: list[str] = Field(
        default_factory=list,
        description="SKUs of the shop's virtual or downloadable products (gift cards, "
        "e-books, warranties): their lines are left out of the order, since Ordo has nothing "
        "to ship for them, and an order of such lines alone is answered 200 and left alone.",
    )
    virtual_product_ids: list[int] = Field(
        default_factory=list,
        description="The same by WooCommerce product id (a line's product_id, or its "
        "variation_id for a virtual variation), for virtual products without a SKU.",
    )

    @field_validator("virtual_skus")
    @classmethod
    def _virtual_skus(cls, skus: list[str]) -> list[str]:
        if any(not sku.strip() for sku in skus):
            raise ValueError(
                "names an empty SKU: list the virtual products' SKUs as WooCommerce shows them"
            )
        return [sku.strip() for sku in skus]

    @field_validator("virtual_product_ids")
    @classmethod
    def _virtual_ids(cls, ids: list[int]) -> list[int]:
        if any(product_id < 1 for product_id in ids):
            raise ValueError("names an id below 1: WooCommerce's product ids are 1 and up")
        return ids

    def virtual(self, item: Mapping[str, Any]) -> str | None:
        """Why a line item is a virtual product's, when the shop said it is; else None."""
        sku = item.get("sku")
        if isinstance(sku, str) and sku.strip() in self.virtual_skus:
            return f"SKU {sku.strip()} is a virtual product (the connector's virtual_skus)"
        for key in ("variation_id", "product_id"):
            product_id = item.get(key)
            if isinstance(product_id, int) and product_id in self.virtual_product_ids:
                return (
                    f"{key} {product_id} is a virtual product (the connector's virtual_product_ids)"
                )
        return None


class WooCommerceChannel(ShopApiChannel):
    slug = "woocommerce"
    title = "WooCommerce (order.created and order.updated webhooks)"
    Config = WooCommerceConfig
    config: WooCommerceConfig
    signature_header = "X-WC-Webhook-Signature"
    delivery_header = "X-WC-Webhook-Delivery-ID"
    shop_name = "WooCommerce"

    def verify(self, body: bytes, signature_sent: str) -> bool:
        expected = base64_signature(body, self.config.secret.get_secret_value())
        return signature_matches(expected, signature_sent)

    def is_ping(self, body: bytes) -> bool:
        return _PING.fullmatch(body.strip()) is not None

    def cancellation(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> Cancellation | None:
        status = payload.get("status")
        if headers.get(TOPIC_HEADER) != _UPDATED or status not in self.config.cancel_statuses:
            return None
        if status == _REFUNDED:
            if ordos_own_refunds(payload) is not None:
                return None  # Ordo's refunds coming back: `passed_over` says so
            return cancellation_of(payload, _refunded_by_shop(payload))
        return cancellation_of(payload, f"{status} in WooCommerce")

    def unit_cancellation(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> UnitCancellation | None:
        # Every order.updated of an order Ordo takes carries the whole order: the service
        # layer compares its lines with Ordo's, and finds any the shop lowered or removed.
        if (
            headers.get(TOPIC_HEADER) != _UPDATED
            or payload.get("status") not in self.config.statuses
        ):
            return None
        try:
            kept = units_at(payload.get("line_items"), ("line_items",), "id", "quantity")
        except PayloadError:
            return None  # taken as an order, whose mapping names every field at fault
        listed = ",".join(f"{line}={units}" for line, units in sorted(kept.items()))
        return UnitCancellation(
            order_id_at(payload, "id"),
            "lowered or removed in WooCommerce (the order was edited)",
            kept=kept,
            change=f"woocommerce lines {listed}"[:200],
        )

    def passed_over(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        topic = headers.get(TOPIC_HEADER)
        if topic is not None and topic not in (_CREATED, _UPDATED):
            raise WrongTopic(
                TOPIC_HEADER,
                f"is {topic[:60]!r}: this URL takes WooCommerce orders, and a delivery of that "
                "topic carries none. Set the webhook's topic to Order created (and a second "
                "webhook's to Order updated, for orders paid after checkout), or point it "
                "elsewhere",
            )
        status = payload.get("status")
        echo = ordos_own_refunds(payload) if topic == _UPDATED and status == _REFUNDED else None
        if echo is not None:
            return echo
        if topic == _UPDATED and status not in self.config.statuses:
            return (
                f"an order.updated delivery of an order that is {str(status)[:40]!r}: Ordo "
                f"takes an order once it is {' or '.join(self.config.statuses)}, and leaves "
                "changes to it in WooCommerce alone"
            )
        if every_line_left_out(payload, self.config.virtual):
            return "every line is a virtual product's: Ordo has nothing to ship"
        return None

    def delivery_id(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        delivery = super().delivery_id(headers, payload)
        order_id = payload.get("id")
        if delivery is None or not isinstance(order_id, int) or isinstance(order_id, bool):
            return delivery
        # WooCommerce's delivery id is a hash of the webhook's id and the current second, so
        # two orders one webhook sends within a second share it: with the order's id, one key
        # is one order's delivery, and the second order is not refused as a reused key.
        return f"{delivery}:{order_id}"

    def to_order(self, payload: Mapping[str, Any]) -> ChannelOrder:
        return _Mapping.translate(self.config, payload)

    @property
    def holds_shop_credentials(self) -> bool:
        return self.config.consumer_key is not None

    def cancel_in_shop(self, channel_order_id: str) -> str:
        if not self.tells_cancellations:
            return super().cancel_in_shop(channel_order_id)  # refused: no credentials
        order_id = shop_order_id(channel_order_id, self.shop_name)
        url = f"{self.config.store_url}{ORDERS_PATH}/{order_id}"
        looked_up = f"the look-up of order {order_id}"
        answer = self.shop_request("GET", url, looked_up, self.shop_headers())
        if not answer.is_success:
            raise self.refusal(answer, looked_up)
        status = _status_of(answer)
        if status in _SETTLED:
            return ALREADY_CANCELLED
        if status == _FULFILLED:
            raise PermanentRefusal(
                f"WooCommerce {self.config.store_url} has order {order_id} completed (fulfilled), "
                "so Ordo does not set it cancelled there: settle it in WooCommerce"
            )
        what = f"the cancellation of order {order_id}"
        answer = self.shop_request("PUT", url, what, self.shop_headers(), {"status": "cancelled"})
        if not answer.is_success:
            raise self.refusal(answer, what)
        return CANCELLED_IN_SHOP

    def refund_in_shop(self, channel_order_id: str, refund: ShopRefund) -> str:
        if not self.tells_refunds:
            return super().refund_in_shop(channel_order_id, refund)  # refused: no credentials
        order_id = shop_order_id(channel_order_id, self.shop_name, f"refund return {refund.rma}")
        url = f"{self.config.store_url}{ORDERS_PATH}/{order_id}"
        read = self._order_to_refund(url, order_id, refund.marks, refund.currency,
                                     f"Ordo refunded return {refund.rma}")  # fmt: skip
        if read is None:
            return ALREADY_REFUNDED  # asked before, and the answer was lost
        order, refunds, where = read
        left = _left_to_refund(order, refunds)
        refused = None if left is None else refund.refusal_if_over(left, where)
        if refused is not None:
            raise refused
        body: dict[str, Any] = {"amount": f"{refund.amount:.2f}", "reason": refund.note,
                                "api_refund": True, "api_restock": False}  # fmt: skip
        lines = shop_lines(refund, order.get("line_items"))
        if lines:
            shares = spread(refund.amount, [line.worth for line in lines])
            body["line_items"] = [
                {"id": int(line.line_id), "quantity": line.quantity, "refund_total": f"{share:.2f}"}
                for line, share in zip(lines, shares, strict=True)
            ]
        self._refund(f"{url}/refunds", f"the refund of return {refund.rma} on order {order_id}",
                     body)  # fmt: skip
        return REFUNDED_IN_SHOP

    def cancel_units_in_shop(self, channel_order_id: str, cancelled: CancelledUnits) -> str:
        if not self.tells_refunds:
            return super().cancel_units_in_shop(channel_order_id, cancelled)  # no credentials
        order_id = shop_order_id(channel_order_id, self.shop_name,
                                 f"cancel units of order {cancelled.order_id}")  # fmt: skip
        url = f"{self.config.store_url}{ORDERS_PATH}/{order_id}"
        read = self._order_to_refund(url, order_id, cancelled.marks, cancelled.currency,
                                     f"Ordo's order {cancelled.order_id} is")  # fmt: skip
        if read is None:
            return ALREADY_CANCELLED  # asked before, and the answer was lost
        order, refunds, where = read
        items = shop_items(cancelled, order.get("line_items"), where)
        lines = [_line_refund(items[line], line, units, where)
                 for line, units in cancelled.units.items()]  # fmt: skip
        amount = sum((Decimal(line["refund_total"]) for line in lines), Decimal(0)) + sum(
            (Decimal(tax["refund_total"]) for line in lines for tax in line["refund_tax"]),
            Decimal(0),
        )
        left = _left_to_refund(order, refunds)
        if left is not None and amount > left:
            raise PermanentRefusal(
                f"{where} has {left:.2f} {cancelled.currency} left to refund, less than the "
                f"{amount:.2f} {cancelled.currency} the units Ordo cancelled cost "
                f"({cancelled.described()})"
            )
        body = {"amount": f"{amount:.2f}", "reason": cancelled.note, "api_refund": True,
                "api_restock": False, "line_items": lines}  # fmt: skip
        self._refund(f"{url}/refunds",
                     f"the refund of units Ordo cancelled on order {order_id}", body)  # fmt: skip
        return CANCELLED_IN_SHOP

    def units_refunded_by_ordo(
        self, channel_order_id: str, order_id: str
    ) -> dict[str, dict[str, int]]:
        if not self.tells_refunds:
            return super().units_refunded_by_ordo(channel_order_id, order_id)  # no credentials
        shop_id = shop_order_id(channel_order_id, self.shop_name,
                                f"read the units of order {order_id} Ordo cancelled")  # fmt: skip
        # The order lists its refunds without their lines; the refunds' own resource has them.
        found = self._refunds_of(shop_id)
        return units_by_change(order_id, (
            (held.get("reason"), [(_refunded_item(item), item.get("quantity"))
                                  for item in _list(held.get("line_items"))
                                  if isinstance(item, Mapping)])
            for held in found if isinstance(held, Mapping)
        ))  # fmt: skip

    def _refunds_of(self, shop_id: str) -> list[Any]:
        """Every refund of the shop's order `shop_id`, read a page at a time until a page
        short of a full one. Oldest first (by id), so a refund made while they are read comes
        last and shifts none of the rest from one page to the next."""
        url = f"{self.config.store_url}{ORDERS_PATH}/{shop_id}/refunds"
        found: list[Any] = []
        for page in range(1, _MOST_REFUND_PAGES + 1):
            listed = _list(self.shop_call(
                "GET", f"{url}?per_page={_REFUNDS_PER_PAGE}&page={page}&orderby=id&order=asc",
                f"the look-up of the refunds of order {shop_id} (page {page})",
            ))  # fmt: skip
            found.extend(listed)
            if len(listed) < _REFUNDS_PER_PAGE:
                return found
        raise PermanentRefusal(
            f"{self.shop_name} {host_of(url)} listed {_MOST_REFUND_PAGES} full pages of the "
            f"refunds of order {shop_id} ({len(found)} refunds) and Ordo reads no more: check "
            "the order's refunds in the shop"
        )

    def _order_to_refund(
        self, url: str, order_id: str, marks: Callable[[object], bool], currency: str, ordo: str
    ) -> tuple[Mapping[str, Any], list[Mapping[str, Any]], str] | None:
        """WooCommerce's order `order_id` (at `url`), its refunds and how to name it, for a
        refund in `currency`; None when one of its refunds' reason `marks` shows Ordo's
        (asked before, the answer lost). An order in another currency is refused for good,
        saying what `ordo` did in which."""
        found = self.shop_call("GET", url, f"the look-up of order {order_id}")
        order: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        refunds = [held for held in _list(order.get("refunds")) if isinstance(held, Mapping)]
        if any(marks(held.get("reason")) for held in refunds):
            return None
        where = f"{self.shop_name} {host_of(str(self.config.store_url))} order {order_id}"
        held_in = order.get("currency")
        if isinstance(held_in, str) and held_in and held_in != currency:
            raise PermanentRefusal(f"{where} is in {held_in}, but {ordo} in {currency}")
        return order, refunds, where

    def _refund(self, url: str, what: str, body: Mapping[str, Any]) -> None:
        """Post a refund; WooCommerce's 500 to one it will not make is a refusal for good."""
        answer = self.shop_request("POST", url, what, self.shop_headers(), body)
        if answer.is_success:
            return
        refused_now = self.refusal(answer, what)
        if _code_of(answer) == _REFUND_REFUSED:
            raise PermanentRefusal(str(refused_now))  # its 500 says "no", not "later"
        raise refused_now

    def shop_headers(self) -> dict[str, str]:
        key, secret = self.config.consumer_key, self.config.consumer_secret
        assert key is not None and secret is not None  # asked only when `holds_shop_credentials`
        pair = f"{key.get_secret_value()}:{secret.get_secret_value()}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode()}",
                "Accept": "application/json"}  # fmt: skip

    def hidden(self) -> list[str]:
        return [
            value.get_secret_value()
            for value in (self.config.consumer_key, self.config.consumer_secret)
            if value is not None
        ]


def _status_of(answer: httpx.Response) -> str | None:
    """The order's `status` in WooCommerce's answer, or None when it gives none."""
    try:
        order = answer.json()
    except ValueError:
        return None
    status = order.get("status") if isinstance(order, Mapping) else None
    return status if isinstance(status, str) else None


def _left_to_refund(
    order: Mapping[str, Any], refunds: Sequence[Mapping[str, Any]]
) -> Decimal | None:
    """The order's total less its refunds (each refund's `total` is negative: money out), or
    None when WooCommerce gives no total."""
    total = decimal_of(order.get("total"))
    if total is None:
        return None
    taken = (decimal_of(held.get("total")) or Decimal(0) for held in refunds)
    return total - sum((abs(amount) for amount in taken), Decimal(0))


def ordos_own_refunds(payload: Mapping[str, Any]) -> str | None:
    """Why a WooCommerce order `refunded` is no cancellation: every refund it lists is one
    Ordo made (by its `reason`), and they reach the order's `total`, as they do when
    WooCommerce sets the status itself. None when they do not explain it: no refunds, one
    the shop made (or one that cannot be read), no total, or less than it."""
    refunds = _list(payload.get("refunds"))
    if not refunds or not all(
        isinstance(held, Mapping) and refunded_by_ordo(held.get("reason")) for held in refunds
    ):
        return None
    left = _left_to_refund(payload, refunds)
    if left is None or left > 0:
        return None
    return (
        f"order {str(payload.get('id'))[:40]} is refunded by Ordo's own refunds alone "
        f"({_named(refunds)}, which reach its total {payload.get('total')}): WooCommerce set "
        "the status as they did, so it cancels nothing"
    )


def _refunded_by_shop(payload: Mapping[str, Any]) -> str:
    """The reason kept for an order `refunded` that Ordo's refunds do not explain: the
    refunds the shop made itself, or how far short of the total Ordo's come."""
    refunds = [held for held in _list(payload.get("refunds")) if isinstance(held, Mapping)]
    shops = [held for held in refunds if not refunded_by_ordo(held.get("reason"))]
    if shops:
        said = shops[0].get("reason") if len(shops) == 1 else None
        why = f": {said.strip()[:60]}" if isinstance(said, str) and said.strip() else ""
        return f"refunded in WooCommerce ({_named(shops)} made in the shop{why})"
    left = _left_to_refund(payload, refunds) if refunds else None
    if left is not None:
        total = decimal_of(payload.get("total")) or Decimal(0)
        return f"refunded in WooCommerce (Ordo's refunds come to {total - left:.2f} of {total:.2f})"
    return "refunded in WooCommerce"


def _named(refunds: Sequence[Mapping[str, Any]], shown: int = 5) -> str:
    """`refund 801`, `refunds 801, 805`: a reason names a few, and says how many more."""
    ids = ", ".join(str(held.get("id"))[:20] for held in refunds[:shown])
    more = f" and {len(refunds) - shown} more" if len(refunds) > shown else ""
    return f"refund{'s' if len(refunds) > 1 else ''} {ids}{more}"


def _line_refund(item: Mapping[str, Any], line: str, units: int, where: str) -> dict[str, Any]:
    """The refund of `units` of a line item: its `total` and each of its `taxes` shared per
    unit, to the cent. A line item without a total or a quantity is refused for good: there
    is no telling what the units cost."""
    quantity, total = item.get("quantity"), decimal_of(item.get("total"))
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or total is None:
        raise PermanentRefusal(
            f"{where} gives line item {line} no total and quantity, so what its {units} "
            "cancelled units cost cannot be worked out: refund them in WooCommerce"
        )
    taxes = [
        {"id": tax["id"],
         "refund_total": f"{(amount * units / quantity).quantize(_CENT, decimal.ROUND_HALF_UP)}"}
        for tax in _list(item.get("taxes"))
        if isinstance(tax, Mapping) and isinstance(tax.get("id"), int)
        and (amount := decimal_of(tax.get("total"))) is not None
    ]  # fmt: skip
    share = (total * units / quantity).quantize(_CENT, decimal.ROUND_HALF_UP)
    return {"id": int(line), "quantity": units, "refund_total": f"{share}", "refund_tax": taxes}


def _refunded_item(item: Mapping[str, Any]) -> Any:
    """The id of the order's line item a refund's line item refunds: its meta
    `_refunded_item_id` (a text, as WooCommerce keeps meta), or None when it names none."""
    for meta in _list(item.get("meta_data")):
        if isinstance(meta, Mapping) and meta.get("key") == _REFUNDED_ITEM:
            return meta.get("value")
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _code_of(answer: httpx.Response) -> str | None:
    """The `code` of WooCommerce's error answer, or None when it gives none."""
    try:
        said = answer.json()
    except ValueError:
        return None
    code = said.get("code") if isinstance(said, Mapping) else None
    return code if isinstance(code, str) else None


def spread(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`amount` shared out over `weights` to the cent, the last taking what rounding left, so
    that the shares add up to it exactly (WooCommerce refuses a refund whose lines come to more
    than its amount).

    >>> spread(Decimal("10.00"), [Decimal("1"), Decimal("1"), Decimal("1")])
    [Decimal('3.33'), Decimal('3.33'), Decimal('3.34')]
    """
    total = sum(weights, Decimal(0))
    if total <= 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    shares = [
        (amount * weight / total).quantize(_CENT, rounding=decimal.ROUND_DOWN)
        for weight in weights[:-1]
    ]
    return [*shares, amount - sum(shares, Decimal(0))]


class _Mapping(PayloadMapping):
    """One WooCommerce order's translation."""

    def __init__(self, config: WooCommerceConfig) -> None:
        super().__init__(config)
        self.config = config

    def order(self, payload: Mapping[str, Any]) -> None:
        order_id = self.required(payload, (), "id")
        if order_id is not None:
            self.put(("channel_order_id",), identifier(order_id), ("id",))
        self.status(payload)
        self.customer(payload, order_id)
        billing = self.mapping_at(payload, "billing", ())
        email = (billing or {}).get("email")
        if email not in (None, ""):
            self.put(("email",), email, ("billing", "email"))
        currency = self.required(payload, (), "currency")
        if currency is not None:
            self.put(("currency",), currency, ("currency",))
        self.ship_to(payload)
        self.lines(payload)
        self.service_level(payload)

    def status(self, payload: Mapping[str, Any]) -> None:
        status = self.required(payload, (), "status")
        if status is None or status in self.config.statuses:
            return
        if not isinstance(status, str):
            self.fail(("status",), f"must be text, got {type(status).__name__}", "string_type")
            return
        why = _NOT_TAKEN.get(
            status,
            "the connector's statuses do not name it (add it there if orders in it are to "
            "be shipped)",
        )
        self.fail(
            ("status",),
            f"is {status[:40]!r}: Ordo takes an order that is "
            f"{' or '.join(self.config.statuses)}, and {why}",
            "order_status_not_taken",
        )

    def customer(self, payload: Mapping[str, Any], order_id: Any) -> None:
        customer_id = payload.get("customer_id")
        if customer_id is None:
            self.fail(("customer_id",), "is required but missing", "missing")
        elif customer_id in (0, "0") and not isinstance(customer_id, bool):
            # A guest has no id in WooCommerce. One id per order: guests are never grouped
            # under one customer, whose key or personal-data export would then span them all.
            if order_id is not None:
                self.put(("customer_id",), f"guest-{identifier(order_id)}", ("customer_id",))
        else:
            self.put(("customer_id",), identifier(customer_id), ("customer_id",))

    def ship_to(self, payload: Mapping[str, Any]) -> None:
        address = payload.get("shipping")
        if address is not None and not isinstance(address, Mapping):
            self.fail(("shipping",), f"must be an object, got {type(address).__name__}")
            return
        keys = ("address_1", "city", "postcode", "country")
        if address is None or all(address.get(key) in (None, "") for key in keys):
            self.fail(
                ("shipping",),
                "has no address: WooCommerce leaves it empty when nothing is shipped (virtual "
                "or downloadable products, local pickup, or shipping switched off), so Ordo "
                "has nothing to ship",
                "missing",
            )
            return
        where: Loc = ("shipping",)
        self.put(("ship_to",), {}, where)
        for key, field in (("postcode", "postal_code"), ("country", "country")):
            value = self.required(address, where, key)
            if value is not None:
                self.put(("ship_to", field), value, (*where, key))
        line1, line2 = address.get("address_1"), address.get("address_2")
        if isinstance(line1, str) and isinstance(line2, str) and line2.strip():
            line1 = f"{line1}, {line2}"
        for key, field, value in (("address_1", "line1", line1),
                                  ("city", "city", address.get("city")),
                                  ("state", "state", address.get("state"))):  # fmt: skip
            self.put(("ship_to", field), "" if value is None else value, (*where, key))
        self.name(address, where)

    def name(self, address: Mapping[str, Any], where: Loc) -> None:
        """`first_name last_name`, then `, company`: a label's addressee, its firm after it."""
        parts = {
            key: address[key].strip()
            for key in ("first_name", "last_name", "company")
            if isinstance(address.get(key), str) and address[key].strip()
        }
        person = " ".join(parts[key] for key in ("first_name", "last_name") if key in parts)
        name = ", ".join(part for part in (person, parts.get("company", "")) if part)
        source = next(iter(parts), "first_name")
        self.put(("ship_to", "name"), name, (*where, source))

    def lines(self, payload: Mapping[str, Any]) -> None:
        items = payload.get("line_items")
        if not isinstance(items, list):
            message = "is required but missing" if items is None else "must be a list of lines"
            self.fail(("line_items",), message, "missing" if items is None else "list_type")
            return
        if not items:
            self.fail(("line_items",), "has no line", "too_short")
            return
        self.put(("lines",), [], ("line_items",))
        for index, item in enumerate(items):
            where: Loc = ("line_items", index)
            if not isinstance(item, Mapping):
                self.fail(where, f"must be an object, got {type(item).__name__}")
                continue
            why = self.config.virtual(item)
            if why is not None:
                self.leave_out(item, where, why)
                continue
            self.line(item, where)
        if len(self.left_out) == len(items):
            self.fail(
                ("line_items",),
                "has only virtual products' lines (the connector's virtual_skus and "
                "virtual_product_ids): nothing for Ordo to ship",
                "nothing_to_ship",
            )

    def line(self, item: Mapping[str, Any], where: Loc) -> None:
        sku = item.get("sku")
        if sku is None or (isinstance(sku, str) and not sku.strip()):
            self.fail(
                (*where, "sku"),
                "missing: the product has no SKU in WooCommerce (or was deleted); give it one "
                "there (the product's Inventory tab): Ordo keeps stock by SKU",
                "missing_sku",
            )
            return
        quantity = self.required(item, where, "quantity")
        if quantity is None:
            return
        index = len(self.body["lines"])
        self.body["lines"].append({})
        self.sources[("lines", index)] = where
        line: Loc = ("lines", index)
        self.put((*line, "sku"), sku, (*where, "sku"))
        self.put((*line, "quantity"), quantity, (*where, "quantity"))
        if item.get("price") is not None:
            self.put((*line, "price"), _price(item["price"]), (*where, "price"))
        if item.get("id") is not None:
            self.put((*line, "line_id"), identifier(item["id"]), (*where, "id"))

    def service_level(self, payload: Mapping[str, Any]) -> None:
        first = self.first_shipping_line(payload)
        if first is None:
            return
        named = _rate_names(first)
        said = ", ".join(f"'{name}'" for _, name in named) or "none named"
        fault = ("shipping_lines", 0, named[-1][0]) if named else ("shipping_lines",)
        self.service_level_of(self.config, SERVICE_LEVELS, named, said, fault)


def _slugs(statuses: list[str]) -> list[str]:
    for status in statuses:
        if not re.fullmatch(_STATUS_PATTERN, status) or status.startswith("wc-"):
            raise ValueError(
                f"{status[:40]!r} is not a WooCommerce order status: write its slug as the "
                "REST API does, such as processing or on-hold (without wc-)"
            )
    return statuses


def _rate_names(line: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A shipping line's names, most particular first, each with the field it comes from:
    the rate (`flat_rate:3`: WooCommerce's method and the shop's instance of it), its title,
    then the method, which every flat rate of a shop shares."""
    text = {
        key: line[key]
        for key in ("method_id", "instance_id", "method_title")
        if isinstance(line.get(key), str) and line[key].strip()
    }
    named: list[tuple[str, str]] = []
    if "method_id" in text and text.get("instance_id", "0") != "0":
        named.append(("method_id", f"{text['method_id']}:{text['instance_id']}"))
    if "method_title" in text:
        named.append(("method_title", text["method_title"]))
    if "method_id" in text:
        named.append(("method_id", text["method_id"]))
    return named


def _price(value: Any) -> Any:
    """WooCommerce's `price` is a JSON number, the line total divided by the quantity, so it
    may run to many places (26.666666666666668): to the cent, as a decimal text. Anything
    else is passed on unchanged, so that the API's order model refuses it in its own words."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value
    try:
        return str(Decimal(repr(value)).quantize(_CENT, rounding=decimal.ROUND_HALF_UP))
    except decimal.InvalidOperation:  # past Decimal's precision (1e300)
        return value
