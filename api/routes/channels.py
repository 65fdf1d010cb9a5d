"""Sales channels' own webhooks: a storefront posts each new order in its own format.

`POST /v1/channels/{connector_name}/orders` takes, for example, Shopify's `orders/create` or
WooCommerce's `order.created` webhook body. The connector of that name
(`ORDO_CHANNEL_CONNECTORS`) translates it into the body `POST /v1/orders` takes. That body
is validated by the same model (`OrderIn`), so every check an order posted there gets applies
here too. It is then ingested by the same service path (`ingest_one`), so the order is audited
and decided like any other.

A channel counts every answer that is not 2xx as a failure: Shopify retries it (8 times over
4 hours), WooCommerce does not, and disables a webhook after more than five failures in a
row. Answers are chosen with that in mind:
- 201: the order as decided. 200: an order Ordo already has (Shopify sent it again under a
  new delivery id); nothing is created, and the channel stops retrying.
- A delivery id seen before (a retry of one delivery) gets the first successful answer again.
- A refusal (401 signature, 404 connector, 422 field) stores nothing, and it is not kept under
  the delivery id. A retry that arrives after the cause was fixed (the secret, the
  connector's configuration, the catalogue) is decided again.
- A channel's ping (WooCommerce's `webhook_id=N` when a webhook is activated, unsigned) is
  200 and creates nothing: WooCommerce reports the webhook's set-up as failed otherwise.
- A delivery the connector leaves alone (WooCommerce's `order.updated` of an order in a
  status Ordo does not take; an order with nothing to ship: virtual products, gift cards) is
  200 with `{"connector", "ignored": true, "reason"}` and creates nothing; a delivery of a
  topic no order comes in (`X-WC-Webhook-Topic: product.created`) is 422 naming the header.
- The shop's cancellation of some units of an order (Shopify's `refunds/create` with
  `cancel` lines, WooCommerce's `order.updated` with lower quantities) takes them off the
  order (`engine.service_layer.channel_unit_cancellations`), 200 with the `outcome` likewise.
- The shop's cancellation of an order (Shopify's `orders/cancelled`, WooCommerce's
  `order.updated` to a cancel status) cancels the order Ordo filed under its id
  (`engine.service_layer.channel_cancellations`) and is 200 whatever came of it: `outcome`
  says what (`cancelled`, `unchanged`, `remembered` for an order not here yet, which is
  cancelled as it arrives, or `refused` with an alert raised for an order past cancelling),
  since no retry could change it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from api.commands import dispatch
from api.deps import ApiKey, ApiServices, BearerCredentials, Services, channel_caller
from api.errors import json_path
from api.routes.orders import IdempotencyKey, ingest_one
from api.schemas.common import problem_responses
from api.schemas.orders import OrderIn, OrderOut
from connectors.channels.base import (
    Cancellation,
    ChannelOrder,
    LeftOut,
    PayloadError,
    UnitCancellation,
    WebhookChannel,
    WrongTopic,
)
from engine.domain.access import Principal
from engine.domain.commands import Command
from engine.domain.errors import Conflict, DomainError
from engine.service_layer.channel_cancellations import ChannelCancellation, cancel_for_channel
from engine.service_layer.channel_unit_cancellations import (
    ChannelUnitCancellation,
    cancel_units_for_channel,
)
from engine.service_layer.idempotency import request_hash
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger("ordo.api")

router = APIRouter(prefix="/v1/channels", tags=["channels"])

ConnectorName = Annotated[
    str,
    Path(
        description="The channel connector's name in ORDO_CHANNEL_CONNECTORS.",
        examples=["shopify-us"],
    ),
]


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature covers these bytes, not a re-encoding."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


async def webhook_caller(
    request: Request, api_key: ApiKey = None, bearer: BearerCredentials = None
) -> Principal | None:
    """Who posts to the route (`api.deps.channel_caller`), or None for the connector's ping
    sent as its channel sends it: with no signature and no credential, since WooCommerce
    signs none. A ping creates nothing, so it needs no caller; a signed one is checked like
    any delivery, and anything else unsigned is refused as before."""
    services: ApiServices = request.app.state.ordo
    name = str(request.path_params.get("connector_name", ""))
    connector = services.container.channels.get(name)
    if (
        connector is not None
        and not api_key
        and bearer is None
        and "authorization" not in request.headers
        and connector.signature_header.lower() not in request.headers
        and connector.is_ping(await request.body())
    ):
        return None
    return await channel_caller(request, api_key, bearer)


WebhookCaller = Annotated[Principal | None, Depends(webhook_caller)]

_SHOPIFY_EXAMPLE = {
    "id": 820982911946154508,
    "name": "#9999",
    "email": "jon@example.com",
    "currency": "USD",
    "created_at": "2026-11-21T17:41:03-05:00",
    "customer": {"id": 115310627314723954},
    "shipping_address": {
        "name": "Steve Shipper",
        "address1": "350 5th Ave",
        "address2": "Suite 4200",
        "city": "New York",
        "province_code": "NY",
        "zip": "10001",
        "country_code": "US",
    },
    "line_items": [
        {"id": 866550311766439020, "sku": "SHOE-42", "quantity": 1, "price": "79.90"},
    ],
    "shipping_lines": [{"code": "Standard", "title": "Standard Shipping"}],
}
_WOOCOMMERCE_EXAMPLE = {
    "id": 727,
    "number": "727",
    "status": "processing",
    "currency": "USD",
    "customer_id": 26,
    "billing": {"email": "jon@example.com"},
    "shipping": {
        "first_name": "Steve",
        "last_name": "Shipper",
        "company": "",
        "address_1": "350 5th Ave",
        "address_2": "Suite 4200",
        "city": "New York",
        "state": "NY",
        "postcode": "10001",
        "country": "US",
    },
    "line_items": [{"id": 315, "sku": "SHOE-42", "quantity": 1, "price": 79.9}],
    "shipping_lines": [{"method_id": "flat_rate", "instance_id": "3", "method_title": "Flat rate"}],
}
_TEXT = {"type": ["string", "null"]}
_ID = {"type": ["integer", "string"]}
_ADDRESS_FIELDS = ("name", "address1", "address2", "city", "province_code", "zip", "country_code")
_WOOCOMMERCE_ADDRESS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
)
# The fields of each channel's order that Ordo reads (docs/channels.md); the many others a
# delivery carries are accepted and ignored.
_SHOPIFY_ORDER: dict[str, Any] = {
    "type": "object",
    "title": "ShopifyOrder",
    "description": "A Shopify connector's order: the `orders/create` or `orders/cancelled` "
    "webhook's body (the Admin REST Order resource).",
    "required": ["id", "currency", "customer", "shipping_address", "line_items"],
    "examples": [_SHOPIFY_EXAMPLE],
    "properties": {
        "id": _ID,
        "name": {"type": "string", "description": "The order's name in the shop, `#1001`."},
        "email": _TEXT,
        "currency": {"type": "string"},
        "created_at": {"type": "string"},
        "cancel_reason": {
            "type": ["string", "null"],
            "description": "Read from an `orders/cancelled` delivery: why the shop cancelled.",
        },
        "customer": {"type": "object", "properties": {"id": _ID, "email": _TEXT}},
        "shipping_address": {
            "type": "object",
            "properties": {key: _TEXT for key in _ADDRESS_FIELDS},
        },
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": _ID,
                    "sku": _TEXT,
                    "variant_id": _ID,
                    "quantity": {"type": "integer"},
                    "price": {"type": "string", "description": "A decimal, `79.90`."},
                    "requires_shipping": {"type": "boolean"},
                },
            },
        },
        "shipping_lines": {
            "type": "array",
            "items": {"type": "object", "properties": {"code": _TEXT, "title": _TEXT}},
        },
    },
}
_WOOCOMMERCE_ORDER: dict[str, Any] = {
    "type": "object",
    "title": "WooCommerceOrder",
    "description": "A WooCommerce connector's order: the `order.created` webhook's body (the "
    "REST API v3 order, API version WP REST API Integration v3).",
    "required": ["id", "status", "currency", "customer_id", "shipping", "line_items"],
    "examples": [_WOOCOMMERCE_EXAMPLE],
    "properties": {
        "id": _ID,
        "number": {"type": "string", "description": "The order's number in the shop."},
        "status": {
            "type": "string",
            "description": "Taken when `processing` or `on-hold` (the connector's `statuses`); "
            "an `order.updated` to `cancelled`, `refunded` or `failed` (its `cancel_statuses`) "
            "cancels the order.",
        },
        "currency": {"type": "string"},
        "customer_id": {"type": "integer", "description": "0 for a guest."},
        "billing": {"type": "object", "properties": {"email": _TEXT}},
        "shipping": {
            "type": "object",
            "properties": {key: _TEXT for key in _WOOCOMMERCE_ADDRESS},
        },
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": _ID,
                    "sku": _TEXT,
                    "product_id": {"type": "integer"},
                    "variation_id": {"type": "integer"},
                    "quantity": {"type": "integer"},
                    "price": {
                        "type": "number",
                        "description": "The line's total after discounts, before tax, divided "
                        "by its quantity; rounded to the cent.",
                    },
                },
            },
        },
        "shipping_lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"method_id": _TEXT, "instance_id": _TEXT, "method_title": _TEXT},
            },
        },
    },
}
_SHOPIFY_REFUND: dict[str, Any] = {
    "type": "object",
    "title": "ShopifyRefund",
    "description": "A Shopify connector's `refunds/create` webhook body (the Admin REST Refund "
    "resource): the units of its `refund_line_items` whose `restock_type` is `cancel` come "
    "off the order Ordo filed under `order_id`.",
    "required": ["id", "order_id"],
    "properties": {
        "id": _ID,
        "order_id": _ID,
        "note": _TEXT,
        "refund_line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line_item_id": _ID,
                    "quantity": {"type": "integer"},
                    "restock_type": {
                        "type": "string",
                        "description": "`cancel` (units cancelled before fulfilment) is "
                        "taken; `return`, `no_restock` and `legacy_restock` are not.",
                    },
                },
            },
        },
    },
}
_PING: dict[str, Any] = {
    "type": "object",
    "title": "ChannelPing",
    "description": "A channel's check that the delivery URL answers, with no order in it: "
    "WooCommerce posts `webhook_id=N`, unsigned, when a webhook is activated. Answered 200; "
    "nothing is created.",
    "required": ["webhook_id"],
    "properties": {"webhook_id": {"type": "integer", "description": "The webhook's id."}},
    "examples": [{"webhook_id": 12}],
}
_PING_ANSWER: dict[str, Any] = {
    "type": "object",
    "title": "ChannelPingAnswer",
    "required": ["connector", "ping"],
    "properties": {"connector": {"type": "string"}, "ping": {"type": "boolean"}},
}
_CANCELLATION_ANSWER: dict[str, Any] = {
    "type": "object",
    "title": "ChannelCancellationAnswer",
    "required": ["connector", "channel_order_id", "outcome", "reason", "order"],
    "properties": {
        "connector": {"type": "string"},
        "channel_order_id": {"type": "string"},
        "outcome": {
            "type": "string",
            "enum": ["cancelled", "unchanged", "remembered", "refused"],
        },
        "reason": {"type": "string"},
        "order": {"anyOf": [{"$ref": "#/components/schemas/OrderOut"}, {"type": "null"}]},
    },
}
_UNIT_CANCELLATION_ANSWER: dict[str, Any] = {
    "type": "object",
    "title": "ChannelUnitCancellationAnswer",
    "description": "What came of the shop's cancellation of some units of an order "
    "(docs/channels.md#units-cancelled-in-the-shop).",
    "required": [
        "connector",
        "channel_order_id",
        "outcome",
        "reason",
        "cancelled",
        "refused",
        "order",
    ],
    "properties": {
        "connector": {"type": "string"},
        "channel_order_id": {"type": "string"},
        "outcome": {
            "type": "string",
            "enum": ["cancelled", "unchanged", "refused", "ignored"],
        },
        "reason": {"type": "string"},
        "cancelled": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "Units per line id that came off Ordo's order now.",
        },
        "refused": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "Units per line id past changing (picked or further on): a "
            "person was alerted to stop them.",
        },
        "order": {"anyOf": [{"$ref": "#/components/schemas/OrderOut"}, {"type": "null"}]},
    },
}
_IGNORED_ANSWER: dict[str, Any] = {
    "type": "object",
    "title": "ChannelDeliveryIgnored",
    "required": ["connector", "ignored", "reason"],
    "properties": {
        "connector": {"type": "string"},
        "ignored": {"type": "boolean"},
        "reason": {"type": "string"},
    },
}
_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "title": "ChannelOrderPayload",
                    "description": "The channel's own order, as its webhook posts it; the "
                    "fields Ordo reads are listed.",
                    "anyOf": [_SHOPIFY_ORDER, _SHOPIFY_REFUND, _WOOCOMMERCE_ORDER],
                    "examples": [_SHOPIFY_EXAMPLE, _WOOCOMMERCE_EXAMPLE],
                }
            },
            "application/x-www-form-urlencoded": {"schema": _PING},
        },
    },
    "parameters": [
        {
            "name": "X-Shopify-Hmac-Sha256",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "A Shopify connector's credential: the base64 HMAC-SHA256 of the "
            "raw body under the connector's secret. Not needed with an API key.",
        },
        {
            "name": "X-Shopify-Topic",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "A Shopify delivery's topic: `orders/create` (a new order), "
            "`orders/cancelled` (the shop cancelled the order: Ordo cancels it) or "
            "`refunds/create` (a refund: the units it cancels come off Ordo's order). Any "
            "other topic is 422 naming this header; without it, a delivery is taken as "
            "`orders/create`.",
        },
        {
            "name": "X-Shopify-Webhook-Id",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "The delivery's id, which Shopify's retries repeat: a delivery "
            "seen before is answered as the first time, when no Idempotency-Key is sent.",
        },
        {
            "name": "X-WC-Webhook-Signature",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "A WooCommerce connector's credential: the base64 HMAC-SHA256 of "
            "the raw body under the webhook's secret. Not needed with an API key, nor on "
            "WooCommerce's ping, which is unsigned.",
        },
        {
            "name": "X-WC-Webhook-Topic",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "A WooCommerce delivery's topic: `order.created`, or `order.updated` "
            "(an order in a cancel status is cancelled; lines lowered or removed come off "
            "Ordo's order; one in another status not taken is answered 200 and left alone). "
            "Any other topic is 422 naming this header; without it, a delivery is taken as "
            "`order.created`.",
        },
        {
            "name": "X-WC-Webhook-Delivery-ID",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "The delivery's id: with the order's `id`, a delivery seen before "
            "is answered as the first time, when no Idempotency-Key is sent.",
        },
    ],
}


@router.post(
    "/{connector_name}/orders",
    status_code=201,
    response_model=OrderOut,
    responses={
        201: {"description": "The order as decided, filed under the connector's channel."},
        200: {
            "description": "Ordo already has this order (the channel delivered it before): "
            "the order as it stands; nothing is created. Or the channel's ping was answered "
            "(WooCommerce's `webhook_id=N`), or the delivery was left alone (`ignored`, with "
            "the `reason`); nothing is created. Or the shop cancelled the order, or some "
            "units of it: `outcome` says what came of it.",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/OrderOut"},
                            _PING_ANSWER,
                            _IGNORED_ANSWER,
                            _CANCELLATION_ANSWER,
                            _UNIT_CANCELLATION_ANSWER,
                        ]
                    }
                }
            },
        },
        **problem_responses(404, 409),
    },
    summary="Take an order, or its cancellation, from a sales channel's own webhook (Shopify, "
    "WooCommerce)",
    openapi_extra=_OPENAPI,
)
def receive_channel_order(
    connector_name: ConnectorName,
    request: Request,
    who: WebhookCaller,
    services: Services,
    body: RawBody,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """The channel posts its order as it is. Shopify signs it (`X-Shopify-Hmac-Sha256`), and
    WooCommerce too (`X-WC-Webhook-Signature`); an integrator may send an API key instead (an
    admin's, or a channel key of the connector's channel). The connector translates the
    order, and the translation is ingested as `POST /v1/orders` would ingest it, filed under
    the connector's channel.

    201 with the order as decided; 200 with the order Ordo already had when the channel sends
    one again under a new delivery id. A retry of one delivery (the same
    `X-Shopify-Webhook-Id` or `X-WC-Webhook-Delivery-ID`, or `Idempotency-Key`) gets the
    first answer again. A field that cannot be mapped or is not valid is 422, naming the
    field in the channel's payload (`$.line_items[2].sku`). A refusal is not kept, so the
    channel's retry runs again once the cause is fixed. WooCommerce's ping
    (`webhook_id=N`, form-encoded, unsigned) is 200 and creates nothing. A delivery of a
    topic this URL does not take (`X-Shopify-Topic` other than `orders/create` or
    `orders/cancelled`, `X-WC-Webhook-Topic` other than `order.created` or `order.updated`)
    is 422 naming the header; a WooCommerce `order.updated` of an order in a status not
    taken, or an order with nothing to ship (virtual products, gift cards), is 200 `ignored`
    with the reason. Lines with nothing to ship are left out, and the answer lists them in
    `left_out`.

    The shop's cancellation of an order (`orders/cancelled`; an `order.updated` to a cancel
    status, `cancelled`, `refunded` or `failed` by default) cancels the order Ordo filed under
    its id, as `POST /v1/orders/{order_id}/cancel` does, and is 200 whatever came of it:
    `outcome` is `cancelled`, `unchanged` (cancelled or rejected already), `remembered` (not
    here yet: the order is cancelled as it arrives, before any stock is reserved), or
    `refused` (released or further on: `order.cancel_refused` and a high alert ask a person
    to stop it).

    The shop's cancellation of some units (Shopify's `refunds/create` with `cancel` lines; a
    WooCommerce `order.updated` whose lines are lower than Ordo's) takes them off the order
    as support's change would (`POST /v1/orders/{order_id}/modify` until a location picks,
    then the backordered remainder), and is 200 whatever came of it: `outcome` is
    `cancelled`, `unchanged` (taken before), `refused` (past changing: the units are listed,
    and `order.channel_change_refused` and a high alert ask a person to stop them), or
    `ignored` (no such order). A change that leaves the order nothing cancels it whole. See
    docs/channels.md."""
    connector = services.container.channels[connector_name]
    if who is None or connector.is_ping(body):
        # WooCommerce flags the webhook's set-up as failed unless its ping gets exactly 200.
        log.info("channel connector %s answered its channel's ping", connector_name)
        return JSONResponse({"connector": connector_name, "ping": True}, status_code=200)
    payload = _payload(body)
    cancellation = _cancellation(connector_name, connector, request, payload)
    units = None if cancellation else _unit_cancellation(connector_name, connector, request,
                                                         payload)  # fmt: skip
    delivery = key or connector.delivery_id(request.headers, payload)
    run: Callable[[], tuple[int, dict[str, Any]]]
    if cancellation is not None:
        asked = ChannelCancellation(connector.channel, cancellation.channel_order_id,
                                    cancellation.reason, who.actor, delivery or "")  # fmt: skip
        run = partial(_cancel, services, connector_name, asked)
    elif units is not None and units.cancelled is not None:
        run = partial(_cancel_units, services, who, connector, connector_name, payload,
                      _units_asked(connector, units, who, delivery))  # fmt: skip
    else:
        passed = _passed_over(connector_name, connector, request, payload)
        if passed is not None:
            return JSONResponse({"connector": connector_name, "ignored": True, "reason": passed})
        run = partial(_ingest, services, who, connector, payload)
        if units is not None:
            # The shop's whole order again: what it lowers comes off; otherwise it is an order.
            run = partial(_cancel_units, services, who, connector, connector_name, payload,
                          _units_asked(connector, units, who, delivery))  # fmt: skip

    def fingerprint() -> str:
        return request_hash("POST", f"/v1/channels/{connector_name}/orders", payload)

    try:
        return _once(services, who, delivery, fingerprint, run)
    except (RequestValidationError, DomainError) as refused:
        # The channel shows its failed deliveries to few people: say why in Ordo's log.
        shown = payload.get("name") or payload.get("id")
        what = "the cancellation of order" if cancellation is not None else "order"
        log.warning(
            "channel connector %s refused %s %s: %s", connector_name, what, shown, _said(refused)
        )
        raise


def _ingest(
    services: ApiServices, who: Principal, connector: WebhookChannel, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Take the channel's order: 201 with it as decided, or 200 with the order Ordo had."""
    order, left_out = translate_noting(connector, payload)
    noted = left_out_noted(left_out)
    try:
        return 201, {**ingest_one(services, who, order).model_dump(mode="json"), **noted}
    except Conflict:
        # Sent again under another delivery id: the channel gets a 2xx, so it stops
        # retrying an order that is safely here. Any other conflict stands.
        with services.container.uow_factory() as uow:
            found = uow.orders.get_by_channel_id(connector.channel, order.channel_order_id)
            if found is None:
                raise
            return 200, {**OrderOut.of(found).model_dump(mode="json"), **noted}


