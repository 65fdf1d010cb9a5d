"""What every sales channel that pushes its orders to Ordo by webhook shares.

A storefront such as Shopify cannot send Ordo's API key. It signs each delivery's raw body with
a secret both sides hold, and names the delivery in a header its retries repeat. A
`WebhookChannel` knows those two headers, checks the signature, and translates the channel's
order into the body `POST /v1/orders` takes. The API validates that body with its own order
model and ingests it as if it had been posted there, so a webhook order gets exactly the checks
(quantities, prices, postal codes, email, currency, lengths) that any other order gets. The
connector only maps fields. It may not import the API, so it hands over plain data.

A payload the connector cannot map raises `PayloadError`, which names each field by its place
in the channel's payload (`$.line_items[2].sku`). `ChannelOrder.sources` records which payload
field each field of the Ordo body came from. When the API's model refuses a value, the error
names the channel's field too (`$.shipping_address.zip`, not `$.ship_to.postal_code`).

A delivery may say instead that the shop cancelled an order (`WebhookChannel.cancellation`):
the connector names the order by the channel's id, and the API cancels the order it filed
under that id. Or that it cancelled some units of one (`WebhookChannel.unit_cancellation`):
the connector names the order and its lines by the shop's ids, and the service layer
(`engine.service_layer.channel_unit_cancellations`) takes those units off Ordo's order.

The other way round, a connector given the shop's API credentials cancels in the shop an
order cancelled in Ordo (`WebhookChannel.cancel_in_shop`, called by the worker:
`engine.service_layer.shop_cancellations`), refunds in the shop a return Ordo refunded
(`WebhookChannel.refund_in_shop`: `engine.service_layer.shop_refunds`), and cancels and
refunds there units Ordo cancelled (`WebhookChannel.cancel_units_in_shop`:
`engine.service_layer.shop_unit_cancellations`), whose refunds it reads back by change
(`WebhookChannel.units_refunded_by_ordo`) to count kits told before a crash.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from connectors.base import (
    ConnectorConfig,
    DeliveryError,
    HttpConnector,
    PermanentRefusal,
    SalesChannel,
    host_of,
    refusal_message,
)
from engine.domain import commands

if TYPE_CHECKING:
    import httpx

# A place in a JSON document: keys and list indexes, outermost first.
Loc = tuple[str | int, ...]

# The shapes the API gives a channel name and a service level (api/schemas/patterns.py: ID,
# SERVICE_LEVEL). They are checked here too so that a typo in the configuration stops Ordo
# at start-up instead of failing every order.
CHANNEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"
SERVICE_LEVEL_PATTERN = r"^[a-z0-9][a-z0-9_]{0,31}$"
# What `WebhookChannel.cancel_in_shop` answers: the shop cancelled the order now, or it had
# it cancelled (or otherwise closed without charging) before Ordo asked.
CANCELLED_IN_SHOP, ALREADY_CANCELLED = "cancelled", "already_cancelled"
# What `WebhookChannel.refund_in_shop` answers: the shop refunded the return now, or it holds
# a refund marked with the return's RMA already (Ordo asked before and crashed before it could
# record the answer, or a person refunded it by hand naming the RMA).
REFUNDED_IN_SHOP, ALREADY_REFUNDED = "refunded", "already_refunded"
# How Ordo's refund of units it cancelled begins its note (Shopify) or reason (WooCommerce):
# the shop's news of that refund coming back is Ordo's own, never a cancellation to take.
UNITS_NOTE = "Ordo cancelled units"
# How Ordo's refund of a return it refunded begins its note or reason (then the return's RMA).
RETURN_NOTE = "Ordo return"
# Answers that say "not now" rather than "never": a timeout, too many requests, the shop down.
_TRY_AGAIN = frozenset({408, 425, 429})


def json_path(loc: Loc) -> str:
    """`("line_items", 2, "sku")` -> `$.line_items[2].sku`, as the API writes paths."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field of the channel's payload that cannot be mapped. `kind` is `missing` for an
    absent field the API's plain wording fits, or a code of the connector's own."""

    loc: Loc
    message: str
    kind: str = "invalid_channel_field"

    def __str__(self) -> str:
        return f"{json_path(self.loc)}: {self.message}"


class PayloadError(Exception):
    """The channel's order cannot be mapped. `errors` lists every field at fault, not only the
    first one. `partial` is what did map, so that its values can be checked in the same
    answer."""

    def __init__(self, errors: Sequence[FieldError], partial: ChannelOrder | None = None) -> None:
        self.errors = tuple(errors)
        self.partial = partial
        super().__init__("; ".join(str(error) for error in self.errors))


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A line of the channel's order deliberately not taken (nothing to ship for it: a
    virtual product, a gift card), at `loc` in the payload, with why; the answer to the
    channel says so."""

    loc: Loc
    sku: str
    reason: str


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A delivery that says the shop cancelled one of its orders: the channel's id of it (as
    ingestion files it, `channel_order_id`) and why, in words for the audit and the order's
    history."""

    channel_order_id: str
    reason: str


def cancellation_of(payload: Mapping[str, Any], reason: str) -> Cancellation:
    """The cancellation of the order the payload's `id` names, or `PayloadError` at `$.id`."""
    return Cancellation(order_id_at(payload, "id"), reason)


