"""Email over SMTP: customer messages and alerts rendered from templates, sent as text + HTML.

One SMTP connection per message keeps the connector stateless (workers are threads and
processes that come and go); volumes per worker are a few messages a second at most.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from pydantic import SecretStr

from connectors.base import ConnectorConfig, DeliveryError, Notification, OutboundMessage
from connectors.notifications.templates import TemplateRenderer

log = logging.getLogger(__name__)


class SmtpConfig(ConnectorConfig):
    host: str
    port: int = 25
    sender: str = "ordo@localhost"
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0
    shop_name: str = "Ordo"


class SmtpEmail(Notification):
    slug = "smtp"
    title = "Email (SMTP)"
    Config = SmtpConfig
    config: SmtpConfig

    def __init__(
        self,
        config: SmtpConfig | Mapping[str, Any] | None = None,
        renderer: TemplateRenderer | None = None,
    ) -> None:
        super().__init__(config)
        self.renderer = renderer or TemplateRenderer()

    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
        """Render the `kind` template for `context` and send it to `to`."""
        recipients = tuple(address for address in to if address)
        if not recipients:
            return
        subject, text, html = self.renderer.render(
            kind, {"shop_name": self.config.shop_name, **context}
        )
        self.send(OutboundMessage(recipients, subject, text, html, kind, dict(context)))

    def send(self, message: OutboundMessage) -> None:
        email = EmailMessage()
        email["From"] = self.config.sender
        email["To"] = ", ".join(message.to)
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain=self.config.sender.rpartition("@")[2] or None)
        if message.kind:
            email["X-Ordo-Kind"] = message.kind
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        try:
            with smtplib.SMTP(
                self.config.host, self.config.port, timeout=self.config.timeout_seconds
            ) as smtp:
                if self.config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.username and self.config.password is not None:
                    smtp.login(self.config.username, self.config.password.get_secret_value())
                refused = smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                f"SMTP {self.config.host}:{self.config.port} refused or unreachable: {error}"
            ) from error
        if refused:
            # Sent to the others: raising would retry and send them the message twice.
            log.warning(
                "SMTP %s:%s refused %s of the %s message (sent to the other recipients): %s",
                self.config.host, self.config.port, ", ".join(sorted(refused)),
                message.kind or "e-mail", "; ".join(
                    f"{address}: {code} {reply.decode(errors='replace')}"
                    for address, (code, reply) in sorted(refused.items())
                ),
            )  # fmt: skip