def _payload(body: bytes) -> dict[str, Any]:
    """The delivery as JSON, or the 400 (`unreadable_body`) and 422 every route gives."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise HTTPException(400, "There was an error parsing the body") from error
    if not isinstance(payload, dict):
        raise RequestValidationError(
            [
                {
                    "loc": ("body",),
                    "type": "dict_type",
                    "msg": f"must be the channel's order as a JSON object, got "
                    f"{type(payload).__name__}",
                }
            ]
        )
    return payload


def _passed_over(
    name: str, connector: WebhookChannel, request: Request, payload: dict[str, Any]
) -> str | None:
    """Why the connector leaves this delivery alone (answered 200, logged), or None to take
    it; a delivery of a topic no order comes in is 422 naming the header that gave it."""
    try:
        passed = connector.passed_over(request.headers, payload)
    except WrongTopic as wrong:
        log.warning("channel connector %s refused a delivery: %s", name, wrong)
        error = {"loc": ("header", wrong.header), "type": "webhook_topic", "msg": wrong.message}
        raise RequestValidationError([error]) from None
    if passed is not None:
        shown = payload.get("name") or payload.get("id")
        log.info("channel connector %s left order %s alone: %s", name, shown, passed)
    return passed


def _cancellation(
    name: str, connector: WebhookChannel, request: Request, payload: dict[str, Any]
) -> Cancellation | None:
    """The order the delivery cancels, when it is the shop's cancellation of one; one that
    names no order is 422 at the field."""
    try:
        return connector.cancellation(request.headers, payload)
    except PayloadError as unmapped:
        log.warning("channel connector %s refused a cancellation: %s", name, unmapped)
        raise RequestValidationError(_field_errors(unmapped)) from None


def _unit_cancellation(
    name: str, connector: WebhookChannel, request: Request, payload: dict[str, Any]
) -> UnitCancellation | None:
    """The units of an order the delivery cancels, when it is the shop's word that some are;
    one whose order or lines cannot be read is 422 at the fields."""
    try:
        return connector.unit_cancellation(request.headers, payload)
    except PayloadError as unmapped:
        log.warning("channel connector %s refused a cancellation of units: %s", name, unmapped)
        raise RequestValidationError(_field_errors(unmapped)) from None


def _units_asked(
    connector: WebhookChannel, units: UnitCancellation, who: Principal, delivery: str | None
) -> ChannelUnitCancellation:
    return ChannelUnitCancellation(
        connector.channel, units.channel_order_id, units.reason, who.actor,
        cancelled=units.cancelled, kept=units.kept, change=units.change,
        delivery_id=delivery or "",
    )  # fmt: skip


def _cancel_units(
    services: ApiServices,
    who: Principal,
    connector: WebhookChannel,
    name: str,
    payload: dict[str, Any],
    asked: ChannelUnitCancellation,
) -> tuple[int, dict[str, Any]]:
    """Take the units the shop cancelled off its order, as support's change would: 200
    whatever came of it, with the `outcome`, why, and the units per line that came off and
    that were past it. A whole order that cancels nothing is taken as the order it is."""

    def run(command: Command, audited: Callable[[UnitOfWork], None]) -> Any:
        return dispatch(services, command, audited)

    done = cancel_units_for_channel(services.container.uow_factory, run, asked)
    if done is None:
        return _ingest(services, who, connector, payload)
    log.info("channel connector %s: the shop cancelled units of order %s: %s (%s)", name,
             asked.channel_order_id[:64], done.outcome, done.reason)  # fmt: skip
    order = None if done.order is None else OrderOut.of(done.order).model_dump(mode="json")
    return 200, {
        "connector": name,
        "channel_order_id": asked.channel_order_id,
        "outcome": done.outcome,
        "reason": done.reason,
        "cancelled": done.cancelled,
        "refused": done.refused,
        "order": order,
    }


def _cancel(
    services: ApiServices, name: str, cancellation: ChannelCancellation
) -> tuple[int, dict[str, Any]]:
    """Cancel the order the shop cancelled, as support would, for the channel's caller (or
    remember it for an order not here yet): 200 whatever came of it, with the `outcome` and
    why."""

    def run(command: Command, audited: Callable[[UnitOfWork], None]) -> Any:
        return dispatch(services, command, audited)

    done = cancel_for_channel(services.container.uow_factory, run, cancellation)
    log.info("channel connector %s: the shop cancelled order %s: %s (%s)", name,
             cancellation.channel_order_id[:64], done.outcome, done.reason)  # fmt: skip
    order = None if done.order is None else OrderOut.of(done.order).model_dump(mode="json")
    return 200, {
        "connector": name,
        "channel_order_id": cancellation.channel_order_id,
        "outcome": done.outcome,
        "reason": done.reason,
        "order": order,
    }


def left_out_noted(left_out: Sequence[LeftOut]) -> dict[str, Any]:
    """`{"left_out": [...]}`, each line left out by its path, SKU and why; {} for none: what
    an answer (or `ordo channels check`) adds to the order."""
    if not left_out:
        return {}
    return {
        "left_out": [
            {"path": json_path(line.loc), "sku": line.sku, "reason": line.reason}
            for line in left_out
        ]
    }


def translate_noting(
    connector: WebhookChannel, payload: dict[str, Any]
) -> tuple[OrderIn, tuple[LeftOut, ...]]:
    """The channel's order as `POST /v1/orders` takes it, validated by the same model, and
    the lines the connector left out of it (nothing to ship: virtual products, gift cards).
    Every error, the mapping's and the model's alike, names its field in the channel's
    payload, and all of them come at once."""
    try:
        order = connector.to_order(payload)
    except PayloadError as unmapped:
        errors = _field_errors(unmapped)
        # What did map is checked too. A field the mapping refused is left out of the body,
        # so the model's "missing" for it, or for a part of it, would name it twice.
        for error in _model_errors(unmapped.partial):
            named = any(_overlap(error["loc"], known["loc"]) for known in errors)
            if error["type"] != "missing" and not named:
                errors.append(error)
        raise RequestValidationError(errors) from None
    try:
        return OrderIn.model_validate(order.body), order.left_out
    except ValidationError:
        raise RequestValidationError(_model_errors(order)) from None


def _field_errors(unmapped: PayloadError) -> list[dict[str, Any]]:
    """The fields the connector could not map, as the API's validation errors in the body."""
    return [
        {"loc": ("body", *error.loc), "type": error.kind, "msg": error.message}
        for error in unmapped.errors
    ]


