"""Stock transfers to the WMS of the location they leave, on the in-memory store with a fake
WMS: making one raises `transfer.requested`; the worker sends it once with its facts, keeps
the reference and raises `transfer.sent_to_wms`, whatever is redelivered, keeping first that
it set out to send it; a source no WMS serves, a WMS that takes no transfers and a transfer
cancelled before its turn send nothing (the last is never looked up at the WMS either);
a cancelled transfer the WMS holds is cancelled there, and one a WMS shipped already (its 409,
or its shipped report coming first) is on its way again, released from its order, its units
off the source once whatever is redelivered; a person is asked only for units reserved at the
source since. A cancelled transfer whose send's answer was lost is looked up at the WMS:
found, it is cancelled there (or, shipped already, reinstated); a WMS that cannot be asked
leaves it so, with a medium alert."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

import pytest

from connectors.base import DeliveryError, FoundOrder, PermanentRefusal
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands
from engine.domain.catalog import LocationType
from engine.domain.events import (
    AlertTriggered,
    Event,
    StockAdjusted,
    TransferReinstated,
    TransferRequested,
    TransferSentToWms,
    TransferShipped,
    TransferWmsCancelled,
    TransferWmsRefused,
)
from engine.domain.inventory import InboundSupply, Stock
from engine.domain.values import Address
from engine.service_layer import ship_to_store
from engine.service_layer.inventory import (
    receive_transfer,
    report_transfer_shipped,
    transfer_stock,
)
from engine.service_layer.warehouse import LOOKUP_RULE, REFUSED_RULE
from engine.service_layer.wms_transfers import TransferAttempts, TransferReleaser
from tests.support.builders import a_location, a_product, an_order
from tests.support.worker_steps import handled, published

E = TypeVar("E", bound=Event)
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
    takes no transfers does. `answer_lost` takes a send, then fails as if its answer never
    came back. Asked for a transfer order, it names the one it took for that id, or none
    (`lookup` False: it cannot be asked)."""

    entry_name = "dallas"

    def __init__(
        self, refusal: DeliveryError | None = None, takes: bool = True, answer_lost: bool = False,
        lookup: bool = True,
    ) -> None:  # fmt: skip
        self.refusal, self.takes, self.answer_lost, self.lookup = (
            refusal,
            takes,
            answer_lost,
            lookup,
        )
        self.sent: list[dict[str, Any]] = []
        self.cancelled: list[tuple[str, str]] = []
        self.asked: list[str] = []
        # What happens in Ordo while the WMS is being asked to cancel (a report arriving).
        self.while_cancelling: Callable[[], object] = lambda: None

    def send_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        if self.refusal is not None:
            raise self.refusal
        if not self.takes:
            return None
        self.sent.append(dict(transfer))
        if self.answer_lost:
            raise DeliveryError("WMS https://wms.example.com unreachable for transfer: timed out")
        return f"TO-{len(self.sent)}"

    def find_transfer_order(self, transfer_id: str) -> FoundOrder:
        self.asked.append(transfer_id)
        if not self.lookup:
            return FoundOrder.unsupported("WMS https://wms.example.com answered 405")
        held = [n for n, sent in enumerate(self.sent, start=1) if sent["id"] == transfer_id]
        return FoundOrder(f"TO-{held[0]}" if held else "")

    def cancel_transfer(self, reference: str, transfer: Mapping[str, Any]) -> None:
        self.while_cancelling()
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


@pytest.mark.parametrize("lookup", [True, False], ids=["wms-with-lookup", "wms-without"])
def test_a_transfer_cancelled_before_its_turn_is_neither_sent_nor_looked_up_nor_alerted_on(
    lookup: bool,
) -> None:
    uow, wms = a_world(), FakeWms(lookup=lookup)
    transfer_id = sent_for_the_order(uow)
    cancelled(uow, transfer_id)

    releaser = TransferReleaser({"DAL-01": wms})
    handled(TransferAttempts({"DAL-01": wms}), uow, published(uow, "transfer.requested"))
    handled(releaser, uow, published(uow, "transfer.requested"))
    handled(releaser, uow, published(uow, "transfer.cancelled"))

    assert (wms.sent, wms.cancelled, wms.asked) == ([], [], [])  # it was never attempted
    assert transfer(uow, transfer_id).wms_attempted_at is None
    assert of_type(uow, AlertTriggered) == []


