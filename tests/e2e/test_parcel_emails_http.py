"""The customer's emails about a shipment of three parcels, over HTTP, on a deployment that packs
shipments (ORDO_PACKAGING_FILE) and emails customers (a local SMTP server, the worker as
`ordo worker` runs it): the shipped email lists each parcel's tracking number, and a carrier's
failed attempt on the second parcel says so ("parcel 2 of 3") with that parcel's number."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from ordo.bootstrap import Container
from tests.e2e.conftest import Api, order, packing_container
from tests.e2e.test_labels_http import ADA, make
from tests.e2e.test_parcel_tracking_http import at
from tests.e2e.test_shipment_parcels_http import (
    BOXES,
    run_worker,
    stocked,  # noqa: F401  (a fixture)
)
from tests.integration.events.test_delivery_attempt_emails import Inbox


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def container(database_url: str, tmp_path: Path, inbox: tuple[Inbox, int]) -> Iterator[Container]:
    """The app of a deployment that packs shipments and emails customers."""
    mail = {"smtp_host": "127.0.0.1", "smtp_port": inbox[1]}
    with packing_container(database_url, tmp_path, BOXES, **mail) as built:
        yield built


def plain_text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_the_emails_of_a_shipment_of_three_parcels_name_them(
    stocked: Api,  # noqa: F811
    inbox: tuple[Inbox, int],
) -> None:
    # Three shoes of 1.2 kg, in boxes of 1.5 kg at most: a box each.
    created = stocked.post("/v1/orders", role="channel", json=order("P-3", quantity=3, ship_to=ADA))
    assert created.status_code == 201, created.text
    [shipment] = stocked.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    labelled = make(stocked, shipment, "zpl")
    assert labelled.status_code == 200, labelled.text
    numbers = [parcel["tracking_number"] for parcel in labelled.json()["parcels"]]
    assert len(set(numbers)) == 3
    path = f"/v1/shipments/{shipment['id']}"
    moved = stocked.post(f"{path}/status", role="warehouse", json={"status": "shipped"})
    assert moved.status_code == 200, moved.text
    scan = {"at": at(1), "code": "NH-7", "milestone": "attempted", "description": "Nobody home",
            "tracking_number": numbers[1]}  # fmt: skip
    tracked = stocked.post(f"{path}/tracking", role="warehouse", json=scan)
    assert tracked.status_code == 200, tracked.text

    run_worker(stocked)

    by_kind = {str(m["X-Ordo-Kind"]): m for m in inbox[0].messages}
    shipped = plain_text(by_kind["order_shipped"])
    assert "It travels in 3 parcels, each with its own tracking number:" in shipped
    for place, number in enumerate(numbers, start=1):
        assert f"  Parcel {place} of 3: {number}\r\n" in shipped
    attempted = by_kind["delivery_attempted"]
    assert attempted["To"] == "ada@example.com"
    assert f"tried to deliver parcel 2 of 3 (tracking {numbers[1]}) for order P-3" in plain_text(
        attempted
    )