def order_id_at(payload: Mapping[str, Any], key: str) -> str:
    """The channel's order id at `payload[key]` as Ordo filed it, or `PayloadError` at the
    field when it is missing or is no id Ordo could have taken."""
    order_id = payload.get(key)
    if order_id is None or order_id == "":
        message = "is required but missing: a cancellation names the order it cancels"
        raise PayloadError([FieldError((key,), message, "missing_order_id")])
    if isinstance(order_id, bool) or not isinstance(order_id, int | str):
        message = f"must be the order's id, a number or text; got {type(order_id).__name__}"
        raise PayloadError([FieldError((key,), message)])
    if not re.fullmatch(CHANNEL_PATTERN, str(order_id)):
        # The shape every channel order id Ordo takes has (api/schemas/patterns.py: ID).
        message = (
            "is not an order id Ordo could have taken: 1 to 64 letters, digits and '.', '_', "
            f"':', '-'; got {str(order_id)[:70]!r}"
        )
        raise PayloadError([FieldError((key,), message)])
    return str(order_id)


@dataclass(frozen=True, slots=True)
class UnitCancellation:
    """A delivery that says the shop cancelled some units of one of its orders, by the
    shop's line ids (Ordo files a shop's lines under them: `to_order`'s `line_id`). Either
    `cancelled`, the units each line lost (a shop that sends what changed: Shopify's refund
    of cancelled units), or `kept`, the units each line still has, every line of the order
    listed, a line missing having none left (a shop that sends the whole order again:
    WooCommerce). `change` names the shop's change (its refund's id) so that the same change
    is recognised under another delivery; "" when the shop gives it none."""

    channel_order_id: str
    reason: str
    cancelled: Mapping[str, int] | None = None
    kept: Mapping[str, int] | None = None
    change: str = ""


def units_at(
    items: Any,
    where: Loc,
    id_key: str,
    quantity_key: str,
    taken: Callable[[Mapping[str, Any]], bool] = lambda item: True,
) -> dict[str, int]:
    """Units per line id of the list `items` at `where`: each object `taken` picks holds the
    line's id at `id_key` and a whole number of units at `quantity_key`, and a line named
    twice counts once per mention. `PayloadError` names every field at fault."""
    if not isinstance(items, list):
        raise PayloadError([FieldError(where, "must be a list of lines", "list_type")])
    units: dict[str, int] = {}
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        at: Loc = (*where, index)
        if not isinstance(item, Mapping):
            errors.append(FieldError(at, f"must be an object, got {type(item).__name__}"))
            continue
        if not taken(item):
            continue
        line_id, quantity = item.get(id_key), item.get(quantity_key)
        named = isinstance(line_id, int | str) and not isinstance(line_id, bool) and line_id != ""
        whole = isinstance(quantity, int) and not isinstance(quantity, bool) and quantity >= 0
        if not named:
            errors.append(FieldError((*at, id_key), "must be the line's id, a number or text"))
        if not whole:
            said = f"must be a whole number of units, 0 or more; got {str(quantity)[:20]!r}"
            errors.append(FieldError((*at, quantity_key), said))
        if named and whole and isinstance(quantity, int):
            units[str(line_id)] = units.get(str(line_id), 0) + quantity
    if errors:
        raise PayloadError(errors)
    return units


