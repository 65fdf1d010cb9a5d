"""A shipped transfer announced to the WMS of the location it goes to, on the in-memory store
with a fake WMS: once its sender reports it shipped, the worker sends the receiving WMS an
expected receipt with where it comes from, its units, carrier, tracking number and day, keeps
the name the WMS knows it by and raises `transfer.inbound_sent_to_wms`, whatever is
redelivered; a destination no WMS runs, a WMS that takes no transfers and a transfer received
before its turn are sent nothing; a WMS that fails is retried, and one that will not expect
the transfer (409) raises `transfer.inbound_wms_refused` and a high alert."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from connectors.base import DeliveryError, PermanentRefusal
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands
from engine.domain.events import (
    AlertTriggered,
    TransferInboundSentToWms,
    TransferInboundWmsRefused,
)
from engine.service_layer.inventory import receive_transfer, report_transfer_shipped, transfer_stock
from engine.service_layer.warehouse import REFUSED_RULE
from engine.service_layer.wms_transfers import InboundTransferNotifier
from tests.support.worker_steps import handled, published
from tests.unit.events.test_transfer_releaser import (
    DALLAS_DC,
    DUE,
    FIFTH_AVENUE,
    a_world,
    sent_for_the_order,
    transfer,
)

LEFT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)


class ReceivingWms:
    """Keeps the expected receipts it was sent; `refusal` is raised for each when set, and
    `takes` False answers as a connector that takes no transfers does."""

    def __init__(self, refusal: DeliveryError | None = None, takes: bool = True) -> None:
        self.refusal, self.takes = refusal, takes
        self.expected: list[dict[str, Any]] = []

    def send_inbound_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        if self.refusal is not None:
            raise self.refusal
        if not self.takes:
            return None
        self.expected.append(dict(transfer))
        return f"ASN-{len(self.expected)}"


def shipped(uow: InMemoryUnitOfWork, transfer_id: str, expected_on: date | None = None) -> None:
    report = commands.ReportTransferShipped(
        transfer_id, "ups", "1Z999AA10123456784", LEFT, expected_on, "warehouse:dal"
    )
    assert report_transfer_shipped(report, uow)


def announced(uow: InMemoryUnitOfWork) -> list[TransferInboundSentToWms]:
    return [e for e in uow.committed_events if isinstance(e, TransferInboundSentToWms)]


def test_a_shipped_transfer_is_announced_to_the_receiving_wms_with_its_carrier_and_day() -> None:
    uow, wms = a_world(), ReceivingWms()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id, expected_on=date(2026, 12, 4))
    notifier = InboundTransferNotifier({"NYC-5": wms})

    handled(notifier, uow, published(uow, "transfer.shipped"))

    [expected] = wms.expected
    assert expected == {
        "id": transfer_id,
        "location_code": "NYC-5",
        "from": DALLAS_DC,
        "to": FIFTH_AVENUE,
        "lines": [{"sku": "MUG", "units": 2}],
        "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
        "shipped_at": "2026-11-28T14:05:00+00:00",
        "expected_on": "2026-12-04",
        "order": {"id": "O-1", "reference": "W-7", "channel": "web"},
    }
    assert transfer(uow, transfer_id).inbound_reference == "ASN-1" and notifier.sent == 1
    assert announced(uow) == [
        TransferInboundSentToWms(transfer_id, "O-1", "DAL-01", "NYC-5", "ASN-1")
    ]


def test_a_redelivered_shipped_event_announces_the_transfer_once() -> None:
    uow, wms = a_world(), ReceivingWms()
    shipped(uow, sent_for_the_order(uow))
    [message] = published(uow, "transfer.shipped")

    handled(InboundTransferNotifier({"NYC-5": wms}), uow, [message, message, message])

    assert len(wms.expected) == 1 and len(announced(uow)) == 1


def test_a_transfer_made_by_hand_is_announced_without_an_order() -> None:
    uow, wms = a_world(), ReceivingWms()
    transfer_id = transfer_stock(commands.TransferStock("MUG", "RNO-02", "NYC-5", 3, DUE), uow)
    shipped(uow, transfer_id)

    handled(InboundTransferNotifier({"*": wms}), uow, published(uow, "transfer.shipped"))

    [expected] = wms.expected
    assert (expected["order"], expected["lines"]) == (None, [{"sku": "MUG", "units": 3}])
    assert expected["expected_on"] == DUE.isoformat()  # no carrier's day: the planned one


def test_a_destination_no_wms_runs_and_the_senders_wms_are_told_nothing() -> None:
    uow, wms = a_world(), ReceivingWms()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id)
    notifier = InboundTransferNotifier({"DAL-01": wms})  # the sender's WMS only
    [message] = published(uow, "transfer.shipped")

    assert not notifier.wants(message)
    notifier(message, uow)
    assert wms.expected == [] and transfer(uow, transfer_id).inbound_reference == ""


def test_a_wms_that_takes_no_transfers_leaves_the_transfer_to_be_received_by_hand() -> None:
    uow = a_world()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id)

    handled(InboundTransferNotifier({"NYC-5": ReceivingWms(takes=False)}), uow,
            published(uow, "transfer.shipped"))  # fmt: skip

    assert transfer(uow, transfer_id).inbound_reference == "" and announced(uow) == []


def test_a_transfer_received_before_its_turn_is_not_announced() -> None:
    uow, wms = a_world(), ReceivingWms()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id)
    receive_transfer(commands.ReceiveTransfer(transfer_id), uow)

    handled(InboundTransferNotifier({"NYC-5": wms}), uow, published(uow, "transfer.shipped"))

    assert wms.expected == [] and announced(uow) == []


def test_a_wms_that_fails_keeps_no_reference_and_leaves_the_event_to_be_retried() -> None:
    uow = a_world()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id)
    busy = ReceivingWms(DeliveryError("WMS https://wms.example.com refused ...: 503 busy"))

    with pytest.raises(DeliveryError, match="503 busy"):
        handled(InboundTransferNotifier({"NYC-5": busy}), uow,
                published(uow, "transfer.shipped"))  # fmt: skip
    assert transfer(uow, transfer_id).inbound_reference == "" and announced(uow) == []


def test_a_wms_that_will_not_expect_the_transfer_raises_a_refusal_and_a_high_alert() -> None:
    uow = a_world()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id)
    said = "WMS https://wms.example.com refused ...: 409 received already"
    refusing = ReceivingWms(PermanentRefusal(said))

    handled(InboundTransferNotifier({"NYC-5": refusing}), uow,
            published(uow, "transfer.shipped"))  # fmt: skip

    assert TransferInboundWmsRefused(transfer_id, "O-1", "NYC-5", said) in uow.committed_events
    [alert] = [e for e in uow.committed_events if isinstance(e, AlertTriggered)]
    assert (alert.rule, alert.key, alert.severity) == (REFUSED_RULE, transfer_id, "high")
    assert "1Z999AA10123456784" in alert.message and "409 received already" in alert.message
    assert f"/v1/inventory/transfers/{transfer_id}/receive" in alert.message
    assert transfer(uow, transfer_id).inbound_reference == "" and announced(uow) == []
