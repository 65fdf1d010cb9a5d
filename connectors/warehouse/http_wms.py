"""A warehouse system (WMS) reached with JSON over HTTPS, by Ordo's own contract.

`release` POSTs one released fulfilment order to `<base_url>/fulfilment-orders` and returns
the reference the WMS answers with (`{"reference": "..."}`). The body is version 1 of the
contract in docs/integrations.md (`"contract": "ordo.wms.v1"`), which a WMS, or a small
adapter in front of one, implements. The shipment's id travels as the `Idempotency-Key`
header: Ordo's events are delivered at least once, so the same shipment may be posted again,
and the WMS answers a repeat with the reference it gave the first time.

Changes Ordo makes afterwards go to the order's reference: `update` PUTs the fulfilment order
as it is now to `<base_url>/fulfilment-orders/{reference}` and `cancel` POSTs to
`.../{reference}/cancel`, each with `"message"` naming it, in the same contract. A 409
answer means the WMS is past the change (it shipped the order): that is a
`PermanentRefusal`, which the caller does not retry.

Stock transfers out of a location the WMS runs (ship to store, or made by hand) are a
document of their own in the same contract: `send_transfer` POSTs one to
`<base_url>/transfer-orders` with the transfer's id as the `Idempotency-Key` and returns the
WMS's reference; `cancel_transfer` POSTs `.../transfer-orders/{reference}/cancel`, a 409 to
which is a `PermanentRefusal` as for a shipment. They go through the same request code, so
they are authenticated and signed exactly as a release is. A WMS (or adapter) built before
transfer orders is configured with `transfers: false` and is sent none.

A transfer *into* a location the WMS runs is announced when its sender reports it shipped:
`send_inbound_transfer` POSTs an expected receipt (an advance ship notice: where from, what,
carrier, tracking number, when it left and the day it is due) to
`<base_url>/inbound-transfers` with `<transfer id>:inbound` as the `Idempotency-Key`. The
reference the WMS answers is kept if it gives one; a WMS that answers a bare 2xx knows the
receipt by that key, which is kept instead. The same `transfers` setting turns it off, and
a 409 (the WMS will not expect it) is a `PermanentRefusal`. When the transfer's arrival day
is revised afterwards, `update_inbound_transfer` PUTs the receipt as it is now to
`.../inbound-transfers/{reference}` (`"message": "update"`), keyed by the transfer and the
event that revised it, as a shipment's update is; a 409 to it is a `PermanentRefusal` too.

When a shipment (or transfer) is cancelled in Ordo without the reference of its release (the
WMS took it but its answer was lost, or the worker's commit failed), the worker asks the WMS
before concluding there is nothing to cancel: `find_fulfilment_order` GETs
`<base_url>/fulfilment-orders?id=<shipment id>` (`find_transfer_order`, `.../transfer-orders
?id=<transfer id>`), an optional request of the same contract. A 2xx names the reference; a
404 whose body says `{"found": false}` holds none; a 405, a 501 or a bare 404 (a WMS built
before the lookup: its router knows no such request) says it cannot be asked.

The WMS knows Ordo by a bearer token, a signature, or both. With a secret, each request is
signed as Standard Webhooks signs (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
`connectors.base.signed_headers`), its id made from the shipment's id so that a repeat has
the id of the first, and also with Ordo's older `X-Ordo-Signature: sha256=<hex>`. A refusal
or a network failure is a `DeliveryError` naming the WMS's host, the shipment, the status and
what the WMS said, never the token or the secret. The HTTP client is passed in (tests) or
built on first use.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr, field_validator, model_validator

from connectors.base import (
    ConnectorConfig,
    DeliveryError,
    FoundOrder,
    HttpConnector,
    PermanentRefusal,
    WarehouseSystem,
    check_base_url,
    host_of,
    message_id_of,
    refusal_message,
    signed_headers,
    url_parts,
)

CONTRACT = "ordo.wms.v1"
PATH = "/fulfilment-orders"
TRANSFER_PATH = "/transfer-orders"
INBOUND_PATH = "/inbound-transfers"
ANY_LOCATION = "*"
# The shipment (or transfer) keeps the reference in a column of this size
# (fulfillment_orders.wms_reference, inbound_supply.wms_reference).
MAX_REFERENCE = 128
# Location codes are stored in columns of this size (locations.code).
MAX_LOCATION_CODE = 64
# What a WMS answers an update or a cancellation of an order it shipped (or packed) already:
# never retried, a person is told instead (docs/integrations.md).
TOO_LATE = 409
# What a WMS built before the lookup (`find_fulfilment_order`) answers it: a 404 without
# NOT_FOUND_BODY, a 405 or a 501. It cannot be asked, and a person is asked to look instead.
LOOKUP_UNSUPPORTED = frozenset({404, 405, 501})
NOT_FOUND_BODY = '{"found": false}'


class HttpWarehouseConfig(ConnectorConfig):
    base_url: str  # Ordo posts to <base_url>/fulfilment-orders
    token: SecretStr | None = None  # sent as `Authorization: Bearer <token>`
    secret: SecretStr | None = None  # signs each request (`webhook-signature` and more)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Location codes whose shipments go to this WMS; "*" for every location no other WMS serves.
    locations: tuple[str, ...] = Field(min_length=1)
    # Whether the WMS takes transfer orders (`/transfer-orders`) and expected receipts of
    # transfers coming in (`/inbound-transfers`): false for a WMS or adapter built before
    # them, whose locations' staff then ship and receive transfers by hand, as before.
    transfers: bool = True

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    @field_validator("locations")
    @classmethod
    def _locations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(code.strip() for code in value)
        for code in codes:
            if not code or len(code) > MAX_LOCATION_CODE or any(ch.isspace() for ch in code):
                raise ValueError(
                    f"each must be a location code of 1 to {MAX_LOCATION_CODE} characters "
                    f"without spaces, or {ANY_LOCATION} for every other location, got {code!r}"
                )
        if len(set(codes)) != len(codes):
            raise ValueError("names a location twice")
        return codes

    @model_validator(mode="after")
    def _credentials(self) -> HttpWarehouseConfig:
        if self.token is None and self.secret is None:
            # The field in front: the start-up error names it (connectors.base).
            raise ValueError(
                "token: is required unless a secret is given; the WMS must be able to tell "
                "Ordo's requests from anyone's (a bearer token, an HMAC secret, or both)"
            )
        return self


class HttpWarehouse(HttpConnector, WarehouseSystem):
    slug = "http"
    title = "Warehouse system over HTTPS (Ordo's JSON contract, docs/integrations.md)"
    Config = HttpWarehouseConfig
    config: HttpWarehouseConfig

    @property
    def locations(self) -> tuple[str, ...]:
        return self.config.locations

    @property
    def takes_transfers(self) -> bool:
        return self.config.transfers

    def release(self, fulfilment_order: Mapping[str, Any]) -> str:
        """POST one fulfilment order (Ordo's plain-data view of it, see
        `engine.service_layer.warehouse.fulfilment_order_facts`, with its `parcels` when it
        was packed into boxes); the WMS's reference."""
        shipment_id = str(fulfilment_order["id"])
        body = {"contract": CONTRACT, **fulfilment_order}
        # The shipment is what a repeat repeats, for the idempotency key and the signature.
        answer = self._send("POST", PATH, body, shipment_id, shipment_id, "shipment")
        return self._reference(answer, "shipment", shipment_id)

    def update(self, reference: str, fulfilment_order: Mapping[str, Any], change_id: str) -> None:
        """PUT the fulfilment order as it is now to `<base_url>/fulfilment-orders/{reference}`
        (`"message": "update"`); `change_id` (the event that changed it) keeps a repeat of
        this change a repeat, while the shipment's next change is a request of its own."""
        shipment_id = str(fulfilment_order["id"])
        body = {"contract": CONTRACT, "message": "update", "reference": reference,
                **fulfilment_order}  # fmt: skip
        key = f"{shipment_id}:update:{change_id}"
        self._send("PUT", _order_path(reference), body, key, key, "the update of shipment")

    def cancel(self, reference: str, fulfilment_order: Mapping[str, Any]) -> None:
        """POST `<base_url>/fulfilment-orders/{reference}/cancel` (`"message": "cancel"`): a
        cancellation is final, so every attempt at it, whatever event led to it, is one
        request to the WMS (the same idempotency key and message id)."""
        shipment_id = str(fulfilment_order["id"])
        body = {
            "contract": CONTRACT, "message": "cancel", "reference": reference,
            **{name: fulfilment_order[name] for name in ("id", "order", "location_code")},
        }  # fmt: skip
        key = f"{shipment_id}:cancel"
        path = _order_path(reference) + "/cancel"
        self._send("POST", path, body, key, key, "the cancellation of shipment")

    def send_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        """POST one stock transfer out of a location this WMS runs (Ordo's plain-data view
        of it, `engine.service_layer.wms_transfers.transfer_facts`) to
        `<base_url>/transfer-orders`; the WMS's reference, or None (nothing sent) when its
        `transfers` setting is off. The transfer's id is the idempotency key and makes the
        message id, as a shipment's does for its release."""
        if not self.config.transfers:
            return None  # this WMS takes none (its setting): the transfer is shipped by hand
        transfer_id = str(transfer["id"])
        body = {"contract": CONTRACT, **transfer}
        answer = self._send("POST", TRANSFER_PATH, body, transfer_id, transfer_id, "transfer")
        return self._reference(answer, "transfer", transfer_id)

    def cancel_transfer(self, reference: str, transfer: Mapping[str, Any]) -> None:
        """POST `<base_url>/transfer-orders/{reference}/cancel` (`"message": "cancel"`),
        once per transfer as a shipment's cancellation is; a 409 (shipped already) is a
        `PermanentRefusal`."""
        transfer_id = str(transfer["id"])
        body = {
            "contract": CONTRACT, "message": "cancel", "reference": reference,
            **{name: transfer[name] for name in ("id", "order", "location_code")},
        }  # fmt: skip
        key = f"{transfer_id}:cancel"
        path = _order_path(reference, TRANSFER_PATH) + "/cancel"
        self._send("POST", path, body, key, key, "the cancellation of transfer")

    def send_inbound_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        """POST the expected receipt of a shipped transfer into a location this WMS runs
        (`engine.service_layer.wms_transfers.inbound_facts`) to `<base_url>/inbound-transfers`;
        the WMS's reference for it, else the `Idempotency-Key` it was sent under
        (`<transfer id>:inbound`, which names it at the WMS too); None (nothing sent) when
        the `transfers` setting is off. A 409 is a `PermanentRefusal`."""
        if not self.config.transfers:
            return None  # this WMS takes none (its setting): the store receives it by hand
        transfer_id = str(transfer["id"])
        body = {"contract": CONTRACT, **transfer}
        key = f"{transfer_id}:inbound"
        what = "the expected receipt of transfer"
        answer = self._send("POST", INBOUND_PATH, body, key, key, what)
        said = _said_reference(answer)
        if said is None or (isinstance(said, str) and not said.strip()):
            return key  # a bare 2xx (204): the WMS knows the receipt by Ordo's key
        return self._reference(answer, what, transfer_id)

    def update_inbound_transfer(
        self, reference: str, transfer: Mapping[str, Any], change_id: str
    ) -> bool:
        """PUT the expected receipt as it is now (`inbound_facts`, its arrival day revised)
        to `<base_url>/inbound-transfers/{reference}` (`"message": "update"`), as a
        shipment's update is put to its reference; `change_id` (the event that revised it)
        keeps a repeat of this change a repeat, while the next revision is a request of its
        own. False (nothing sent) when the `transfers` setting is off. A 409 is a
        `PermanentRefusal`."""
        if not self.config.transfers:
            return False  # turned off since the receipt was sent: the dock keeps its day
        transfer_id = str(transfer["id"])
        body = {"contract": CONTRACT, "message": "update", "reference": reference,
                **transfer}  # fmt: skip
        key = f"{transfer_id}:inbound:update:{change_id}"
        path = _order_path(reference, INBOUND_PATH)
        self._send("PUT", path, body, key, key, "the update of the expected receipt of transfer")
        return True

    def find_fulfilment_order(self, shipment_id: str) -> FoundOrder:
        """GET `<base_url>/fulfilment-orders?id=<shipment id>`: the reference of the
        fulfilment order the WMS made for that shipment (`_find` reads the answer)."""
        return self._find(PATH, shipment_id, "the fulfilment order of shipment")

    def find_transfer_order(self, transfer_id: str) -> FoundOrder:
        """GET `<base_url>/transfer-orders?id=<transfer id>`, as for a shipment. A WMS whose
        `transfers` setting is off was sent none, so holds none: it is not asked."""
        if not self.config.transfers:
            return FoundOrder()
        return self._find(TRANSFER_PATH, transfer_id, "the transfer order of transfer")

    def _find(self, documents: str, sent_id: str, what: str) -> FoundOrder:
        """Ask the WMS for the `documents` it made for Ordo's id `sent_id`. A 2xx names its
        reference; a 404 whose JSON says `"found": false` is "none here". A WMS built before
        the lookup answers it 405 or 501, or 404 without that body (its router knows no such
        request): it cannot be asked. Anything else is a `DeliveryError`, to retry."""
        path = f"{documents}?id={quote(sent_id, safe='')}"
        # A question, not a delivery: a message id of its own on every attempt, so that a
        # receiver dropping repeated ids (Standard Webhooks' advice) never drops it.
        answer = self._request("GET", path, b"", {}, uuid.uuid4().hex, what, sent_id)
        status = answer.status_code
        if 200 <= status < 300:
            return FoundOrder(self._reference(answer, what, sent_id))
        if status == 404 and _says_not_found(answer):
            return FoundOrder()
        said = refusal_message(answer.text, self._secrets())
        where = host_of(self.config.base_url)
        if status in LOOKUP_UNSUPPORTED:
            return FoundOrder.unsupported(
                f"WMS {where} does not look orders up by Ordo's id: asked for {what} "
                f"{sent_id}, it answered {status} {said} (one that holds none answers 404 "
                f"{NOT_FOUND_BODY})"
            )
        raise DeliveryError(f"WMS {where} refused the lookup of {what} {sent_id}: {status} {said}")

    def _send(
        self, method: str, path: str, body: Mapping[str, Any], key: str, repeat: str,
        what: str,
    ) -> httpx.Response:  # fmt: skip
        """One signed request; its 2xx answer, else `DeliveryError` naming `what` and the
        shipment or transfer (`body["id"]`), `PermanentRefusal` for a 409 (the WMS is past
        the change)."""
        sent_id = str(body["id"])
        content = json.dumps(body, default=str, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        answer = self._request(method, path, content, headers, repeat, what, sent_id)
        where = host_of(self.config.base_url)
        if not 200 <= answer.status_code < 300:
            said = refusal_message(answer.text, self._secrets())
            refused = PermanentRefusal if answer.status_code == TOO_LATE else DeliveryError
            raise refused(f"WMS {where} refused {what} {sent_id}: {answer.status_code} {said}")
        return answer

    def _request(
        self, method: str, path: str, content: bytes, headers: Mapping[str, str], repeat: str,
        what: str, sent_id: str,
    ) -> httpx.Response:  # fmt: skip
        """One request, authenticated and signed (its message id made from the URL and
        `repeat`); its answer, whatever the status, else `DeliveryError` when the WMS cannot
        be reached."""
        headers = {"Accept": "application/json", **headers}
        if self.config.token is not None:
            headers["Authorization"] = f"Bearer {self.config.token.get_secret_value()}"
        url = self.config.base_url + path
        if self.config.secret is not None:
            secret = self.config.secret.get_secret_value()
            headers |= signed_headers(secret, message_id_of(url, repeat), content, self.clock())
        try:
            return self.client.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as error:
            said = refusal_message(str(error) or type(error).__name__, self._secrets())
            where = host_of(self.config.base_url)
            raise DeliveryError(f"WMS {where} unreachable for {what} {sent_id}: {said}") from None

    def _reference(self, answer: httpx.Response, what: str, sent_id: str) -> str:
        """The reference the WMS answered for the `what` (shipment, transfer) `sent_id`."""
        where = host_of(self.config.base_url)
        reference = _said_reference(answer)
        if not isinstance(reference, str) or not reference.strip():
            raise DeliveryError(
                f"WMS {where} answered {answer.status_code} for {what} {sent_id} without "
                'a reference (expected a JSON body such as {"reference": "WMS-123"})'
            )
        reference = reference.strip()
        if len(reference) > MAX_REFERENCE or not reference.isprintable():
            raise DeliveryError(
                f"WMS {where} answered a reference for {what} {sent_id} that Ordo cannot "
                f"keep: it must be 1 to {MAX_REFERENCE} printable characters"
            )
        return reference

    def _secrets(self) -> list[str]:
        """What an error must not show: the token, the secret, and the base URL's path and
        query, should the WMS or httpx echo them."""
        return [
            value.get_secret_value()
            for value in (self.config.token, self.config.secret)
            if value is not None
        ] + url_parts(self.config.base_url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _said_reference(answer: httpx.Response) -> Any:
    """The `reference` of a JSON answer, as the WMS gave it (any type); None without one."""
    try:
        return answer.json().get("reference")
    except (ValueError, AttributeError):
        return None


def _says_not_found(answer: httpx.Response) -> bool:
    """Whether a 404 is the WMS's "I hold no such order" (`{"found": false}`), not a router's
    "no such request"."""
    try:
        said = answer.json()
    except ValueError:
        return False
    return isinstance(said, dict) and said.get("found") is False


def _order_path(reference: str, documents: str = PATH) -> str:
    # A WMS's reference may hold any printable character, '/' and spaces too.
    return f"{documents}/{quote(reference, safe='')}"
