"""A carrier's scan reaches the customer's inbox: a failed delivery attempt and a problem on
the way each send their email (what the carrier said, what to do, the tracking number), a
delivery sends the delivered one as a location's report would, and scans that change nothing
for the customer (in transit, on the way back, a carrier's retry) send nothing. Through the
real path: the command on SQLite, the outbox, the worker, a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from connectors.notifications.email import SmtpEmail
from engine.adapters.bus import InProcessBus
from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.commands import TrackShipment
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.tracking_codes import Milestone
from engine.service_layer.notifications import CustomerNotifier
from engine.service_layer.outbox import OutboxRelay
from engine.service_layer.tracking import track_shipment
from engine.worker import Worker, WorkerConfig
from tests.support.builders import T0, a_plain_order, a_shipment

SCANNED_AT = T0 + timedelta(days=2)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox_and_worker(sqlite_url: str) -> Iterator[tuple[Inbox, Worker, SqlAlchemyUnitOfWork]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    bus = InProcessBus()
    email = SmtpEmail({"host": "127.0.0.1", "port": port, "sender": "shop@ordo.test"})
    worker = Worker(
        bus=bus,
        uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
        observers=[CustomerNotifier(email)],
        relay=OutboxRelay(SqlOutboxStore(engine), bus),
        config=WorkerConfig(block_ms=0),
    )
    uow = SqlAlchemyUnitOfWork(factory)
    with uow:
        uow.orders.add(a_plain_order(9, email="cy@example.com", channel_order_id="W-9"))
        uow.shipments.add(
            a_shipment(
                id="F-9", order_id="O-9", status=ShipmentStatus.SHIPPED, carrier="ups",
                tracking_number="1Z999AA10123456784", shipped_at=T0, tracking=[],
            )
        )  # fmt: skip
        uow.commit()
    try:
        yield inbox, worker, SqlAlchemyUnitOfWork(factory)
    finally:
        controller.stop()
        engine.dispose()


def scan(uow: SqlAlchemyUnitOfWork, code: str, description: str = "", **more: Any) -> TrackShipment:
    command = TrackShipment("F-9", SCANNED_AT, code, description, "Dallas, TX", "ups-hook", **more)
    track_shipment(command, uow)
    return command


def text_and_html(mail: EmailMessage) -> tuple[str, str]:
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def test_a_failed_attempt_tells_the_customer_what_the_carrier_said_and_what_to_do(
    inbox_and_worker: tuple[Inbox, Worker, SqlAlchemyUnitOfWork],
) -> None:
    inbox, worker, uow = inbox_and_worker
    command = scan(uow, "02", "Receiver not home <gate locked>")
    worker.run_once()
    track_shipment(command, uow)  # the carrier's retry: no second email
    worker.run_once()

    [mail] = inbox.messages
    assert mail["X-Ordo-Kind"] == "delivery_attempted"
    assert mail["Subject"] == "We tried to deliver order W-9"
    text, html = text_and_html(mail)
    assert "ups tried to deliver your parcel for order W-9, but could not." in text
    assert "What the carrier said: Receiver not home <gate locked> (Dallas, TX)" in text
    assert "contact ups with tracking number 1Z999AA10123456784" in text
    assert "Receiver not home &lt;gate locked&gt;" in html and "<gate" not in html


def test_a_problem_on_the_way_said_outright_sends_the_delivery_problem_email(
    inbox_and_worker: tuple[Inbox, Worker, SqlAlchemyUnitOfWork],
) -> None:
    inbox, worker, uow = inbox_and_worker
    scan(uow, "ZZ-41", "Package damaged in transit", milestone=Milestone.EXCEPTION)
    worker.run_once()

    [mail] = inbox.messages
    assert mail["X-Ordo-Kind"] == "delivery_problem"
    assert mail["Subject"] == "A problem with the delivery of order W-9"
    text, _ = text_and_html(mail)
    assert "What the carrier said: Package damaged in transit (Dallas, TX)" in text
    assert "tracking number 1Z999AA10123456784" in text


def test_a_delivered_scan_sends_the_delivered_email_as_a_location_s_report_would(
    inbox_and_worker: tuple[Inbox, Worker, SqlAlchemyUnitOfWork],
) -> None:
    inbox, worker, uow = inbox_and_worker
    scan(uow, "D", "Left at front door")
    worker.run_once()

    [mail] = inbox.messages
    assert (mail["X-Ordo-Kind"], mail["Subject"]) == ("order_delivered", "Order W-9 was delivered")


@pytest.mark.parametrize("code", ["in_transit", "OD", "RS", "scanned"])
def test_a_scan_that_changes_nothing_for_the_customer_sends_no_email(
    inbox_and_worker: tuple[Inbox, Worker, SqlAlchemyUnitOfWork], code: str
) -> None:
    inbox, worker, uow = inbox_and_worker
    scan(uow, code)
    worker.run_once()
    assert inbox.messages == []
