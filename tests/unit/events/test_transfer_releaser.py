"""Stock transfers to the WMS of the location they leave, on the in-memory store with a fake
WMS: making one raises `transfer.requested`; the worker sends it once with its facts, keeps
the reference and raises `transfer.sent_to_wms`, whatever is redelivered; a source no WMS
serves, a WMS that takes no transfers and a transfer cancelled before its turn send nothing;
a cancelled transfer the WMS holds is cancelled there, and a WMS that shipped it already (409)
raises `transfer.wms_refused` and a high alert while the transfer stays cancelled."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from connectors.base import DeliveryError, PermanentRefusal
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands
from engine.domain.catalog import LocationType
from engine.domain.events import (
    AlertTriggered,
    TransferRequested,
    TransferSentToWms,
    TransferWmsCancelled,
    TransferWmsRefused,
)
from engine.domain.inventory import InboundSupply, Stock
from engine.domain.values import Address
from engine.service_layer import ship_to_store
from engine.service_layer.inventory import transfer_stock
from engine.service_layer.warehouse import REFUSED_RULE
from engine.service_layer.wms_transfers import TransferReleaser
from tests.support.builders import a_location, a_product, an_order
from tests.support.worker_steps import handled, published

DUE = date(2026, 12, 3)
# The route's two places as a WMS is sent them (`wms_transfers.transfer_facts`).
DALLAS_DC = {
    "code": "DAL-01",
    "name": "Dallas DC",
    "address": {"line1": "1 Elm St", "city": "Dallas", "state": "TX", "postal_code": "75201",
                "country": "US"},
}  # fmt: skip
FIFTH_AVENUE = {
    "code": "NYC-5",
    "name": "Fifth Avenue",
    "address": {"line1": "350 5th Ave", "city": "New York", "state": "NY",
                "postal_code": "10001", "country": "US"},
}  # fmt: skip


class FakeWms:
    """Keeps the transfers it was sent and the references it was asked to cancel; `refusal`
    is raised for every request when set, `takes` False answers a send as a connector that
    takes no transfers does."""

    def __init__(self, refusal: DeliveryError | None = None, takes: bool = True) -> None:
        self.refusal, self.takes = refusal, takes
        self.sent: list[dict[str, Any]] = []
        self.cancelled: list[tuple[str, str]] = []

    def send_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        if self.refusal is not None:
            raise self.refusal
        if not self.takes:
            return None
        self.sent.append(dict(transfer))
        return f"TO-{len(self.sent)}"

    def cancel_transfer(self, reference: str, transfer: Mapping[str, Any]) -> None:
        if self.refusal is not None:
            raise self.refusal
        self.cancelled.append((reference, str(transfer["id"])))


def a_world() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.locations.add(a_location(code="DAL-01", name="Dallas DC", enabled=True))
        uow.locations.add(a_location(code="RNO-02", name="Reno DC", enabled=True))
        store = Address("10001", line1="350 5th Ave", city="New York", state="NY")
        uow.locations.add(
            a_location(code="NYC-5", name="Fifth Avenue", type=LocationType.STORE, address=store)
        )
        uow.products.add(a_product(sku="MUG"))
        for code in ("DAL-01", "RNO-02"):
            uow.stock.add(Stock("MUG", code, on_hand=10))
        uow.orders.add(an_order(id="O-1", channel_order_id="W-7"))
        uow.commit()
    return uow


def sent_for_the_order(uow: InMemoryUnitOfWork, source: str = "DAL-01") -> str:
    """A ship-to-store transfer of 2 MUG to NYC-5 for order O-1, as `ship_to_store` books it."""
    with uow:
        uow.stock.adjust("MUG", source, -2)
        transfer = ship_to_store.book_transfer(uow, "MUG", source, "NYC-5", 2, DUE, "O-1")
        uow.commit()
    return transfer.id


def cancelled(uow: InMemoryUnitOfWork, transfer_id: str) -> None:
    with uow:
        supply = uow.inbound.get(transfer_id)
        assert supply is not None
        ship_to_store.cancel(uow, supply, "its order no longer needs it")
        uow.commit()


def transfer(uow: InMemoryUnitOfWork, transfer_id: str) -> InboundSupply:
    with uow:
        found = uow.inbound.get(transfer_id)
        assert found is not None
        return found


def test_making_a_transfer_raises_transfer_requested_with_its_route_units_day_and_order() -> None:
    uow = a_world()
    by_hand = transfer_stock(commands.TransferStock("MUG", "RNO-02", "NYC-5", 3, DUE), uow)
    for_order = sent_for_the_order(uow)

    requested = [e for e in uow.committed_events if isinstance(e, TransferRequested)]
    assert requested == [
        TransferRequested(by_hand, "", "MUG", "RNO-02", "NYC-5", 3, "2026-12-03"),
        TransferRequested(for_order, "O-1", "MUG", "DAL-01", "NYC-5", 2, "2026-12-03"),
    ]


def test_a_new_transfer_goes_to_its_sources_wms_once_and_keeps_the_reference() -> None:
    uow, wms = a_world(), FakeWms()
    transfer_id = sent_for_the_order(uow)
    releaser = TransferReleaser({"DAL-01": wms})

    handled(releaser, uow, published(uow, "transfer.requested"))

    [sent] = wms.sent
    assert sent == {
        "id": transfer_id,
        "location_code": "DAL-01",
        "from": DALLAS_DC,
        "to": FIFTH_AVENUE,
        "lines": [{"sku": "MUG", "units": 2}],
        "expected_on": "2026-12-03",
        "order": {"id": "O-1", "reference": "W-7", "channel": "web"},
    }
    assert transfer(uow, transfer_id).wms_reference == "TO-1" and releaser.sent == 1
    assert TransferSentToWms(transfer_id, "O-1", "DAL-01", "NYC-5", "TO-1") in (
        uow.committed_events
    )


def test_a_redelivered_or_redriven_request_sends_nothing_twice() -> None:
    uow, wms = a_world(), FakeWms()
    sent_for_the_order(uow)
    [message] = published(uow, "transfer.requested")

    handled(TransferReleaser({"DAL-01": wms}), uow, [message, message, message])

    assert len(wms.sent) == 1
    assert len([e for e in uow.committed_events if isinstance(e, TransferSentToWms)]) == 1


def test_a_transfer_made_by_hand_goes_to_its_sources_wms_without_an_order() -> None:
    uow, wms = a_world(), FakeWms()
    transfer_stock(commands.TransferStock("MUG", "DAL-01", "NYC-5", 3, DUE), uow)

    handled(TransferReleaser({"*": wms}), uow, published(uow, "transfer.requested"))

    [sent] = wms.sent
    assert (sent["order"], sent["lines"]) == (None, [{"sku": "MUG", "units": 3}])


def test_a_transfer_out_of_a_location_no_wms_serves_is_skipped() -> None:
    uow, wms = a_world(), FakeWms()
    transfer_id = sent_for_the_order(uow, source="RNO-02")
    releaser = TransferReleaser({"DAL-01": wms})
    [message] = published(uow, "transfer.requested")

    assert not releaser.wants(message)
    releaser(message, uow)
    assert wms.sent == [] and transfer(uow, transfer_id).wms_reference == ""


def test_a_wms_that_takes_no_transfers_leaves_them_to_be_shipped_by_hand() -> None:
    uow = a_world()
    transfer_id = sent_for_the_order(uow)

    handled(TransferReleaser({"DAL-01": FakeWms(takes=False)}), uow,
            published(uow, "transfer.requested"))  # fmt: skip

    assert transfer(uow, transfer_id).wms_reference == ""
    assert not [e for e in uow.committed_events if isinstance(e, TransferSentToWms)]


def test_a_transfer_cancelled_before_its_turn_is_neither_sent_nor_cancelled_at_the_wms() -> None:
    uow, wms = a_world(), FakeWms()
    transfer_id = sent_for_the_order(uow)
    cancelled(uow, transfer_id)

    releaser = TransferReleaser({"DAL-01": wms})
    handled(releaser, uow, published(uow, "transfer.requested"))
    handled(releaser, uow, published(uow, "transfer.cancelled"))

    assert (wms.sent, wms.cancelled) == ([], [])


def test_a_wms_that_fails_leaves_no_reference_and_the_event_to_be_retried() -> None:
    uow = a_world()
    transfer_id = sent_for_the_order(uow)
    busy = FakeWms(DeliveryError("WMS https://wms.example.com refused transfer: 503 busy"))

    with pytest.raises(DeliveryError, match="503 busy"):
        handled(TransferReleaser({"DAL-01": busy}), uow, published(uow, "transfer.requested"))
    assert transfer(uow, transfer_id).wms_reference == ""


def test_a_cancelled_transfer_the_wms_holds_is_cancelled_there() -> None:
    uow, wms = a_world(), FakeWms()
    transfer_id = sent_for_the_order(uow)
    releaser = TransferReleaser({"DAL-01": wms})
    handled(releaser, uow, published(uow, "transfer.requested"))

    cancelled(uow, transfer_id)
    handled(releaser, uow, published(uow, "transfer.cancelled"))

    assert wms.cancelled == [("TO-1", transfer_id)]
    assert TransferWmsCancelled(transfer_id, "O-1", "DAL-01", "TO-1") in uow.committed_events


def test_a_wms_that_shipped_the_cancelled_transfer_raises_a_refusal_and_a_high_alert() -> None:
    uow, wms = a_world(), FakeWms()
    transfer_id = sent_for_the_order(uow)
    releaser = TransferReleaser({"DAL-01": wms})
    handled(releaser, uow, published(uow, "transfer.requested"))
    cancelled(uow, transfer_id)

    wms.refusal = PermanentRefusal("WMS https://wms.example.com refused ...: 409 shipped")
    handled(releaser, uow, published(uow, "transfer.cancelled"))

    assert TransferWmsRefused(
        transfer_id, "O-1", "DAL-01", "TO-1", "WMS https://wms.example.com refused ...: 409 shipped"
    ) in uow.committed_events  # fmt: skip
    [alert] = [e for e in uow.committed_events if isinstance(e, AlertTriggered)]
    assert (alert.rule, alert.key, alert.severity) == (REFUSED_RULE, transfer_id, "high")
    assert "stop the parcel" in alert.message and "TO-1" in alert.message
    assert not [e for e in uow.committed_events if isinstance(e, TransferWmsCancelled)]
    kept = transfer(uow, transfer_id)
    assert kept.cancelled and kept.wms_reference == "TO-1"  # cancelled in Ordo all the same
    with uow:
        dallas = uow.stock.get(("MUG", "DAL-01"))
        assert dallas is not None and dallas.on_hand == 10  # its units were given back