def every_line_left_out(
    payload: Mapping[str, Any], why: Callable[[Mapping[str, Any]], str | None]
) -> bool:
    """Whether each of the payload's `line_items` is one `why` leaves out (it says why for a
    line left out, None for one taken): an order with nothing for Ordo to ship."""
    items = payload.get("line_items")
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(item, Mapping) and why(item) is not None for item in items)
    )


@dataclass(frozen=True, slots=True)
class RefundLine:
    """A returned line as its shop may be told of it: Ordo's order line id (the shop's own
    line id, for an order the shop's webhook brought; a kit's line for whole kits of its
    parts), the units returned (kits, for a kit's line), and what Ordo priced them at."""

    line_id: str
    quantity: int
    worth: Decimal


@dataclass(frozen=True, slots=True)
class ShopRefund:
    """A return Ordo refunded, as its shop is asked to refund it: `amount` in `currency` (the
    order's), marked with the return's `rma` so that the shop's refund can be found again,
    and the lines that came back."""

    rma: str
    amount: Decimal
    currency: str
    lines: tuple[RefundLine, ...] = ()

    @property
    def note(self) -> str:
        """What the shop's refund carries (Shopify's `note`, WooCommerce's `reason`)."""
        return f"{RETURN_NOTE} {self.rma}"

    def marks(self, said: Any) -> bool:
        """Whether a refund the shop holds, by its note or reason, is this return's."""
        return isinstance(said, str) and self.rma in said

    def refusal_if_over(self, left: Decimal, where: str) -> PermanentRefusal | None:
        """The refusal of a refund larger than the `left` the shop (`where`, naming the shop
        and its order) still has to refund, or None when it fits."""
        if self.amount <= left:
            return None
        return PermanentRefusal(
            f"{where} has {left:.2f} {self.currency} left to refund, less than the "
            f"{self.amount:.2f} {self.currency} Ordo refunded for return {self.rma}"
        )


@dataclass(frozen=True, slots=True)
class CancelledUnits:
    """Units of a shop's order that Ordo cancelled (a line lowered or removed, or part of its
    backordered remainder cancelled), as the shop is asked to cancel them and refund what
    they cost: `units` per shop line id (Ordo files a shop's lines under the shop's own ids),
    in the order's `currency`. `order_id` is Ordo's order and `change` the id of the event
    that cancelled them: the shop's refund is marked with both, so that it is found again."""

    order_id: str
    change: str
    currency: str
    units: Mapping[str, int]

    @property
    def note(self) -> str:
        """What the shop's refund carries (Shopify's `note`, WooCommerce's `reason`)."""
        return f"{UNITS_NOTE} of order {self.order_id} (event {self.change})"

    def marks(self, said: Any) -> bool:
        """Whether a refund the shop holds, by its note or reason, is this change's."""
        return isinstance(said, str) and said.strip() == self.note

    def described(self) -> str:
        return ", ".join(f"{units} of line {line}" for line, units in self.units.items())


def change_noted(said: Any, order_id: str) -> str | None:
    """The change (event id) a shop's refund names when its note or reason is Ordo's refund of
    units it cancelled of order `order_id` (`CancelledUnits.note`); None for any other."""
    opening = f"{UNITS_NOTE} of order {order_id} (event "
    if not isinstance(said, str):
        return None
    said = said.strip()
    if not said.startswith(opening) or not said.endswith(")"):
        return None
    return said[len(opening) : -1] or None


def units_by_change(
    order_id: str, refunds: Iterable[tuple[Any, Iterable[tuple[Any, Any]]]]
) -> dict[str, dict[str, int]]:
    """The units Ordo's refunds among a shop's `refunds` (each its note or reason, and its
    lines as the shop's line id and units) cancelled of order `order_id`, by the change each
    names and by line. Units count whatever their sign (WooCommerce's are negative); a line
    whose id or units cannot be read is left out, and so is any refund that is not Ordo's."""
    found: dict[str, dict[str, int]] = {}
    for said, lines in refunds:
        change = change_noted(said, order_id)
        if change is None:
            continue
        held = found.setdefault(change, {})
        for line, units in lines:
            if line is not None and str(line).strip() and _whole(units):
                held[str(line)] = held.get(str(line), 0) + abs(units)
    return found