def _model_errors(order: ChannelOrder | None) -> list[dict[str, Any]]:
    """The order model's errors for `order`'s body, each at the payload field its value came
    from."""
    if order is None:
        return []
    try:
        OrderIn.model_validate(order.body)
    except ValidationError as invalid:
        return [
            {**error, "loc": ("body", *order.source_of(tuple(error["loc"])))}
            for error in invalid.errors()
        ]
    return []


def _overlap(one: Sequence[Any], other: Sequence[Any]) -> bool:
    """Whether one place in the payload contains the other (or is it)."""
    shorter = min(len(one), len(other))
    return tuple(one[:shorter]) == tuple(other[:shorter])


def _once(
    services: ApiServices,
    who: Principal,
    key: str | None,
    fingerprint: Callable[[], str],
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """Run `run` at most once per (caller, key) and replay its answer to a repeat. Unlike
    the other routes, only a success is kept: `run` raises a refusal, which gives the key
    back, so a channel's retry after the cause is fixed is decided again."""
    if key is None:
        status, answer = run()
        return JSONResponse(answer, status_code=status)
    replay = services.idempotency.claim(who.key_id, key, fingerprint())
    if replay is not None:
        return JSONResponse(
            replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
        )
    try:
        status, answer = run()
    except BaseException:
        services.idempotency.abandon(who.key_id, key)
        raise
    services.idempotency.finish(who.key_id, key, status, answer)
    return JSONResponse(answer, status_code=status)


def _said(error: Exception) -> str:
    if isinstance(error, RequestValidationError):
        return "; ".join(f"{json_path(e['loc'])}: {e['msg']}" for e in error.errors())
    return str(error)
