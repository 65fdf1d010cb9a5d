"""The worker's tracking poll with fakes (an in-memory store, a fake carrier API): it asks a
carrier with an API about its shipped shipments silent for the set hours, longest silent
first, at most its limit, in batches, each shipment's numbers and its parcels'; what comes
back is recorded as a webhook's scans are (a scan the shipment has is `unchanged`). A
shipment asked once is not asked again before the silence has passed again, so the others
get their turn, and that is kept on the shipment, so two pollers sharing the store (worker
processes) ask about each shipment once; a carrier that cannot be reached leaves its
shipments for the next run, any poller's; a carrier with no API is never asked and its
shipments never read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import DeliveryError, TrackingUpdate
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.fulfilment import Parcel, ShipmentStatus, TrackingEvent
from engine.service_layer.carrier_polls import CarrierPoller, silent_the_slow_way
from engine.service_layer.messagebus import MessageBus, command_handlers
from tests.support import builders as b
from tests.support.fake_carrier import FakeCarrier

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SILENCE = timedelta(hours=6)


class PollableCarrier(FakeCarrier):
    """A carrier API that answers polls with `scans` (by number) and keeps each ask."""

    def __init__(self, scans: dict[str, list[TrackingUpdate]] | None = None) -> None:
        super().__init__()
        self.scans = scans or {}
        self.polled: list[list[str]] = []
        self.failure: Exception | None = None

    def poll_tracking(self, tracking_numbers: Sequence[str]) -> list[TrackingUpdate]:
        if tracking_numbers:
            self.polled.append(list(tracking_numbers))
        if self.failure is not None and tracking_numbers:
            raise self.failure
        return [scan for number in tracking_numbers for scan in self.scans.get(number, [])]


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def a_store(*shipments: dict[str, object]) -> InMemoryUnitOfWork:
    """Shipments shipped with carrier ups (`silent` hours ago, no scan), as each says."""
    uow = InMemoryUnitOfWork()
    with uow:
        for fields in shipments:
            silent = float(str(fields.pop("silent", 8)))
            values = {"carrier": "ups", "tracking": [], "shipped_at": hours_ago(silent),
                      "created_at": hours_ago(silent + 1), **fields}  # fmt: skip
            uow.shipments.add(b.a_shipment(**values))
        uow.commit()
    return uow


def a_poller(uow: InMemoryUnitOfWork, carrier: FakeCarrier, **options: int) -> CarrierPoller:
    bus = MessageBus(lambda: uow, command_handlers(), {})
    lookup = {"ups": carrier}
    return CarrierPoller(lambda: uow, bus.handle, lookup.get, lambda: ["ups"], SILENCE,
                         **options)  # type: ignore[arg-type]  # fmt: skip


def scan(number: str, hours: float, code: str = "in_transit") -> TrackingUpdate:
    return TrackingUpdate(number, hours_ago(hours), code, "Departed", "Memphis, TN")


def test_only_the_carriers_shipped_shipments_silent_for_the_set_hours_are_asked() -> None:
    uow = a_store(
        {"id": "F-quiet", "tracking_number": "1Z1", "silent": 9},
        {"id": "F-scanned", "tracking_number": "1Z2", "silent": 9,
         "tracking": [TrackingEvent(hours_ago(2), "in_transit")]},
        {"id": "F-old-scan", "tracking_number": "1Z3", "silent": 30,
         "tracking": [TrackingEvent(hours_ago(7), "in_transit")]},
        {"id": "F-just-shipped", "tracking_number": "1Z4", "silent": 1},
        {"id": "F-fedex", "tracking_number": "FX5", "carrier": "fedex"},
        {"id": "F-delivered", "tracking_number": "1Z6", "status": ShipmentStatus.DELIVERED},
        {"id": "F-cancelled", "tracking_number": "1Z7", "status": ShipmentStatus.CANCELLED},
        {"id": "F-released", "tracking_number": "1Z8", "status": ShipmentStatus.RELEASED},
        {"id": "F-no-number", "tracking_number": "", "label_format": ""},
    )  # fmt: skip
    carrier = PollableCarrier()

    a_poller(uow, carrier).tick(NOW)

    # Longest silent first: 1Z1 last heard of 9 hours ago, 1Z3 7 hours ago.
    assert carrier.polled == [["1Z1", "1Z3"]]


def test_the_longest_silent_are_asked_first_in_batches_up_to_the_limit() -> None:
    uow = a_store(*({"id": f"F-{n}", "tracking_number": f"1Z{n}", "silent": 7 + n}
                    for n in range(1, 8)))  # fmt: skip
    carrier = PollableCarrier()

    a_poller(uow, carrier, limit=5, batch=2).tick(NOW)

    assert carrier.polled == [["1Z7", "1Z6"], ["1Z5", "1Z4"], ["1Z3"]]


def test_a_packed_shipment_is_asked_about_by_its_own_number_and_each_parcel_s() -> None:
    parcels = [Parcel("box", 30, 20, 10, 2.0, 2.0, {"SKU-1": 1}, tracking_number=number)
               for number in ("1Z1", "1Z1-2")]  # fmt: skip
    uow = a_store({"id": "F-1", "tracking_number": "1Z1", "parcels": parcels})
    carrier = PollableCarrier()

    a_poller(uow, carrier).tick(NOW)

    assert carrier.polled == [["1Z1", "1Z1-2"]]


def test_what_the_carrier_says_is_recorded_once_as_a_webhook_s_scans_are() -> None:
    uow = a_store({"id": "F-1", "tracking_number": "1Z1", "silent": 9})
    carrier = PollableCarrier({"1Z1": [scan("1Z1", 8), scan("1Z1", 8)]})
    poller = a_poller(uow, carrier)

    tally = poller.poll("ups", NOW)
    again = poller.poll("ups", NOW + SILENCE + timedelta(hours=1))

    assert (tally.recorded, tally.unchanged) == (1, 1)
    assert (again.recorded, again.unchanged) == (0, 2)
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and [e.code for e in shipment.tracking] == ["in_transit"]
        [entry] = uow.audit.list(entity="shipment", entity_id="F-1")
    assert entry.actor == "carrier:ups"


def test_a_shipment_asked_is_not_asked_again_before_the_silence_passes_so_others_get_a_turn(
) -> None:  # fmt: skip
    uow = a_store(*({"id": f"F-{n}", "tracking_number": f"1Z{n}", "silent": 20 - n}
                    for n in range(1, 6)))  # fmt: skip
    carrier = PollableCarrier()
    poller = a_poller(uow, carrier, limit=2)

    poller.tick(NOW)
    poller.tick(NOW + timedelta(minutes=10))  # not due yet: runs every half hour
    poller.tick(NOW + timedelta(hours=1))
    poller.tick(NOW + timedelta(hours=2))
    poller.tick(NOW + timedelta(hours=7))  # six hours on: the first two again

    assert carrier.polled == [["1Z1", "1Z2"], ["1Z3", "1Z4"], ["1Z5"], ["1Z1", "1Z2"]]


def test_a_carrier_that_cannot_be_reached_leaves_its_shipments_for_the_next_run() -> None:
    uow = a_store({"id": "F-1", "tracking_number": "1Z1"}, {"id": "F-2", "tracking_number": "1Z2"})
    carrier = PollableCarrier()
    carrier.failure = DeliveryError("EasyPost unreachable")
    poller = a_poller(uow, carrier, batch=1)

    poller.tick(NOW)
    carrier.failure = None
    poller.tick(NOW + timedelta(hours=1))

    assert carrier.polled == [["1Z1"], ["1Z1"], ["1Z2"]]


def test_a_carrier_with_no_api_is_never_asked_and_its_shipments_never_read() -> None:
    uow = a_store({"id": "F-1", "tracking_number": "1Z1"})
    read: list[str] = []

    def silent(shipments: object, code: str, before: datetime, limit: int) -> list[object]:
        read.append(code)
        return []

    no_api = FakeCarrier()  # keeps Carrier.poll_tracking: None, it cannot be asked
    bus = MessageBus(lambda: uow, command_handlers(), {})
    poller = CarrierPoller(lambda: uow, bus.handle, {"ups": no_api}.get, lambda: ["ups", "dhl"],
                           SILENCE, silent=silent)  # type: ignore[arg-type]  # fmt: skip

    assert poller.tick(NOW) == 0
    assert read == []


def test_two_pollers_on_one_store_ask_about_each_shipment_once() -> None:
    # Two worker processes: what one asked about is kept on the shipment, not in its memory.
    uow = a_store(*({"id": f"F-{n}", "tracking_number": f"1Z{n}"} for n in range(1, 4)))
    carrier = PollableCarrier()
    first, second = a_poller(uow, carrier), a_poller(uow, carrier)

    first.tick(NOW)
    second.tick(NOW + timedelta(minutes=1))
    a_poller(uow, carrier).tick(NOW + timedelta(hours=1))  # a process restarted

    assert carrier.polled == [["1Z1", "1Z2", "1Z3"]]
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.tracking_polled_at == NOW


def test_a_poller_asks_only_about_what_it_claimed_when_another_read_the_same_shipments(
) -> None:  # fmt: skip
    uow = a_store(*({"id": f"F-{n}", "tracking_number": f"1Z{n}"} for n in range(1, 5)))
    carrier = PollableCarrier()
    other = a_poller(uow, carrier, batch=2)

    def silent_then_raced(shipments: Any, code: str, before: datetime, limit: int) -> Any:
        found = silent_the_slow_way(shipments, code, before, limit)
        # Between this poller's read and its claims, another process claims and asks.
        other.tick(NOW)
        return found

    bus = MessageBus(lambda: uow, command_handlers(), {})
    racing = CarrierPoller(lambda: uow, bus.handle, {"ups": carrier}.get, lambda: ["ups"],
                           SILENCE, silent=silent_then_raced)  # fmt: skip
    racing.tick(NOW)

    assert carrier.polled == [["1Z1", "1Z2"], ["1Z3", "1Z4"]]


def test_a_batch_the_carrier_could_not_be_asked_about_is_handed_back_to_any_poller() -> None:
    uow = a_store({"id": "F-1", "tracking_number": "1Z1"})
    carrier = PollableCarrier()
    carrier.failure = DeliveryError("EasyPost unreachable")
    a_poller(uow, carrier).tick(NOW)
    carrier.failure = None
    a_poller(uow, carrier).tick(NOW + timedelta(minutes=1))  # another process, at once

    assert carrier.polled == [["1Z1"], ["1Z1"]]