def from_ordo(said: Any) -> bool:
    """Whether a shop's refund, by its note or reason, is Ordo's own of units it cancelled."""
    return isinstance(said, str) and said.startswith(UNITS_NOTE)


def refunded_by_ordo(said: Any) -> bool:
    """Whether a shop's refund, by its note or reason, is one Ordo made: of a return Ordo
    refunded (`ShopRefund.note`) or of units it cancelled (`CancelledUnits.note`)."""
    return isinstance(said, str) and (said.startswith(f"{RETURN_NOTE} ") or from_ordo(said))


def shop_items(cancelled: CancelledUnits, items: Any, where: str) -> dict[str, Mapping[str, Any]]:
    """The shop's line item (of `items`, its order's `line_items`) of each line `cancelled`
    names, by id. A line the shop's order has not got (a kit's part, `<id>.1`; an order
    posted to Ordo by hand) is a `PermanentRefusal` naming it and the order (`where`)."""
    held = {
        str(item["id"]): item
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping) and _whole(item.get("id"))
    }
    for line in cancelled.units:
        if line not in held:
            raise PermanentRefusal(
                f"{where} has no line item {line[:64]!r}, so the units Ordo cancelled of it "
                f"({cancelled.described()}) cannot be cancelled there"
            )
    return {line: held[line] for line in cancelled.units}


class WrongTopic(Exception):
    """A delivery of a webhook topic no new order comes in (a product, a deleted order): the
    channel's webhook points at the order URL by mistake. `header` names the request header
    that gave the topic."""

    def __init__(self, header: str, message: str) -> None:
        self.header = header
        self.message = message
        super().__init__(f"{header}: {message}")


@dataclass(frozen=True, slots=True)
class ChannelOrder:
    """A channel's order as Ordo's order body (`body`, the shape `POST /v1/orders` takes),
    with the payload field each body field came from (`sources`) and the lines left out."""

    body: dict[str, Any]
    sources: dict[Loc, Loc] = field(default_factory=dict)
    left_out: tuple[LeftOut, ...] = ()

    def source_of(self, loc: Loc) -> Loc:
        """The payload field behind the body field at `loc`: the deepest mapped field that
        contains it. `loc` itself when no field contains it, such as the channel, which comes
        from the connector's configuration."""
        for end in range(len(loc), 0, -1):
            found = self.sources.get(tuple(loc[:end]))
            if found is not None:
                return found
        return tuple(loc)


class WebhookChannelConfig(ConnectorConfig):
    """Settings of every webhook channel: whose orders these are, and the signing secret."""

    channel: str = Field(
        description="The Ordo channel the orders are filed under (channel keys of it may "
        "read them).",
    )
    secret: SecretStr = Field(description="The shared secret the channel signs each delivery with.")

    @field_validator("channel")
    @classmethod
    def _channel(cls, channel: str) -> str:
        if not re.fullmatch(CHANNEL_PATTERN, channel):
            raise ValueError(
                "must be 1 to 64 characters: letters, digits and '.', '_', ':', '-', starting "
                f"with a letter or a digit; got {channel[:70]!r}"
            )
        return channel

    @field_validator("secret")
    @classmethod
    def _secret(cls, secret: SecretStr) -> SecretStr:
        if not secret.get_secret_value().strip():
            raise ValueError("is empty: set the secret the channel signs its webhooks with")
        return secret


def normalised_method(name: str) -> str:
    """`"Two-Day  Shipping"` -> `"two day shipping"`: case, punctuation and spacing do not
    make another shipping method."""
    return " ".join(re.split(r"[^a-z0-9]+", name.lower())).strip()


