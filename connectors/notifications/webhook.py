"""A webhook sink: posts each alert (or any message) as JSON to a URL.

The body is signed with HMAC-SHA256 when a secret is configured (header `X-Ordo-Signature:
sha256=<hex>`), so the receiver can tell Ordo's posts from anyone else's. The HTTP client is
passed in by the composition root (or built on first send), never at import.
"""

from __future__ import annotations

import hashlib
import hmac
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
            digest = hmac.new(
                self.config.secret.get_secret_value().encode(), content, hashlib.sha256
            ).hexdigest()
            headers["X-Ordo-Signature"] = f"sha256={digest}"
        try:
            response = self.client.post(self.config.url, content=content, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook {self.config.url} unreachable: {error}") from error
        if response.status_code >= 300:
            raise DeliveryError(
                f"webhook {self.config.url} answered {response.status_code}: {response.text[:200]}"
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
