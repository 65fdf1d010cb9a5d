"""A webhook sink: posts each alert (or any message) as JSON to a URL.

With a secret configured, each post is signed as Standard Webhooks signs (`webhook-id`,
`webhook-timestamp`, `webhook-signature`, `connectors.base.signed_headers`) and with Ordo's
older `X-Ordo-Signature: sha256=<hex>`, so the receiver can tell Ordo's posts from anyone
else's, and a fresh one from a replay. The HTTP client is passed in by the composition root
(or built on first send), never at import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base import (
    ConnectorConfig,
    DeliveryError,
    HttpConnector,
    Notification,
    OutboundMessage,
    host_of,
    message_id_of,
    refusal_message,
    signed_headers,
    url_parts,
)


class WebhookConfig(ConnectorConfig):
    url: str
    headers: dict[str, str] = {}
    secret: SecretStr | None = None
    timeout_seconds: float = 5.0


class WebhookSink(HttpConnector, Notification):
    slug = "webhook"
    title = "Webhook (JSON POST)"
    Config = WebhookConfig
    config: WebhookConfig

    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
        self.post({"kind": kind, "recipients": list(to), **context})

    def send(self, message: OutboundMessage) -> None:
        self.post(
            {
                "kind": message.kind,
                "recipients": list(message.to),
                "subject": message.subject,
                "text": message.text,
                **message.data,
            }
        )

    def post(self, body: Mapping[str, Any]) -> None:
        content = json.dumps(body, default=str, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **self.config.headers}
        if self.config.secret is not None:
            secret = self.config.secret.get_secret_value()
            headers |= signed_headers(
                secret, self._message_id(body, content), content, self.clock()
            )
        where = host_of(self.config.url)
        hidden = self._hidden()
        try:
            response = self.client.post(self.config.url, content=content, headers=headers)
        except httpx.HTTPError as error:
            said = refusal_message(str(error) or type(error).__name__, hidden)
            raise DeliveryError(f"webhook {where} unreachable: {said}") from None
        if response.status_code >= 300:
            said = refusal_message(response.text, hidden)
            raise DeliveryError(f"webhook {where} answered {response.status_code}: {said}")

    def _message_id(self, body: Mapping[str, Any], content: bytes) -> str:
        """The same on every attempt of one post: made from the alert's id for an alert, the
        event's for an event. An alert is read again on each attempt, and its count of
        occurrences may have grown, so its body is no id; a post that is neither has only its
        body to go by."""
        kind = str(body.get("kind", ""))
        subject = body.get(kind)
        if kind in ("alert", "event") and isinstance(subject, Mapping) and subject.get("id"):
            return message_id_of(self.config.url, kind, str(subject["id"]))
        return message_id_of(self.config.url, "body", content.decode())

    def _hidden(self) -> list[str]:
        """What a delivery error must not show: the URL's path and query, where receivers
        keep their tokens (it reaches logs and dead letters), and the signing secret."""
        secret = [] if self.config.secret is None else [self.config.secret.get_secret_value()]
        return url_parts(self.config.url) + secret

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
