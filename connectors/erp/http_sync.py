"""An ERP or CRM kept in step over HTTPS with JSON, by Ordo's own contract.

`sync(entity, data)` PUTs an entity's current state to its own URL, an idempotent upsert:

    PUT <url>/orders/{id}     PUT <url>/customers/{id}     PUT <url>/returns/{id}
    PUT <url>/stock/{sku}/{location_code}

and `erase("customer", data)` DELETEs `<url>/customers/{id}` when the customer's personal data
was erased in Ordo. Each body (version 1 of the contract in docs/integrations.md, `"contract":
"ordo.sync.v1"`) names the operation, the entity and its key, so a signed body is good for its
own URL only, and carries `version`: a number that grows with each state Ordo sends of an
entity. Updates may arrive late or twice (events are delivered at least once, by several
workers), so the receiver keeps the highest version it has seen and drops the rest.

Every request is signed with the shared secret as Standard Webhooks signs (`webhook-id`,
`webhook-timestamp`, `webhook-signature`, `connectors.base.signed_headers`) and with Ordo's
older `X-Ordo-Signature: sha256=<hex>`. The id is made from the event that called for the
request and the entity's URL: a retried event reads the entity again, under a new version,
and its requests keep their ids. A refusal or a network failure is a `DeliveryError` naming
the receiver's host, what was sent, the status and what the receiver said, never the secret.
A 4xx that trying again cannot mend (any but 401, 403, 408, 409, 425 and 429: the receiver
will never take this state, say a 422 for a record it cannot hold) is a `PermanentRefusal`:
the worker retries it as any failure, and `ordo erp backfill` reports it and goes on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr, field_validator

from connectors.base import (
    ConnectorConfig,
    DeliveryError,
    ErpCrm,
    HttpConnector,
    PermanentRefusal,
    check_base_url,
    host_of,
    message_id_of,
    refusal_message,
    signed_headers,
    url_parts,
)

CONTRACT = "ordo.sync.v1"
Entities = Literal["orders", "customers", "returns", "stock"]
ENTITIES: tuple[Entities, ...] = ("orders", "customers", "returns", "stock")
# Each entity: its collection in the URL and the fields of its key, in the URL's order.
KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "order": ("orders", ("id",)),
    "customer": ("customers", ("id",)),
    "return": ("returns", ("id",)),
    "stock": ("stock", ("sku", "location_code")),
}
# Refusals that trying again may mend (a secret being fixed, a lock, a rate limit); any other
# 4xx is the receiver saying it will never take this state.
_RETRYABLE_REFUSALS = (401, 403, 408, 409, 425, 429)


class HttpSyncConfig(ConnectorConfig):
    url: str  # the receiver's base URL; the entity's path is appended
    secret: SecretStr  # signs each request (`webhook-signature` and more)
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    entities: tuple[Entities, ...] = Field(default=ENTITIES, min_length=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_base_url(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be blank")
        return value


class HttpSync(HttpConnector, ErpCrm):
    slug = "http"
    title = "ERP or CRM over HTTPS (Ordo's JSON contract, docs/integrations.md)"
    Config = HttpSyncConfig
    config: HttpSyncConfig

    @property
    def entities(self) -> tuple[str, ...]:
        return self.config.entities

    def sync(self, entity: str, data: Mapping[str, Any]) -> None:
        """PUT the entity's state. `data`: `key` (its key fields), `version`, `updated_at`,
        `state` (the entity as Ordo holds it now) and `event_id`, the event that called for it
        (for the request's `webhook-id`; not sent in the body)."""
        body = self._envelope("upsert", entity, data)
        body["data"] = dict(data["state"])
        self._send("PUT", entity, data, body)

    def erase(self, entity: str, data: Mapping[str, Any]) -> None:
        """DELETE the entity: the receiver forgets who the person is. `data`: `key`,
        `version`, `updated_at`, `event_id`."""
        self._send("DELETE", entity, data, self._envelope("erase", entity, data))

    def _envelope(self, op: str, entity: str, data: Mapping[str, Any]) -> dict[str, Any]:
        if entity not in KEYS:
            raise ValueError(f"no such entity to sync: {entity!r} (one of {', '.join(KEYS)})")
        return {
            "contract": CONTRACT,
            "op": op,
            "entity": entity,
            "key": dict(data["key"]),
            "version": data["version"],
            "updated_at": data["updated_at"],
        }

    def _send(
        self, method: str, entity: str, data: Mapping[str, Any], body: Mapping[str, Any]
    ) -> None:
        collection, fields = KEYS[entity]
        key = data["key"]
        path = "/".join(quote(str(key[field]), safe="") for field in fields)
        url = f"{self.config.url}/{collection}/{path}"
        content = json.dumps(body, default=str, separators=(",", ":")).encode()
        secret = self.config.secret.get_secret_value()
        headers = {
            "Content-Type": "application/json",
            **signed_headers(secret, self._message_id(method, url, data), content, self.clock()),
        }
        what = f"{method} {collection}/{'/'.join(str(key[field]) for field in fields)}"
        where = host_of(self.config.url)
        hidden = [secret, *url_parts(self.config.url)]
        try:
            answer = self.client.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as error:
            said = refusal_message(str(error) or type(error).__name__, hidden)
            raise DeliveryError(f"ERP {where} unreachable for {what}: {said}") from None
        if not 200 <= answer.status_code < 300:
            said = refusal_message(answer.text, hidden)
            status = answer.status_code
            for_good = 400 <= status < 500 and status not in _RETRYABLE_REFUSALS
            refused = PermanentRefusal if for_good else DeliveryError
            raise refused(f"ERP {where} refused {what}: {status} {said}")

    @staticmethod
    def _message_id(method: str, url: str, data: Mapping[str, Any]) -> str:
        # A retried event sends the entity again under a new version: its event id is what the
        # retry repeats. Called without one (not by the worker), the version is all there is.
        event_id = data.get("event_id")
        if event_id:
            return message_id_of(method, url, "event", str(event_id))
        return message_id_of(method, url, "version", str(data["version"]))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
