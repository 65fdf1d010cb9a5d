"""Notifications end to end: a real local SMTP server (aiosmtpd) and a real local HTTP server
receive what the worker sends for committed events."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from connectors.base import DeliveryError
from connectors.notifications.email import SmtpEmail
from connectors.notifications.templates import TemplateError
from connectors.notifications.webhook import WebhookSink
from engine.adapters.bus import InProcessBus
from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.orders import OrderStatus
from engine.service_layer.alerts import raise_alert
from engine.service_layer.notifications import AlertNotifier, CustomerNotifier
from engine.service_layer.outbox import OutboxRelay
from engine.worker import Worker, WorkerConfig
from tests.support.builders import T0, a_plain_order, a_shipment, an_address
from tests.support.local_http import serving


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class Hook:
    """What a webhook receiver at `url` was sent: each request's headers and body."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Hook]:
    """A webhook receiver: /ok answers 204, anything else 500."""
    hook = Hook()

    def answer(_method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, None]:
        hook.received.append((headers, body))
        return (204 if path == "/ok" else 500), None

    with serving(answer) as url:
        hook.url = url
        yield hook


def worker_for(url: str, *observers: Any) -> tuple[Worker, Any]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    bus = InProcessBus()
    worker = Worker(
        bus=bus,
        uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
        observers=list(observers),
        relay=OutboxRelay(SqlOutboxStore(engine), bus),
        config=WorkerConfig(block_ms=0),
    )
    return worker, factory


def test_the_confirmation_for_an_order_arrives_at_the_smtp_server_with_the_right_content(
    sqlite_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    email = SmtpEmail({"host": "127.0.0.1", "port": port, "sender": "shop@ordo.test"})
    worker, factory = worker_for(sqlite_url, CustomerNotifier(email))
    uow = SqlAlchemyUnitOfWork(factory)
    with uow:
        order = a_plain_order(
            7,
            email="ada@example.com",
            channel_order_id="W-7007",
            ship_to=an_address(name="Ada Lovelace"),
        )
        uow.orders.add(order)
        order.transition(OrderStatus.VALIDATED, "rules passed")
        uow.commit()
    worker.run_once()

    [(recipients, mail)] = inbox.messages
    assert recipients == ["ada@example.com"]
    assert mail["Subject"] == "Order W-7007 confirmed"
    assert mail["From"] == "shop@ordo.test"
    assert mail["X-Ordo-Kind"] == "order_confirmed"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Hello Ada Lovelace" in text
    assert "1 x SKU-1  10.00 USD" in text
    assert "Total: 10.00 USD" in text
    assert "<h2>Order W-7007 confirmed</h2>" in html

    worker.run_once()  # nothing new: the confirmation is not sent again
    assert len(inbox.messages) == 1


def test_a_shipped_parcel_sends_its_carrier_and_tracking_number(
    sqlite_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    worker, factory = worker_for(
        sqlite_url, CustomerNotifier(SmtpEmail({"host": "127.0.0.1", "port": port}))
    )
    uow = SqlAlchemyUnitOfWork(factory)
    with uow:
        uow.orders.add(a_plain_order(8, email="bo@example.com", channel_order_id="W-8"))
        shipment = a_shipment(
            id="F-8",
            order_id="O-8",
            status=ShipmentStatus.PACKED,
            carrier="swift",
            tracking_number="SW123456",
            created_at=T0,
        )
        uow.shipments.add(shipment)
        shipment.move(ShipmentStatus.SHIPPED, T0)
        uow.commit()
    worker.run_once()
    [(recipients, mail)] = inbox.messages
    assert recipients == ["bo@example.com"]
    assert mail["Subject"] == "Order W-8 has shipped"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "on its way with swift" in text and "Tracking number: SW123456" in text


def test_a_raised_alert_is_emailed_to_its_recipients_and_posted_signed_to_the_webhook(
    sqlite_url: str, smtp: tuple[Inbox, int], webhook: Hook
) -> None:
    inbox, port = smtp
    sink = WebhookSink({"url": f"{webhook.url}/ok", "secret": "s3cret"})
    notifier = AlertNotifier(SmtpEmail({"host": "127.0.0.1", "port": port}), [sink])
    worker, factory = worker_for(sqlite_url, notifier)
    uow = SqlAlchemyUnitOfWork(factory)
    with uow:
        alert = raise_alert(
            uow,
            rule="ops/late shipments",
            key="swift",
            severity="high",
            message="6 late shipments for swift",
            recipients=["ops@shop.test"],
        )
        uow.commit()
    worker.run_once()

    [(recipients, mail)] = inbox.messages
    assert recipients == ["ops@shop.test"]
    assert mail["Subject"] == "[HIGH] 6 late shipments for swift"
    [(headers, body)] = webhook.received
    posted = json.loads(body)
    assert posted["kind"] == "alert"
    assert posted["alert"]["id"] == alert.id and posted["alert"]["key"] == "swift"
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Ordo-Signature"] == f"sha256={expected}"


def test_a_webhook_that_answers_with_an_error_is_a_delivery_error(webhook: Hook) -> None:
    with pytest.raises(DeliveryError, match="answered 500"):
        WebhookSink({"url": f"{webhook.url}/broken"}).notify("alert", [], {"alert": {"id": "a"}})


def test_an_unreachable_smtp_server_is_a_delivery_error() -> None:
    email = SmtpEmail({"host": "127.0.0.1", "port": free_port(), "timeout_seconds": 2})
    with pytest.raises(DeliveryError, match="refused or unreachable"):
        email.notify(
            "alert",
            ["x@y.test"],
            {
                "alert": {
                    "id": "a",
                    "rule": "r",
                    "severity": "low",
                    "key": "",
                    "message": "m",
                    "created_at": "now",
                }
            },
        )


class PickyInbox(Inbox):
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("refuse"):
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_recipients_the_server_refuses_are_logged_and_the_others_still_get_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = PickyInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        email = SmtpEmail({"host": "127.0.0.1", "port": port, "timeout_seconds": 5})
        with caplog.at_level(logging.WARNING, logger="connectors.notifications.email"):
            email.notify("alert", ["ok@shop.test", "refuse@shop.test"], {"alert": {
                "id": "a", "rule": "r", "severity": "low", "key": "", "message": "m",
                "created_at": "now"}})  # fmt: skip
    finally:
        controller.stop()
    assert [rcpt for rcpt, _ in inbox.messages] == [["ok@shop.test"]]
    assert "refused refuse@shop.test of the alert message" in caplog.text
    assert "550 no such user here" in caplog.text


def test_a_template_it_cannot_fill_is_named_with_what_is_missing() -> None:
    email = SmtpEmail({"host": "127.0.0.1", "port": free_port()})
    with pytest.raises(TemplateError, match=r"template alert\.j2 could not be rendered: .*alert"):
        email.notify("alert", ["x@y.test"], {"nothing": 1})