def test_a_send_whose_answer_is_lost_keeps_that_it_was_attempted() -> None:
    uow, wms = a_world(), FakeWms(answer_lost=True)
    transfer_id = sent_for_the_order(uow)

    with pytest.raises(DeliveryError, match="timed out"):
        TransferReleaser({"DAL-01": wms})(published(uow, "transfer.requested")[0], uow)

    kept = transfer(uow, transfer_id)
    assert kept.wms_reference == "" and kept.wms_attempted_at is not None


def test_the_attempt_step_keeps_the_attempt_of_a_request_and_sends_nothing() -> None:
    uow, wms = a_world(), FakeWms()
    transfer_id = sent_for_the_order(uow)
    attempts = TransferAttempts({"DAL-01": wms})

    handled(attempts, uow, published(uow, "transfer.requested"))
    first = transfer(uow, transfer_id).wms_attempted_at
    handled(attempts, uow, published(uow, "transfer.requested"))  # redelivered

    assert first is not None and transfer(uow, transfer_id).wms_attempted_at == first
    assert wms.sent == [] and attempts.sent == 0
    cancelled(uow, transfer_id)
    assert not attempts.wants(published(uow, "transfer.cancelled")[0])


def test_only_a_transfer_out_of_a_location_a_wms_serves_counts_as_attempted() -> None:
    uow, wms = a_world(), FakeWms()
    served = sent_for_the_order(uow)
    not_served = sent_for_the_order(uow, source="RNO-02")
    attempts = TransferAttempts({"DAL-01": wms})

    for message in published(uow, "transfer.requested"):
        attempts(message, uow)

    assert transfer(uow, served).wms_attempted_at is not None
    assert transfer(uow, not_served).wms_attempted_at is None


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


TOO_LATE = "WMS https://wms.example.com refused ...: 409 shipped"


def refused_too_late(uow: InMemoryUnitOfWork, wms: FakeWms) -> tuple[TransferReleaser, str]:
    """A transfer the WMS took, then cancelled in Ordo: (the releaser, the transfer)."""
    transfer_id = sent_for_the_order(uow)
    releaser = TransferReleaser({"DAL-01": wms})
    handled(releaser, uow, published(uow, "transfer.requested"))
    cancelled(uow, transfer_id)
    wms.refusal = PermanentRefusal(TOO_LATE)
    return releaser, transfer_id


def on_hand(uow: InMemoryUnitOfWork, location: str = "DAL-01") -> int:
    with uow:
        row = uow.stock.get(("MUG", location))
        assert row is not None
        return row.on_hand


def of_type(uow: InMemoryUnitOfWork, kind: type[E]) -> list[E]:
    return [e for e in uow.committed_events if isinstance(e, kind)]