def base64_signature(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 of `body` under `secret`: how Shopify and WooCommerce sign."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(expected: str, sent: str) -> bool:
    """Whether the signature a request `sent` is the one `expected`, in constant time. Bytes,
    not text: compare_digest refuses text that is not ASCII, and a header may hold anything."""
    return hmac.compare_digest(expected.encode("ascii"), sent.strip().encode())


def identifier(value: Any) -> Any:
    """A channel's ids are JSON numbers, Ordo's are text. Anything else is passed on
    unchanged, so that the API's order model refuses it in its own words."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _check_level(level: str, said: str) -> str:
    if not re.fullmatch(SERVICE_LEVEL_PATTERN, level):
        raise ValueError(
            f"{said} {level[:40]!r}, which is not a service level: 1 to 32 lower-case "
            "letters, digits or '_', such as standard or two_day"
        )
    return level


class ServiceLevelsConfig(WebhookChannelConfig):
    """A storefront channel's settings for its shipping methods: the shop's own names for
    them, and the level of an order whose method no table names."""

    service_levels: dict[str, str] = Field(
        default_factory=dict,
        description="The shop's shipping methods (as its shipping lines name them: see the "
        "channel's section of docs/channels.md) -> Ordo service level; consulted before the "
        "connector's own table.",
    )
    default_service_level: str | None = Field(
        default="standard",
        description="The level of an order whose shipping method neither table names, or "
        "that has none; null refuses such an order instead.",
    )

    @field_validator("service_levels")
    @classmethod
    def _levels(cls, levels: dict[str, str]) -> dict[str, str]:
        for name, level in levels.items():
            _check_level(level, f"'{name}' maps to")
        return {normalised_method(name): level for name, level in levels.items()}

    @field_validator("default_service_level")
    @classmethod
    def _default_level(cls, level: str | None) -> str | None:
        return None if level is None else _check_level(level, "is")


class PayloadMapping(abc.ABC):
    """One payload's translation: the body built so far, where each field came from, and
    every field that could not be mapped. A connector's mapping adds the channel's fields."""

    @classmethod
    def translate(cls, config: WebhookChannelConfig, payload: Mapping[str, Any]) -> ChannelOrder:
        """`payload` as Ordo's order body, or `PayloadError` naming every unmappable field."""
        mapping = cls(config)
        mapping.order(payload)
        return mapping.result()

    @abc.abstractmethod
    def order(self, payload: Mapping[str, Any]) -> None:
        """Map the channel's order, field by field (each connector's own)."""

    def __init__(self, config: WebhookChannelConfig) -> None:
        self.body: dict[str, Any] = {"channel": config.channel}
        self.sources: dict[Loc, Loc] = {}
        self.errors: list[FieldError] = []
        self.left_out: list[LeftOut] = []

    def put(self, target: Loc, value: Any, source: Loc) -> None:
        """Set the body's field at `target` (its parents exist) from the payload's `source`."""
        parent: Any = self.body  # dicts and, under "lines", a list
        for part in target[:-1]:
            parent = parent[part]
        parent[target[-1]] = value
        self.sources[target] = source

    def fail(self, loc: Loc, message: str, kind: str = "invalid_channel_field") -> None:
        self.errors.append(FieldError(loc, message, kind))

    def leave_out(self, item: Mapping[str, Any], where: Loc, why: str) -> None:
        """Leave the line item at `where` out of the order, noting why for the answer."""
        sku = item.get("sku")
        self.left_out.append(LeftOut(where, sku if isinstance(sku, str) else "", why))

    def required(self, data: Mapping[str, Any], loc: Loc, key: str) -> Any:
        """`data[key]`, or None with the field reported missing (null and "" are missing)."""
        value = data.get(key)
        if value is None or value == "":
            self.fail((*loc, key), "is required but missing", "missing")
            return None
        return value

    def mapping_at(self, data: Mapping[str, Any], key: str, loc: Loc) -> Mapping[str, Any] | None:
        """The object at `data[key]` (None when absent), or None with a wrong type reported."""
        value = data.get(key)
        if value is not None and not isinstance(value, Mapping):
            self.fail((*loc, key), f"must be an object, got {type(value).__name__}")
            return None
        return value

    def first_shipping_line(self, payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """`shipping_lines[0]` ({} when the order has none), or None with the fault reported:
        the first shipping line names the order's shipping method."""
        shipping = payload.get("shipping_lines")
        if shipping is not None and not isinstance(shipping, list):
            self.fail(("shipping_lines",), "must be a list of shipping lines", "list_type")
            return None
        first = shipping[0] if shipping else {}
        if not isinstance(first, Mapping):
            self.fail(("shipping_lines", 0), f"must be an object, got {type(first).__name__}")
            return None
        return first

    def service_level_of(
        self,
        config: ServiceLevelsConfig,
        levels: Mapping[str, str],
        named: Sequence[tuple[str, str]],
        said: str,
        fault: Loc,
    ) -> None:
        """The service level of the first of `named` (the shipping line's field, its name)
        that the shop's `service_levels`, then the connector's own `levels`, know; else the
        default; else a fault at `fault`, the method described as `said`."""
        for table in (config.service_levels, levels):
            for key, name in named:
                level = table.get(normalised_method(name))
                if level is not None:
                    self.put(("service_level",), level, ("shipping_lines", 0, key))
                    return
        if config.default_service_level is not None:
            self.put(("service_level",), config.default_service_level, ("shipping_lines",))
            return
        self.fail(
            fault,
            f"the shipping method ({said}) maps to no service level; name it in the "
            "connector's service_levels, or set its default_service_level",
            "unknown_service_level",
        )

    def result(self) -> ChannelOrder:
        """The order as mapped, or `PayloadError` naming every field that could not be."""
        mapped = ChannelOrder(self.body, self.sources, tuple(self.left_out))
        if self.errors:
            raise PayloadError(self.errors, mapped)
        return mapped


class WebhookChannel(SalesChannel):
    """A sales channel that pushes each new order to Ordo, signed rather than keyed."""

    # The request header that carries the signature, and the one that names the delivery
    # (repeated on every retry, so Ordo can answer a retry with its first answer).
    signature_header: ClassVar[str] = ""
    delivery_header: ClassVar[str] = ""
    config: WebhookChannelConfig

    @property
    def channel(self) -> str:
        return self.config.channel

    @abc.abstractmethod
    def verify(self, body: bytes, signature: str) -> bool:
        """Whether `signature`, as the channel sent it, signs these exact bytes."""

    @abc.abstractmethod
    def to_order(self, payload: Mapping[str, Any]) -> ChannelOrder:
        """The payload as Ordo's order body, or `PayloadError` naming every unmappable field."""

    def is_ping(self, body: bytes) -> bool:
        """Whether `body` is the channel's ping: a check that the delivery URL answers, sent
        when a webhook is saved, carrying no order. The route answers it 200 and stores
        nothing, even unsigned, since that is how WooCommerce sends it. Most channels send
        none."""
        return False

    def cancellation(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> Cancellation | None:
        """The order this delivery cancels, when it is the channel's word that the shop
        cancelled one (`cancellation_of`; `PayloadError` when it names no order), or None for
        any other delivery. Asked first, before `passed_over`; by default there is none."""
        return None

    def unit_cancellation(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> UnitCancellation | None:
        """The units of an order this delivery cancels, when it is the channel's word that
        the shop cancelled some (`PayloadError` naming the fields when they cannot be read),
        or None for any other delivery. Asked after `cancellation`, before `passed_over`; by
        default there is none."""
        return None

    def passed_over(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        """Why a delivery is answered 200 and left alone (it carries no order for Ordo, and
        the channel must not count it as a failure), or None to take it as an order.
        `WrongTopic` for a delivery of a topic no order comes in. Asked before the order is
        mapped; by default every delivery is taken."""
        return None

    def delivery_id(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        """The key a delivery is remembered under, so that a retry of it gets its first
        answer: by default the id in `delivery_header`. None when the request names none."""
        if not self.delivery_header:
            return None
        return headers.get(self.delivery_header) or None

    @property
    def holds_shop_credentials(self) -> bool:
        """Whether the connector holds the shop's API credentials, without which Ordo never
        calls the shop back. By default there are none."""
        return False

    @property
    def tells_cancellations(self) -> bool:
        """Whether orders cancelled in Ordo are cancelled in the shop too (`cancel_in_shop`):
        only when the connector holds the shop's API credentials."""
        return self.holds_shop_credentials

    @property
    def tells_refunds(self) -> bool:
        """Whether returns refunded in Ordo are refunded in the shop too (`refund_in_shop`):
        only when the connector holds the shop's API credentials."""
        return self.holds_shop_credentials

    def cancel_in_shop(self, channel_order_id: str) -> str:
        """Cancel the shop's order `channel_order_id`, which Ordo cancelled: `CANCELLED_IN_SHOP`,
        or `ALREADY_CANCELLED` when the shop had it so before. `DeliveryError` when the shop
        cannot be reached or asks to be tried later; `PermanentRefusal` when it refuses for
        good (no such order, wrong credentials, shipped already), naming what it said."""
        raise self._no_credentials("cancel orders")

    def refund_in_shop(self, channel_order_id: str, refund: ShopRefund) -> str:
        """Refund `refund` (a return Ordo refunded) on the shop's order `channel_order_id`,
        the money only, restocking nothing: `REFUNDED_IN_SHOP`, or `ALREADY_REFUNDED` when the
        shop holds a refund marked with the return's RMA. Errors as `cancel_in_shop`'s; a
        refund larger than what the shop has left to refund is a `PermanentRefusal` naming
        both amounts."""
        raise self._no_credentials("refund returns")

    def cancel_units_in_shop(self, channel_order_id: str, cancelled: CancelledUnits) -> str:
        """Cancel `cancelled` (units Ordo cancelled) on the shop's order `channel_order_id`
        and refund what they cost to the customer's payment, restocking nothing Ordo counts:
        `CANCELLED_IN_SHOP`, or `ALREADY_CANCELLED` when the shop holds a refund marked with
        the change. Errors as `refund_in_shop`'s; a line the shop's order has not got is a
        `PermanentRefusal` naming it. Asked only of a connector that `tells_refunds`."""
        raise self._no_credentials("cancel units of orders")

    def units_refunded_by_ordo(
        self, channel_order_id: str, order_id: str
    ) -> dict[str, dict[str, int]]:
        """The units the shop's order `channel_order_id` holds refunds of from Ordo for its order
        `order_id` (each marked `CancelledUnits.note`), by the change (event id) each refund
        names and by the shop's line id: what the shop was told, even when Ordo crashed before
        it could record the answer. Errors as `cancel_units_in_shop`'s; asked only of a
        connector that `tells_refunds`."""
        raise self._no_credentials("read the units Ordo cancelled of orders")

    def _no_credentials(self, what: str) -> PermanentRefusal:
        return PermanentRefusal(
            f"channel connector {self.slug} cannot {what} in its shop: it has no API "
            "credentials for it"
        )

    def to_command(self, payload: Mapping[str, Any]) -> commands.CreateOrder:
        """The command built from `to_order`'s body, as the API builds it after its order
        model has checked the body (the API always takes that path). Called directly, no
        check runs beyond the mapping's own, so a value the API would refuse reaches the
        command as it is."""
        body = self.to_order(payload).body
        address = body["ship_to"]
        return commands.CreateOrder(
            channel=body["channel"],
            channel_order_id=body["channel_order_id"],
            customer_id=body["customer_id"],
            ship_to=commands.AddressInput(**address),
            lines=tuple(
                commands.LineInput(
                    sku=line["sku"],
                    quantity=line["quantity"],
                    price=Decimal(line["price"]) if line.get("price") is not None else None,
                    line_id=line.get("line_id"),
                )
                for line in body["lines"]
            ),
            email=body.get("email", ""),
            currency=body["currency"],
            service_level=body["service_level"],
        )


class ShopApiChannel(HttpConnector, WebhookChannel):
    """A webhook channel that also calls its shop's REST API: the HTTP client (made on first
    use, with the config's `timeout_seconds`), and one request's answer sorted into success,
    a failure worth retrying, and a refusal for good. Errors name the shop by `shop_name` and
    its host, and never show what `hidden` lists (the credentials)."""

    shop_name: ClassVar[str] = ""

    def hidden(self) -> list[str]:
        """What an error must never show: the connector's credentials."""
        return []

    @abc.abstractmethod
    def shop_headers(self) -> dict[str, str]:
        """The headers that carry the shop's credentials (asked only when it holds them)."""

    def shop_call(
        self, method: str, url: str, what: str, body: Mapping[str, Any] | None = None
    ) -> Any:
        """The JSON of the shop's successful answer to one request with its credentials; the
        `refusal` of any other answer. An answer that is no JSON (a proxy's page in front of
        a shop being worked on) is a `DeliveryError`, tried again later."""
        answer = self.shop_request(method, url, what, self.shop_headers(), body)
        if not answer.is_success:
            raise self.refusal(answer, what)
        try:
            return answer.json()
        except ValueError:
            said = refusal_message(answer.text, self.hidden())
            where = f"{self.shop_name} {host_of(url)}"
            raise DeliveryError(f"{where} answered {what} with no JSON: {said}") from None

    def shop_request(
        self, method: str, url: str, what: str, headers: Mapping[str, str],
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:  # fmt: skip
        """The shop's answer to one request, whatever its status; `DeliveryError` (retried)
        when the shop cannot be reached. `what` names the request in errors."""
        import httpx

        try:
            return self.client.request(method, url, json=body, headers=dict(headers))
        except httpx.HTTPError as error:
            said = refusal_message(str(error) or type(error).__name__, self.hidden())
            where = f"{self.shop_name} {host_of(url)}"
            raise DeliveryError(f"{where} unreachable for {what}: {said}") from None

    def refusal(self, answer: httpx.Response, what: str) -> DeliveryError:
        """The error of an answer that is no success: `DeliveryError` (tried again later) for
        a timeout, too many requests or the shop's own failure (5xx); `PermanentRefusal` for
        any other, which no retry changes (401 wrong credentials, 404 no such order, ...)."""
        said = refusal_message(_errors_said(answer.text), self.hidden())
        status = answer.status_code
        retried = status in _TRY_AGAIN or status >= 500
        refused = DeliveryError if retried else PermanentRefusal
        return refused(
            f"{self.shop_name} {host_of(str(answer.url))} refused {what}: {status} {said}"
        )


def _errors_said(text: str) -> str:
    """A shop's refusal as words: Shopify's `errors` (a text, a list, or each field's list)
    flattened, any other answer as it came (`refusal_message` reads `message` and the like)."""
    try:
        answer = json.loads(text)
    except ValueError:
        return text
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if isinstance(errors, list):
        return "; ".join(map(str, errors))
    if isinstance(errors, dict):
        return "; ".join(
            f"{field}: {', '.join(map(str, said)) if isinstance(said, list) else said}"
            for field, said in errors.items()
        )
    return errors if isinstance(errors, str) else text


def shop_order_id(channel_order_id: str, shop: str, asked: str = "cancel it") -> str:
    """The shop's order id, `channel_order_id`, as its REST API takes it in a path: a whole
    number (Shopify's and WooCommerce's ids are). An order filed under another id (posted to
    `POST /v1/orders` by hand) is no order of the shop's: `PermanentRefusal` saying what the
    shop cannot be `asked`."""
    if not channel_order_id.isascii() or not channel_order_id.isdigit():
        raise PermanentRefusal(
            f"order {channel_order_id[:64]!r} is not a {shop} order id (a whole number), so "
            f"{shop} cannot be asked to {asked}"
        )
    return channel_order_id


def shop_lines(
    refund: ShopRefund, items: Any, quantity_key: str = "quantity"
) -> tuple[RefundLine, ...]:
    """The refund's lines when each is a line of the shop's order (`items`, its `line_items`:
    the same id, at least as many units), else none: the refund is then of the money alone.
    Ordo files a shop's order under the shop's own line ids, so the lines match: whole kits
    returned come as the kit's line (`<id>`, in kits), but a part of a kit (`<id>.1`: a TEA
    without its MUG) is no line of the shop's, nor is a line of an order posted by hand."""
    if not isinstance(items, list):
        return ()
    units = {
        str(item["id"]): item.get(quantity_key)
        for item in items
        if isinstance(item, Mapping) and _whole(item.get("id"))
    }
    for line in refund.lines:
        held = units.get(line.line_id)
        if not isinstance(held, int) or isinstance(held, bool) or held < line.quantity:
            return ()
    return refund.lines


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def decimal_of(value: Any) -> Decimal | None:
    """A shop's amount (a JSON string or number) as a Decimal, or None when it is none."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        found = Decimal(str(value))
    except ArithmeticError:
        return None
    return found if found.is_finite() else None
