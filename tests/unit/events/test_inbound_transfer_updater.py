"""A transfer's revised arrival day sent to the WMS that expects it, on the in-memory store
with a fake WMS: once the receiving WMS holds the transfer's expected receipt, each
`transfer.arrival_revised` (a repeated shipped report, a carrier's estimate) sends it the
receipt as it is now under the name it gave, keyed by the revision; a transfer never
announced, or received before the revision's turn, is sent nothing; a WMS that takes no
transfers is told nothing, one that fails is retried, and one that will not take the day
(409) raises `transfer.inbound_wms_refused` and a high alert; one it takes raises
`transfer.inbound_updated_at_wms`."""

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
    TransferInboundUpdatedAtWms,
    TransferInboundWmsRefused,
)
from engine.service_layer.inventory import receive_transfer, track_transfer
from engine.service_layer.warehouse import REFUSED_RULE
from engine.service_layer.wms_transfers import InboundTransferNotifier, InboundTransferUpdater
from tests.support.worker_steps import handled, published
from tests.unit.events.test_inbound_transfer_notifier import ReceivingWms, shipped
from tests.unit.events.test_transfer_releaser import a_world, sent_for_the_order, transfer

FIRST_DAY, LATER, LATER_STILL = date(2026, 12, 4), date(2026, 12, 6), date(2026, 12, 8)


class RevisingWms:
    """Keeps each update it was sent as (reference, receipt, change id); `refusal` is raised
    for each when set, and `takes` False answers as a connector that takes no transfers."""

    def __init__(self, refusal: DeliveryError | None = None, takes: bool = True) -> None:
        self.refusal, self.takes = refusal, takes
        self.updates: list[tuple[str, dict[str, Any], str]] = []

    def update_inbound_transfer(
        self, reference: str, transfer: Mapping[str, Any], change_id: str
    ) -> bool:
        if self.refusal is not None:
            raise self.refusal
        if not self.takes:
            return False
        self.updates.append((reference, dict(transfer), change_id))
        return True


def announced_transfer(uow: InMemoryUnitOfWork) -> str:
    """A ship-to-store transfer to NYC-5, shipped and announced to the store's WMS (ASN-1)."""
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id, expected_on=FIRST_DAY)
    handled(InboundTransferNotifier({"NYC-5": ReceivingWms()}), uow,
            published(uow, "transfer.shipped"))  # fmt: skip
    assert transfer(uow, transfer_id).inbound_reference == "ASN-1"
    return transfer_id


def revisions(uow: InMemoryUnitOfWork) -> list[Any]:
    return published(uow, "transfer.arrival_revised")


def updated(uow: InMemoryUnitOfWork) -> list[TransferInboundUpdatedAtWms]:
    return [e for e in uow.committed_events if isinstance(e, TransferInboundUpdatedAtWms)]


def test_a_revised_arrival_day_is_sent_to_the_wms_that_expects_the_transfer() -> None:
    uow, wms = a_world(), RevisingWms()
    transfer_id = announced_transfer(uow)
    shipped(uow, transfer_id, expected_on=LATER)  # the sender's WMS, reporting again
    updater = InboundTransferUpdater({"NYC-5": wms})
    [revision] = revisions(uow)

    handled(updater, uow, [revision])

    [(reference, receipt, change_id)] = wms.updates
    assert (reference, change_id) == ("ASN-1", revision.event_id)
    assert (receipt["id"], receipt["location_code"], receipt["expected_on"]) == (
        transfer_id, "NYC-5", "2026-12-06",
    )  # fmt: skip
    assert (receipt["carrier"], receipt["tracking_number"]) == ("ups", "1Z999AA10123456784")
    assert receipt["order"] == {"id": "O-1", "reference": "W-7", "channel": "web"}
    assert updater.sent == 1 and transfer(uow, transfer_id).inbound_reference == "ASN-1"
    assert updated(uow) == [
        TransferInboundUpdatedAtWms(transfer_id, "O-1", "DAL-01", "NYC-5", "ASN-1", "2026-12-06")
    ]


def test_a_carriers_estimate_is_sent_as_a_revision_too() -> None:
    uow, wms = a_world(), RevisingWms()
    transfer_id = announced_transfer(uow)
    scan = commands.TrackTransfer(transfer_id, datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "IT",
                                  estimated_delivery=LATER, actor="carrier:ups")  # fmt: skip
    assert track_transfer(scan, uow)

    handled(InboundTransferUpdater({"NYC-5": wms}), uow, revisions(uow))

    [(_, receipt, _)] = wms.updates
    assert receipt["expected_on"] == "2026-12-06"