def test_a_transfer_the_wms_shipped_before_its_cancellation_is_on_its_way_again_off_its_order(
) -> None:  # fmt: skip
    uow, wms = a_world(), FakeWms()
    releaser, transfer_id = refused_too_late(uow, wms)
    assert on_hand(uow) == 10  # the cancellation booked its units back

    handled(releaser, uow, published(uow, "transfer.cancelled"))

    kept = transfer(uow, transfer_id)
    assert kept.pending and kept.order_id == "" and kept.wms_reference == "TO-1"
    assert on_hand(uow) == 8  # off Dallas again: they are on the truck
    assert TransferWmsRefused(transfer_id, "O-1", "DAL-01", "TO-1", TOO_LATE) in (
        uow.committed_events
    )
    assert of_type(uow, TransferReinstated) == [
        TransferReinstated(transfer_id, "O-1", "MUG", "DAL-01", "NYC-5", 2, 0, TOO_LATE)
    ]
    [adjusted] = [e for e in of_type(uow, StockAdjusted) if "after its cancellation" in e.reason]
    assert (adjusted.location_code, adjusted.delta, adjusted.on_hand) == ("DAL-01", -2, 8)
    [entry] = [e for e in uow.audit.committed if e.action == "transfer.reinstated"]
    assert (entry.entity, entry.entity_id, entry.actor) == ("transfer", transfer_id, "system")
    assert entry.before == {"status": "cancelled", "order_id": "O-1"}
    assert (entry.after["status"], entry.after["taken_off"]) == ("in_transit", 2)
    assert entry.after["message"] == TOO_LATE
    assert of_type(uow, AlertTriggered) == []  # nothing left for a person to do
    assert not of_type(uow, TransferWmsCancelled)


def test_a_redelivered_too_late_reinstates_the_transfer_once() -> None:
    uow, wms = a_world(), FakeWms()
    releaser, _ = refused_too_late(uow, wms)
    [message] = published(uow, "transfer.cancelled")

    handled(releaser, uow, [message, message, message])

    assert on_hand(uow) == 8
    assert len(of_type(uow, TransferReinstated)) == 1
    assert len(of_type(uow, TransferWmsRefused)) == 1


def test_a_reinstated_transfer_is_received_at_the_store_as_its_own_stock() -> None:
    uow, wms = a_world(), FakeWms()
    releaser, transfer_id = refused_too_late(uow, wms)
    handled(releaser, uow, published(uow, "transfer.cancelled"))

    receive_transfer(commands.ReceiveTransfer(transfer_id), uow)

    assert transfer(uow, transfer_id).received
    assert (on_hand(uow), on_hand(uow, "NYC-5")) == (8, 2)
    with uow:
        assert uow.reservations.for_order("O-1") == []  # claimed by no order


def test_units_reserved_at_the_source_since_the_cancellation_stay_counted_and_a_person_is_asked(
) -> None:  # fmt: skip
    uow, wms = a_world(), FakeWms()
    releaser, transfer_id = refused_too_late(uow, wms)
    with uow:
        uow.stock.reserve("MUG", "DAL-01", 9, "web")  # another order took what was given back
        uow.commit()

    handled(releaser, uow, published(uow, "transfer.cancelled"))

    assert transfer(uow, transfer_id).pending
    assert on_hand(uow) == 9  # one of the two was free to take off; nine are promised
    [reinstated] = of_type(uow, TransferReinstated)
    assert (reinstated.quantity, reinstated.short) == (2, 1)
    [alert] = of_type(uow, AlertTriggered)
    assert (alert.rule, alert.key, alert.severity) == (REFUSED_RULE, transfer_id, "high")
    assert "1 of its units were reserved at DAL-01" in alert.message
    assert TOO_LATE in alert.message


def test_a_shipped_report_before_the_wms_hears_of_the_cancellation_reinstates_it_sending_nothing(
) -> None:  # fmt: skip
    uow, wms = a_world(), FakeWms()
    releaser, transfer_id = refused_too_late(uow, wms)

    report_transfer_shipped(commands.ReportTransferShipped(
        transfer_id, "ups", "1Z1", None, None, "warehouse:dal"), uow)  # fmt: skip
    handled(releaser, uow, published(uow, "transfer.cancelled"))

    kept = transfer(uow, transfer_id)
    assert kept.pending and kept.order_id == "" and kept.tracking_number == "1Z1"
    assert on_hand(uow) == 8
    [reinstated] = of_type(uow, TransferReinstated)
    assert reinstated.message == "warehouse:dal reported it shipped after Ordo cancelled it"
    [shipped] = of_type(uow, TransferShipped)
    assert shipped.order_id == ""  # the store's own stock, not the order's
    assert wms.cancelled == [] and not of_type(uow, TransferWmsRefused)
    actions = [(e.action, e.actor) for e in uow.audit.committed]
    assert ("transfer.reinstated", "warehouse:dal") in actions


