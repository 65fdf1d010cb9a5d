"""Shopify: an `orders/create` webhook (the Admin REST Order resource) as an Ordo order.

Shopify signs each delivery's raw body with HMAC-SHA256 under the webhook's shared secret and
sends the base64 digest in `X-Shopify-Hmac-Sha256`. It names the delivery in
`X-Shopify-Webhook-Id`, which every retry repeats. What is mapped from what:

| Ordo order          | Shopify order                                                    |
|---------------------|------------------------------------------------------------------|
| channel             | the connector's `channel` setting                                |
| channel_order_id    | `id` (not `name`, `#1001`, which a shop may renumber)            |
| customer_id         | `customer.id`                                                    |
| email               | `email`, else `customer.email`                                   |
| currency            | `currency`                                                       |
| ship_to             | `shipping_address`: `zip`, `country_code`, `address1` (and       |
|                     | `address2`), `city`, `province_code`, `name`                     |
| lines               | `line_items` that require shipping: `sku` (or `variant_id`, see  |
|                     | `missing_sku`), `quantity`, `price`, `id` as the line id         |
| service_level       | `shipping_lines[0]`: its `code`, else its `title`, through       |
|                     | `service_levels` and then `SERVICE_LEVELS`                       |

Lines that do not require shipping (gift cards, digital goods) are left out, and the answer
lists them: Ordo has nothing to fulfil for them. An order of such lines alone is answered 200
and left alone. `price` is Shopify's unit price before discounts.

What a delivery is comes in `X-Shopify-Topic`: `orders/create` carries a new order,
`orders/cancelled` the order the shop cancelled (its `id` and `cancel_reason`), which Ordo
cancels, and `refunds/create` a refund, whose units the shop cancelled Ordo takes off its
order. Any other topic is refused naming the header. A delivery without the header (an
integrator posting with a key) is taken as `orders/create`.

Which of Shopify's deliveries tell of cancelled units, from what Shopify sends:
- `refunds/create` posts the Refund resource itself (Admin REST `Refund`: `id`, `order_id`,
  `note`, `refund_line_items[]` with `line_item_id`, `quantity` and `restock_type`). Shopify's
  `RefundLineItemRestockType` says `cancel` is "the refund line item was canceled. Use this
  when restocking unfulfilled line items"; `return` is for fulfilled items coming back, and
  `no_restock` refunds the money only, fulfilled or not (Ordo's own refund of a return sends
  `no_restock`: `refund_in_shop`). So only `cancel` lines are units that must not ship, and
  they are taken; a refund with none is answered 200 and left alone.
- An order edit that removes items or lowers a quantity is kept, in the REST order, as refund
  line items too: Shopify's changelog for `LineItem.current_quantity` (REST 2024-01) tells
  those who computed "a line item's current quantity after removals" from refund line items
  to read the new field instead. So the removal of an edit that restocks reaches Ordo as a
  `cancel` refund line.
- `orders/edited` (`{"order_edit": {"id", "order_id", "line_items": {"additions": [{"id",
  "delta"}], "removals": [{"id", "delta"}]}, ...}}`) reports the same removals as deltas.
  Taking it too would cancel each removed unit twice, so it is not taken (a 422 naming the
  topic, as for any other): a shop subscribes `refunds/create` instead.
A refund's `id` is unique in the shop, so the same refund delivered again under another
webhook id is recognised (`UnitCancellation.change`) and changes nothing.

Given the shop's address (`shop_url`) and an Admin API access token (`access_token`, sent as
`X-Shopify-Access-Token`), the connector also cancels in Shopify an order cancelled in Ordo:
`POST /admin/api/{api_version}/orders/{id}/cancel.json` with `{"reason": "other", "email":
false}`. Shopify answers 200, or 422 for an order it will not cancel: one cancelled already
(asked again, `GET .../orders/{id}.json` shows its `cancelled_at`) is done, any other (a
fulfilled order) is refused for good, with Shopify's words.

With the same credentials it refunds in Shopify a return refunded in Ordo, the money only
(Ordo's return put the units back in stock where it received them): it reads the order (`GET
.../orders/{id}.json`: its currency, line items and refunds), and unless a refund's `note`
carries the return's RMA already (done), asks Shopify which payment to refund (`POST
.../orders/{id}/refunds/calculate.json`) and refunds it (`POST .../orders/{id}/refunds.json`):
`transactions` of kind `refund`, each on a payment the calculation suggests (its `parent_id`
and `gateway`), up to what it still holds (`maximum_refundable`), for the return's amount in
the order's currency; `note` "Ordo return <RMA>"; `notify` false (Ordo's own e-mail tells the
customer). The returned lines go as `refund_line_items` with `restock_type` `no_restock`,
so the shop's order shows which lines came back, when each is a line of the shop's order
(whole kits returned of a kit's parts come as so many of the kit's line); otherwise the
refund is of the money alone. A refund larger than what the payments still hold
is refused for good, naming both amounts, as is one Shopify refuses with a 4xx.

With the same credentials it cancels in Shopify units Ordo cancelled (`cancel_units_in_shop`:
a line lowered or removed, part of the backordered remainder): it reads the order as for a
refund, and unless a refund's `note` is Ordo's for that change already (done), asks Shopify to
calculate a refund of those units as `refund_line_items` with `restock_type` `cancel` (the
Refund resource's restock type for units not yet fulfilled, which Shopify counts as cancelled)
and refunds them (`refunds.json`): the calculation's suggested transactions as `refund`
transactions for their suggested amounts (what Shopify worked out the units cost, with their
discounts and taxes), `note` "Ordo cancelled units of order <id> (event <id>)", `notify`
false. A line Shopify's order has not got, or a refund it will not make (422: more units than
are left to cancel, a gateway that cannot refund), is refused for good. That refund comes back
as a `refunds/create` delivery with `cancel` lines; its note says it is Ordo's, so it is
answered 200 and left alone, not taken off Ordo's order a second time. What Ordo's refunds
cancelled is read back the same way (`units_refunded_by_ordo`: the order's `refunds`, each
one's `refund_line_items` by the change its note names), so that the worker counts a kit told
just before a crash as told.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

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
    from_ordo,
    identifier,
    order_id_at,
    shop_items,
    shop_lines,
    shop_order_id,
    signature_matches,
    units_at,
    units_by_change,
)

# Shopify's own rate names and the words carriers use, normalised by `normalised_method`. A
# shop's own rates ("Free over $50", "FEDEX_2_DAY") go in the connector's `service_levels`.
SERVICE_LEVELS: dict[str, str] = {
    "standard": "standard",
    "standard shipping": "standard",
    "economy": "standard",
    "ground": "standard",
    "free shipping": "standard",
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

# The header Shopify names a delivery's topic in, and the topics this URL takes.
TOPIC_HEADER = "X-Shopify-Topic"
_CREATE, _CANCELLED, _REFUND = "orders/create", "orders/cancelled", "refunds/create"
# The restock type of a refund line whose units were cancelled before they were fulfilled.
_CANCELLED_UNITS = "cancel"
_NOTHING_CANCELLED = (
    "the refund cancels no unit (no refund line's restock_type is cancel): money back, or "
    "items returned after fulfilment, which Ordo's returns handle"
)
_ORDOS_OWN = (
    "the refund is Ordo's own, of units Ordo cancelled (its note says so): they are off "
    "Ordo's order already"
)
_NO_SHIPPING = "requires_shipping is false (a gift card or a digital good): nothing to ship"
_SHIPS_NOTHING = (
    "no line requires shipping (gift cards or digital goods only): Ordo has nothing to ship"
)
# The Admin API version asked for by default; Shopify answers a retired one with its oldest
# supported version.
API_VERSION = "2026-10"
_API_VERSION = re.compile(r"\d{4}-(01|04|07|10)")
# What Ordo's cancellation tells Shopify: no reason of the shop's own applies, and Ordo's
# customer notifications (not Shopify's e-mail) tell the customer.
CANCEL_BODY = {"reason": "other", "email": False}
# Shopify's answer to a cancellation it will not make (cancelled already, fulfilled).
_UNPROCESSABLE = 422
# What of the order a refund needs: its currency, its lines' ids, and the refunds it holds.
_REFUND_FIELDS = "id,currency,line_items,refunds"
# What of the order tells the units Ordo's refunds cancelled: its refunds, with their lines.
_REFUNDED_FIELDS = "id,refunds"


class ShopifyConfig(ServiceLevelsConfig):
    missing_sku: Literal["refuse", "variant_id"] = Field(
        default="refuse",
        description="A line whose variant has no SKU: refused (422 naming the line), or filed "
        "under the variant id as its SKU.",
    )
    shop_url: str | None = Field(
        default=None,
        description="The shop's address, https://<shop>.myshopify.com: with access_token, an "
        "order cancelled in Ordo is cancelled in Shopify too (docs/channels.md).",
    )
    access_token: SecretStr | None = Field(
        default=None,
        description="An Admin API access token of the shop's custom app with the write_orders "
        "scope, sent as X-Shopify-Access-Token.",
    )
    api_version: str = Field(
        default=API_VERSION, description="The Admin API version asked for, such as 2026-10."
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long a call to Shopify may take."
    )

    @field_validator("shop_url")
    @classmethod
    def _shop_url(cls, url: str | None) -> str | None:
        return None if url is None else check_base_url(url)

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, version: str) -> str:
        if not _API_VERSION.fullmatch(version):
            raise ValueError(
                "must be a Shopify API version, a year and a quarter's month such as "
                f"{API_VERSION}; got {version[:20]!r}"
            )
        return version

    @model_validator(mode="after")
    def _outbound(self) -> ShopifyConfig:
        # The field in front: the start-up error names it (connectors.base).
        if self.access_token is not None and self.shop_url is None:
            raise ValueError(
                "shop_url: is required with access_token: the shop's address, "
                "https://<shop>.myshopify.com"
            )
        if self.shop_url is not None and self.access_token is None:
            raise ValueError(
                "access_token: is required with shop_url: an Admin API access token with the "
                "write_orders scope"
            )
        return self


class ShopifyChannel(ShopApiChannel):
    slug = "shopify"
    title = "Shopify (orders/create, orders/cancelled and refunds/create webhooks)"
    Config = ShopifyConfig
    config: ShopifyConfig
    signature_header = "X-Shopify-Hmac-Sha256"
    delivery_header = "X-Shopify-Webhook-Id"
    shop_name = "Shopify"

    def verify(self, body: bytes, signature_sent: str) -> bool:
        expected = base64_signature(body, self.config.secret.get_secret_value())
        return signature_matches(expected, signature_sent)

    def cancellation(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> Cancellation | None:
        if headers.get(TOPIC_HEADER) != _CANCELLED:
            return None
        why = payload.get("cancel_reason")  # customer, fraud, inventory, declined, staff, other
        said = f" ({why.strip()[:40]})" if isinstance(why, str) and why.strip() else ""
        return cancellation_of(payload, f"cancelled in Shopify{said}")

    def unit_cancellation(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> UnitCancellation | None:
        if headers.get(TOPIC_HEADER) != _REFUND or from_ordo(payload.get("note")):
            return None
        items = payload.get("refund_line_items")
        if items is None:
            return None  # a refund of shipping, or of an amount alone
        units = units_at(items, ("refund_line_items",), "line_item_id", "quantity", _cancels)
        if not any(units.values()):
            return None
        refund, note = payload.get("id"), payload.get("note")
        said = f": {note.strip()[:60]}" if isinstance(note, str) and note.strip() else ""
        named = isinstance(refund, int | str) and not isinstance(refund, bool) and refund != ""
        return UnitCancellation(
            order_id_at(payload, "order_id"),
            f"cancelled in Shopify (refund {refund}{said})" if named
            else f"cancelled in Shopify (a refund{said})",
            cancelled={line: count for line, count in units.items() if count > 0},
            change=f"shopify refund {refund}" if named else "",
        )  # fmt: skip

    def passed_over(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        topic = headers.get(TOPIC_HEADER)
        if topic == _REFUND:
            # One that cancels units was taken before this, unless Ordo made it.
            return _ORDOS_OWN if from_ordo(payload.get("note")) else _NOTHING_CANCELLED
        if topic is not None and topic not in (_CREATE, _CANCELLED):
            raise WrongTopic(
                TOPIC_HEADER,
                f"is {topic[:60]!r}: this URL takes Shopify's orders/create (new orders), "
                "orders/cancelled (cancellations) and refunds/create (units cancelled by a "
                "refund or an order edit), and a delivery of that topic is none of them. "
                "Subscribe those topics to this URL, and point this one elsewhere",
            )
        if every_line_left_out(payload, _needs_no_shipping):
            return _SHIPS_NOTHING
        return None

    def to_order(self, payload: Mapping[str, Any]) -> ChannelOrder:
        return _Mapping.translate(self.config, payload)

    @property
    def holds_shop_credentials(self) -> bool:
        return self.config.access_token is not None

    def cancel_in_shop(self, channel_order_id: str) -> str:
        if not self.tells_cancellations:
            return super().cancel_in_shop(channel_order_id)  # refused: no credentials
        order_id = shop_order_id(channel_order_id, self.shop_name)
        what = f"the cancellation of order {order_id}"
        answer = self.shop_request("POST", self._url(f"orders/{order_id}/cancel.json"), what,
                                   self.shop_headers(), CANCEL_BODY)  # fmt: skip
        if answer.is_success:
            return CANCELLED_IN_SHOP
        if answer.status_code == _UNPROCESSABLE and self._cancelled(order_id):
            return ALREADY_CANCELLED
        raise self.refusal(answer, what)

    def _cancelled(self, order_id: str) -> bool:
        """Whether Shopify has the order cancelled (its `cancelled_at` is set): what a 422
        to a cancellation means when it is no refusal, in words Shopify does not promise."""
        url = self._url(f"orders/{order_id}.json?fields=id,cancelled_at")
        what = f"the look-up of order {order_id}"
        answer = self.shop_request("GET", url, what, self.shop_headers())
        if not answer.is_success:
            refused = self.refusal(answer, what)
            if not isinstance(refused, PermanentRefusal):
                raise refused  # asked again later, when Shopify answers
            return False
        try:
            order = answer.json().get("order")
        except (ValueError, AttributeError):
            order = None
        return isinstance(order, Mapping) and bool(order.get("cancelled_at"))

    def refund_in_shop(self, channel_order_id: str, refund: ShopRefund) -> str:
        if not self.tells_refunds:
            return super().refund_in_shop(channel_order_id, refund)  # refused: no credentials
        order_id = shop_order_id(channel_order_id, self.shop_name, f"refund return {refund.rma}")
        read = self._order_to_refund(order_id, refund.marks, refund.currency,
                                     f"Ordo refunded return {refund.rma}")  # fmt: skip
        if read is None:
            return ALREADY_REFUNDED  # asked before, and the answer was lost
        order, where = read
        lines = [
            {"line_item_id": int(line.line_id), "quantity": line.quantity,
             "restock_type": "no_restock"}
            for line in shop_lines(refund, order.get("line_items"))
        ]  # fmt: skip
        calculated = self.shop_call(
            "POST", self._url(f"orders/{order_id}/refunds/calculate.json"),
            f"the calculation of a refund of order {order_id}",
            {"refund": {"currency": refund.currency, "refund_line_items": lines}},
        )  # fmt: skip
        transactions = _transactions(_suggested(calculated), refund, where)
        body = {"refund": {"currency": refund.currency, "notify": False, "note": refund.note,
                           "refund_line_items": lines, "transactions": transactions}}  # fmt: skip
        self.shop_call("POST", self._url(f"orders/{order_id}/refunds.json"),
                       f"the refund of return {refund.rma} on order {order_id}", body)  # fmt: skip
        return REFUNDED_IN_SHOP

    def cancel_units_in_shop(self, channel_order_id: str, cancelled: CancelledUnits) -> str:
        if not self.tells_refunds:
            return super().cancel_units_in_shop(channel_order_id, cancelled)  # no credentials
        order_id = shop_order_id(channel_order_id, self.shop_name,
                                 f"cancel units of order {cancelled.order_id}")  # fmt: skip
        read = self._order_to_refund(order_id, cancelled.marks, cancelled.currency,
                                     f"Ordo's order {cancelled.order_id} is")  # fmt: skip
        if read is None:
            return ALREADY_CANCELLED  # asked before, and the answer was lost
        order, where = read
        shop_items(cancelled, order.get("line_items"), where)
        lines = [
            {"line_item_id": int(line), "quantity": units, "restock_type": _CANCELLED_UNITS}
            for line, units in cancelled.units.items()
        ]
        calculated = self.shop_call(
            "POST", self._url(f"orders/{order_id}/refunds/calculate.json"),
            f"the calculation of a refund of order {order_id}",
            {"refund": {"currency": cancelled.currency, "refund_line_items": lines}},
        )  # fmt: skip
        # What Shopify suggests is what the units cost, discounts and taxes counted: each
        # payment is refunded that much (none, for an order nobody paid for).
        transactions = [
            {"parent_id": suggested["parent_id"], "amount": f"{amount:.2f}", "kind": "refund",
             "gateway": suggested.get("gateway", "")}
            for suggested in _suggested(calculated)
            if (amount := decimal_of(suggested.get("amount")) or Decimal(0)) > 0
        ]  # fmt: skip
        body = {"refund": {"currency": cancelled.currency, "notify": False,
                           "note": cancelled.note, "refund_line_items": lines,
                           "transactions": transactions}}  # fmt: skip
        self.shop_call("POST", self._url(f"orders/{order_id}/refunds.json"),
                       f"the refund of units Ordo cancelled on order {order_id}", body)  # fmt: skip
        return CANCELLED_IN_SHOP

    def units_refunded_by_ordo(
        self, channel_order_id: str, order_id: str
    ) -> dict[str, dict[str, int]]:
        if not self.tells_refunds:
            return super().units_refunded_by_ordo(channel_order_id, order_id)  # no credentials
        shop_id = shop_order_id(channel_order_id, self.shop_name,
                                f"read the units of order {order_id} Ordo cancelled")  # fmt: skip
        url = self._url(f"orders/{shop_id}.json?fields={_REFUNDED_FIELDS}")
        order = _order_of(self.shop_call("GET", url, f"the look-up of order {shop_id}"))
        # Each refund's `refund_line_items` names the line item and the units it refunded.
        return units_by_change(order_id, (
            (held.get("note"), [(item.get("line_item_id"), item.get("quantity"))
                                for item in _mappings(held.get("refund_line_items"))])
            for held in _mappings(order.get("refunds"))
        ))  # fmt: skip

    def _order_to_refund(
        self, order_id: str, marks: Callable[[object], bool], currency: str, ordo: str
    ) -> tuple[Mapping[str, Any], str] | None:
        """Shopify's order `order_id` (its currency, line items and refunds) and how to name
        it, for a refund in `currency`; None when one of its refunds `marks` shows Ordo's
        (asked before, the answer lost). An order in another currency is refused for good,
        saying what `ordo` did in which."""
        url = self._url(f"orders/{order_id}.json?fields={_REFUND_FIELDS}")
        order = _order_of(self.shop_call("GET", url, f"the look-up of order {order_id}"))
        refunds = order.get("refunds")
        if isinstance(refunds, list) and any(
            isinstance(held, Mapping) and marks(held.get("note")) for held in refunds
        ):
            return None
        where = f"{self.shop_name} {host_of(str(self.config.shop_url))} order {order_id}"
        held_in = order.get("currency")
        if isinstance(held_in, str) and held_in and held_in != currency:
            raise PermanentRefusal(f"{where} is in {held_in}, but {ordo} in {currency}")
        return order, where

    def _url(self, path: str) -> str:
        return f"{self.config.shop_url}/admin/api/{self.config.api_version}/{path}"

    def shop_headers(self) -> dict[str, str]:
        token = self.config.access_token
        assert token is not None  # asked only when `holds_shop_credentials`
        return {"X-Shopify-Access-Token": token.get_secret_value(), "Accept": "application/json"}

    def hidden(self) -> list[str]:
        token = self.config.access_token
        return [token.get_secret_value()] if token is not None else []


def _order_of(answer: Any) -> Mapping[str, Any]:
    """The `order` of Shopify's answer ({} when it gives none)."""
    order = answer.get("order") if isinstance(answer, Mapping) else None
    return order if isinstance(order, Mapping) else {}


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a JSON list (none when it is no list)."""
    return [held for held in value if isinstance(held, Mapping)] if isinstance(value, list) else []


def _suggested(answer: Any) -> list[Mapping[str, Any]]:
    """The payments a calculated refund suggests refunding (`transactions` of kind
    `suggested_refund`, each with the `parent_id` of a sale or capture)."""
    refund = answer.get("refund") if isinstance(answer, Mapping) else None
    found = refund.get("transactions") if isinstance(refund, Mapping) else None
    return [
        transaction
        for transaction in (found if isinstance(found, list) else [])
        if isinstance(transaction, Mapping) and transaction.get("parent_id") is not None
    ]


def _transactions(
    suggested: list[Mapping[str, Any]], refund: ShopRefund, where: str
) -> list[dict[str, Any]]:
    """The refund's amount spread over the suggested payments in Shopify's order, each up to
    what it still holds: the `refund` transactions to send. `PermanentRefusal` naming both
    amounts when they hold less than the amount."""
    held = [(t, decimal_of(t.get("maximum_refundable")) or Decimal("0")) for t in suggested]
    refused = refund.refusal_if_over(sum((most for _, most in held), Decimal("0")), where)
    if refused is not None:
        raise refused
    transactions, owed = [], refund.amount
    for transaction, most in held:
        if owed <= 0:
            break
        part = min(owed, most)
        if part > 0:
            gateway = transaction.get("gateway", "")
            transactions.append({"parent_id": transaction["parent_id"], "amount": f"{part:.2f}",
                                 "kind": "refund", "gateway": gateway})  # fmt: skip
            owed -= part
    return transactions


def _cancels(item: Mapping[str, Any]) -> bool:
    """Whether a refund line cancels its units (unfulfilled, put back in stock)."""
    return item.get("restock_type") == _CANCELLED_UNITS


def _needs_no_shipping(item: Mapping[str, Any]) -> str | None:
    return _NO_SHIPPING if item.get("requires_shipping") is False else None


class _Mapping(PayloadMapping):
    """One Shopify order's translation."""

    def __init__(self, config: ShopifyConfig) -> None:
        super().__init__(config)
        self.config = config

    def order(self, payload: Mapping[str, Any]) -> None:
        order_id = self.required(payload, (), "id")
        if order_id is not None:
            self.put(("channel_order_id",), identifier(order_id), ("id",))
        customer = self.mapping_at(payload, "customer", ())
        if payload.get("customer") is None:
            self.fail(("customer",), "is required but missing", "missing")
        elif customer is not None:
            customer_id = self.required(customer, ("customer",), "id")
            if customer_id is not None:
                self.put(("customer_id",), identifier(customer_id), ("customer", "id"))
        self.email(payload, customer)
        currency = self.required(payload, (), "currency")
        if currency is not None:
            self.put(("currency",), currency, ("currency",))
        self.ship_to(payload)
        self.lines(payload)
        self.service_level(payload)

    def email(self, payload: Mapping[str, Any], customer: Mapping[str, Any] | None) -> None:
        # A guest's address is on the order; an account's may be only on its customer.
        for loc, value in ((("email",), payload.get("email")),
                           (("customer", "email"), (customer or {}).get("email"))):  # fmt: skip
            if value not in (None, ""):
                self.put(("email",), value, loc)
                return

    def ship_to(self, payload: Mapping[str, Any]) -> None:
        address = self.mapping_at(payload, "shipping_address", ())
        if address is None:
            if "shipping_address" not in payload or payload["shipping_address"] is None:
                self.fail(
                    ("shipping_address",),
                    "is required but missing: an order without one (picked up in store, or "
                    "digital only) has nothing for Ordo to ship",
                    "missing",
                )
            return
        where: Loc = ("shipping_address",)
        self.put(("ship_to",), {}, where)
        for key, field in (("zip", "postal_code"), ("country_code", "country")):
            value = self.required(address, where, key)
            if value is not None:
                self.put(("ship_to", field), value, (*where, key))
        line1, line2 = address.get("address1"), address.get("address2")
        if isinstance(line1, str) and isinstance(line2, str) and line2.strip():
            line1 = f"{line1}, {line2}"
        for key, field, value in (("address1", "line1", line1),
                                  ("city", "city", address.get("city")),
                                  ("province_code", "state", address.get("province_code")),
                                  ("name", "name", address.get("name"))):  # fmt: skip
            self.put(("ship_to", field), "" if value is None else value, (*where, key))

    def lines(self, payload: Mapping[str, Any]) -> None:
        items = payload.get("line_items")
        if not isinstance(items, list):
            message = "is required but missing" if items is None else "must be a list of lines"
            self.fail(("line_items",), message, "missing" if items is None else "list_type")
            return
        self.put(("lines",), [], ("line_items",))
        for index, item in enumerate(items):
            where: Loc = ("line_items", index)
            if not isinstance(item, Mapping):
                self.fail(where, f"must be an object, got {type(item).__name__}")
                continue
            why = _needs_no_shipping(item)
            if why is not None:
                self.leave_out(item, where, why)
                continue
            self.line(item, where)
        if not items:
            self.fail(("line_items",), "has no line", "too_short")
        elif len(self.left_out) == len(items):
            self.fail(("line_items",), _SHIPS_NOTHING, "nothing_to_ship")

    def line(self, item: Mapping[str, Any], where: Loc) -> None:
        sku, sku_from = item.get("sku"), (*where, "sku")
        if sku is None or (isinstance(sku, str) and not sku.strip()):
            if self.config.missing_sku == "refuse":
                self.fail(
                    sku_from,
                    "missing: the variant has no SKU in Shopify; give it one there, or set the "
                    "connector's missing_sku to variant_id to file such lines under the "
                    "variant id",
                    "missing_sku",
                )
                return
            sku_from = (*where, "variant_id")
            sku = self.required(item, where, "variant_id")
            if sku is None:
                return
            sku = identifier(sku)
        quantity = self.required(item, where, "quantity")
        if quantity is None:
            return
        index = len(self.body["lines"])
        self.body["lines"].append({})
        self.sources[("lines", index)] = where
        line: Loc = ("lines", index)
        self.put((*line, "sku"), sku, sku_from)
        self.put((*line, "quantity"), quantity, (*where, "quantity"))
        if item.get("price") is not None:
            self.put((*line, "price"), item["price"], (*where, "price"))
        if item.get("id") is not None:
            self.put((*line, "line_id"), identifier(item["id"]), (*where, "id"))

    def service_level(self, payload: Mapping[str, Any]) -> None:
        first = self.first_shipping_line(payload)
        if first is None:
            return
        named = [
            (key, first[key])
            for key in ("code", "title")
            if isinstance(first.get(key), str) and first[key].strip()
        ]
        said = " or ".join(f"{key} '{name}'" for key, name in named) or "no code or title"
        fault = ("shipping_lines", 0, named[0][0]) if named else ("shipping_lines",)
        self.service_level_of(self.config, SERVICE_LEVELS, named, said, fault)
