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
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from connectors.base import ConnectorConfig, SalesChannel
from engine.domain import commands

# A place in a JSON document: keys and list indexes, outermost first.
Loc = tuple[str | int, ...]

# The shapes the API gives a channel name and a service level (api/schemas/patterns.py: ID,
# SERVICE_LEVEL). They are checked here too so that a typo in the configuration stops Ordo
# at start-up instead of failing every order.
CHANNEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"
SERVICE_LEVEL_PATTERN = r"^[a-z0-9][a-z0-9_]{0,31}$"


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
class ChannelOrder:
    """A channel's order as Ordo's order body (`body`, the shape `POST /v1/orders` takes),
    with the payload field each body field came from (`sources`)."""

    body: dict[str, Any]
    sources: dict[Loc, Loc] = field(default_factory=dict)

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