def test_a_shipped_report_while_the_wms_answers_too_late_leaves_one_reinstatement() -> None:
    uow, wms = a_world(), FakeWms()
    releaser, transfer_id = refused_too_late(uow, wms)
    report = commands.ReportTransferShipped(transfer_id, "ups", "1Z1", None, None, "wms:dal")
    wms.while_cancelling = lambda: report_transfer_shipped(report, uow)

    handled(releaser, uow, published(uow, "transfer.cancelled"))

    assert on_hand(uow) == 8  # taken off once, by the report
    assert len(of_type(uow, TransferReinstated)) == 1
    assert not of_type(uow, TransferWmsRefused)


def sent_but_answer_lost(uow: InMemoryUnitOfWork, wms: FakeWms) -> tuple[TransferReleaser, str]:
    """A transfer the WMS took, whose answer never reached Ordo, then cancelled in Ordo."""
    transfer_id = sent_for_the_order(uow)
    releaser = TransferReleaser({"DAL-01": wms})
    with pytest.raises(DeliveryError, match="timed out"):
        handled(releaser, uow, published(uow, "transfer.requested"))
    assert transfer(uow, transfer_id).wms_reference == "" and len(wms.sent) == 1
    cancelled(uow, transfer_id)
    return releaser, transfer_id


def test_a_cancelled_transfer_whose_send_answer_was_lost_is_found_at_the_wms_and_cancelled() -> (
    None
):
    uow, wms = a_world(), FakeWms(answer_lost=True)
    releaser, transfer_id = sent_but_answer_lost(uow, wms)

    handled(releaser, uow, published(uow, "transfer.cancelled"))
    handled(releaser, uow, published(uow, "transfer.requested"))  # the send's retry

    assert wms.asked == [transfer_id]
    assert wms.cancelled == [("TO-1", transfer_id)] and len(wms.sent) == 1
    assert transfer(uow, transfer_id).wms_reference == "TO-1"
    assert of_type(uow, TransferWmsCancelled) == [
        TransferWmsCancelled(transfer_id, "O-1", "DAL-01", "TO-1")
    ]
    assert of_type(uow, AlertTriggered) == []


def test_a_transfer_found_at_the_wms_that_shipped_it_already_is_reinstated_with_its_reference(
) -> None:  # fmt: skip
    uow, wms = a_world(), FakeWms(answer_lost=True)
    releaser, transfer_id = sent_but_answer_lost(uow, wms)
    wms.refusal = PermanentRefusal(TOO_LATE)

    handled(releaser, uow, published(uow, "transfer.cancelled"))

    kept = transfer(uow, transfer_id)
    assert kept.pending and kept.wms_reference == "TO-1" and on_hand(uow) == 8
    assert of_type(uow, TransferWmsRefused) == [
        TransferWmsRefused(transfer_id, "O-1", "DAL-01", "TO-1", TOO_LATE)
    ]


def test_a_wms_that_cannot_be_asked_leaves_the_transfer_and_a_person_is_alerted() -> None:
    uow, wms = a_world(), FakeWms(answer_lost=True, lookup=False)
    releaser, transfer_id = sent_but_answer_lost(uow, wms)

    handled(releaser, uow, published(uow, "transfer.cancelled"))

    assert wms.cancelled == [] and transfer(uow, transfer_id).wms_reference == ""
    [alert] = of_type(uow, AlertTriggered)
    assert (alert.rule, alert.key, alert.severity) == (LOOKUP_RULE, transfer_id, "medium")
    assert alert.message.startswith(
        f"Transfer {transfer_id} of 2 MUG from DAL-01 to NYC-5 was cancelled in Ordo"
    )
    assert f"Look in the WMS dallas for an order with Ordo's id {transfer_id}" in alert.message
    assert "answered 405" in alert.message