def test_a_redelivered_revision_keeps_its_change_id_and_the_next_revision_has_its_own() -> None:
    uow, wms = a_world(), RevisingWms()
    transfer_id = announced_transfer(uow)
    shipped(uow, transfer_id, expected_on=LATER)
    shipped(uow, transfer_id, expected_on=LATER_STILL)
    first, second = revisions(uow)

    handled(InboundTransferUpdater({"NYC-5": wms}), uow, [first, first, second])

    assert [change_id for _, _, change_id in wms.updates] == [
        first.event_id, first.event_id, second.event_id,
    ]  # fmt: skip
    # Each is the receipt as it is when its turn comes: the latest day, whatever came first.
    assert {receipt["expected_on"] for _, receipt, _ in wms.updates} == {"2026-12-08"}


def test_a_transfer_not_announced_yet_is_sent_no_revision_its_announcement_carries_the_day() -> (
    None
):
    uow, wms = a_world(), RevisingWms()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id, expected_on=FIRST_DAY)
    shipped(uow, transfer_id, expected_on=LATER)  # revised before the announcement went

    handled(InboundTransferUpdater({"NYC-5": wms}), uow, revisions(uow))
    receiving = ReceivingWms()
    handled(InboundTransferNotifier({"NYC-5": receiving}), uow,
            published(uow, "transfer.shipped"))  # fmt: skip

    assert wms.updates == []
    [expected] = receiving.expected
    assert expected["expected_on"] == "2026-12-06"


def test_a_destination_no_wms_runs_is_sent_no_revision() -> None:
    uow, wms = a_world(), RevisingWms()
    transfer_id = sent_for_the_order(uow)
    shipped(uow, transfer_id, expected_on=FIRST_DAY)
    shipped(uow, transfer_id, expected_on=LATER)
    updater = InboundTransferUpdater({"DAL-01": wms})  # the sender's WMS only
    [revision] = revisions(uow)

    assert not updater.wants(revision)
    updater(revision, uow)
    assert wms.updates == [] and updater.sent == 0


def test_a_transfer_received_before_the_revisions_turn_is_sent_nothing() -> None:
    uow, wms = a_world(), RevisingWms()
    transfer_id = announced_transfer(uow)
    shipped(uow, transfer_id, expected_on=LATER)
    receive_transfer(commands.ReceiveTransfer(transfer_id), uow)

    handled(InboundTransferUpdater({"NYC-5": wms}), uow, revisions(uow))

    assert wms.updates == []


def test_a_wms_that_takes_no_transfers_now_is_told_nothing() -> None:
    uow = a_world()
    transfer_id = announced_transfer(uow)
    shipped(uow, transfer_id, expected_on=LATER)
    updater = InboundTransferUpdater({"NYC-5": RevisingWms(takes=False)})

    handled(updater, uow, revisions(uow))

    assert updater.sent == 0 and updated(uow) == []
    assert not [e for e in uow.committed_events if isinstance(e, TransferInboundWmsRefused)]


def test_a_wms_that_fails_leaves_the_revision_to_be_retried() -> None:
    uow = a_world()
    transfer_id = announced_transfer(uow)
    shipped(uow, transfer_id, expected_on=LATER)
    busy = RevisingWms(DeliveryError("WMS https://wms.example.com refused ...: 503 busy"))

    with pytest.raises(DeliveryError, match="503 busy"):
        handled(InboundTransferUpdater({"NYC-5": busy}), uow, revisions(uow))


def test_a_wms_that_will_not_take_the_day_raises_a_refusal_and_a_high_alert() -> None:
    uow = a_world()
    transfer_id = announced_transfer(uow)
    shipped(uow, transfer_id, expected_on=LATER)
    said = "WMS https://wms.example.com refused ...: 409 receipt closed"

    handled(InboundTransferUpdater({"NYC-5": RevisingWms(PermanentRefusal(said))}), uow,
            revisions(uow))  # fmt: skip

    assert TransferInboundWmsRefused(transfer_id, "O-1", "NYC-5", said) in uow.committed_events
    [alert] = [e for e in uow.committed_events if isinstance(e, AlertTriggered)]
    assert (alert.rule, alert.key, alert.severity) == (REFUSED_RULE, transfer_id, "high")
    assert "revised arrival day" in alert.message and "ASN-1" in alert.message
    assert "due 2026-12-06" in alert.message and "409 receipt closed" in alert.message
    assert f"/v1/inventory/transfers/{transfer_id}/receive" in alert.message
    assert updated(uow) == []
